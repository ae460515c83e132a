// Who a request really comes from, by the socket and the trusted reverse proxies only (used by
// forwarded-headers.cjs; a plain function so that it can be tested without patching anything).
//
// MTECG_TRUSTED_PROXY_HOPS (default 0) is how many reverse proxies stand in front of the web
// app (1 behind the hospital's TLS proxy): their X-Forwarded-For entries and the nearest one's
// X-Forwarded-Proto are believed; anything a client wrote before them is not.
"use strict";

function trustedHops(env = process.env) {
  return Math.max(0, Number.parseInt(env.MTECG_TRUSTED_PROXY_HOPS || "0", 10) || 0);
}

/** The client address and scheme of one request. */
function forwarded(headers, socket, hops = trustedHops()) {
  const chain = String(headers["x-forwarded-for"] || "")
    .split(",")
    .map((entry) => entry.trim())
    .filter(Boolean);
  chain.push(socket.remoteAddress || "");
  const client = chain[Math.max(0, chain.length - 1 - hops)];
  const claimed = String(headers["x-forwarded-proto"] || "").split(",").pop().trim().toLowerCase();
  const proto =
    hops > 0 && (claimed === "https" || claimed === "http") ? claimed : socket.encrypted ? "https" : "http";
  return { client, proto };
}

module.exports = { forwarded, trustedHops };
