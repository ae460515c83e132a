"""The demo model's synthetic data: its training mix and its fresh per-category test sets.

The app reads flat 3 x 4 PDFs, 3 x 4 scans, phone photos, strip-layout PDFs and light paper
styles, so the demo model is trained on a mix of all of them and measured on each. Every part
below is exactly `mtecg synth --n N --seed S --layout L --format F [--paper P] [--photo]`
written into its own subfolder, each from its own seed (training 101-199, fresh sets 201 and
up; 9001 is the layout benchmark's), so any part can be regenerated alone. The parts' labels
are combined into one manifest per set, with the file paths relative to it and only the
columns the training manifest reader takes.

    .venv/bin/python models/demo-training-data.py training var/demo-data --jobs 2 --cache
    .venv/bin/python models/demo-training-data.py fresh var/demo-fresh --jobs 2 --cache

The fresh set's CATEGORY/data.txt says what that category is, for `mtecg evaluate --data`.
`--cache` also preprocesses each part as soon as it is written, into the cache `mtecg train`
and `mtecg evaluate` read (`.mtecg-cache` by the manifest), so generation and preprocessing
share the workers instead of running one after the other.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path

from mtecg.imageio import replace_atomically
from mtecg.synth.dataset import LABELS_CSV, write_dataset
from mtecg.synth.layouts import STRIP_LAYOUT_NAMES
from mtecg.synth.paper import PAPER_NAMES
from mtecg.training.cache import cache_canonical
from mtecg.training.manifest import CLINICAL_COLUMNS

#: Paper styles the app reads; the dark-grid ones are refused by design, so not trained on.
LIGHT_PAPERS = tuple(name for name in PAPER_NAMES if not name.startswith("dark-"))
MANIFEST_COLUMNS = ("file", "scar", "lvef", *CLINICAL_COLUMNS)
CACHE_DIR = ".mtecg-cache"  # where `mtecg train` / `mtecg evaluate` look, by the manifest
PROFILE = "auto"  # models/demo-training-config.json


@dataclass(frozen=True)
class Part:
    """One `mtecg synth` run, written into `folder` (relative to its set's manifest)."""

    folder: str
    n: int
    seed: int
    layout: str = "mixed"
    fmt: str = "pdf"
    paper: str | None = None
    photo: bool = False

    def command(self) -> str:
        """The equivalent `mtecg synth` command line (for the record)."""
        line = f"mtecg synth --n {self.n} --seed {self.seed} --layout {self.layout}"
        line += " --photo" if self.photo else f" --format {self.fmt}"
        return line + (f" --paper {self.paper}" if self.paper else "")


#: 2,000 printouts, the recipe's count: 800 flat PDFs, 300 scans, 300 photos, 400 strip PDFs
#: (25 of each strip layout), 200 PDFs on light paper (25 on each style).
TRAINING: dict[str, list[Part]] = {
    ".": [
        *(Part(f"pdf-{seed}", 100, seed) for seed in range(101, 109)),
        *(Part(f"scan-{seed}", 100, seed, fmt="png") for seed in range(111, 114)),
        *(Part(f"photo-{seed}", 100, seed, photo=True) for seed in range(121, 124)),
        *(
            Part(f"strip-{name}", 25, 131 + k, layout=name)
            for k, name in enumerate(STRIP_LAYOUT_NAMES)
        ),
        *(Part(f"paper-{name}", 25, 151 + k, paper=name) for k, name in enumerate(LIGHT_PAPERS)),
    ]
}

#: About 100 printouts per input category, from seeds never used in training.
FRESH: dict[str, list[Part]] = {
    "pdf": [Part("pdf-201", 100, 201)],
    "scan": [Part("scan-202", 100, 202, fmt="png")],
    "photo": [Part("photo-203", 100, 203, photo=True)],
    "strip": [
        Part(f"strip-{name}", 7, 211 + k, layout=name) for k, name in enumerate(STRIP_LAYOUT_NAMES)
    ],
    "paper": [
        Part(f"paper-{name}", 13, 231 + k, paper=name) for k, name in enumerate(LIGHT_PAPERS)
    ],
}

#: What each fresh category is, for `mtecg evaluate --data` (written to CATEGORY/data.txt).
FRESH_WHAT = {
    "pdf": "flat 3 x 4 PDFs",
    "scan": "3 x 4 scans (PNG)",
    "photo": "phone photos of 3 x 4 printouts (JPEG)",
    "strip": f"strip-layout PDFs, an equal share of each of the {len(STRIP_LAYOUT_NAMES)} layouts",
    "paper": f"3 x 4 PDFs on light paper styles, an equal share on each of the {len(LIGHT_PAPERS)}",
}

SETS = {"training": TRAINING, "fresh": FRESH}


def describe(category: str, parts: list[Part]) -> str:
    """The evaluation data in words: what it is and exactly how it was made."""
    made = (
        parts[0].command()
        if len(parts) == 1
        else f"seeds {parts[0].seed}-{parts[-1].seed}, {parts[0].n} each"
    )
    return (
        f"{sum(p.n for p in parts)} fresh synthetic {FRESH_WHAT[category]} ({made}; "
        "models/demo-training-data.py fresh), not used in training"
    )


def _write_part(part: Part, root: Path, cache: bool) -> dict[str, object]:
    """Writes one part (skipped when already complete) and optionally preprocesses it."""
    start = time.perf_counter()
    folder = root / part.folder
    labels = folder / LABELS_CSV
    if not labels.exists() or _row_count(labels) != part.n:
        write_dataset(
            part.n, part.seed, folder, part.layout, part.fmt, paper=part.paper, photo=part.photo
        )
    written = time.perf_counter()
    refused = None
    if cache:
        with labels.open(newline="", encoding="utf-8") as handle:
            files = [folder / row["file"] for row in csv.DictReader(handle)]
        cached = cache_canonical(files, root / CACHE_DIR, PROFILE, workers=1)
        refused = sum(c.image is None for c in cached)
    return {
        "part": part.folder,
        "command": part.command(),
        "synth_s": round(written - start, 1),
        "cache_s": round(time.perf_counter() - written, 1),
        "refused": refused,
    }


def _row_count(path: Path) -> int:
    with path.open(newline="", encoding="utf-8") as handle:
        return sum(1 for _ in csv.DictReader(handle))


def _combine(root: Path, parts: list[Part]) -> Path:
    """One manifest over the parts, `file` relative to it (subfolder/filename)."""
    rows = []
    for part in parts:
        with (root / part.folder / LABELS_CSV).open(newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                row["file"] = f"{part.folder}/{row['file']}"
                rows.append({column: row[column] for column in MANIFEST_COLUMNS})
    text = io.StringIO(newline="")
    writer = csv.DictWriter(text, fieldnames=MANIFEST_COLUMNS)
    writer.writeheader()
    writer.writerows(rows)
    path = root / LABELS_CSV
    with replace_atomically(path) as handle:
        handle.write(text.getvalue().encode("utf-8"))
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("set", choices=tuple(SETS), help="training mix or fresh test sets")
    parser.add_argument("out", type=Path, help="folder to write (one manifest per category)")
    parser.add_argument("--jobs", type=int, default=2, help="parts written at once")
    parser.add_argument("--cache", action="store_true", help="also preprocess into the cache")
    args = parser.parse_args()
    categories = SETS[args.set]
    jobs = [(part, args.out / category) for category, parts in categories.items() for part in parts]
    jobs.sort(key=lambda job: -job[0].n)  # the big parts first, so the workers end together
    with ProcessPoolExecutor(args.jobs, mp_context=get_context("spawn")) as pool:
        futures = [pool.submit(_write_part, part, root, args.cache) for part, root in jobs]
        for future in futures:
            print(json.dumps(future.result()), flush=True)
    for category, parts in categories.items():
        path = _combine(args.out / category, parts)
        if args.set == "fresh":
            (path.parent / "data.txt").write_text(describe(category, parts), encoding="utf-8")
        print(json.dumps({"manifest": str(path), "rows": sum(p.n for p in parts)}), flush=True)


if __name__ == "__main__":
    main()
