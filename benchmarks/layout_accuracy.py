"""How well automatic layout detection finds the panels of synthetic printouts.

Run: `.venv/bin/python benchmarks/layout_accuracy.py [--n 40] [--seed 99] [--strips]`.

For N mixed-layout records as vector PDF and as scans (random dpi, rotation and artefacts):
how many are read, how many refused (by code), how many misread (a lead's box more than
1.5 mm off, wrong scale or rotation), and the box error distribution in mm of paper.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from collections import Counter

import numpy as np

from mtecg.errors import Rejection
from mtecg.ingest import open_document
from mtecg.layout import find_layout
from mtecg.synth.dataset import make_record
from mtecg.synth.layouts import STRIP_LAYOUT_NAMES

MISREAD_MM = 1.5


def evaluate(fmt: str, n: int, seed: int) -> str:
    errors: list[float] = []
    refused: Counter[str] = Counter()
    misread = 0
    for i in range(n):
        record = make_record((seed, i), "mixed", fmt)
        try:
            result = find_layout(open_document(record.data))
        except Rejection as rejection:
            refused[rejection.code.value] += 1
            continue
        truth = {p["lead"]: np.array(p["box"], dtype=float) for p in record.panels}
        worst = max(float(np.abs(np.array(p.box) - truth[p.lead]).max()) for p in result.panels)
        error_mm = worst / record.px_per_mm
        scale_off = abs(result.px_per_mm - record.px_per_mm) / record.px_per_mm > 0.01
        if (
            error_mm > MISREAD_MM
            or scale_off
            or abs(result.rotation_deg - record.rotation_deg) > 0.3
        ):
            misread += 1
        errors.append(error_mm)
    read = len(errors)
    spread = (
        f"worst-edge error median {statistics.median(errors):.2f} mm, "
        f"p95 {np.percentile(errors, 95):.2f} mm, max {max(errors):.2f} mm"
        if errors
        else "no page read"
    )
    return (
        f"{fmt}: {read}/{n} read, {misread} misread (> {MISREAD_MM} mm), "
        f"refused {dict(refused) or 0}; {spread}"
    )


def evaluate_strips(name: str, n: int, seed: int) -> str:
    """One strip layout as PDF: read / refused / misread (a wrong lead or page, or a box edge
    more than 1.5 mm off in the canonical image's mm, i.e. x scaled by 25/speed and y by
    10/gain), and the worst-edge error."""
    errors: list[float] = []
    refused: Counter[str] = Counter()
    misread = 0
    for i in range(n):
        record = make_record((seed, i), name, "pdf")
        try:
            result = find_layout(open_document(record.data))
        except Rejection as rejection:
            refused[rejection.reason] += 1
            continue
        assert record.strips is not None
        sx, sy = 25.0 / record.strips.speed_mm_s, 10.0 / record.layout.gain_mm_per_mv
        truth = {str(p["lead"]): p for p in record.panels}
        worst = 0.0
        for panel in result.panels:
            d = np.array(panel.box) - np.array(truth[panel.lead]["box"])
            worst = max(
                worst, float(max(np.abs(d[[0, 2]]).max() * sx, np.abs(d[[1, 3]]).max() * sy))
            )
        wrong_page = any(p.page != truth[p.lead]["page"] for p in result.panels)
        error_mm = worst / record.px_per_mm
        misread += int(error_mm > MISREAD_MM or wrong_page)
        errors.append(error_mm)
    spread = f"max error {max(errors):.2f} mm" if errors else "no page read"
    return (
        f"{name}: {len(errors)}/{n} read, {misread} misread, refused {dict(refused) or 0}; {spread}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=40)
    parser.add_argument("--seed", type=int, default=99)
    parser.add_argument(
        "--strips", action="store_true", help="also each strip layout (6x2, 12x1, 6x1-2page ...)"
    )
    args = parser.parse_args()
    for fmt in ("pdf", "png"):
        print(evaluate(fmt, args.n, args.seed))
    for name in STRIP_LAYOUT_NAMES if args.strips else ():
        print(evaluate_strips(name, args.n, args.seed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
