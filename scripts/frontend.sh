#!/usr/bin/env bash
# The one way to run the web app (Next.js standalone server), used by `make run`
# (scripts/run-local.sh), the end-to-end tests and the Docker image alike.
#   PORT               port to listen on (default 3000)
#   HOSTNAME           address to bind (default 127.0.0.1; only an exported HOSTNAME counts,
#                      not the shell's own variable; MTECG_FRONTEND_HOST overrides both)
#   MTECG_BACKEND_URL  where /api/* is forwarded, read at request time (http://127.0.0.1:8000)
#   MTECG_AUTH_ENABLED the backend's setting: `false` and pages no longer send visitors without
#                      a session to sign-in (default true, frontend/src/lib/signin.ts)
#   MTECG_TRUSTED_PROXY_HOPS  reverse proxies in front of the web app whose X-Forwarded-For and
#                      -Proto are believed (default 0; 1 behind a TLS proxy), see
#                      frontend/scripts/forwarded-headers.cjs
# Build first with `make build` (next build + static assets copied into the standalone folder).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
server="$repo/frontend/.next/standalone/server.js"
if [[ ! -f "$server" ]]; then
  echo "frontend.sh: $server is missing: build the web app first (make build)" >&2
  exit 1
fi
if ! command -v node >/dev/null 2>&1; then
  echo "frontend.sh: node (Node.js >= 20.9) is not on PATH" >&2
  exit 1
fi

# Bash always sets a HOSTNAME shell variable (the machine's name); only an exported one is a
# request to bind there (Docker images set HOSTNAME=0.0.0.0).
bind="${MTECG_FRONTEND_HOST:-$(printenv HOSTNAME || true)}"
export HOSTNAME="${bind:-127.0.0.1}"
export PORT="${PORT:-3000}"
export MTECG_BACKEND_URL="${MTECG_BACKEND_URL:-http://127.0.0.1:8000}"
export NODE_ENV=production
export NEXT_TELEMETRY_DISABLED=1

# X-Forwarded-* are set from the socket (and trusted proxies) before Next sees a request.
exec node --require "$(dirname "$server")/forwarded-headers.cjs" "$server"
