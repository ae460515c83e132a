// @vitest-environment node
// The runtime proxy against a throwaway HTTP server standing in for the backend's socket: what
// reaches the backend (headers, streamed body) and what comes back (status, cookies).
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backendUrl, forwardHeaders, maxBodyBytes, proxy, responseHeaders } from "@/lib/proxy";
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { forwarded } = require("../scripts/client-address.cjs") as {
  forwarded: (
    headers: Record<string, string>,
    socket: { remoteAddress: string; encrypted: boolean },
    hops?: number,
  ) => { client: string; proto: string };
};

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  bytes: number;
}

let server: http.Server;
let seen: Seen[] = [];
let upstream = "";

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let bytes = 0;
    req.on("data", (chunk: Buffer) => (bytes += chunk.length));
    req.on("end", () => {
      seen.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, bytes });
      res.setHeader("Content-Type", "application/json");
      res.setHeader("X-Request-ID", "rid-from-backend");
      res.setHeader("Set-Cookie", ["mtecg_session=abc; HttpOnly; Path=/; SameSite=Strict", "other=1; Path=/"]);
      res.statusCode = req.url?.startsWith("/api/v1/missing") ? 404 : 201;
      res.end(JSON.stringify({ bytes }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  upstream = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe("the /api proxy", () => {
  it("reads MTECG_BACKEND_URL at request time", () => {
    expect(backendUrl({})).toBe("http://127.0.0.1:8000");
    expect(backendUrl({ MTECG_BACKEND_URL: "http://backend:8000/" })).toBe("http://backend:8000");
  });

  it("forwards auth headers and sets (never passes on) X-Forwarded-*", () => {
    const incoming = new Headers({
      host: "mtecg.example:3000",
      "x-forwarded-host": "evil.example",
      "x-forwarded-for": "10.1.2.3",
      cookie: "mtecg_session=s",
      authorization: "Bearer mtecg_x_y",
      origin: "http://mtecg.example:3000",
      "content-type": "multipart/form-data; boundary=b",
      "x-request-id": "rid-1",
      connection: "keep-alive",
    });
    const out = forwardHeaders(incoming, new URL("http://mtecg.example:3000/api/v1/screenings"));
    expect(out.has("x-forwarded-host")).toBe(false);
    expect(out.get("x-forwarded-for")).toBe("10.1.2.3");
    expect(out.get("x-forwarded-proto")).toBe("http");
    expect(out.get("cookie")).toBe("mtecg_session=s");
    expect(out.get("authorization")).toBe("Bearer mtecg_x_y");
    expect(out.get("origin")).toBe("http://mtecg.example:3000");
    expect(out.get("x-request-id")).toBe("rid-1");
    expect(out.has("host")).toBe(false);
    expect(out.has("connection")).toBe(false);
    const behindTls = forwardHeaders(
      new Headers({ host: "10.0.0.5:3000", "x-forwarded-proto": "https", "x-forwarded-host": "ecg.hospital.example" }),
      new URL("http://10.0.0.5:3000/api/v1/auth/login"),
    );
    expect(behindTls.get("x-forwarded-proto")).toBe("https");
    expect(behindTls.has("x-forwarded-host")).toBe(false);
  });

  it("takes the client address from the socket, not from what the client claims", () => {
    const socket = { remoteAddress: "192.0.2.7", encrypted: false };
    const spoofed = { "x-forwarded-for": "203.0.113.9", "x-forwarded-proto": "https" };
    expect(forwarded(spoofed, socket)).toEqual({ client: "192.0.2.7", proto: "http" });
    expect(forwarded({}, socket)).toEqual({ client: "192.0.2.7", proto: "http" });
    // Behind one TLS proxy: its entry and scheme count, what the client wrote before does not.
    const viaProxy = { "x-forwarded-for": "203.0.113.9, 198.51.100.4", "x-forwarded-proto": "https" };
    expect(forwarded(viaProxy, { remoteAddress: "10.0.0.2", encrypted: false }, 1)).toEqual({
      client: "198.51.100.4",
      proto: "https",
    });
  });

  it("keeps every Set-Cookie and drops hop-by-hop headers", () => {
    const upstreamHeaders = new Headers();
    upstreamHeaders.append("set-cookie", "a=1; Path=/");
    upstreamHeaders.append("set-cookie", "b=2; Path=/");
    upstreamHeaders.set("transfer-encoding", "chunked");
    upstreamHeaders.set("x-request-id", "r");
    const out = responseHeaders(upstreamHeaders);
    expect(out.getSetCookie()).toEqual(["a=1; Path=/", "b=2; Path=/"]);
    expect(out.has("transfer-encoding")).toBe(false);
    expect(out.get("x-request-id")).toBe("r");
  });

  it("streams a large body to the backend and passes the answer back", async () => {
    process.env.MTECG_BACKEND_URL = upstream;
    seen = [];
    const size = 12 * 1024 * 1024;
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        const chunk = new Uint8Array(1024 * 1024);
        for (let i = 0; i < size / chunk.length; i++) controller.enqueue(chunk);
        controller.close();
      },
    });
    const request = new Request("http://127.0.0.1:3000/api/v1/screenings?x=1", {
      method: "POST",
      body,
      headers: { host: "127.0.0.1:3000", origin: "http://127.0.0.1:3000", cookie: "mtecg_session=s" },
      duplex: "half",
    } as RequestInit);
    const response = await proxy(request);
    expect(response.status).toBe(201);
    expect(await response.json()).toEqual({ bytes: size });
    expect(response.headers.getSetCookie()).toHaveLength(2);
    expect(response.headers.get("x-request-id")).toBe("rid-from-backend");
    expect(seen[0]).toMatchObject({ method: "POST", url: "/api/v1/screenings?x=1", bytes: size });
    expect(seen[0]!.headers["x-forwarded-host"]).toBeUndefined();
    expect(seen[0]!.headers["x-forwarded-proto"]).toBe("http");
    expect(seen[0]!.headers.cookie).toBe("mtecg_session=s");
  });

  it("passes error statuses through and refuses a declared oversize body itself", async () => {
    process.env.MTECG_BACKEND_URL = upstream;
    const missing = await proxy(new Request("http://127.0.0.1:3000/api/v1/missing"));
    expect(missing.status).toBe(404);
    seen = [];
    const tooBig = await proxy(
      new Request("http://127.0.0.1:3000/api/v1/screenings", {
        method: "POST",
        headers: { "content-length": String(maxBodyBytes() + 1) },
      }),
    );
    expect(tooBig.status).toBe(413);
    expect((await tooBig.json()).code).toBe("file_too_large");
    expect(seen).toHaveLength(0);
  });

  it("answers 503 not_ready when the backend cannot be reached", async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    process.env.MTECG_BACKEND_URL = `http://127.0.0.1:${port}`;
    const logged: string[] = [];
    const original = console.error;
    console.error = (...args: unknown[]) => void logged.push(args.map(String).join(" "));
    let response: Response;
    try {
      response = await proxy(new Request("http://127.0.0.1:3000/api/v1/screenings?patient_ref=HN-SECRET-9&page=2"));
    } finally {
      console.error = original;
    }
    expect(response.status).toBe(503);
    expect(logged.length).toBeGreaterThan(0);
    expect(logged.join("\n")).not.toContain("HN-SECRET-9");
    expect(logged.join("\n")).not.toContain("patient_ref");
    expect(response.headers.get("content-type")).toBe("application/problem+json");
    expect((await response.json()).code).toBe("not_ready");
  });
});
