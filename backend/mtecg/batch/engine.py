"""What an engine is given and what it gives back (both engines share these)."""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mtecg.ingest import IngestLimits
from mtecg.model.runtime import Runtime

Rows = list[dict[str, Any]]
Progress = Generator[tuple[Rows, int]]
"""An engine yields (finished rows, number of inputs skipped as already done) as it goes."""


@dataclass(frozen=True)
class EngineOptions:
    model_dir: Path
    profile: str
    device: str
    workers: int
    batch_size: int
    maps_dir: Path | None
    limits: IngestLimits = field(default_factory=IngestLimits)
    address: str | None = None  # Ray only
    runtime: Runtime = "torch"  # what runs the network on a CPU (`mtecg.model.runtime`)
    runtime_cache_dir: Path | None = None  # its exported graphs (`MTECG_RUNTIME_CACHE_DIR`)
