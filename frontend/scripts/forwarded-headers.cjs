// Preloaded into the web app's server (`node --require`, see scripts/frontend.sh): the
// X-Forwarded-* headers a request arrives with are replaced, before Next sees them, by what
// this server itself knows. Next only fills them in when absent, so a browser could otherwise
// name any client address (and lock out someone else's sign-in) or claim HTTPS.
//
// MTECG_TRUSTED_PROXY_HOPS (default 0) is how many reverse proxies stand in front of this
// server (1 behind the hospital's TLS proxy): their X-Forwarded-For entries and the nearest
// one's X-Forwarded-Proto are believed; anything a client added before them is not.
"use strict";
const http = require("node:http");

const hops = Math.max(0, Number.parseInt(process.env.MTECG_TRUSTED_PROXY_HOPS || "0", 10) || 0);

/** The client address and scheme of one request, from the socket and trusted proxies only. */
function forwarded(headers, socket) {
  const chain = String(headers["x-forwarded-for"] || "")
    .split(",")
    .map((entry) => entry.trim())
    .filter(Boolean);
  chain.push(socket.remoteAddress || "");
  const client = chain[Math.max(0, chain.length - 1 - hops)];
  const claimed = String(headers["x-forwarded-proto"] || "").split(",").pop().trim().toLowerCase();
  const proto = hops > 0 && (claimed === "https" || claimed === "http")
    ? claimed
    : socket.encrypted ? "https" : "http";
  return { client, proto };
}

const createServer = http.createServer;
http.createServer = function patchedCreateServer(...args) {
  const server = createServer.apply(this, args);
  server.prependListener("request", (request) => {
    const { client, proto } = forwarded(request.headers, request.socket);
    for (const name of ["x-forwarded-for", "x-forwarded-proto", "x-forwarded-host", "x-forwarded-port", "forwarded", "x-real-ip"]) {
      delete request.headers[name];
    }
    request.headers["x-forwarded-for"] = client;
    request.headers["x-forwarded-proto"] = proto;
  });
  return server;
};

module.exports = { forwarded };
