// The v1 HTTP contract (docs/API.md) under the names the app uses. Every shape comes from
// src/api/schema.d.ts, generated from the backend's OpenAPI document (`make api-types`); the
// only additions are narrowings the schema cannot say (the two task names of its maps) and
// the fields a Problem may carry beyond the schema's.
import type { components } from "@/api/schema";

type Schemas = components["schemas"];

export type RiskBand = Schemas["Task"]["risk_band"];
export type TaskName = "scar" | "lvef";
export const TASKS: readonly TaskName[] = ["scar", "lvef"];
export const RISK_BANDS: readonly RiskBand[] = ["low", "moderate", "high"];

/** An error answer; `status` and `code` always, the rest when the body had them. */
export type Problem = Pick<Schemas["Problem"], "status" | "code"> &
  Partial<Omit<Schemas["Problem"], "status" | "code">> & {
    /** Why an upload was refused (e.g. `not_a_printout` with `not_ecg`). */
    reason?: string;
  };

export type User = Schemas["UserOut"];
export type Me = Schemas["Me"];
export type Account = Schemas["AccountOut"];
export type PasswordReset = Schemas["PasswordResetOut"];
export type ClinicalField = Schemas["ClinicalField"];
export type Task = Schemas["Task"];
export type LeadChange = Schemas["LeadChange"];

/** The schema's maps are keyed by any string; the app reads exactly the names `N` (`TASKS`). */
type Keyed<T, K extends keyof T, N extends string> = Omit<T, K> & {
  [key in K]: Record<N, NonNullable<T[K]>[keyof NonNullable<T[K]>]>;
};

export type ModelCard = Omit<Keyed<Schemas["ModelCard"], "tasks", TaskName>, "risk_bands"> & {
  risk_bands: (Omit<Schemas["RiskBandOut"], "name"> & { name: RiskBand })[];
};
export type Screening = Keyed<Schemas["ScreeningOut"], "tasks", TaskName>;
export type ScreeningPage = Omit<Schemas["ScreeningPage"], "items"> & { items: Screening[] };

/** GET /screenings/{id}/attribution: per-lead occlusion and map similarity. */
export type Attribution = Omit<Schemas["AttributionOut"], "tasks"> & {
  tasks?: Record<TaskName, Schemas["TaskAttribution"]> | null;
};

export type AssessmentInput = Schemas["AssessmentIn"];
export type AssessmentKey = "scar" | "scar_from_cad" | "lvef_lt_40" | "lvef_lt_50";
export const ASSESSMENT_KEYS: readonly AssessmentKey[] = [
  "scar",
  "scar_from_cad",
  "lvef_lt_40",
  "lvef_lt_50",
];
export type AssessmentResult = Keyed<Schemas["AssessmentOut"], "results", AssessmentKey>;
