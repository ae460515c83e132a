// @vitest-environment node
// Route protection in the request proxy: pages need a session cookie (or sign-in turned off),
// the sign-in page itself never does, and the CSP nonce is set on every page let through.
import { NextRequest } from "next/server";
import { afterEach, describe, expect, it } from "vitest";
import { authEnabled, signInRedirect } from "@/lib/signin";
import { proxy } from "@/proxy";

const page = (path: string, cookie?: string) =>
  new NextRequest(`http://127.0.0.1:3000${path}`, { headers: cookie ? { cookie } : {} });

describe("authEnabled", () => {
  it("is on unless MTECG_AUTH_ENABLED says false as pydantic reads it", () => {
    expect(authEnabled({})).toBe(true);
    expect(authEnabled({ MTECG_AUTH_ENABLED: "true" })).toBe(true);
    expect(authEnabled({ MTECG_AUTH_ENABLED: "maybe" })).toBe(true);
    for (const off of ["false", "False", " 0 ", "no", "off", "f", "n"]) {
      expect(authEnabled({ MTECG_AUTH_ENABLED: off })).toBe(false);
    }
  });
});

describe("signInRedirect", () => {
  const url = new URL("http://127.0.0.1:3000/history?page=2");
  it("sends a visitor without a session to sign-in, coming back to the same page", () => {
    const target = signInRedirect(url, false, true);
    expect(target?.pathname).toBe("/login");
    expect(target?.searchParams.get("next")).toBe("/history?page=2");
  });
  it("lets through a session, the sign-in page, and everyone when sign-in is off", () => {
    expect(signInRedirect(url, true, true)).toBeNull();
    expect(signInRedirect(new URL("http://127.0.0.1:3000/login?next=%2F"), false, true)).toBeNull();
    expect(signInRedirect(url, false, false)).toBeNull();
  });
});

describe("proxy", () => {
  afterEach(() => {
    delete process.env.MTECG_AUTH_ENABLED;
  });

  it("redirects a protected page without the session cookie", () => {
    const response = proxy(page("/screenings/abc", "other=1"));
    expect(response.status).toBe(307);
    const location = new URL(response.headers.get("location") ?? "");
    expect(`${location.pathname}${location.search}`).toBe("/login?next=%2Fscreenings%2Fabc");
  });

  it("renders a page with the session cookie under a fresh nonce", () => {
    const first = proxy(page("/history", "mtecg_session=token"));
    const second = proxy(page("/history", "mtecg_session=token"));
    expect(first.status).toBe(200);
    const nonce = (response: Response) =>
      /'nonce-([^']+)'/.exec(response.headers.get("content-security-policy") ?? "")?.[1];
    expect(nonce(first)).toBeTruthy();
    expect(nonce(first)).not.toBe(nonce(second));
  });

  it("renders every page without a cookie when sign-in is off", () => {
    process.env.MTECG_AUTH_ENABLED = "false";
    expect(proxy(page("/about")).status).toBe(200);
  });
});
