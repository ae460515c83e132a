// The frontend's runtime reverse proxy to the backend: the browser only ever talks to this
// origin; /api/* is forwarded to MTECG_BACKEND_URL, read at request time so that one build
// serves any deployment. Bodies are streamed both ways (uploads up to 20 MiB are never
// buffered here).

export const DEFAULT_BACKEND_URL = "http://127.0.0.1:8000";
/** The backend's own cap on a request body: MTECG_MAX_UPLOAD_BYTES plus multipart overhead. */
export const UPLOAD_OVERHEAD_BYTES = 64 * 1024;
const DEFAULT_MAX_UPLOAD_BYTES = 20 * 1024 * 1024;

export function maxBodyBytes(env: Record<string, string | undefined> = process.env): number {
  const configured = Number(env.MTECG_MAX_UPLOAD_BYTES);
  const upload = Number.isFinite(configured) && configured > 0 ? configured : DEFAULT_MAX_UPLOAD_BYTES;
  return upload + UPLOAD_OVERHEAD_BYTES;
}

/** Request headers passed on to the backend; everything else (hop-by-hop, Host) is dropped. */
const FORWARD_REQUEST = [
  "accept",
  "accept-language",
  "authorization",
  "content-type",
  "content-length",
  "cookie",
  "origin",
  "referer",
  "user-agent",
  "x-request-id",
  "if-none-match",
  "if-modified-since",
];

/** Response headers that must not be copied (hop-by-hop, or wrong once fetch has decoded). */
const DROP_RESPONSE = new Set([
  "connection",
  "keep-alive",
  "transfer-encoding",
  "content-encoding",
  "content-length",
  "proxy-authenticate",
  "trailer",
  "upgrade",
  "set-cookie",
]);

export function backendUrl(env: Record<string, string | undefined> = process.env): string {
  const value = env.MTECG_BACKEND_URL?.trim();
  return (value || DEFAULT_BACKEND_URL).replace(/\/+$/, "");
}

/** The backend URL for an incoming /api/... URL (path and query kept as they are). */
export function targetUrl(incoming: URL, base: string): string {
  return `${base}${incoming.pathname}${incoming.search}`;
}

/**
 * The headers sent to the backend. X-Forwarded-For/-Proto are set here, never passed on: the
 * client address and scheme are what this server saw (scripts/forwarded-headers.cjs replaced
 * whatever the request claimed before Next read it), so the backend, which believes them only
 * from MTECG_TRUSTED_PROXIES, throttles sign-ins per real client. Host and X-Forwarded-Host
 * are not sent: the backend checks Origin against its configured public origin instead.
 */
export function forwardHeaders(incoming: Headers, url: URL): Headers {
  const out = new Headers();
  for (const name of FORWARD_REQUEST) {
    const value = incoming.get(name);
    if (value !== null) out.set(name, value);
  }
  const client = incoming.get("x-forwarded-for")?.split(",").pop()?.trim();
  if (client) out.set("x-forwarded-for", client);
  const proto = incoming.get("x-forwarded-proto") === "https" || url.protocol === "https:" ? "https" : "http";
  out.set("x-forwarded-proto", proto);
  return out;
}

/** A URL as it may be logged: never the query string (it can hold a patient reference). */
export function loggableUrl(target: string): string {
  const query = target.indexOf("?");
  return query < 0 ? target : `${target.slice(0, query)}?…`;
}

/** The headers sent back to the browser, every Set-Cookie kept as its own header. */
export function responseHeaders(upstream: Headers): Headers {
  const out = new Headers();
  upstream.forEach((value, name) => {
    if (!DROP_RESPONSE.has(name.toLowerCase())) out.set(name, value);
  });
  for (const cookie of upstream.getSetCookie()) out.append("set-cookie", cookie);
  return out;
}

function problem(status: number, code: string, detail: string, requestId: string | null) {
  return new Response(
    JSON.stringify({
      type: "about:blank",
      title: code,
      status,
      code,
      detail,
      request_id: requestId ?? "",
    }),
    {
      status,
      headers: {
        "content-type": "application/problem+json",
        "cache-control": "no-store",
        ...(requestId ? { "x-request-id": requestId } : {}),
      },
    },
  );
}

export async function proxy(request: Request): Promise<Response> {
  const url = new URL(request.url);
  const target = targetUrl(url, backendUrl());
  const headers = forwardHeaders(request.headers, url);
  const requestId = request.headers.get("x-request-id");
  // A body declared too large is refused here, as the backend would: streaming it only to have
  // the backend hang up half way would leave the browser with a reset instead of a reason.
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > maxBodyBytes()) {
    return problem(413, "file_too_large", `The request body is larger than ${maxBodyBytes()} bytes.`, requestId);
  }
  const hasBody = !["GET", "HEAD"].includes(request.method) && request.body !== null;
  let upstream: Response;
  try {
    upstream = await fetch(target, {
      method: request.method,
      headers,
      body: hasBody ? request.body : undefined,
      // Stream the upload as it arrives instead of buffering it.
      ...(hasBody ? { duplex: "half" } : {}),
      redirect: "manual",
      cache: "no-store",
      signal: request.signal,
    } as RequestInit);
  } catch (error) {
    if (request.signal.aborted) return new Response(null, { status: 499 });
    const reason = error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : "error";
    console.error(`mtecg proxy: ${request.method} ${loggableUrl(target)} failed: ${reason}`);
    return problem(503, "not_ready", "the backend service cannot be reached", requestId);
  }
  return new Response(upstream.body, {
    status: upstream.status,
    statusText: upstream.statusText,
    headers: responseHeaders(upstream.headers),
  });
}
