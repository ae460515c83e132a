// One clear reading per task: the decision at the model's threshold comes first, and no
// rendering shows a risk band that seems to contradict that decision without the explanation.
import { render, screen } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";
import { PatientRef } from "@/components/ResultView";
import { ErrorBox } from "@/components/Notices";
import { TaskResult } from "@/components/RiskBar";
import { reasonText, t } from "@/i18n";
import { th } from "@/i18n/th";
import { ApiError } from "@/lib/api";
import { bandAgreesWithDecision } from "@/lib/format";
import { bounds, limitsOf, withinLimit } from "@/lib/limits";
import type { RiskBand, Task } from "@/lib/types";
import { readFileSync } from "node:fs";
import path from "node:path";

vi.mock("next/navigation", () => ({
  usePathname: () => "/",
  useRouter: () => ({ replace: vi.fn(), push: vi.fn() }),
  useSearchParams: () => new URLSearchParams(),
}));

const BANDS: { name: RiskBand; upper: number | null }[] = [
  { name: "low", upper: 0.3 },
  { name: "moderate", upper: 0.7 },
  { name: "high", upper: null },
];

function bandOf(p: number): RiskBand {
  return p < 0.3 ? "low" : p < 0.7 ? "moderate" : "high";
}

describe("the result card", () => {
  it("never shows a band that disagrees with the decision without the explanation", () => {
    let disagreements = 0;
    for (const threshold of [0.1, 0.42, 0.5, 0.9]) {
      for (let i = 0; i <= 20; i++) {
        const probability = i / 20;
        const task: Task = {
          label: "x",
          probability,
          prediction: probability >= threshold,
          threshold,
          risk_band: bandOf(probability),
          reference_marker: 0.2,
        };
        const { unmount, container } = render(<TaskResult name="lvef" task={task} bands={BANDS} />);
        const decision = screen.getByTestId("decision-lvef");
        // The decision is the first thing after the task's name.
        const first = container.querySelector("h3 + p");
        expect(first?.contains(decision)).toBe(true);
        expect(decision.textContent).toBe(
          t(task.prediction ? "result.aboveThreshold" : "result.belowThreshold"),
        );
        const shownBand = container.querySelector(".band-chip")?.getAttribute("data-band");
        const agrees =
          (task.prediction && shownBand === "high") || (!task.prediction && shownBand === "low");
        const note = screen.queryByTestId("band-note");
        if (!agrees) disagreements++;
        expect(note !== null, `p=${probability} threshold=${threshold}`).toBe(!agrees);
        expect(bandAgreesWithDecision(task)).toBe(agrees);
        expect(screen.getByTestId("threshold-marker").style.left).toBe(`${threshold * 100}%`);
        unmount();
      }
    }
    expect(disagreements).toBeGreaterThan(10); // the case the explanation exists for does occur
  }, 60_000);

  it("uses the same decision words as the CSV export", () => {
    const csv = readFileSync(path.resolve(import.meta.dirname, "../../backend/mtecg/api/csv_export.py"), "utf8");
    expect(csv).toContain(`ABOVE_THRESHOLD: Final = "${th["result.aboveThreshold"]}"`);
    expect(csv).toContain(`BELOW_THRESHOLD: Final = "${th["result.belowThreshold"]}"`);
    for (const band of ["low", "moderate", "high"] as const) {
      expect(csv).toContain(`"${band}": "${th[`band.${band}`]}"`);
    }
  });
});

describe("the patient reference", () => {
  it("shows the HN in clear when the API gives it, else the hash labelled as a hash", () => {
    const { rerender } = render(<PatientRef screening={{ patient_ref: "HN-1", patient_ref_hash: "abc" }} />);
    expect(screen.getByText("HN-1")).toBeTruthy();
    rerender(<PatientRef screening={{ patient_ref: null, patient_ref_hash: "abcdef012345" }} />);
    expect(screen.getByText(t("result.patientRefHashOnly", { hash: "abcdef012345" }))).toBeTruthy();
  });
});

describe("rejection reasons", () => {
  it("has Thai text for every reason the pipeline gives (mtecg.errors.Reason)", () => {
    const errors = readFileSync(path.resolve(import.meta.dirname, "../../backend/mtecg/errors.py"), "utf8");
    const section = errors.slice(errors.indexOf("class Reason"), errors.indexOf("class Rejection"));
    const reasons = [...section.matchAll(/^\s+[A-Z_0-9]+ = "([a-z_0-9]+)"/gm)].map((m) => m[1]!);
    expect(reasons.length).toBeGreaterThanOrEqual(20);
    for (const reason of reasons) expect(reasonText(reason), reason).toMatch(/[\u0E00-\u0E7F]/);
  });

  it("shows the reason under the code's title", () => {
    const error = new ApiError({ status: 422, code: "not_ecg", reason: "not_a_printout" });
    render(<ErrorBox error={error} />);
    expect(screen.getByTestId("error-reason").textContent).toBe(t("reason.not_a_printout"));
  });
});

describe("form limits from the API schema", () => {
  const schema = {
    components: {
      schemas: {
        AssessmentIn: {
          properties: {
            height_cm: { type: "number", exclusiveMinimum: 50, maximum: 260 },
            birth_year_be: { type: "integer", minimum: 2400, maximum: 2700 },
            sex: { type: "string" },
          },
        },
      },
    },
  };

  it("reads exclusive and inclusive bounds, as the API applies them", () => {
    const limits = limitsOf(schema, "AssessmentIn");
    expect(Object.keys(limits).sort()).toEqual(["birth_year_be", "height_cm"]);
    expect(withinLimit(50, limits.height_cm)).toBe(false);
    expect(withinLimit(50.5, limits.height_cm)).toBe(true);
    expect(withinLimit(260, limits.height_cm)).toBe(true);
    expect(withinLimit(260.1, limits.height_cm)).toBe(false);
    expect(withinLimit(2400, limits.birth_year_be)).toBe(true);
    expect(bounds(limits.height_cm)).toEqual({ low: 50, high: 260 });
    expect(limitsOf(null, "AssessmentIn")).toEqual({});
  });
});
