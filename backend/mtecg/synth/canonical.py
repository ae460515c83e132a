"""Synthetic canonical images: what the model sees, for calibration and equality checks.

A printout from `make_record` read by the real pipeline (`preprocess`) gives a canonical image
the way a screening does. Reading costs about a second a printout, so many images are made by
recombining the panels of a few read ones (`panel_mix`): every output cell still holds a
real trace of the lead at that place, drawn and read like any other, and the mix gives new
combinations the network has not seen as a whole.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from mtecg.errors import RejectCode, Rejection
from mtecg.geometry import PANEL_H_PX, PANEL_W_PX
from mtecg.ingest.sandbox import Sandbox
from mtecg.preprocess import preprocess, preprocess_in_sandbox
from mtecg.synth.dataset import make_record


def read_canonicals(count: int, seed: int, sandbox: Sandbox | None = None) -> list[np.ndarray]:
    """`count` canonical images of synthetic PDFs (records `(seed, i)`, mixed layouts).

    A printout the pipeline refuses is skipped (it is no canonical image), so the images come
    from the first `count` records that read. With `sandbox`, they are read there, so that a
    long-lived caller (the server) does not keep the reading's memory peak.
    """
    images: list[np.ndarray] = []
    index = 0
    while len(images) < count:
        if index > 4 * count + 10:
            raise RuntimeError("synthetic printouts keep being refused; the pipeline is broken")
        data = make_record((seed, index)).data
        try:
            result = preprocess(data) if sandbox is None else preprocess_in_sandbox(sandbox, data)
        except Rejection as rejection:
            if rejection.code in (RejectCode.PROCESSING_FAILED, RejectCode.PROCESSING_TIMEOUT):
                raise  # the sandbox failed, not the printout
            continue
        finally:
            index += 1
        images.append(result.layout.canonical)
    return images


def panel_mix(bases: list[np.ndarray], count: int, seed: int) -> Iterator[np.ndarray]:
    """`count` canonical images whose 12 panels each come from a random one of `bases`.

    The panel at row r, column c stays the lead printed there (the canonical 6 x 2 order), so
    each image is a valid canonical image of an ECG that was never printed as a whole.
    """
    rng = np.random.default_rng(seed)
    rows, columns = bases[0].shape[0] // PANEL_H_PX, bases[0].shape[1] // PANEL_W_PX
    for _ in range(count):
        image = np.empty_like(bases[0])
        for row in range(rows):
            for column in range(columns):
                cell = np.s_[
                    row * PANEL_H_PX : (row + 1) * PANEL_H_PX,
                    column * PANEL_W_PX : (column + 1) * PANEL_W_PX,
                ]
                image[cell] = bases[int(rng.integers(len(bases)))][cell]
        yield image
