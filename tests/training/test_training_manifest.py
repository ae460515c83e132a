"""Reading training manifests: the synthetic data set's own labels.csv and broken ones."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from mtecg.synth.dataset import write_dataset
from mtecg.training.manifest import TrainingManifestError, read_manifest


def test_synthetic_labels_are_a_valid_manifest(tmp_path: Path) -> None:
    labels = write_dataset(4, seed=2, out=tmp_path, layout="siriraj-grid")
    examples = read_manifest(labels)
    assert len(examples) == 4
    assert all(e.path.is_file() for e in examples)
    assert all(e.clinical is not None and len(e.clinical) == 6 for e in examples)
    rows = list(csv.DictReader(labels.open()))
    for example, row in zip(examples, rows, strict=True):
        assert example.scar == int(row["scar"])
        assert example.low_ef == int(float(row["lvef"]) < 50)


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "m.csv"
    path.write_text(text)
    return path


def test_binary_lvef_split_aliases_and_no_clinical(tmp_path: Path) -> None:
    path = _write(tmp_path, "file,scar,lvef,split\na.pdf,1,1,train\nb.pdf,0,0,dev\n")
    a, b = read_manifest(path)
    assert (a.low_ef, b.low_ef) == (1, 0)
    assert (a.split, b.split) == ("train", "val")
    assert a.clinical is None and a.path == tmp_path / "a.pdf"


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("file,scar\na.pdf,1\n", "missing column"),
        ("file,scar,lvef\na.pdf,2,40\n", "line 2: column 'scar'"),
        ("file,scar,lvef\na.pdf,1,abc\n", "'lvef' is not a number"),
        ("file,scar,lvef\na.pdf,1,140\n", "out of range"),
        ("file,scar,lvef,split\na.pdf,1,40,holdout\n", "unknown split"),
        ("file,scar,lvef\n", "no rows"),
    ],
)
def test_broken_manifests_say_where(tmp_path: Path, text: str, needle: str) -> None:
    with pytest.raises(TrainingManifestError, match=needle):
        read_manifest(_write(tmp_path, text))
