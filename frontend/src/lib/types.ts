// Types of the v1 HTTP contract (docs/API.md).

export type RiskBand = "low" | "moderate" | "high";
export type TaskName = "scar" | "lvef";
export const TASKS: readonly TaskName[] = ["scar", "lvef"];
export const RISK_BANDS: readonly RiskBand[] = ["low", "moderate", "high"];

export interface Problem {
  type?: string;
  title?: string;
  status: number;
  code: string;
  detail?: string;
  request_id?: string;
  field?: string;
  reason?: string;
}

export interface User {
  id: string;
  username: string;
  display_name?: string | null;
  role: "clinician" | "admin" | "sysadmin";
  organisation?: string | null;
}

export interface Me {
  auth_enabled: boolean;
  /** A one-time or reset password: the app shows only the password change until done. */
  must_change_password?: boolean;
  user: User;
}

export interface Account {
  username: string;
  display_name: string;
  role: User["role"];
  organisation: string;
  disabled: boolean;
  must_change_password: boolean;
}

export interface ClinicalField {
  name: string;
  type: "boolean" | "number";
  min?: number | null;
  max?: number | null;
  unit?: string | null;
}

export interface ModelCard {
  id: string;
  version: string;
  weights_sha256: string;
  synthetic: boolean;
  intended_use: string;
  training_data: string;
  screening_aid: string;
  architecture: { backbone: string; variant: string };
  input: { height: number; width: number; geometry: string; profiles: string[] };
  tasks: Record<TaskName, { label: string; threshold: number; reference_marker: number | null }>;
  risk_bands: { name: RiskBand; upper: number | null }[];
  clinical_inputs: null | { fields: ClinicalField[] };
  metrics: { task: string; name: string; value: number; data: string }[];
  card_markdown: string;
}

export interface Task {
  label: string;
  probability: number;
  prediction: boolean;
  threshold: number;
  risk_band: RiskBand;
  reference_marker: number | null;
}

export interface Screening {
  id: string;
  created_at: string;
  created_by: { id: string; username: string };
  organisation: string;
  patient_ref_hash: string | null;
  patient_ref?: string | null;
  upload_sha256: string;
  model: { id: string; version: string; weights_sha256: string; synthetic: boolean };
  layout: {
    profile: string;
    kind: "pdf" | "image" | "waveform";
    input_type?: string | null;
    px_per_mm: number;
    rotation_deg: number;
    rhythm_strips: number;
    paper_speed_mm_s: number | null;
  };
  clinical: Record<string, boolean | number> | null;
  tasks: Record<TaskName, Task>;
  images: { canonical: string; scar: string; lvef: string };
  timings_ms: Record<string, number>;
  screening_aid: string;
}

/** GET /screenings/{id}/attribution (docs/API.md): per-lead occlusion and map similarity. */
export interface LeadChange {
  lead: string;
  change: number; // probability minus the probability with this lead's panel blanked
}

export interface Attribution {
  status: "ready" | "pending" | "unavailable";
  reason?: string | null;
  tasks?: Record<TaskName, { probability: number; leads: LeadChange[] }> | null;
  maps?: { correlation: number; similar: boolean; similar_from: number } | null;
}

export interface ScreeningPage {
  items: Screening[];
  page: number;
  page_size: number;
  total: number;
}

export interface AssessmentInput {
  birth_year_be: number;
  sex: "female" | "male";
  height_cm: number;
  weight_kg: number;
  diabetes: boolean;
  prior_mi: boolean;
  prior_ptca_cabg: boolean;
  cad: boolean;
  heart_failure: boolean;
  hypertension: boolean;
  ckd: boolean;
}

export type AssessmentKey = "scar" | "scar_from_cad" | "lvef_lt_40" | "lvef_lt_50";
export const ASSESSMENT_KEYS: readonly AssessmentKey[] = [
  "scar",
  "scar_from_cad",
  "lvef_lt_40",
  "lvef_lt_50",
];

export interface AssessmentResult {
  age_years: number;
  bmi: number;
  results: Record<AssessmentKey, { probability: number; risk_band: RiskBand }>;
  screening_aid: string;
}
