// The error boundary of every page: Thai text, the digest to quote, and a retry.
import { fireEvent, render, screen } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";
import PageError from "@/app/error";
import { t } from "@/i18n";

describe("PageError", () => {
  it("says so in Thai with the digest and retries on request", () => {
    const reset = vi.fn();
    const log = vi.spyOn(console, "error").mockImplementation(() => {});
    render(<PageError error={Object.assign(new Error("boom"), { digest: "d1g" })} reset={reset} />);
    const box = screen.getByTestId("page-error");
    expect(box.textContent).toContain(t("app.pageError.title"));
    expect(box.textContent).toContain(t("app.pageError.digest", { id: "d1g" }));
    fireEvent.click(screen.getByRole("button", { name: t("app.pageError.retry") }));
    expect(reset).toHaveBeenCalledOnce();
    log.mockRestore();
  });
});
