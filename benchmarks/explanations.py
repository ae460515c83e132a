"""How alike the scar and LVEF Grad-CAM++ maps are on the real samples, and what the per-lead
attribution says instead.

Run: `.venv/bin/python benchmarks/explanations.py [--model DIR] [--samples DIR]`.

For every real sample in `../shared/samples` (PDFs and images) that preprocesses: the Pearson
correlation of the two maps as the service computes it (`mtecg.api.attributions.small_map`
then `map_correlation`) and at full canonical resolution, whether the API flags them as one
explanation (`SIMILAR_MAPS_CORRELATION`), the three leads that move each task's probability
most, and the correlation of the two tasks' 12 lead changes. Samples that are refused are listed
with their code. Prints the machine's load average, since the attribution time depends on it.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

from mtecg.api.attributions import small_map
from mtecg.errors import Rejection
from mtecg.model.attribution import (
    LEAD_ORDER,
    SIMILAR_MAPS_CORRELATION,
    attribute,
    map_correlation,
    maps_similar,
)
from mtecg.model.package import load_package
from mtecg.model.predictor import Predictor
from mtecg.preprocess import preprocess

REPO = Path(__file__).resolve().parent.parent
SUFFIXES = {".pdf", ".png", ".jpg", ".jpeg", ".bmp"}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=REPO / "models" / "demo")
    parser.add_argument("--samples", type=Path, default=REPO.parent / "shared" / "samples")
    args = parser.parse_args()
    predictor = Predictor(load_package(args.model), "cpu")
    print(
        f"model {predictor.manifest.id} {predictor.manifest.version}; similar from r >= "
        f"{SIMILAR_MAPS_CORRELATION}; load average {os.getloadavg()}"
    )
    correlations = []
    for path in sorted(p for p in args.samples.rglob("*") if p.suffix.lower() in SUFFIXES):
        name = path.relative_to(args.samples)
        try:
            canonical = preprocess(path.read_bytes()).layout.canonical
        except Rejection as rejection:
            print(f"- {name}: refused ({rejection.code.value})")
            continue
        maps = predictor.explain(canonical)
        served = map_correlation(small_map(maps["scar"]), small_map(maps["lvef"]))
        full = map_correlation(maps["scar"], maps["lvef"])
        started = time.perf_counter()
        attribution = attribute(predictor, canonical)
        attribution_ms = (time.perf_counter() - started) * 1000
        changes = {t: np.array([attribution.change[t][lead] for lead in LEAD_ORDER]) for t in maps}
        top = {
            t: ", ".join(
                f"{LEAD_ORDER[i]} {changes[t][i] * 100:+.1f}"
                for i in np.argsort(-np.abs(changes[t]))[:3]
            )
            for t in changes
        }
        lead_r = float(np.corrcoef(changes["scar"], changes["lvef"])[0, 1])
        correlations.append(served)
        print(
            f"- {name}: map r = {served:.4f} (full resolution {full:.4f}), "
            f"{'one map' if maps_similar(served) else 'two maps'}; scar p = "
            f"{attribution.probability['scar']:.3f} [{top['scar']}], lvef p = "
            f"{attribution.probability['lvef']:.3f} [{top['lvef']}] (points); lead-change r "
            f"between tasks {lead_r:.2f}; attribution {attribution_ms:.0f} ms"
        )
    if correlations:
        print(
            f"map correlation on {len(correlations)} samples: min {min(correlations):.4f}, "
            f"median {float(np.median(correlations)):.4f}, max {max(correlations):.4f}"
        )
    print(f"load average after: {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
