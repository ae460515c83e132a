// @vitest-environment node
// The page CSP: nonce-only scripts, no eval, nothing framed, nothing from elsewhere.
import { describe, expect, it } from "vitest";
import { contentSecurityPolicy } from "@/lib/csp";

describe("contentSecurityPolicy", () => {
  it("is strict in production", () => {
    const policy = contentSecurityPolicy("abc123", { dev: false, tls: false });
    expect(policy).toContain("script-src 'self' 'nonce-abc123' 'strict-dynamic'");
    expect(policy).toContain("frame-ancestors 'none'");
    expect(policy).toContain("object-src 'none'");
    expect(policy).not.toContain("unsafe-eval");
    expect(policy).not.toMatch(/script-src[^;]*unsafe-inline/);
    expect(policy).not.toContain("upgrade-insecure-requests");
    expect(contentSecurityPolicy("n", { dev: false, tls: true })).toContain("upgrade-insecure-requests");
  });
});
