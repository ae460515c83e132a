"""Sideways and upside-down uploads: synthetic scans and photos turned 0/90/180/270 degrees.

Each synthetic record (`mtecg.synth`: a PNG scan of a random layout, or a phone photo of a
3 x 4 printout) is turned by whole quarter turns with no EXIF orientation (the pixels
themselves are turned) and read with `find_layout`. A read is scored as in
`layout_accuracy.py` after mapping the boxes back into the unturned frame: misread when any
lead lies outside its own true box, or the reported rotation is not the turn plus the scan's
own rotation. Prints one line per form and turn: read / refused (by reason) / misread.

    .venv/bin/python benchmarks/orientation.py --n 6 --seed 5
"""

from __future__ import annotations

import argparse
import dataclasses
import io
import sys
from collections import Counter
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).parent))

from layout_accuracy import BOX_TOLERANCE_MM, _score

from mtecg.errors import Rejection
from mtecg.ingest import open_document
from mtecg.layout import find_layout
from mtecg.layout.orientation import Orientation, unturn_matrix
from mtecg.layout.result import LayoutResult
from mtecg.synth.dataset import SynthRecord, make_record


def turn_image(data: bytes, quarter_turns: int) -> tuple[bytes, tuple[int, int]]:
    """The image file turned counter-clockwise (pixels turned, no EXIF), and its old size."""
    image = Image.open(io.BytesIO(data))
    fmt = image.format or "PNG"
    pixels = np.asarray(image.convert("RGB"))
    buffer = io.BytesIO()
    turned = Image.fromarray(np.ascontiguousarray(np.rot90(pixels, quarter_turns)))
    turned.save(buffer, fmt, **({"quality": 92} if fmt == "JPEG" else {}))
    return buffer.getvalue(), (pixels.shape[1], pixels.shape[0])


def in_original_frame(
    result: LayoutResult, quarter_turns: int, size: tuple[int, int]
) -> LayoutResult:
    """The result as if read from the unturned upload (rotation less the turn, boxes of a
    photo mapped through the turn back onto the original photo)."""
    turn = Orientation((4 - quarter_turns) % 4).rotation_deg
    rotation = (result.rotation_deg - turn + 180.0) % 360.0 - 180.0
    rectification = result.rectification
    if rectification is not None:
        to_photo = unturn_matrix(*size, quarter_turns) @ np.array(rectification["homography"])
        rectification = {**rectification, "homography": (to_photo / to_photo[2, 2]).tolist()}
    return dataclasses.replace(result, rotation_deg=rotation, rectification=rectification)


def record(seed: int, i: int, form: str) -> SynthRecord:
    if form == "photo":
        return make_record((seed, i), "mixed", photo=True)
    return make_record((seed, i), "mixed", "png")


def evaluate(form: str, n: int, seed: int) -> dict[int, dict[str, object]]:
    """Per quarter turn: read, misread, refused by reason, worst box error (mm)."""
    rows: dict[int, dict[str, object]] = {}
    counts = {k: (Counter[str](), [0, 0, 0.0]) for k in range(4)}
    for i in range(n):
        rec = record(seed, i, form)
        for k in range(4):
            refused, (stats) = counts[k]
            data, size = turn_image(rec.data, k)
            try:
                result = find_layout(open_document(data))
            except Rejection as rejection:
                refused[f"{rejection.code.value}/{rejection.reason}"] += 1
                continue
            error_mm, wrong = _score(rec, in_original_frame(result, k, size))
            stats[0] += 1
            stats[1] += int(wrong)
            stats[2] = max(float(stats[2]), error_mm)
    for k, (refused, stats) in counts.items():
        rows[90 * k] = {
            "read": stats[0],
            "misread": stats[1],
            "refused": dict(refused),
            "max_box_error_mm": round(float(stats[2]), 2),
        }
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=6)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--forms", nargs="+", default=["scan", "photo"])
    args = parser.parse_args()
    print(f"| form | turn | read/n | misread | refused | max box error (mm, {BOX_TOLERANCE_MM}) |")
    for form in args.forms:
        for turn, row in evaluate(form, args.n, args.seed).items():
            refused = ", ".join(f"{k} {v}" for k, v in row["refused"].items()) or "-"  # type: ignore[attr-defined]
            print(
                f"| {form} | {turn} | {row['read']}/{args.n} | {row['misread']} | {refused} | "
                f"{row['max_box_error_mm']} |"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
