"""Per-lead occlusion attribution, and how alike the two tasks' Grad-CAM++ maps are.

Grad-CAM++ (the study's method) weights the channels of one shared feature map, so on a
shared backbone the scar and LVEF maps often come out nearly identical: switching maps then
shows nothing new. Two additions make the explanation mean what its label says:

- `lead_attribution`: for each of the 12 leads, the change in each task's probability when
  that lead's panel of the canonical 6 x 2 image is blanked (set to paper white, the value an
  empty panel has after grid removal). It asks the model itself, task by task, so it cannot be
  class-insensitive. The 12 occlusions and the unoccluded reference are one batch of 13, run
  through the network in chunks of at most `CHUNK` images (the activation memory of one pass
  grows with its batch; 13 at once cost a 384 px resnet34d server about 200 MB more at its
  peak than a screening batch of 4). Each image's answer does not depend on the chunk it
  runs in beyond floating-point noise.
- `map_correlation` and `SIMILAR_MAPS_CORRELATION`: the Pearson correlation of the two maps,
  and the level from which the viewer and the API say "the two maps are the same" instead of
  implying two findings.

Blanking happens on the network input (already resized and normalised), over the input pixels
that the panel maps onto: row r of the 6 x 2 grid covers input rows round(r*H/6) to
round((r+1)*H/6), column c the columns round(c*W/2) to round((c+1)*W/2). At sizes that divide
evenly (384 px: 64 rows and 192 columns per panel) this equals blanking the canonical image
before the area resize; otherwise a boundary pixel that mixes two panels goes to one of them.
It saves 12 resizes of the 2100 x 1402 image.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import torch
from torch import nn

from mtecg.geometry import CANONICAL_COLUMNS
from mtecg.model.explain import HeatMap, PositiveLogits
from mtecg.model.predictor import Clinical, Predictor
from mtecg.tasks import TASKS

#: Two maps whose Pearson correlation reaches this are reported as one explanation for both
#: tasks. On the demo model the real samples give 0.98-1.00; independent maps give about 0.
SIMILAR_MAPS_CORRELATION: Final = 0.95

#: Most images in one forward pass of the occlusion batch: the service's default `max_batch`,
#: so an attribution never needs more activation memory than a screening batch.
CHUNK: Final = 4

_ROWS: Final = len(CANONICAL_COLUMNS[0])  # 6
_COLS: Final = len(CANONICAL_COLUMNS)  # 2
#: Leads in the order of the canonical image: left column top to bottom, then the right.
LEAD_ORDER: Final = tuple(lead for column in CANONICAL_COLUMNS for lead in column)


@dataclass(frozen=True)
class LeadAttribution:
    """Each task's probability and, per lead, `probability - probability with that lead blank`.

    A positive change means the lead raised the task's probability; negative, that it lowered
    it. `probability` is the reference from the same batch (equal to the screening's answer up
    to floating-point noise).
    """

    probability: dict[str, float]
    change: dict[str, dict[str, float]]  # task -> lead -> change in probability

    def to_json(self) -> dict[str, Any]:
        return {
            task: {
                "probability": self.probability[task],
                "leads": [{"lead": lead, "change": self.change[task][lead]} for lead in LEAD_ORDER],
            }
            for task in TASKS
        }


def panel_slices(height: int, width: int) -> dict[str, tuple[slice, slice]]:
    """Each lead's (rows, columns) on a network input of `height` x `width` pixels."""

    def edge(i: int, parts: int, size: int) -> int:
        return round(i * size / parts)

    return {
        lead: (
            slice(edge(row, _ROWS, height), edge(row + 1, _ROWS, height)),
            slice(edge(col, _COLS, width), edge(col + 1, _COLS, width)),
        )
        for col, leads in enumerate(CANONICAL_COLUMNS)
        for row, lead in enumerate(leads)
    }


