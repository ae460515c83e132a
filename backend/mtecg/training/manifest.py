"""Training manifests: a CSV of printout files with their labels, split and clinical inputs.

Columns: `file` (relative to the CSV's folder, or absolute), `scar` (0/1), `lvef` (percent,
or already 0/1 for "LVEF < 50 %"), optionally `split` (train / val / test; `dev` is read as
val) and the clinical features (female, diabetes, hypertension, smoking, dyslipidaemia, age).
`mtecg synth` writes exactly this shape, and so can a hospital's export.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from mtecg.tasks import TASKS

CLINICAL_BINARY = ("female", "diabetes", "hypertension", "smoking", "dyslipidaemia")
CLINICAL_COLUMNS = (*CLINICAL_BINARY, "age")
SPLITS = ("train", "val", "test")
_SPLIT_ALIASES = {"dev": "val", "valid": "val", "validation": "val"}
LOW_EF_BELOW = 50.0


class TrainingManifestError(ValueError):
    """The manifest cannot be used as it is; the message names the row and column."""


@dataclass(frozen=True)
class Example:
    """One labelled printout."""

    path: Path
    scar: int
    low_ef: int
    split: str | None
    clinical: tuple[float, ...] | None  # CLINICAL_COLUMNS order, age in years


class HasClinical(Protocol):
    """Anything carrying clinical inputs in CLINICAL_COLUMNS order (an Example, a training Item)."""

    @property
    def clinical(self) -> tuple[float, ...] | None: ...


def clinical_records(rows: Sequence[HasClinical]) -> list[dict[str, float]] | None:
    """Each row's clinical inputs by name, as a clinical model takes them; None when any row
    lacks them (the model cannot score that set)."""
    if any(row.clinical is None for row in rows):
        return None
    return [dict(zip(CLINICAL_COLUMNS, row.clinical or (), strict=True)) for row in rows]


def _binary(value: str, column: str, line: int) -> int:
    if value.strip() not in ("0", "1"):
        raise TrainingManifestError(f"line {line}: column {column!r} must be 0 or 1, got {value!r}")
    return int(value)


def _low_ef(values: list[str]) -> list[int]:
    """LVEF as 0/1 when every value is 0 or 1, else as percent (< 50 % is positive)."""
    numbers = []
    for line, value in enumerate(values, start=2):
        try:
            numbers.append(float(value))
        except ValueError:
            raise TrainingManifestError(
                f"line {line}: column 'lvef' is not a number: {value!r}"
            ) from None
    if all(n in (0.0, 1.0) for n in numbers):
        return [int(n) for n in numbers]
    for line, n in enumerate(numbers, start=2):
        if not 0.0 < n <= 100.0:
            raise TrainingManifestError(f"line {line}: column 'lvef' percent out of range: {n}")
    return [int(n < LOW_EF_BELOW) for n in numbers]


def read_manifest(path: Path) -> list[Example]:
    """Reads and validates a manifest; every problem is reported with its line number."""
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    if not rows:
        raise TrainingManifestError("the manifest has no rows")
    columns = set(rows[0])
    missing = {"file", *TASKS} - columns
    if missing:
        raise TrainingManifestError(f"missing column(s): {', '.join(sorted(missing))}")
    has_clinical = set(CLINICAL_COLUMNS) <= columns
    low_ef = _low_ef([row["lvef"] for row in rows])
    examples = []
    for line, (row, ef) in enumerate(zip(rows, low_ef, strict=True), start=2):
        split = (row.get("split") or "").strip().lower() or None
        split = _SPLIT_ALIASES.get(split, split) if split else None
        if split is not None and split not in SPLITS:
            raise TrainingManifestError(f"line {line}: unknown split {row['split']!r}")
        clinical = None
        if has_clinical:
            flags = [float(_binary(row[c], c, line)) for c in CLINICAL_BINARY]
            try:
                age = float(row["age"])
            except ValueError:
                raise TrainingManifestError(f"line {line}: column 'age' is not a number") from None
            if not 0.0 <= age <= 120.0:
                raise TrainingManifestError(f"line {line}: column 'age' out of range: {age}")
            clinical = (*flags, age)
        file = Path(row["file"])
        examples.append(
            Example(
                path=file if file.is_absolute() else path.parent / file,
                scar=_binary(row["scar"], "scar", line),
                low_ef=ef,
                split=split,
                clinical=clinical,
            )
        )
    return examples
