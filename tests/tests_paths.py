"""Paths the tests need: the installed command and the read-only samples beside the repo."""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO.parent / "shared" / "samples"
MTECG = Path(sys.executable).parent / "mtecg"
