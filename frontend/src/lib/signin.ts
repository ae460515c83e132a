// Which page requests the request proxy (src/proxy.ts) sends to sign-in first. Only the
// session cookie's presence is checked here: whether it is still valid is the backend's to say
// on every API call (an expired one still reaches the page, whose first 401 then leads to
// sign-in, see components/AppContext.tsx). API keys are for scripts, never for pages.

/** The browser session cookie set by POST /api/v1/auth/login (docs/API.md). */
export const SESSION_COOKIE = "mtecg_session";
export const LOGIN_PATH = "/login";
/** Pages anyone may open. */
export const PUBLIC_PATHS: readonly string[] = [LOGIN_PATH];

/** The values pydantic reads as false for the backend's own MTECG_AUTH_ENABLED. */
const FALSE = new Set(["0", "off", "f", "false", "n", "no"]);

/**
 * Whether sign-in is required: MTECG_AUTH_ENABLED, the backend's setting, given to this server
 * too (scripts/frontend.sh). Only an explicit false turns it off, as for the backend.
 */
export function authEnabled(env: Record<string, string | undefined> = process.env): boolean {
  return !FALSE.has((env.MTECG_AUTH_ENABLED ?? "").trim().toLowerCase());
}

/**
 * The sign-in URL to send this page request to, or null to let it through: a protected page
 * asked for without a session cookie while sign-in is required. `next` brings the visitor back
 * afterwards (LoginForm follows only same-site paths).
 */
export function signInRedirect(url: URL, hasSession: boolean, requireSignIn: boolean): URL | null {
  if (!requireSignIn || hasSession || PUBLIC_PATHS.includes(url.pathname)) return null;
  const target = new URL(LOGIN_PATH, url);
  target.searchParams.set("next", `${url.pathname}${url.search}`);
  return target;
}
