"""Prints the backend's OpenAPI document, built from the app without starting a server.

`create_app()` only declares routes (the lifespan that loads the model and opens the database
never runs), so this needs no database, model or secret. MTECG_* variables are dropped first:
the document must be the same on every machine, whatever the shell's settings, because the web
app's generated types (frontend/src/api/schema.d.ts, `make api-types`) are checked against it.

Usage: .venv/bin/python scripts/openapi_schema.py > openapi.json
"""

from __future__ import annotations

import json
import os
import sys


def main() -> int:
    for name in [name for name in os.environ if name.startswith("MTECG_")]:
        del os.environ[name]
    from mtecg.api.app import create_app

    json.dump(create_app().openapi(), sys.stdout, indent=2, sort_keys=True, ensure_ascii=False)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
