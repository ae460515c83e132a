"""write_dataset: files, labels.csv, determinism, argument checks."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from synth_checks import decode_png

from mtecg.geometry import LEADS
from mtecg.synth.dataset import LAYOUT_NAMES, MIXED, make_record, write_dataset

REQUIRED = {
    "file",
    "scar",
    "lvef",
    "female",
    "diabetes",
    "hypertension",
    "smoking",
    "dyslipidaemia",
    "age",
    "layout",
    "format",
    "px_per_mm",
    "rotation_deg",
    "panels",
}


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_pdf_dataset_is_complete_and_deterministic(tmp_path: Path) -> None:
    csv_path = write_dataset(5, 42, tmp_path / "a")
    again = write_dataset(5, 42, tmp_path / "b")
    assert csv_path == tmp_path / "a" / "labels.csv"
    assert csv_path.read_text() == again.read_text()
    rows = _rows(csv_path)
    assert len(rows) == 5
    assert set(rows[0]) >= REQUIRED
    for row in rows:
        file = Path(row["file"])
        assert not file.is_absolute()
        data = (csv_path.parent / file).read_bytes()
        assert data.startswith(b"%PDF")
        assert data == (again.parent / file).read_bytes()
        assert row["format"] == "pdf" and row["layout"] in LAYOUT_NAMES
        assert float(row["px_per_mm"]) == pytest.approx(300 / 25.4, abs=1e-3)
        assert float(row["rotation_deg"]) == 0.0
        assert row["scar"] in {"0", "1"} and 15 <= float(row["lvef"]) <= 75
        assert 25 <= int(row["age"]) <= 90
        panels = json.loads(row["panels"])
        assert sorted(p["lead"] for p in panels) == sorted(LEADS)
        assert all(len(p["box"]) == 4 for p in panels)


def test_records_match_make_record(tmp_path: Path) -> None:
    rows = _rows(write_dataset(3, 7, tmp_path, layout="a4-3x4-3r"))
    for i, row in enumerate(rows):
        record = make_record((7, i), "a4-3x4-3r", "pdf")
        assert (tmp_path / row["file"]).read_bytes() == record.data
        assert json.loads(row["panels"]) == record.panels
        assert float(row["lvef"]) == record.labels.lvef


def test_png_dataset_sizes_and_scan_columns(tmp_path: Path) -> None:
    rows = _rows(write_dataset(2, 3, tmp_path, layout="siriraj-grid", fmt="png"))
    for row in rows:
        image = decode_png((tmp_path / row["file"]).read_bytes())
        assert (int(row["width"]), int(row["height"])) == (
            image.shape[1],
            image.shape[0],
        )
        assert row["format"] == "png" and row["file"].endswith(".png")
        dpi = float(row["px_per_mm"]) * 25.4
        assert 150 <= dpi <= 300
        assert abs(float(row["rotation_deg"])) <= 10


def test_bad_arguments_are_refused_before_writing(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="layout"):
        write_dataset(2, 0, tmp_path / "x", layout="no-such-layout")
    with pytest.raises(ValueError, match="format"):
        write_dataset(2, 0, tmp_path / "y", fmt="tiff")
    assert not (tmp_path / "x").exists() and not (tmp_path / "y").exists()


def test_layout_names() -> None:
    assert "siriraj-grid" in LAYOUT_NAMES and MIXED not in LAYOUT_NAMES
    assert len(LAYOUT_NAMES) >= 5
    assert len(set(LAYOUT_NAMES)) == len(LAYOUT_NAMES)
