"""What to screen: files, folders (walked recursively) and manifests, as one list of items.

A folder contributes every regular file below it except hidden ones; which of them are ECGs is
ingest's decision (it sniffs the bytes), not a list of extensions here, so a format ingest
learns to read is screened without touching this module, and a file it cannot read gets a
row with its refusal code instead of vanishing silently.

A manifest is a CSV whose header has a `path` column (relative paths are relative to the
CSV's folder), optionally `patient_ref` and the model's clinical inputs by name; other columns
are ignored. Patient references and clinical values are checked here, with the service's own
rules, before anything runs: a bad manifest is a usage error, not a thousand refused rows.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mtecg.model.manifest import ModelManifest

PATH_COLUMN = "path"
PATIENT_REF_COLUMN = "patient_ref"


class InputError(ValueError):
    """The inputs cannot be used as given; the message names the file and line."""


@dataclass(frozen=True)
class Item:
    """One file to screen and what its manifest row says about it."""

    path: str  # absolute
    patient_ref: str | None = None
    clinical: dict[str, float] | None = None  # as the predictor takes it
    clinical_json: dict[str, Any] | None = None  # as the service stores it


def is_manifest(path: Path) -> bool:
    """A CSV file whose first line names a `path` column."""
    if path.suffix.lower() != ".csv" or not path.is_file():
        return False
    with path.open(newline="", encoding="utf-8", errors="replace") as handle:
        header = next(csv.reader(handle), [])
    return PATH_COLUMN in (name.strip() for name in header)


def _walk(folder: Path, excluded: frozenset[str]) -> Iterator[str]:
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            path = os.path.abspath(os.path.join(root, name))
            if name.startswith(".") or path in excluded or not os.path.isfile(path):
                continue
            if any(path.startswith(prefix + os.sep) for prefix in excluded):
                continue
            yield path


def read_manifest(path: Path, manifest: ModelManifest) -> list[Item]:
    """The manifest's rows as items; InputError names the first bad line."""
    from mtecg.api.errors import ApiError
    from mtecg.api.upload_form import parse_clinical, parse_patient_ref

    expected = clinical_names(manifest)
    items = []
    with path.open(newline="", encoding="utf-8") as handle:
        for line, row in enumerate(csv.DictReader(handle), start=2):
            relative = (row.get(PATH_COLUMN) or "").strip()
            if not relative:
                raise InputError(f"{path}: line {line}: empty {PATH_COLUMN}")
            try:
                patient_ref = parse_patient_ref(row.get(PATIENT_REF_COLUMN))
                fields = {name: row[name] for name in expected if row.get(name) is not None}
                clinical, shown = parse_clinical(fields, manifest)
            except ApiError as error:
                raise InputError(f"{path}: line {line}: {error.detail}") from None
            items.append(
                Item(os.path.abspath(path.parent / relative), patient_ref, clinical, shown)
            )
    return items


def collect(
    inputs: Sequence[Path], manifest: ModelManifest, excluded: Sequence[Path] = ()
) -> list[Item]:
    """Every item, in command-line order, each path once (the first mention wins).

    `excluded` are the run's own outputs (results, journal, maps), never screened even when
    they lie inside an input folder.
    """
    skip = frozenset(os.path.abspath(p) for p in excluded)
    items: dict[str, Item] = {}
    for given in inputs:
        if given.is_dir():
            found = [Item(p) for p in _walk(given, skip)]
        elif is_manifest(given):
            found = read_manifest(given, manifest)
        elif given.exists():
            found = [Item(os.path.abspath(given))]
        else:
            raise InputError(f"{given}: no such file or folder")
        for item in found:
            items.setdefault(item.path, item)
    if manifest.clinical_inputs is not None:
        missing = [item.path for item in items.values() if item.clinical is None]
        if missing:
            raise InputError(
                f"this model needs clinical inputs: give the files in a manifest with the "
                f"columns {', '.join(clinical_names(manifest))} ({len(missing)} file(s) lack them)"
            )
    return list(items.values())


def clinical_names(manifest: ModelManifest) -> list[str]:
    """The model's clinical input names (manifest columns), categorical first."""
    inputs = manifest.clinical_inputs
    return [] if inputs is None else [*inputs.categorical, *(n for n, _ in inputs.numerical)]
