import { describe, expect, it } from "vitest";
import { exportUrl, historyQuery, parseRetryAfter, toProblem } from "@/lib/api";
import { bandSegments, percent } from "@/lib/format";
import { buildFormData } from "@/lib/upload";

describe("API helpers", () => {
  it("reads problem+json bodies and falls back on the status", () => {
    const body = JSON.stringify({ status: 422, code: "not_ecg", detail: "no ECG", request_id: "r1" });
    expect(toProblem(422, body)).toMatchObject({ code: "not_ecg", request_id: "r1", status: 422 });
    expect(toProblem(502, "<html>bad gateway</html>").code).toBe("unknown");
    expect(toProblem(401, "").code).toBe("not_authenticated");
    expect(toProblem(503, "{}").code).toBe("not_ready");
  });

  it("reads Retry-After seconds", () => {
    expect(parseRetryAfter("7")).toBe(7);
    expect(parseRetryAfter(null)).toBeNull();
    expect(parseRetryAfter("soon")).toBeNull();
  });

  it("builds the history query without empty filters, and the CSV link without paging", () => {
    expect(historyQuery({ page: 2, page_size: 25, risk_band: "", patient_ref: " HN 1 " })).toBe(
      "?page=2&page_size=25&patient_ref=HN+1",
    );
    expect(exportUrl({ page: 3, page_size: 25, date_from: "2026-01-01", risk_band: "high" })).toBe(
      "/api/v1/screenings/export.csv?date_from=2026-01-01&risk_band=high",
    );
    expect(exportUrl({})).toBe("/api/v1/screenings/export.csv");
  });

  it("sends the upload's form fields as the contract names them", () => {
    const file = new File(["%PDF-1.7"], "ecg.pdf", { type: "application/pdf" });
    const data = buildFormData({
      file,
      patientRef: "  HN42 ",
      profile: "auto",
      clinical: { female: true, diabetes: false, age: 61 },
    });
    expect((data.get("file") as File).name).toBe("ecg.pdf");
    expect(data.get("patient_ref")).toBe("HN42");
    expect(data.has("profile")).toBe(false);
    expect(data.get("female")).toBe("true");
    expect(data.get("diabetes")).toBe("false");
    expect(data.get("age")).toBe("61");
    const named = buildFormData({ file, profile: "siriraj-grid" });
    expect(named.get("profile")).toBe("siriraj-grid");
    expect(named.has("patient_ref")).toBe(false);
  });

  it("formats probabilities and risk band segments", () => {
    expect(percent(0.4567)).toBe("45.7 %");
    expect(percent(1, 0)).toBe("100 %");
    expect(bandSegments()).toEqual([
      { name: "low", start: 0, end: 0.3 },
      { name: "moderate", start: 0.3, end: 0.7 },
      { name: "high", start: 0.7, end: 1 },
    ]);
  });
});
