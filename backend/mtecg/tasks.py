"""The screening tasks and risk bands: the one definition every stage imports.

Every model answers the same two tasks, in this order: the network's two heads, the columns of
its outputs, the maps of an explanation, the images of a stored screening and the labels of a
training manifest all follow `TASKS`. Kept free of heavy imports (no torch), so the API, the
batch tools and the model code can all depend on it.
"""

from __future__ import annotations

from typing import Final, Literal, get_args

TASKS: Final = ("scar", "lvef")  # the order of the network's outputs

#: How each task is named to a reader (plots, reports, the API's model description).
TASK_LABELS: Final[dict[str, str]] = {"scar": "Myocardial scar", "lvef": "LVEF < 50 %"}

#: The images stored with a screening: the canonical ECG, then one heatmap per task (in the
#: order of `TASKS`; a test holds the two together).
ImageName = Literal["canonical", "scar", "lvef"]
IMAGE_NAMES: Final[tuple[str, ...]] = get_args(ImageName)

#: The risk band names the app shows (docs/domain.md, section 4).
Band = Literal["low", "moderate", "high"]