def occlusion_batch(x: torch.Tensor, white: torch.Tensor) -> torch.Tensor:
    """`[13, C, H, W]`: the input `x` `[1, C, H, W]` itself, then one copy per lead blanked.

    `white` `[C]` is paper white in the network's normalised units, `(1 - mean) / std`.
    """
    if x.ndim != 4 or x.shape[0] != 1:
        raise ValueError(f"expected one image [1, C, H, W], got {tuple(x.shape)}")
    batch = x.repeat(1 + len(LEAD_ORDER), 1, 1, 1)
    fill = white.to(x.dtype).to(x.device).view(-1, 1, 1)
    for i, (rows, cols) in enumerate(panel_slices(x.shape[2], x.shape[3]).values(), start=1):
        batch[i, :, rows, cols] = fill
    return batch


def lead_attribution(
    network: nn.Module,
    x: torch.Tensor,
    white: torch.Tensor,
    categorical: torch.Tensor | None = None,
    numerical: torch.Tensor | None = None,
    *,
    lock: AbstractContextManager[Any] | None = None,
    between: Callable[[], None] | None = None,
) -> LeadAttribution:
    """Occlusion attribution of one normalised input `[1, 3, H, W]` (clinical inputs `[1, n]`).

    The batch of 13 in chunks of at most `CHUNK` under `torch.inference_mode()`; `lock` is held
    for each chunk's pass only (the predictor's, so it never overlaps a change to the shared
    network, and a screening batch can run between two chunks). `between` runs before every
    chunk but the first: a server's background worker waits there while screenings are
    admitted, so that an upload arriving mid-attribution does not share the CPU with it.
    """
    batch = occlusion_batch(x.detach(), white)
    wrapper = PositiveLogits(network, categorical, numerical)
    parts = []
    for i, chunk in enumerate(torch.tensor_split(batch, -(-len(batch) // CHUNK))):
        if i and between is not None:
            between()
        with lock or nullcontext(), torch.inference_mode():
            parts.append(torch.sigmoid(wrapper(chunk).float()).cpu())
    probabilities = torch.cat(parts).numpy()
    reference, occluded = probabilities[0], probabilities[1:]
    return LeadAttribution(
        probability={task: float(reference[j]) for j, task in enumerate(TASKS)},
        change={
            task: {lead: float(reference[j] - occluded[i, j]) for i, lead in enumerate(LEAD_ORDER)}
            for j, task in enumerate(TASKS)
        },
    )


def attribute(
    predictor: Predictor,
    canonical: np.ndarray,
    clinical: Clinical | None = None,
    between: Callable[[], None] | None = None,
) -> LeadAttribution:
    """`lead_attribution` of one canonical image under a served model (its input transform)."""
    if predictor.needs_clinical and clinical is None:
        raise ValueError("this model needs one clinical record per image")
    x = predictor.prepare([canonical]).to(predictor.device)
    categorical = numerical = None
    if clinical is not None and predictor.needs_clinical:
        categorical, numerical = (
            t.to(predictor.device) for t in predictor.clinical_tensors([clinical])
        )
    spec = predictor.manifest.input
    white = (1.0 - torch.tensor(spec.mean)) / torch.tensor(spec.std)
    return lead_attribution(
        predictor.network, x, white, categorical, numerical, lock=predictor.lock, between=between
    )


def map_correlation(first: HeatMap, second: HeatMap) -> float:
    """Pearson correlation of two maps of one shape, over all pixels.

    A flat map has no pattern to correlate: two flat maps count as the same (1.0) when equal,
    otherwise a flat map is unlike any other (0.0).
    """
    if first.shape != second.shape:
        raise ValueError(f"maps differ in shape: {first.shape} and {second.shape}")
    a = first.astype(np.float64).ravel()
    b = second.astype(np.float64).ravel()
    a -= a.mean()
    b -= b.mean()
    norm = float(np.sqrt((a @ a) * (b @ b)))
    if norm == 0.0:
        return 1.0 if np.array_equal(first, second) else 0.0
    return float(np.clip((a @ b) / norm, -1.0, 1.0))


def maps_similar(correlation: float) -> bool:
    """Whether two maps with this correlation are one explanation rather than two."""
    return correlation >= SIMILAR_MAPS_CORRELATION
