"""Which runtime runs a model's forward pass on a CPU (`MTECG_RUNTIME`), and the bar it meets.

- `torch`: eager PyTorch FP32, the reference every other runtime is measured against;
- `onnx`: the backbone on ONNX Runtime in FP32 (`mtecg.model.onnx_backbone`), heads and
  Grad-CAM++ on PyTorch;
- `onnx-int8`: the same with int8 static quantization calibrated on synthetic canonical
  images.

Kept apart from the ONNX code so that settings can name the choice without importing it.
"""

from __future__ import annotations

from typing import Final, Literal, get_args

Runtime = Literal["torch", "onnx", "onnx-int8"]
RUNTIMES: Final[tuple[str, ...]] = get_args(Runtime)
#: The service's default: the fastest runtime that meets the bar below (int8 does not).
DEFAULT_RUNTIME: Final[Runtime] = "onnx"
#: The largest probability difference from PyTorch FP32 that a faster runtime may show.
PROBABILITY_TOLERANCE: Final = 0.005
