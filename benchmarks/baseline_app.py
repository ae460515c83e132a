"""The published demo app over HTTP, reduced to what it does per request, for `load.py`.

Run: `.venv/bin/python benchmarks/baseline_app.py --model DIR --port N` (loopback only).

The study's app is a FastAPI service whose `async` upload route does all the work on the event
loop: it reads the multipart upload, runs the pipeline of `baseline.py` (pdf2image render at 300
dpi, fixed crop, grid colours removed in the crop, 6 x 2 rearrangement), one forward pass, and
answers both probabilities as JSON. No authentication, sandbox, layout detection, explanation
maps, storage or audit: that is what our service adds, and what `load.py` measures it against.
The forward pass is our `Predictor` on the same package, so both servers run the same weights.

torch is imported before anything of mtecg's: `import mtecg` makes OpenMP's threads sleep when
idle (`OMP_WAIT_POLICY=PASSIVE`, our service's setting), and the published app runs with
OpenMP's own default, which this keeps.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import torch  # noqa: F401  (first: OpenMP reads its wait policy when torch loads it)

# isort: split
import baseline
import uvicorn
from fastapi import FastAPI, File, UploadFile

from mtecg.model.package import load_package
from mtecg.model.predictor import Predictor
from mtecg.tasks import TASKS

PREDICT_PATH = "/api/predict"


def create_app(model: Path) -> FastAPI:
    predictor = Predictor(load_package(model), device="cpu")
    app = FastAPI()

    @app.get("/readyz")
    async def ready() -> dict[str, str]:
        return {"status": "ready"}

    @app.post(PREDICT_PATH)
    async def predict(file: UploadFile = File(...)) -> list[dict[str, Any]]:  # noqa: B008
        # Deliberately blocking inside `async def`, on the loop, as the published route is.
        image = baseline.canonical(await file.read())
        probabilities = predictor.probabilities([image])[0]
        return [
            {"task": task, "probability": round(float(probabilities[i, 1]) * 100, 2)}
            for i, task in enumerate(TASKS)
        ]

    return app


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, required=True)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    uvicorn.run(create_app(args.model), host="127.0.0.1", port=args.port, log_level="warning")
    return 0


if __name__ == "__main__":
    sys.exit(main())
