"""Writes the published JSON schema of model.json: `python -m mtecg.model.schema_file PATH`.

The schema is generated from the pydantic models in `manifest.py` (their one definition) and
checked in as models/model.schema.json, for people and tools that read packages without
mtecg; tests/model/test_model_schema.py fails when the checked-in copy has drifted.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from mtecg.model.manifest import manifest_json_schema


def schema_text() -> str:
    """The schema as the checked-in file holds it (sorted keys, two-space indent)."""
    return json.dumps(manifest_json_schema(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m mtecg.model.schema_file models/model.schema.json", file=sys.stderr)
        return 2
    Path(argv[0]).write_text(schema_text(), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
