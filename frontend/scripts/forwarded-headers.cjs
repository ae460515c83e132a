// Preloaded into the web app's server (`node --require`, see scripts/frontend.sh): the
// X-Forwarded-* headers a request arrives with are replaced, before Next sees them, by what
// this server itself knows (client-address.cjs). Next only fills them in when absent, so a
// browser could otherwise name any client address (and lock out someone else's sign-in) or
// claim HTTPS.
"use strict";
/* eslint-disable @typescript-eslint/no-require-imports */
const http = require("node:http");
const { forwarded, trustedHops } = require("./client-address.cjs");

const hops = trustedHops();
const DROPPED = ["x-forwarded-for", "x-forwarded-proto", "x-forwarded-host", "x-forwarded-port", "forwarded", "x-real-ip"];
const createServer = http.createServer;
http.createServer = function patchedCreateServer(...args) {
  const server = createServer.apply(this, args);
  server.prependListener("request", (request) => {
    const { client, proto } = forwarded(request.headers, request.socket, hops);
    for (const name of DROPPED) delete request.headers[name];
    request.headers["x-forwarded-for"] = client;
    request.headers["x-forwarded-proto"] = proto;
  });
  return server;
};
