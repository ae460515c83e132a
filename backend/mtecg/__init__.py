"""mtecg: screening for myocardial scar and LVEF < 50 % from 12-lead ECG printouts.

The public Python API is `ECGClassifier` (the published library's interface). It is imported
lazily so that `import mtecg` and the command line stay light until a model is needed.

OpenMP threads (torch's) sleep as soon as their work is done instead of spinning for it
(`OMP_WAIT_POLICY=PASSIVE`, unless the environment says otherwise). On the small machines the
service runs on, ONNX Runtime's threads, torch's and the sandbox workers share two cores, and
spinning threads take them from the work: a forward's heads (a few small torch operations after
the backbone on ONNX Runtime) cost 15 ms of CPU spinning against 0.5 ms of work. OpenMP reads
the variable when torch loads it, so it is set here, before any mtecg module imports torch.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

if TYPE_CHECKING:
    from mtecg.model.classifier import ECGClassifier

__all__ = ["ECGClassifier"]


def __getattr__(name: str) -> Any:
    if name == "ECGClassifier":
        from mtecg.model.classifier import ECGClassifier

        return ECGClassifier
    raise AttributeError(f"module 'mtecg' has no attribute {name!r}")
