"""The published demo app's pipeline, reimplemented naively, as the yardstick for our latency.

Run: `.venv/bin/python benchmarks/baseline.py PDF [--model DIR] [--runs N]` (needs `pdftoppm`,
`make poppler`). `benchmarks/report.py` times it against ours on the same PDFs.

Why a reimplementation: the published app's figures come from a different machine, so the only
fair comparison is its algorithm measured here, in the same run, on the same files. The steps
follow docs/domain.md §2 literally, the way the demo app does them:
1. the whole of page 1 rendered at 300 dpi by poppler in a subprocess (`pdftoppm -r 300 -png`,
   through a temporary folder, as pdf2image does) and decoded back;
2. the grid colours painted white over the WHOLE page with per-colour NumPy masks;
3. the 12 panels cut at the fixed Siriraj "new format" offsets and stacked 6 x 2;
4. one forward pass of the model (no explanation maps).
Only step 4 is shared with our pipeline (the same `Predictor`, so the same input transform and
network): any difference in latency is the preprocessing. The fixed crops are right only for
pages with the Siriraj geometry (`mtecg synth --layout siriraj-grid`); elsewhere they silently
cut the wrong leads, which is the other reason we do not work this way.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Final

import numpy as np
import numpy.typing as npt
from model import median_ms
from PIL import Image

from mtecg.geometry import CANONICAL_COLUMNS, COLUMNS_3X4, PANEL_H_PX, PANEL_W_PX
from mtecg.model.package import load_package
from mtecg.model.predictor import Predictor
from mtecg.timing import Stopwatch

RGBImage = npt.NDArray[np.uint8]

# docs/domain.md §2, "new format": the ECG area on the 300-dpi page, panel offsets inside it.
CROP: Final = (82, 950, 3000, 2000)
COLUMN_X: Final = (0, 740, 1478, 2217)
ROW_Y: Final = (0, 350, 700)
GRID_RGB: Final = ((216, 111, 98), (250, 200, 168), (168, 0, 0))
GRID_TOLERANCE: Final = 3


def pdftoppm(source: Path, prefix: Path, dpi: int = 300) -> list[str]:
    """The poppler command that renders page 1 of `source` whole into `prefix`.png."""
    options = ["-r", str(dpi), "-png", "-f", "1", "-l", "1", "-singlefile"]
    return ["pdftoppm", *options, str(source), str(prefix)]


def render_page(pdf: bytes) -> RGBImage:
    """Page 1 rendered whole by `pdftoppm` into a temporary PNG, decoded back to RGB."""
    with tempfile.TemporaryDirectory(prefix="mtecg-baseline-") as tmp:
        source, prefix = Path(tmp) / "input.pdf", Path(tmp) / "page"
        source.write_bytes(pdf)
        subprocess.run(pdftoppm(source, prefix), check=True)
        with Image.open(prefix.with_suffix(".png")) as page:
            return np.asarray(page.convert("RGB"))


def whiten_grid(page: RGBImage) -> RGBImage:
    """Every pixel within +-3 of a grid colour on all channels painted white, page-wide."""
    signed = page.astype(np.int16)
    out = page.copy()
    for colour in GRID_RGB:
        mask = np.all(np.abs(signed - np.array(colour, np.int16)) <= GRID_TOLERANCE, axis=2)
        out[mask] = 255
    return out


def stack_panels(page: RGBImage) -> RGBImage:
    """The 12 fixed-offset panels of the ECG area, stacked into the 2100 x 1402 image."""
    left, top = CROP[:2]
    panels = {
        lead: page[top + y : top + y + PANEL_H_PX, left + x : left + x + PANEL_W_PX]
        for leads, x in zip(COLUMNS_3X4, COLUMN_X, strict=True)
        for lead, y in zip(leads, ROW_Y, strict=True)
    }
    columns = [np.vstack([panels[lead] for lead in leads]) for leads in CANONICAL_COLUMNS]
    return np.ascontiguousarray(np.hstack(columns))


def screen(pdf: bytes, predictor: Predictor) -> tuple[np.ndarray, dict[str, float]]:
    """PDF bytes -> ([tasks, 2] probabilities, ms per step), without explanation maps."""
    clock = Stopwatch()
    with clock.stage("render"):
        page = render_page(pdf)
    with clock.stage("whiten"):
        page = whiten_grid(page)
    with clock.stage("stack"):
        image = stack_panels(page)
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
