"""Inputs for the batch suites: real synthetic printouts, small non-ECG PNGs, junk files."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import numpy as np
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
from PIL import Image
from tests_paths import MTECG

from mtecg.batch.schema import SCHEMA
from mtecg.synth.dataset import make_record


def printouts(folder: Path, n: int, first_seed: int = 0) -> list[Path]:
    """`n` synthetic Siriraj-layout PDFs (readable: the pipeline screens them)."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for seed in range(first_seed, first_seed + n):
        path = folder / f"ecg-{seed:03d}.pdf"
        path.write_bytes(make_record(seed, "siriraj-grid", "pdf").data)
        paths.append(path)
    return paths


def small_pngs(folder: Path, n: int, seed: int = 0) -> list[Path]:
    """`n` distinct 24 x 24 noise PNGs: real images that layout refuses quickly."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    paths = []
    for i in range(n):
        buffer = io.BytesIO()
        Image.fromarray(rng.integers(0, 255, (24, 24, 3), dtype=np.uint8)).save(buffer, "PNG")
        path = folder / f"noise-{i:05d}.png"
        path.write_bytes(buffer.getvalue())
        paths.append(path)
    return paths


def read_results(path: Path) -> list[dict[str, object]]:
    if path.suffix == ".csv":
        types = {field.name: field.type for field in SCHEMA}
        options = pa_csv.ConvertOptions(column_types=types, strings_can_be_null=True)
        table = pa_csv.read_csv(path, convert_options=options)
    else:
        table = pq.read_table(path)
    rows: list[dict[str, object]] = table.to_pylist()
    return rows


def batch_command(*args: str) -> list[str]:
    return [str(MTECG), "batch", *args]


def run_batch(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        batch_command(*args), capture_output=True, text=True, timeout=timeout, check=False
    )
