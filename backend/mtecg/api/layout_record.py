"""What a screening records about how its page was read: the `Layout` body of docs/API.md.

One home for the stored fields, shared by the service (one upload) and the batch importer
(rows of the results table): `layout_columns` flattens the layout stage's answer into the
results table's columns (`pages` as text, "2,3", which a CSV can hold), `stored_layout` turns
those columns into the dict a screening row keeps. The photo's homography is left out: it
maps panel boxes onto the photo, which nothing shown from a stored row needs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from mtecg.ingest import WAVEFORM_KINDS
from mtecg.preprocess import Preprocessed

#: The layout stage's facts kept as they are (names as in `Preprocessed.summary`).
_FACTS: Final = (
    "input_type",
    "page",
    "profile",
    "px_per_mm",
    "rotation_deg",
    "rhythm_strips",
    "layout_name",
    "time_windows",
    "paper_speed_mm_s",
    "gain_mm_mv",
    "pages",
    "labels_checked",
)
#: What the straightening of a photo corrected (see `mtecg.layout.rectify`).
RECTIFICATION_FIELDS: Final = ("perspective", "rotation_deg", "residual_deg")
_STORED: Final = tuple(name for name in _FACTS if name != "page")


def rectification_column(name: str) -> str:
    """The flat column holding one rectification figure (None for a page read as it is)."""
    return f"rectification_{name}"


def layout_columns(pre: Preprocessed) -> dict[str, Any]:
    """The layout facts of one preprocessed upload, flat (the batch results table's columns)."""
    summary = pre.summary()
    rectification = summary.get("rectification") or {}
    return {
        **{name: summary[name] for name in _FACTS},
        "pages": ",".join(str(page) for page in summary["pages"]),
        **{rectification_column(name): rectification.get(name) for name in RECTIFICATION_FIELDS},
    }


def stored_layout(columns: Mapping[str, Any]) -> dict[str, Any]:
    """The layout dict a screening row stores, from `layout_columns` (or a batch row)."""
    rectification = {name: columns[rectification_column(name)] for name in RECTIFICATION_FIELDS}
    return {
        **{name: columns[name] for name in _STORED},
        "kind": input_kind(columns["input_type"]),
        "pages": [int(page) for page in columns["pages"].split(",")],
        "rectification": None if rectification["perspective"] is None else rectification,
    }


def input_kind(input_type: str) -> str:
    """pdf, image, or waveform (a digital file drawn as a page)."""
    if input_type in WAVEFORM_KINDS:
        return "waveform"
    return "pdf" if input_type == "pdf" else "image"
