import { act, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { HeatmapViewer } from "@/components/HeatmapViewer";
import { ErrorBox } from "@/components/Notices";
import { ResultView } from "@/components/ResultView";
import { RiskBar } from "@/components/RiskBar";
import { t } from "@/i18n";
import { ApiError } from "@/lib/api";
import type { Screening } from "@/lib/types";

const replace = vi.fn();
vi.mock("next/navigation", () => ({
  usePathname: () => "/",
  useRouter: () => ({ replace, push: vi.fn() }),
  useSearchParams: () => new URLSearchParams(),
}));

function screening(overrides: Partial<Screening> = {}): Screening {
  const images = {
    canonical: "/api/v1/screenings/s1/images/canonical.png",
    scar: "/api/v1/screenings/s1/images/scar.png",
    lvef: "/api/v1/screenings/s1/images/lvef.png",
  };
  return {
    id: "s1",
    created_at: "2026-11-24T10:00:00Z",
    created_by: { id: "u1", username: "somchai" },
    organisation: "default",
    patient_ref_hash: "0123456789ab",
    upload_sha256: "f".repeat(64),
    model: { id: "demo", version: "1.0.0", weights_sha256: "e".repeat(64), synthetic: true },
    layout: { profile: "auto", kind: "pdf", px_per_mm: 11.81, rotation_deg: 0.4, rhythm_strips: 1, paper_speed_mm_s: 25 },
    clinical: null,
    tasks: {
      scar: { label: "Myocardial scar", probability: 0.8123, prediction: true, threshold: 0.5, risk_band: "high", reference_marker: 0.25 },
      lvef: { label: "LVEF < 50 %", probability: 0.12, prediction: false, threshold: 0.4, risk_band: "low", reference_marker: null },
    },
    images,
    timings_ms: { ingest: 1, layout: 2, predict: 3, explain: 4, total: 1234.4 },
    screening_aid: "A screening aid, not a diagnosis.",
    ...overrides,
  };
}

describe("RiskBar", () => {
  it("draws the threshold and the reference marker where the model puts them", () => {
    render(<RiskBar probability={0.45} band="moderate" threshold={0.5} reference={0.2} />);
    expect(screen.getByTestId("reference-marker").style.left).toBe("20%");
    expect(screen.getByTestId("threshold-marker").style.left).toBe("50%");
    const label = screen.getByRole("img").getAttribute("aria-label") ?? "";
    expect(label).toContain("45.0 %");
    expect(label).toContain(t("band.moderate"));
    expect(label).toContain(t("result.belowThreshold"));
  });

  it("has no marker when the model has none", () => {
    render(<RiskBar probability={0.1} band="low" />);
    expect(screen.queryByTestId("reference-marker")).toBeNull();
    expect(screen.queryByTestId("threshold-marker")).toBeNull();
  });
});

describe("ResultView", () => {
  it("shows both tasks as percentages with Thai bands, the aid statement and the synthetic badge", () => {
    render(<ResultView screening={screening()} />);
    expect(screen.getByTestId("probability-scar").textContent).toBe("81.2 %");
    expect(screen.getByTestId("probability-lvef").textContent).toBe("12.0 %");
    expect(screen.getByTestId("task-scar").textContent).toContain(t("band.high"));
    expect(screen.getByTestId("task-lvef").textContent).toContain(t("band.low"));
    expect(screen.getByTestId("screening-aid").textContent).toContain(t("aid.title"));
    expect(screen.getAllByTestId("synthetic-badge").length).toBeGreaterThan(0);
    expect(screen.getAllByTestId("reference-marker")).toHaveLength(1);
    expect(screen.getByTestId("layout-info").textContent).toContain("25 มม./วินาที");
  });

  it("shows a strip printout's layout, speed, gain and pages, and flags approximate time windows", () => {
    const layout = {
      ...screening().layout,
      layout_name: "6x1-2page",
      time_windows: "approximate" as const,
      paper_speed_mm_s: 50,
      gain_mm_mv: 20,
      pages: [2, 3],
      rectification: null,
    };
    render(<ResultView screening={screening({ layout })} />);
    const note = screen.getByTestId("layout-approximate");
    expect(note.getAttribute("role")).toBe("note");
    expect(note.textContent).toContain(t("result.layout.approximate"));
    expect(screen.getByTestId("layout-name").textContent).toBe(t("result.layout.name.6x1-2page"));
    expect(screen.getByTestId("layout-pages").textContent).toBe("2, 3");
    const info = screen.getByTestId("layout-info").textContent;
    expect(info).toContain(t("result.layout.speedValue", { value: 50 }));
    expect(info).toContain(t("result.layout.gainValue", { value: 20 }));
    expect(info).toContain(t("result.layout.gainRescaled"));
    expect(info).toContain(t("result.layout.timeWindows.approximate"));
    expect(screen.queryByTestId("layout-rectification")).toBeNull();
  });

  it("shows what was corrected on a straightened photo, and no note when the windows are exact", () => {
    const layout = {
      ...screening().layout,
      kind: "image" as const,
      layout_name: "3x4",
      time_windows: "exact" as const,
      gain_mm_mv: 10,
      pages: [1],
      rectification: { perspective: 0.1234, rotation_deg: -4.26, residual_deg: 0.453 },
    };
    render(<ResultView screening={screening({ layout })} />);
    expect(screen.queryByTestId("layout-approximate")).toBeNull();
    const photo = screen.getByTestId("layout-rectification").textContent;
    expect(photo).toContain(t("result.layout.photoTitle"));
    expect(photo).toContain(t("result.layout.perspectiveValue", { value: "12.3" }));
    expect(photo).toContain(t("result.layout.rotationValue", { value: "-4.3" }));
    expect(photo).toContain(t("result.layout.residualValue", { value: "0.45" }));
    expect(screen.getByTestId("layout-info").textContent).not.toContain(t("result.layout.gainRescaled"));
  });

  it("says unknown for layout facts a row stored before they were recorded lacks", () => {
    render(<ResultView screening={screening()} />);
    expect(screen.getByTestId("layout-name").textContent).toBe(t("result.layout.unknown"));
    expect(screen.queryByTestId("layout-pages")).toBeNull();
    expect(screen.queryByTestId("layout-approximate")).toBeNull();
    expect(screen.queryByTestId("layout-rectification")).toBeNull();
  });

  it("has no synthetic badge for a model trained on real data, and download links on the detail page", () => {
    const real = screening({ model: { id: "m", version: "2", weights_sha256: "a", synthetic: false } });
    render(<ResultView screening={real} detail />);
    expect(screen.queryByTestId("synthetic-badge")).toBeNull();
    expect(screen.getByTestId("download-scar").getAttribute("href")).toBe(real.images.scar);
    expect(screen.getByRole("button", { name: t("result.print") })).toBeTruthy();
  });
});

describe("HeatmapViewer", () => {
  it("switches between the plain ECG and the two overlays, with opacity and zoom", () => {
    const { images } = screening();
    render(<HeatmapViewer images={images} />);
    const overlay = () => screen.queryByTestId("heatmap-overlay");
    expect(overlay()?.getAttribute("src")).toBe(images.scar);
    fireEvent.click(screen.getByTestId("heatmap-mode-lvef"));
    expect(overlay()?.getAttribute("src")).toBe(images.lvef);
    fireEvent.change(screen.getByLabelText(t("heatmap.opacity")), { target: { value: "40" } });
    expect((overlay() as HTMLImageElement).style.opacity).toBe("0.4");
    fireEvent.click(screen.getByTestId("heatmap-mode-plain"));
    expect(overlay()).toBeNull();
    expect(screen.getByText("V6")).toBeTruthy(); // lead labels on the plain ECG
    fireEvent.click(screen.getByRole("button", { name: t("heatmap.zoomIn") }));
    expect(screen.getByText("150 %")).toBeTruthy();
  });
});

describe("ErrorBox", () => {
  it("gives the Thai reason and next step for an API rejection", () => {
    const error = new ApiError({ status: 422, code: "not_ecg", request_id: "rid-9" });
    render(<ErrorBox error={error} />);
    const box = screen.getByTestId("error-box");
    expect(box.textContent).toContain(t("error.not_ecg.title"));
    expect(box.textContent).toContain(t("error.not_ecg.action"));
    expect(box.textContent).toContain("rid-9");
  });

  it("names the field of a validation error and the wait of an overload", () => {
    render(<ErrorBox error={new ApiError({ status: 422, code: "validation_error", field: "age" })} />);
    expect(screen.getByTestId("error-box").textContent).toContain("age");
  });
});

describe("the app shell", () => {
  const realFetch = globalThis.fetch;
  beforeEach(() => replace.mockReset());
  afterEach(() => {
    globalThis.fetch = realFetch;
  });

  function answer(routes: Record<string, [number, unknown]>) {
    globalThis.fetch = vi.fn(async (input: RequestInfo | URL) => {
      const url = String(input);
      const [status, body] = routes[url] ?? [404, { code: "not_found", status: 404 }];
      return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
    }) as typeof fetch;
  }

  it("warns when authentication is disabled", async () => {
    const { AppProvider } = await import("@/components/AppContext");
    const { AppShell } = await import("@/components/AppShell");
    answer({
      "/api/v1/auth/me": [200, { auth_enabled: false, user: { id: "l", username: "local", role: "admin" } }],
      "/api/v1/model": [503, { code: "not_ready", status: 503 }],
    });
    await act(async () => {
      render(
        <AppProvider>
          <AppShell>
            <p>content</p>
          </AppShell>
        </AppProvider>,
      );
    });
    await waitFor(() => expect(screen.getByTestId("auth-disabled-banner")).toBeTruthy());
    expect(screen.getByTestId("auth-disabled-banner").textContent).toBe(t("banner.authDisabled"));
    expect(screen.queryByRole("button", { name: t("nav.signOut") })).toBeNull();
  });

  it("sends a signed-out visitor to sign-in", async () => {
    const { AppProvider } = await import("@/components/AppContext");
    answer({ "/api/v1/auth/me": [401, { code: "not_authenticated", status: 401 }] });
    await act(async () => {
      render(
        <AppProvider>
          <p>content</p>
        </AppProvider>,
      );
    });
    await waitFor(() => expect(replace).toHaveBeenCalledWith("/login?next=%2F"));
  });

  it("sends a user with a one-time password to the password change, and nowhere else", async () => {
    const { AppProvider } = await import("@/components/AppContext");
    answer({
      "/api/v1/auth/me": [
        200,
        { auth_enabled: true, must_change_password: true, user: { id: "a", username: "admin", role: "admin" } },
      ],
      "/api/v1/model": [503, { code: "not_ready", status: 503 }],
    });
    await act(async () => {
      render(
        <AppProvider>
          <p>content</p>
        </AppProvider>,
      );
    });
    await waitFor(() => expect(replace).toHaveBeenCalledWith("/account"));
    expect(replace).not.toHaveBeenCalledWith(expect.stringMatching(/^\/login/));
  });
});
