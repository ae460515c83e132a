"""How well automatic layout detection reads synthetic printouts, per input category.

Run: `.venv/bin/python benchmarks/layout_accuracy.py [--n 40] [--seed 9001] [--only SUBSTR]
[--json benchmarks/results/layout_accuracy.json]`.

Categories: every 3 x 4 layout (and "mixed", jittered) as a flat vector PDF, as a scan (random
dpi, rotation, blur, noise, JPEG, light) and as a phone photo (`mtecg.synth.photo`: tilt up to
30 degrees, rotation, curl, creases, moiré, shadow, blur, JPEG, desk); every strip layout
(6 x 2, 12 x 1, 6 x 1 over two pages, 25/50 mm/s, 5/10/20 mm/mV) as PDF, and the one-page
ones (6 x 2, 12 x 1) also as scans; every paper style (`mtecg.synth.paper`: tinted, dotted,
major lines only, no grid, dark grids) reprinting the mixed 3 x 4 layouts, as PDF and as a
scan. Dark grids are refused by design (`unreadable/dark_grid`: the trace cannot be told from a
dark grid safely), so they count as refused. For N records each:
read, refused (by code/reason), misread (a wrong lead anywhere: a panel whose box centre is not
inside its own lead's true box, or on the wrong page, or a wrong scale or rotation), and the
worst-edge box error in mm of paper (median, p95, max) with the count within 1.5 mm.

Box error is measured on the page in mm: for a scan in the unrotated frame; for a strip
printout in the canonical image's mm (x scaled by 25/speed, y by 10/gain); for a photo, each
detected box's edge midpoints (rectified page px) are mapped through the result's homography
to photo px and then through the true camera's exact inverse (curl included) to page px.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any, NamedTuple

import cv2
import numpy as np

from mtecg.errors import Rejection
from mtecg.ingest import open_document
from mtecg.layout import find_layout
from mtecg.layout.result import LayoutResult
from mtecg.synth.dataset import BLOCK_LAYOUT_NAMES, MIXED, SynthRecord, make_record
from mtecg.synth.layouts import STRIP_LAYOUT_NAMES, strip_layout
from mtecg.synth.paper import PAPER_NAMES
from mtecg.synth.photo import photo_to_page

BOX_TOLERANCE_MM = 1.5
FORMS = ("pdf", "scan", "photo")
DEFAULT_JSON = Path(__file__).parent / "results" / "layout_accuracy.json"


class Category(NamedTuple):
    """One row of the report: a layout (or "mixed") in one form, optionally on a paper style."""

    layout: str
    form: str
    paper: str | None = None

    @property
    def name(self) -> str:
        return " ".join(part for part in (self.layout, self.form, self.paper) if part)


def categories() -> list[Category]:
    """3 x 4 layouts in every form, strip layouts as PDF (the one-page ones also as scans),
    paper styles as PDF and scan."""
    blocks = [Category(name, form) for name in (MIXED, *BLOCK_LAYOUT_NAMES) for form in FORMS]
    strips = [Category(name, "pdf") for name in STRIP_LAYOUT_NAMES]
    scans = [Category(n, "scan") for n in STRIP_LAYOUT_NAMES if strip_layout(n).pages == 1]
    papers = [Category(MIXED, form, paper) for paper in PAPER_NAMES for form in ("pdf", "scan")]
    return blocks + strips + scans + papers


def _record(seed: int, i: int, category: Category) -> SynthRecord:
    if category.form == "photo":
        return make_record((seed, i), category.layout, photo=True, paper=category.paper)
    fmt = "png" if category.form == "scan" else "pdf"
    return make_record((seed, i), category.layout, fmt, paper=category.paper)


def _edges_on_page(record: SynthRecord, result: LayoutResult, box: tuple[float, ...]) -> np.ndarray:
    """A detected box as (x0, y0, x1, y1) in the true page's px.

    A straightened input's boxes (a photo, or a scan `rectify` took for one) are in the
    straightened page: their edge midpoints go through the result's homography to input px,
    then through the true camera's exact inverse (photo) or the scan's own turn about its
    centre (scan) to the page.
    """
    if result.rectification is None:
        return np.array(box, dtype=float)
    x0, y0, x1, y1 = box
    xm, ym = (x0 + x1) / 2, (y0 + y1) / 2
    mids = np.array([[x0, ym, 1], [xm, y0, 1], [x1, ym, 1], [xm, y1, 1]], dtype=float)
    seen = mids @ np.array(result.rectification["homography"]).T
    seen = seen[:, :2] / seen[:, 2:]
    if record.photo is not None:
        page = photo_to_page(record.photo, record.size_px, seen)
    else:
        w, h = record.size_px
        turn = cv2.invertAffineTransform(
            cv2.getRotationMatrix2D((w / 2, h / 2), record.rotation_deg, 1.0)
        )
        page = np.column_stack([seen, np.ones(len(seen))]) @ turn.T
    return np.array([page[0, 0], page[1, 1], page[2, 0], page[3, 1]])


def _score(record: SynthRecord, result: LayoutResult) -> tuple[float, bool]:
    """(worst-edge error in mm, wrong lead / page / scale / rotation anywhere)."""
    truth = {str(p["lead"]): p for p in record.panels}
    sx, sy = 1.0, 1.0
    if record.strips is not None:
        sx, sy = 25.0 / record.strips.speed_mm_s, 10.0 / record.layout.gain_mm_per_mv
    worst, wrong = 0.0, sorted(p.lead for p in result.panels) != sorted(truth)
    for panel in result.panels:
        if panel.lead not in truth:
            continue
        true_box = np.array(truth[panel.lead]["box"], dtype=float)
        got = _edges_on_page(record, result, panel.box)
        d = got - true_box
        worst = max(worst, float(max(np.abs(d[[0, 2]]).max() * sx, np.abs(d[[1, 3]]).max() * sy)))
        cx, cy = (got[0] + got[2]) / 2, (got[1] + got[3]) / 2
        inside = true_box[0] <= cx <= true_box[2] and true_box[1] <= cy <= true_box[3]
        wrong |= not inside or (panel.page or 1) != truth[panel.lead].get("page", 1)
    if record.photo is None and result.rectification is None:  # else: the straightened page
        wrong |= abs(result.px_per_mm - record.px_per_mm) / record.px_per_mm > 0.01
        wrong |= abs(result.rotation_deg - record.rotation_deg) > 0.3
    return worst / record.px_per_mm, wrong


def evaluate(category: Category, n: int, seed: int) -> dict[str, Any]:
    errors: list[float] = []
    refused: Counter[str] = Counter()
    misread = 0
    for i in range(n):
        record = _record(seed, i, category)
        try:
            result = find_layout(open_document(record.data))
        except Rejection as rejection:
            refused[f"{rejection.code.value}/{rejection.reason}"] += 1
            continue
        error_mm, wrong = _score(record, result)
        misread += int(wrong)
        errors.append(error_mm)
    return {
        "category": category.name,
        "n": n,
        "read": len(errors),
        "misread": misread,
        "within_1_5_mm": sum(e <= BOX_TOLERANCE_MM for e in errors),
        "refused": dict(refused),
        "box_error_mm": (
            {
                "median": round(statistics.median(errors), 2),
                "p95": round(float(np.percentile(errors, 95)), 2),
                "max": round(max(errors), 2),
            }
            if errors
            else None
        ),
    }


def _line(row: dict[str, Any]) -> str:
    err = row["box_error_mm"]
    spread = f"median {err['median']} / p95 {err['p95']} / max {err['max']} mm" if err else "-"
    refused = ", ".join(f"{k} {v}" for k, v in row["refused"].items()) or "-"
    return (
        f"| {row['category']} | {row['read']}/{row['n']} | {row['within_1_5_mm']} | "
        f"{row['misread']} | {refused} | {spread} |"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=40, help="records per category")
    parser.add_argument("--seed", type=int, default=9001, help="not a development seed")
    parser.add_argument(
        "--only",
        default="",
        help="only categories whose name contains this (several: separated by commas)",
    )
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON, help="where to write rows")
    parser.add_argument("--jobs", type=int, default=1, help="categories evaluated in parallel")
    args = parser.parse_args()
    print("| category | read | within 1.5 mm | misread | refused (code/reason) | box error |")
    print("| --- | --- | --- | --- | --- | --- |")
    wanted = args.only.split(",")
    chosen = [c for c in categories() if any(part in c.name for part in wanted)]
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        futures = [pool.submit(evaluate, c, args.n, args.seed) for c in chosen]
        rows = []
        for future in futures:
            rows.append(future.result())
            print(_line(rows[-1]), flush=True)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({"seed": args.seed, "n": args.n, "rows": rows}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
