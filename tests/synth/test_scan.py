"""PNG "scans": resolution, rotation about the centre, and the artefact knobs."""

from __future__ import annotations

import numpy as np
import pytest
from synth_checks import (
    box_of,
    dark,
    decode_png,
    expected_curve,
    match_curve,
    render,
    unrotate,
)

from mtecg.geometry import LEADS, PANEL_W_MM
from mtecg.synth.dataset import make_record
from mtecg.synth.scan import MAX_ROTATION_DEG, Scan, draw_scan

SEED = 23
LAYOUT = "a4-3x4-0r"


def test_clean_scan_is_the_pdf_rendered_at_its_dpi() -> None:
    pdf = make_record(SEED, LAYOUT, "pdf")
    png = make_record(SEED, LAYOUT, "png", scan=Scan(dpi=150))
    image = decode_png(png.data)
    np.testing.assert_array_equal(image, render(pdf.data, 150)[0])
    assert png.size_px == (image.shape[1], image.shape[0])
    assert png.rotation_deg == 0.0
    assert png.px_per_mm == pytest.approx(150 / 25.4)
    for lead in LEADS:
        at_150, at_300 = np.array(box_of(png, lead)), np.array(box_of(pdf, lead))
        assert np.abs(at_150 - at_300 * 150 / 300).max() <= 1.0


@pytest.mark.parametrize("angle", [7.0, -4.5])
def test_rotation_is_about_the_centre_and_boxes_stay_in_the_unrotated_frame(
    angle: float,
) -> None:
    straight = make_record(SEED, LAYOUT, "png", scan=Scan(dpi=200))
    turned = make_record(SEED, LAYOUT, "png", scan=Scan(dpi=200, rotation_deg=angle))
    image = decode_png(turned.data)
    assert image.shape == decode_png(straight.data).shape  # canvas kept
    assert turned.rotation_deg == angle
    assert turned.panels == straight.panels
    corner = image[:20, :20] if angle > 0 else image[-20:, :20]
    assert (corner == 255).all()  # filled white where the page turned away
    back, ink_turned = dark(unrotate(image, angle), 160), dark(image, 160)
    tol = 3.0
    for lead in ("I", "aVF", "V1", "V6"):
        box = box_of(turned, lead)
        xs, ys = expected_curve(turned, lead, box)
        assert match_curve(back, xs, ys, box, tol).active_recall > 0.9, lead
        assert match_curve(ink_turned, xs, ys, box, tol).active_recall < 0.5, lead


def test_artefact_knobs_change_the_image_as_named() -> None:
    clean = decode_png(make_record(SEED, LAYOUT, "png", scan=Scan(dpi=150)).data).astype(float)
    scan = Scan(
        dpi=150,
        blur_sigma_px=1.0,
        noise_sigma=4.0,
        jpeg_quality=50,
        light_falloff=0.3,
        light_angle_deg=0.0,  # darker towards the right
    )
    dirty = decode_png(make_record(SEED, LAYOUT, "png", scan=scan).data).astype(float)
    assert dirty.shape == clean.shape
    left, right = dirty[:, :60].max(axis=2), dirty[:, -60:].max(axis=2)
    assert np.median(left) - np.median(right) > 0.2 * 255
    paper = clean[:40, :].max(axis=2) == 255  # header margin: blank paper when clean
    noisy = dirty[:40, :].max(axis=2)[paper]
    assert noisy.std() > 1.0
    # blur: the sharpest edge gets softer
    assert (
        np.abs(np.diff(dirty.mean(axis=2), axis=1)).max()
        < np.abs(np.diff(clean.mean(axis=2), axis=1)).max()
    )


def test_random_scan_settings_stay_in_range() -> None:
    rng = np.random.default_rng(0)
    scans = [draw_scan(rng) for _ in range(300)]
    assert all(150 <= s.dpi <= 300 for s in scans)
    angles = np.array([s.rotation_deg for s in scans])
    assert np.abs(angles).max() <= MAX_ROTATION_DEG
    assert angles.min() < -5 and angles.max() > 5
    assert any(s.jpeg_quality is None for s in scans)
    assert any(s.jpeg_quality is not None for s in scans)
    assert all(0 <= s.light_falloff <= 0.35 and s.blur_sigma_px <= 1.2 for s in scans)


def test_default_png_records_its_random_scan() -> None:
    record = make_record((SEED, 1), "letter-3x4-1r", "png")
    image = decode_png(record.data)
    assert record.size_px == (image.shape[1], image.shape[0])
    assert 0 < abs(record.rotation_deg) <= MAX_ROTATION_DEG
    x0, _, x1, _ = box_of(record, "I")
    assert x1 - x0 == pytest.approx(PANEL_W_MM * record.px_per_mm, abs=1)
    assert make_record((SEED, 1), "letter-3x4-1r", "png").data == record.data
