"""The published demo app's pipeline, step for step, as the yardstick for our latency.

Run: `.venv/bin/python benchmarks/baseline.py PDF [--model DIR] [--runs N]` (needs `pdftoppm`,
`make poppler`, and `pdf2image`, a dev dependency). `benchmarks/report.py` times it against
ours on the same PDFs, and `benchmarks/baseline_app.py` serves it over HTTP for `load.py`.

Why a reimplementation: the published app's figures come from a different machine, so the only
fair comparison is its algorithm measured here, in the same run, on the same files. The steps
are those of the study's app for a PDF upload (written from its published behaviour, not copied):
1. `pdf2image.convert_from_bytes(data, dpi=300)`: poppler's `pdftoppm` renders every page to
   PPM on a pipe and pdf2image decodes it into PIL images; page 1 is used;
2. that page cropped to the Siriraj "new format" ECG area, box (82, 950, 3000, 2000) at 300 dpi;
3. inside the crop only, every pixel within +-3 of one of the three grid colours on all three
   channels painted white;
4. the 12 panels (350 x 701 px) cut at fixed offsets in the crop and stacked 6 x 2;
5. one forward pass (no explanation maps).
Step 5 uses our `Predictor` (same input transform and network as our pipeline), so a difference
in latency is the preprocessing alone. The fixed crops are right only for pages with the Siriraj
geometry (`mtecg synth --layout siriraj-grid`); elsewhere they silently cut the wrong leads.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Final

import numpy as np
import numpy.typing as npt
from model import median_ms
from pdf2image import convert_from_bytes

from mtecg.geometry import CANONICAL_COLUMNS, COLUMNS_3X4, PANEL_H_PX, PANEL_W_PX
from mtecg.model.package import load_package
from mtecg.model.predictor import Predictor
from mtecg.timing import Stopwatch

RGBImage = npt.NDArray[np.uint8]

DPI: Final = 300
# docs/domain.md §2, "new format": the ECG area on the 300-dpi page, panel offsets inside it.
CROP: Final = (82, 950, 3000, 2000)
COLUMN_X: Final = (0, 740, 1478, 2217)
ROW_Y: Final = (0, 350, 700)
GRID_RGB: Final = ((216, 111, 98), (250, 200, 168), (168, 0, 0))
GRID_JITTER: Final = 3


def pdftoppm(source: Path) -> list[str]:
    """The command pdf2image runs for `convert_from_bytes(data, dpi=300)`: PPM to stdout."""
    return ["pdftoppm", "-r", str(DPI), str(source)]


def render_crop(pdf: bytes) -> RGBImage:
    """Page 1 through pdf2image (pdftoppm, PPM on a pipe) at 300 dpi, cropped to the ECG area."""
    page = convert_from_bytes(pdf, dpi=DPI)[0]
    return np.array(page.convert("RGB").crop(CROP))


def remove_grid(crop: RGBImage) -> RGBImage:
    """Pixels within +-3 of a grid colour on every channel painted white (the crop only)."""
    out = crop.copy()
    red, green, blue = crop[:, :, 0], crop[:, :, 1], crop[:, :, 2]
    for r, g, b in GRID_RGB:
        mask = (
            (red >= r - GRID_JITTER)
            & (red <= r + GRID_JITTER)
            & (green >= g - GRID_JITTER)
            & (green <= g + GRID_JITTER)
            & (blue >= b - GRID_JITTER)
            & (blue <= b + GRID_JITTER)
        )
        out[mask] = 255
    return out


def stack_panels(crop: RGBImage) -> RGBImage:
    """The 12 fixed-offset panels of the ECG area, stacked into the 2100 x 1402 image."""
    panels = {
        lead: crop[y : y + PANEL_H_PX, x : x + PANEL_W_PX]
        for leads, x in zip(COLUMNS_3X4, COLUMN_X, strict=True)
        for lead, y in zip(leads, ROW_Y, strict=True)
    }
    columns = [np.vstack([panels[lead] for lead in leads]) for leads in CANONICAL_COLUMNS]
    return np.ascontiguousarray(np.hstack(columns))


def canonical(pdf: bytes, clock: Stopwatch | None = None) -> RGBImage:
    """Steps 1-4: PDF bytes -> the 6 x 2 image the published model reads."""
    clock = clock or Stopwatch()
    with clock.stage("render"):
        crop = render_crop(pdf)
    with clock.stage("grid"):
        crop = remove_grid(crop)
    with clock.stage("stack"):
        return stack_panels(crop)


def screen(pdf: bytes, predictor: Predictor) -> tuple[np.ndarray, dict[str, float]]:
    """PDF bytes -> ([tasks, 2] probabilities, ms per step), without explanation maps."""
    clock = Stopwatch()
    image = canonical(pdf, clock)
    with clock.stage("forward"):
        probabilities: np.ndarray = predictor.probabilities([image])[0]
    return probabilities, clock.ms


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pdf", type=Path, help="a siriraj-grid printout (mtecg synth)")
    parser.add_argument("--model", type=Path, default=Path("models/demo"))
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    data = args.pdf.read_bytes()
    predictor = Predictor(load_package(args.model), device="cpu")
    print(f"baseline median {median_ms(lambda: screen(data, predictor), args.runs)} ms")
    probabilities, steps = screen(data, predictor)
    print(f"last run's steps (ms): {steps}")
    print(f"probabilities (scar, lvef): {probabilities[:, 1].round(4).tolist()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
