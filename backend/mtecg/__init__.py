"""mtecg: screening for myocardial scar and LVEF < 50 % from 12-lead ECG printouts.

The public Python API is `ECGClassifier` (the published library's interface). It is imported
lazily so that `import mtecg` and the command line stay light until a model is needed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mtecg.model.classifier import ECGClassifier

__all__ = ["ECGClassifier"]


def __getattr__(name: str) -> Any:
    if name == "ECGClassifier":
        from mtecg.model.classifier import ECGClassifier

        return ECGClassifier
    raise AttributeError(f"module 'mtecg' has no attribute {name!r}")
