"""`mtecg batch` on one machine: every input gets one row, the same answer as one-at-a-time."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from batch_fixtures import printouts, read_results

from mtecg.batch.schema import COLUMNS
from mtecg.cli import main
from mtecg.model.package import load_package
from mtecg.model.predictor import Predictor
from mtecg.preprocess import preprocess

REQUIRED = (
    "path",
    "sha256",
    "status",
    "code",
    "reason",
    "scar_probability",
    "lvef_probability",
    "scar_prediction",
    "lvef_prediction",
    "scar_band",
    "lvef_band",
    "profile",
    "px_per_mm",
    "rotation_deg",
    "rhythm_strips",
    "model_id",
    "model_version",
    "model_sha256",
    "total_ms",
)


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder tree with printouts, files that are not ECGs, and a hidden file."""
    root = tmp_path_factory.mktemp("archive")
    printouts(root / "ward-a", 2)
    printouts(root / "ward-b" / "2024", 1, first_seed=5)
    (root / "ward-a" / "notes.txt").write_text("not an ECG")
    (root / "ward-b" / "empty.png").write_bytes(b"")
    (root / ".DS_Store").write_bytes(b"\0\0\0\1Bud1")
    return root


def _batch(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, object]]:
    code = main(["batch", *args, "--json"])
    out = capsys.readouterr().out
    return code, json.loads(out.strip().splitlines()[-1])


def test_folder_and_manifest_give_one_row_per_file(
    archive: Path, model: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    extra = printouts(tmp_path / "elsewhere", 1, first_seed=9)[0]
    manifest = tmp_path / "list.csv"
    with manifest.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["path", "patient_ref", "ward"])
        writer.writerow(["elsewhere/" + extra.name, "HN-001", "7"])
        writer.writerow(["elsewhere/missing.pdf", "HN-002", "7"])
    out = tmp_path / "results.parquet"
    code, summary = _batch(
        capsys, str(archive), str(manifest), "--out", str(out), "--model", str(model)
    )
    assert code == 0
    rows = read_results(out)
    assert set(REQUIRED) <= set(rows[0]) and tuple(rows[0]) == COLUMNS
    by_name = {Path(str(r["path"])).name: r for r in rows}
    assert sorted(by_name) == sorted(
        [
            "ecg-000.pdf",
            "ecg-001.pdf",
            "ecg-005.pdf",
            "ecg-009.pdf",
            "notes.txt",
            "empty.png",
            "missing.pdf",
        ]
    )  # the hidden file is not an input; the manifest's missing file is a row
    assert by_name["notes.txt"]["status"] == "refused"
    assert by_name["notes.txt"]["code"] == "unsupported_type"
    assert by_name["empty.png"]["code"] == "empty_file"
    assert by_name["missing.pdf"]["status"] == "failed"
    assert by_name["missing.pdf"]["code"] == "read_error"
    assert summary["read"] == 4 and summary["failed"] == 1
    assert summary["refused"] == {"empty_file": 1, "unsupported_type": 1}
    assert "HN-001" not in out.read_bytes().decode("latin-1")  # no patient data in the table

    # The same answers as screening each file on its own (up to float32 rounding in a batch).
    package = load_package(model)
    predictor = Predictor(package, device="cpu")
    for name in ("ecg-000.pdf", "ecg-005.pdf", "ecg-009.pdf"):
        row = by_name[name]
        pre = preprocess(Path(str(row["path"])).read_bytes())
        (answer,) = predictor.predict_batch([pre.layout.canonical])
        for task in ("scar", "lvef"):
            assert row[f"{task}_probability"] == pytest.approx(answer[task].probability, abs=1e-6)
            assert row[f"{task}_band"] == answer[task].risk_band
        assert row["status"] == "ok" and row["code"] is None
        assert row["model_sha256"] == package.manifest.weights.sha256  # type: ignore[union-attr]
        assert row["model_synthetic"] is True and "screening aid" in str(row["screening_aid"])
        assert row["rhythm_strips"] == pre.layout.rhythm_strips

    # Run again with the same arguments: nothing is screened twice, the table is the same.
    code, again = _batch(
        capsys, str(archive), str(manifest), "--out", str(out), "--model", str(model)
    )
    assert code == 0 and again["screened"] == 1 and again["skipped"] == 6  # the missing file
    assert [r["sha256"] for r in read_results(out)] == [r["sha256"] for r in rows]


def test_csv_output_and_maps(
    archive: Path, model: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out, maps = tmp_path / "results.csv", tmp_path / "maps"
    code, summary = _batch(
        capsys,
        str(archive / "ward-a"),
        "--out",
        str(out),
        "--model",
        str(model),
        "--maps",
        str(maps),
        "--workers",
        "1",
        "--batch-size",
        "1",
    )
    assert code == 0 and summary["read"] == 2
    for row in read_results(out):
        if row["status"] != "ok":
            assert row["canonical_png"] is None
            continue
        for column in ("canonical_png", "scar_png", "lvef_png"):
            image = Path(str(row[column]))
            assert image.is_file() and image.read_bytes().startswith(b"\x89PNG")
            assert image.parent.name == row["sha256"] and maps in image.parents
        assert float(str(row["explain_ms"])) > 0


def test_usage_errors(archive: Path, model: Path, tmp_path: Path) -> None:
    assert main(["batch", str(archive), "--out", str(tmp_path / "r.txt")]) == 2
    assert main(["batch", str(tmp_path / "absent"), "--out", str(tmp_path / "r.csv")]) == 2
    out = str(tmp_path / "r.csv")
    assert main(["batch", str(archive), "--out", out, "--import-to-log"]) == 2
    # The journal beside RESULTS belongs to the run that made it: other settings are refused.
    assert (
        main(["batch", str(archive / "ward-a" / "notes.txt"), "--out", out, "--model", str(model)])
        == 0
    )
    maps = str(tmp_path / "maps")
    assert main(["batch", str(archive), "--out", out, "--model", str(model), "--maps", maps]) == 2
