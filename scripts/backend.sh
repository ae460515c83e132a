#!/usr/bin/env bash
# The one way to run the backend, used by `make run` and the Docker image alike.
#   scripts/backend.sh migrate   -> mtecg db upgrade
#   scripts/backend.sh serve     -> mtecg serve on MTECG_HOST:MTECG_PORT (127.0.0.1:8000)
# The mtecg executable is $MTECG_BIN, else the repository's .venv/bin/mtecg, else PATH's.
set -euo pipefail
# Everything the backend writes (database, WAL, images, keys, logs) is for its owner only.
umask 077
# Two glibc heaps rather than up to 8 per core: the server's many request threads each got a
# heap of their own, and freed canonical images and model buffers stayed resident in all of
# them. Measured at 16 clients on resnet34d (issue 16, benchmarks/README.md): about 250 MB
# less peak memory. An operator's own setting wins.
export MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX:-2}"

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [[ -n "${MTECG_BIN:-}" ]]; then
  mtecg="$MTECG_BIN"
elif [[ -x "$repo/.venv/bin/mtecg" ]]; then
  mtecg="$repo/.venv/bin/mtecg"
elif command -v mtecg >/dev/null 2>&1; then
  mtecg="$(command -v mtecg)"
else
  echo "backend.sh: no mtecg executable (set MTECG_BIN or run make install)" >&2
  exit 1
fi

case "${1:-}" in
  migrate) exec "$mtecg" db upgrade ;;
  serve) exec "$mtecg" serve --host "${MTECG_HOST:-127.0.0.1}" --port "${MTECG_PORT:-8000}" ;;
  *)
    echo "usage: scripts/backend.sh migrate|serve" >&2
    exit 2
    ;;
esac
