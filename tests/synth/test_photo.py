"""Synthetic phone photos: a reproducible --photo data set whose photo boxes are the page boxes
carried through the camera, and simulator options that each change the picture."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from mtecg.geometry import LEADS
from mtecg.synth.dataset import make_record, write_dataset
from mtecg.synth.photo import (
    MAX_TILT_DEG,
    Photo,
    draw_photo,
    page_to_photo,
    photo_to_page,
    photograph,
)
from mtecg.synth.scan import Scan


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_photo_dataset_is_reproducible_and_carries_boxes_in_page_and_photo_px(
    tmp_path: Path,
) -> None:
    first = write_dataset(2, 5, tmp_path / "a", layout="siriraj-grid", photo=True)
    again = write_dataset(2, 5, tmp_path / "b", layout="siriraj-grid", photo=True)
    rows = _rows(first)
    assert [r["file"] for r in rows] == ["00000.jpg", "00001.jpg"]
    assert first.read_bytes() == again.read_bytes()
    for row in rows:
        data = (tmp_path / "a" / row["file"]).read_bytes()
        assert data == (tmp_path / "b" / row["file"]).read_bytes()
        assert data[:3] == b"\xff\xd8\xff"  # JPEG
        photo = Photo(**json.loads(row["photo"]))
        assert photo.tilt_deg <= MAX_TILT_DEG
        page = {p["lead"]: p["box"] for p in json.loads(row["panels"])}
        quads = {p["lead"]: np.array(p["quad"]) for p in json.loads(row["photo_panels"])}
        assert list(quads) == list(LEADS) and list(page) == list(LEADS)
        size = (int(row["width"]), int(row["height"]))
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
        for lead, quad in quads.items():
            # The photo quad is the page box seen through the camera, and inside the photo.
            x0, y0, x1, y1 = page[lead]
            back = photo_to_page(photo, size, quad)
            assert np.abs(back - [[x0, y0], [x1, y0], [x1, y1], [x0, y1]]).max() < 0.05
            assert (quad >= 0).all() and (quad[:, 0] < width).all() and (quad[:, 1] < height).all()


def test_a_photo_record_is_the_same_patient_as_its_pdf() -> None:
    photo = make_record(8, "mixed", photo=True)
    pdf = make_record(8, "mixed", "pdf")
    assert photo.fmt == "jpg" and photo.layout == pdf.layout
    assert np.array_equal(photo.signals, pdf.signals)


def test_strip_layouts_are_not_photographed() -> None:
    with pytest.raises(ValueError, match="PDF only"):
        make_record(1, "6x2", photo=True)


def test_random_settings_stay_within_30_degrees_of_tilt() -> None:
    rng = np.random.default_rng(0)
    drawn = [draw_photo(rng) for _ in range(200)]
    assert max(p.tilt_deg for p in drawn) <= MAX_TILT_DEG
    assert any(p.curl > 0 for p in drawn) and any(p.creases for p in drawn)
    assert any(p.moire > 0 for p in drawn) and any(p.moire == 0 for p in drawn)


@pytest.fixture(scope="module")
def page() -> np.ndarray:
    record = make_record(3, "siriraj-grid", "png", scan=Scan(dpi=100))
    return np.asarray(Image.open(io.BytesIO(record.data)).convert("RGB"))


BASE = Photo(tilt_deg=12.0, tilt_axis_deg=30.0, rotation_deg=2.0)


@pytest.mark.parametrize(
    "option",
    [
        {"curl": 0.004},
        {"creases": 2},
        {"moire": 0.05},
        {"shadow": 0.3},
        {"blur_sigma_px": 1.0},
        {"jpeg_quality": 70},
    ],
    ids=lambda o: next(iter(o)),
)
def test_each_option_changes_the_pixels_and_is_reproducible(
    page: np.ndarray, option: dict[str, float]
) -> None:
    plain, _ = photograph(page, BASE)
    changed, _ = photograph(page, dataclasses.replace(BASE, **option))
    assert changed.shape == plain.shape
    assert np.abs(changed.astype(int) - plain).mean() > 0.05
    assert np.array_equal(changed, photograph(page, dataclasses.replace(BASE, **option))[0])


def test_curl_bends_the_page_away_from_the_flat_homography(page: np.ndarray) -> None:
    curled = dataclasses.replace(BASE, curl=0.004)
    h, w = page.shape[:2]
    _, matrix = photograph(page, curled)
    middle = np.array([[w / 2, h / 2]])
    flat = np.hstack([middle, [[1.0]]]) @ matrix.T
    bent = page_to_photo(curled, (w, h), middle)
    # The middle of the page moves by about curl x height in the photo; the edges do not.
    assert np.linalg.norm(bent - flat[:, :2] / flat[:, 2:]) > 0.5 * curled.curl * h
    edge = np.array([[0.0, h / 2]])
    flat_edge = np.hstack([edge, [[1.0]]]) @ matrix.T
    assert np.allclose(page_to_photo(curled, (w, h), edge), flat_edge[:, :2] / flat_edge[:, 2:])
