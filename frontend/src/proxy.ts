// Next's request proxy (formerly "middleware"), for every page request:
// - sign-in first: a protected page asked for without a session cookie is redirected to
//   /login?next=... before anything renders (lib/signin.ts; the backend still authorises
//   every API call, so this only spares the visitor an empty page);
// - a strict Content-Security-Policy with a fresh nonce per request that Next puts on its own
//   inline scripts (it reads the nonce from the request's CSP header while rendering; pages are
//   rendered per request for this, see app/layout.tsx).
// /api/* is not matched: it is streamed to the backend, which sets its own headers.
import { NextResponse, type NextRequest } from "next/server";
import { contentSecurityPolicy } from "@/lib/csp";
import { SESSION_COOKIE, authEnabled, signInRedirect } from "@/lib/signin";

export function proxy(request: NextRequest) {
  const signIn = signInRedirect(request.nextUrl, request.cookies.has(SESSION_COOKIE), authEnabled());
  if (signIn) return NextResponse.redirect(signIn);
  const nonce = Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString("base64");
  const policy = contentSecurityPolicy(nonce, {
    dev: process.env.NODE_ENV === "development",
    tls: request.headers.get("x-forwarded-proto") === "https",
  });
  const headers = new Headers(request.headers);
  headers.set("x-nonce", nonce);
  headers.set("content-security-policy", policy);
  const response = NextResponse.next({ request: { headers } });
  response.headers.set("content-security-policy", policy);
  if (request.headers.get("x-forwarded-proto") === "https") {
    response.headers.set("strict-transport-security", "max-age=31536000; includeSubDomains");
  }
  return response;
}

export const config = {
  matcher: [
    {
      source: "/((?!api/|_next/static|_next/image|favicon.ico).*)",
      missing: [
        { type: "header", key: "next-router-prefetch" },
        { type: "header", key: "purpose", value: "prefetch" },
      ],
    },
  ],
};
