"""Every real sample printout through `mtecg preprocess`, with the outcome a user should get.

The expectations come from looking at each file (see ../shared/samples/SOURCES.md): standard
3 x 4 printouts are read with their leads where they are on the page; everything else is
refused with the reason that tells the user what to do.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from mtecg.geometry import CANONICAL_H_PX, CANONICAL_W_PX, LEADS

# file -> (expected status or rejection code, approximate px/mm from SOURCES.md or None)
EXPECTED: dict[str, tuple[str, float | None]] = {
    "pdf/dicomecgplot_anonymous_ecg_3x4_1.pdf": ("ok", 300 / 25.4),
    # 6 x 1 over two pages, read from their lead labels (tests/layout/test_strips.py)
    "pdf/biomarker_schiller_1282423.pdf": ("ok", 300 / 25.4),
    "pdf/biomarker_cardiosoft_testmann.pdf": ("ok", 300 / 25.4),  # 3 pages, 50 mm/s
    "images/eik_ecg00001.png": ("ok", 12.4),
    "images/eik_ecg00003.png": ("ok", 6.35),
    "images/eik_ecg00012.jpg": ("ok", 14.0),
    "images/tereshchenko_fullScan.png": ("ok", 200 / 25.4),
    "images/tereshchenko_rotatedFullScan.png": ("ok", 200 / 25.4),
    "images/eik_ecg00010.png": ("too_low_resolution", None),  # ~2.8 px/mm
    "images/eik_ecg00054.png": ("too_low_resolution", None),
    "images/eik_ecg00021.bmp": ("too_low_resolution", None),  # 640 x 308 px: ~1.6 px/mm
    "images/eik_ecg00028.jpg": ("not_ecg", None),  # crumpled paper: no grid, no trace found
    # Phone photo in perspective: straightened onto its grid, its rows are found, and its
    # first row pitch is 1.26 times the second (printed so), more than a 3 x 4 block allows.
    "images/eik_ecg00033.jpg": ("unsupported_layout", None),
}


def _run(path: Path, out: Path) -> tuple[int, dict[str, object]]:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "mtecg.cli",
            "preprocess",
            str(path),
            "--out",
            str(out),
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return proc.returncode, json.loads(proc.stdout)


def test_every_sample_has_an_expectation(samples: Path) -> None:
    found = {
        str(p.relative_to(samples))
        for p in samples.rglob("*")
        if p.parent.name in ("pdf", "images") and p.is_file()
    }
    assert found == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sample_outcome(samples: Path, tmp_path: Path, name: str) -> None:
    expected, px_per_mm = EXPECTED[name]
    out = tmp_path / "canonical.png"
    code, payload = _run(samples / name, out)
    if expected != "ok":
        assert code == 3, payload
        assert payload["status"] == "rejected"
        assert payload["code"] == expected, payload
        assert payload["message"]
        assert not out.exists()
        return
    assert code == 0, payload
    assert payload["status"] == "ok" and payload["profile"] == "auto"
    assert px_per_mm is not None
    assert abs(float(payload["px_per_mm"]) - px_per_mm) / px_per_mm < 0.03  # type: ignore[arg-type]
    panels = payload["panels"]
    assert isinstance(panels, list)
    assert [p["lead"] for p in panels] == list(LEADS)
    boxes = {p["lead"]: p["box"] for p in panels}
    # Standard 3 x 4 arrangement: columns left to right, rows top to bottom.
    assert boxes["I"][1] < boxes["II"][1] < boxes["III"][1]
    if payload["layout_name"] == "3x4":
        assert boxes["I"][0] < boxes["aVR"][0] < boxes["V1"][0] < boxes["V4"][0]
        assert abs(boxes["I"][1] - boxes["V4"][1]) < 0.02 * (boxes["III"][3] - boxes["I"][1]) + 3
    else:
        # 6 x 1 over two pages: limb leads on the first ECG page, chest leads on the next.
        assert {p["page"] for p in panels[:6]} == {1} and {p["page"] for p in panels[6:]} == {2}
    image = np.asarray(Image.open(out))
    assert image.shape == (CANONICAL_H_PX, CANONICAL_W_PX, 3)
    # Grid removed: the canonical image is white paper with a little dark trace, no colour.
    assert (image.max(axis=2).astype(int) - image.min(axis=2)).max() == 0
    dark = (image < 128).mean()
    assert 0.002 < dark < 0.08
    # Every panel holds trace.
    for row in range(6):
        for col in range(2):
            tile = image[row * 350 : (row + 1) * 350, col * 701 : (col + 1) * 701]
            assert (tile < 128).mean() > 0.001
