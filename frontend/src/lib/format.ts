import { t } from "@/i18n";
import type { RiskBand, Task } from "./types";

/** 0.4567 -> "45.7 %" */
export function percent(probability: number, digits = 1): string {
  return `${(probability * 100).toFixed(digits)} %`;
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}

const dateTime = new Intl.DateTimeFormat("th-TH", {
  dateStyle: "medium",
  timeStyle: "short",
});

/** A server time (ISO 8601, UTC) in Thai, in the browser's time zone (Buddhist Era year). */
export function formatDateTime(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : dateTime.format(date);
}

export const DEFAULT_BANDS: { name: RiskBand; upper: number | null }[] = [
  { name: "low", upper: 0.3 },
  { name: "moderate", upper: 0.7 },
  { name: "high", upper: null },
];

/** [start, end) of each band on 0..1, from the model's upper bounds. */
export function bandSegments(
  bands: { name: RiskBand; upper: number | null }[] = DEFAULT_BANDS,
): { name: RiskBand; start: number; end: number }[] {
  let start = 0;
  return bands.map((band) => {
    const end = band.upper ?? 1;
    const segment = { name: band.name, start, end };
    start = end;
    return segment;
  });
}

/** Age in completed years from a Buddhist Era birth year, for showing what will be sent. */
export function beToCe(yearBe: number): number {
  return yearBe - 543;
}

/** Whether a task's band says the same as its decision at the threshold: a high band above it,
 * a low band below it. Anything else (e.g. "moderate" above the threshold) needs the note. */
export function bandAgreesWithDecision(task: Pick<Task, "prediction" | "risk_band">): boolean {
  return task.prediction ? task.risk_band === "high" : task.risk_band === "low";
}

/** The bands' legend (band.legend) filled from the model's band bounds. */
export function bandLegend(bands: { name: RiskBand; upper: number | null }[] = DEFAULT_BANDS): string {
  const [low, moderate] = bandSegments(bands);
  return t("band.legend", { low: percent(low?.end ?? 0.3, 0), high: percent(moderate?.end ?? 0.7, 0) });
}
