// The explanation views: one lead label per lead in every mode, all 12 leads at "fit", the
// per-lead attribution as it arrives from the API, and one map (said so) when both are alike.
import { fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { Explanations, LeadAttribution } from "@/components/Explanations";
import { CANONICAL_COLUMNS, HeatmapViewer } from "@/components/HeatmapViewer";
import { t } from "@/i18n";
import type { Attribution, Screening } from "@/lib/types";

const LEADS = CANONICAL_COLUMNS.flat();
const images: Screening["images"] = {
  canonical: "/api/v1/screenings/s9/images/canonical.png",
  scar: "/api/v1/screenings/s9/images/scar.png",
  lvef: "/api/v1/screenings/s9/images/lvef.png",
};

function ready(similar: boolean, correlation = similar ? 0.993 : 0.41): Attribution {
  const leads = (offset: number) => LEADS.map((lead, i) => ({ lead, change: (i - offset) / 100 }));
  return {
    status: "ready",
    tasks: { scar: { probability: 0.7, leads: leads(3) }, lvef: { probability: 0.2, leads: leads(8) } },
    maps: { correlation, similar, similar_from: 0.95 },
  };
}

function expectOneLabelPerLead() {
  const labels = screen.getAllByTestId("lead-label");
  expect(labels.map((label) => label.textContent).sort()).toEqual([...LEADS].sort());
  for (const lead of LEADS) expect(screen.getAllByText(lead, { exact: true })).toHaveLength(1);
}

describe("HeatmapViewer", () => {
  it("draws exactly one label per lead in every mode and at every opacity", () => {
    render(<HeatmapViewer images={images} />);
    for (const mode of ["scar", "lvef", "plain", "scar"]) {
      fireEvent.click(screen.getByTestId(`heatmap-mode-${mode}`));
      for (const value of ["0", "40", "100"]) {
        if (mode !== "plain") {
          fireEvent.change(screen.getByLabelText(t("heatmap.opacity")), { target: { value } });
        }
        expectOneLabelPerLead();
      }
    }
    // Labels sit in the margin beside their column, at their row (by sixths).
    const v4 = screen.getByText("V4");
    expect(v4.className).toContain("lead-label-right");
    expect(v4.style.top).toBe("50%");
    expect(screen.getByText("aVR").className).toContain("lead-label-left");
  });

  it("covers the overlay's own label boxes with the plain ECG, and only over an overlay", () => {
    render(<HeatmapViewer images={images} />);
    const covers = screen.getAllByTestId("label-cover");
    expect(covers).toHaveLength(12);
    for (const cover of covers) expect(cover.style.backgroundImage).toContain(images.canonical);
    // V1's corner: x 701 of 1402 px, y 0; the box is 60 x 40 px of the 1402 x 2100 px image.
    const v1 = covers[6]!;
    expect(v1.style.left).toBe("50%");
    expect(v1.style.top).toBe("0%");
    expect(parseFloat(v1.style.width)).toBeCloseTo((100 * 60) / 1402, 6);
    expect(parseFloat(v1.style.height)).toBeCloseTo((100 * 40) / 2100, 6);
    fireEvent.click(screen.getByTestId("heatmap-mode-plain"));
    expect(screen.queryAllByTestId("label-cover")).toHaveLength(0);
  });

  it("fits the whole image in the viewport at 100 % and zooms from there", () => {
    const { container } = render(<HeatmapViewer images={images} />);
    const stack = container.querySelector(".heatmap-stack") as HTMLElement;
    expect(stack.dataset.zoom).toBe("fit");
    // The width is bounded by the fit height times the image's aspect ratio (1402 / 2100).
    expect(stack.getAttribute("style")).toContain("var(--heatmap-fit-height) * 0.66762");
    fireEvent.click(screen.getByRole("button", { name: t("heatmap.zoomIn") }));
    expect(stack.dataset.zoom).toBe("1.5");
    expect(stack.getAttribute("style")).toContain("calc(1.5 * min(100%");
    fireEvent.click(screen.getByRole("button", { name: t("heatmap.zoomReset") }));
    expect(stack.dataset.zoom).toBe("fit");
  });

  it("offers one map, and says why, when the two maps are nearly the same", () => {
    render(<HeatmapViewer images={images} similarity={ready(true).maps!} />);
    expect(screen.queryByTestId("heatmap-mode-scar")).toBeNull();
    expect(screen.queryByTestId("heatmap-mode-lvef")).toBeNull();
    expect((screen.getByTestId("heatmap-mode-shared") as HTMLInputElement).checked).toBe(true);
    expect(screen.getByTestId("heatmap-overlay").getAttribute("src")).toBe(images.scar);
    const note = screen.getByTestId("heatmap-similar").textContent ?? "";
    expect(note).toBe(t("heatmap.similar", { r: "0.99", threshold: "0.95" }));
    fireEvent.click(screen.getByTestId("heatmap-mode-plain"));
    expect(screen.queryByTestId("heatmap-overlay")).toBeNull();
    expectOneLabelPerLead();
  });
});

describe("LeadAttribution", () => {
  it("draws each lead's change, right when it raises the probability, left when it lowers", () => {
    render(<LeadAttribution state={ready(false)} />);
    const scar = screen.getByTestId("attribution-scar");
    expect(scar.textContent).toContain(t("attribution.task", { task: t("attribution.scar"), value: "70.0" }));
    expect(within(scar).getAllByRole("row").length).toBe(1 + 12);
    const raised = screen.getByTestId("attribution-scar-V6"); // change +0.08, the largest is 0.08
    expect(raised.textContent).toContain(t("attribution.change", { value: "+8.0" }));
    const bar = raised.querySelector(".raises") as HTMLElement;
    expect(bar.style.left).toBe("50%");
    expect(bar.style.width).toBe("50%");
    const lowered = screen.getByTestId("attribution-lvef-I"); // change -0.08
    expect(lowered.textContent).toContain(t("attribution.change", { value: "-8.0" }));
    expect((lowered.querySelector(".lowers") as HTMLElement).style.right).toBe("50%");
  });

  it("says when it is pending, unavailable or failed", () => {
    const { rerender } = render(<LeadAttribution state={{ status: "pending" }} />);
    expect(screen.getByTestId("attribution-status").textContent).toBe(t("attribution.pending"));
    rerender(<LeadAttribution state={{ status: "unavailable", reason: "other model" }} />);
    expect(screen.getByTestId("attribution-status").textContent).toBe(t("attribution.unavailable"));
    rerender(<LeadAttribution state="failed" />);
    expect(screen.getByTestId("attribution-status").textContent).toBe(t("attribution.failed"));
  });
});

describe("Explanations", () => {
  const realFetch = globalThis.fetch;
  afterEach(() => {
    globalThis.fetch = realFetch;
  });

  it("asks again while the API says pending, then shows the chart and the shared map", async () => {
    const answers = [
      new Response(JSON.stringify({ status: "pending" }), { status: 202, headers: { "Retry-After": "1" } }),
      new Response(JSON.stringify(ready(true)), { status: 200 }),
    ];
    const calls: string[] = [];
    globalThis.fetch = vi.fn(async (input: RequestInfo | URL) => {
      calls.push(String(input));
      return answers.shift()!;
    }) as typeof fetch;
    const screening = { id: "s9", images } as Screening;
    render(<Explanations screening={screening} />);
    expect(await screen.findByTestId("attribution-status")).toBeTruthy();
    await screen.findByTestId("attribution-chart", {}, { timeout: 3000 });
    expect(calls).toEqual(["/api/v1/screenings/s9/attribution", "/api/v1/screenings/s9/attribution"]);
    await waitFor(() => expect(screen.getByTestId("heatmap-similar")).toBeTruthy());
    expect(screen.getByTestId("heatmap-mode-shared")).toBeTruthy();
  });

  it("keeps both maps when they differ", async () => {
    globalThis.fetch = vi.fn(async () => new Response(JSON.stringify(ready(false)), { status: 200 })) as typeof fetch;
    render(<Explanations screening={{ id: "s9", images } as Screening} />);
    await screen.findByTestId("attribution-chart");
    expect(screen.queryByTestId("heatmap-similar")).toBeNull();
    expect(screen.getByTestId("heatmap-mode-lvef")).toBeTruthy();
  });
});
