#!/usr/bin/env bash
# `make run`: the whole app on this machine. Migrates the database, starts the backend
# (scripts/backend.sh serve) and the web app (scripts/frontend.sh), prints the address to open
# and, on the very first start, the `admin` account's one-time password; Ctrl-C stops both.
#
# Defaults (each can be overridden from the environment):
#   MTECG_DATABASE_URL  sqlite:///var/mtecg.db     MTECG_DATA_DIR  var/data
#   MTECG_MODEL_DIR     models/demo                MTECG_HOST/PORT 127.0.0.1:8000 (backend)
#   MTECG_FRONTEND_HOST 127.0.0.1                  MTECG_FRONTEND_PORT 3000
#   MTECG_READY_TIMEOUT_S 180 (how long the backend may take to load the model)
set -euo pipefail
# Everything the backend writes (database, WAL, images, keys, logs) is for its owner only.
umask 077

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"

export MTECG_DATABASE_URL="${MTECG_DATABASE_URL:-sqlite:///var/mtecg.db}"
export MTECG_DATA_DIR="${MTECG_DATA_DIR:-var/data}"
export MTECG_MODEL_DIR="${MTECG_MODEL_DIR:-models/demo}"
export MTECG_HOST="${MTECG_HOST:-127.0.0.1}"
export MTECG_PORT="${MTECG_PORT:-8000}"
frontend_host="${MTECG_FRONTEND_HOST:-127.0.0.1}"
frontend_port="${MTECG_FRONTEND_PORT:-3000}"
ready_timeout="${MTECG_READY_TIMEOUT_S:-180}"
# The web app's origin is the one browsers send state-changing requests from.
export MTECG_ALLOWED_ORIGINS="${MTECG_ALLOWED_ORIGINS:-http://$frontend_host:$frontend_port,http://localhost:$frontend_port}"
logs="var/log"
mkdir -p var "$MTECG_DATA_DIR" "$logs"

say() { printf 'run-local: %s\n' "$*"; }
fail() {
  printf 'run-local: %s\n' "$*" >&2
  exit 1
}

[[ -f frontend/.next/standalone/server.js ]] || fail "the web app is not built: run make build (or make run)"
[[ -f "$MTECG_MODEL_DIR/model.json" ]] ||
  fail "no model package at $MTECG_MODEL_DIR (model.json missing): set MTECG_MODEL_DIR to one"

# Is something already listening on a port we need?
port_busy() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }
port_busy "$MTECG_HOST" "$MTECG_PORT" && fail "port $MTECG_PORT is in use (set MTECG_PORT)"
port_busy "$frontend_host" "$frontend_port" && fail "port $frontend_port is in use (set MTECG_FRONTEND_PORT)"

say "migrating the database ($MTECG_DATABASE_URL)"
scripts/backend.sh migrate || fail "database migration failed (see above)"

backend_pid=""
frontend_pid=""
stop_all() {
  trap - INT TERM EXIT
  local pid
  for pid in "$frontend_pid" "$backend_pid"; do
    [[ -n "$pid" ]] && kill -TERM -- "-$pid" 2>/dev/null || true
  done
  for pid in "$frontend_pid" "$backend_pid"; do
    [[ -n "$pid" ]] && wait "$pid" 2>/dev/null || true
  done
}
trap 'echo; say "stopping"; stop_all; exit 130' INT TERM
trap stop_all EXIT

# Each server runs in its own process group (job control on) so that one kill stops all of it.
set -m
backend_out="$logs/backend.out"
# stdout (where the one-time password appears) is also kept in a file for this script to read:
# readable by this account only (mode 0600), since it may hold that password.
(umask 077 && : >"$backend_out")
chmod 600 "$backend_out"
scripts/backend.sh serve > >(tee -a "$backend_out") 2>&1 &
backend_pid=$!
set +m

probe() { node -e 'fetch(process.argv[1]).then(r => process.exit(r.ok ? 0 : 1), () => process.exit(2))' "$1"; }
why_not_ready() {
  node -e 'fetch(process.argv[1]).then(r => r.text()).then(t => console.log(t), e => console.log(String(e.cause ?? e)))' "$1"
}

say "waiting for the backend on http://$MTECG_HOST:$MTECG_PORT (model $MTECG_MODEL_DIR)"
deadline=$((SECONDS + ready_timeout))
until probe "http://$MTECG_HOST:$MTECG_PORT/readyz"; do
  if ! kill -0 "$backend_pid" 2>/dev/null; then
    wait "$backend_pid" && status=0 || status=$?
    fail "the backend stopped (exit $status) before it was ready; its output is above"
  fi
  if ((SECONDS >= deadline)); then
    fail "the backend was not ready after ${ready_timeout}s: $(why_not_ready "http://$MTECG_HOST:$MTECG_PORT/readyz")"
  fi
  sleep 1
done

set -m
PORT="$frontend_port" MTECG_FRONTEND_HOST="$frontend_host" \
  MTECG_BACKEND_URL="http://$MTECG_HOST:$MTECG_PORT" scripts/frontend.sh &
frontend_pid=$!
set +m

deadline=$((SECONDS + 60))
until probe "http://$frontend_host:$frontend_port/login"; do
  kill -0 "$frontend_pid" 2>/dev/null || fail "the web app stopped before it was ready; its output is above"
  ((SECONDS < deadline)) || fail "the web app was not ready after 60s"
  sleep 0.5
done

password=""
for _ in 1 2 3 4 5; do # the line is printed before readiness; tee may lag a moment behind
  password="$(sed -n 's/.*one-time password: \([^[:space:]]*\).*/\1/p' "$backend_out" | tail -n 1)"
  [[ -n "$password" ]] && break
  sleep 0.1
done
line="=================================================================="
echo
echo "$line"
echo "  mtecg is running: open http://$frontend_host:$frontend_port"
if [[ -n "$password" ]]; then
  echo
  echo "  First start: sign in as  admin  with the one-time password"
  echo "      $password"
  echo "  (shown only this once: keep it, or add users with .venv/bin/mtecg users create)"
fi
echo "  Data: $MTECG_DATABASE_URL, $MTECG_DATA_DIR; model: $MTECG_MODEL_DIR"
echo "  Press Ctrl-C to stop."
echo "$line"
echo

# Whichever stops first ends the session.
wait -n "$backend_pid" "$frontend_pid" && status=0 || status=$?
say "a server stopped (exit $status); stopping the other"
exit "$status"
