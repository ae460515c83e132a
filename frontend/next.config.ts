import type { NextConfig } from "next";

// The frontend is served by `node .next/standalone/server.js` (scripts/frontend.sh, Docker).
// All /api/* traffic goes through src/app/api/[...path]/route.ts, which reads
// MTECG_BACKEND_URL at request time, so one build works against any backend.
const nextConfig: NextConfig = {
  output: "standalone",
  poweredByHeader: false,
  reactStrictMode: true,
  // Pin the tracing root to this folder so the standalone output has server.js at its top.
  outputFileTracingRoot: __dirname,
  experimental: {
    // src/proxy.ts does not match /api/*; should a request body ever pass through it, a 20 MiB
    // upload must not be cut short.
    proxyClientMaxBodySize: "25mb",
  },
  async headers() {
    return [
      {
        source: "/:path*",
        headers: [
          { key: "X-Content-Type-Options", value: "nosniff" },
          { key: "Referrer-Policy", value: "same-origin" },
          { key: "X-Frame-Options", value: "DENY" },
          { key: "Permissions-Policy", value: "camera=(), microphone=(), geolocation=()" },
        ],
      },
    ];
  },
};

export default nextConfig;
