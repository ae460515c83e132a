"""The `mtecg` command as a user runs it: installed entry point, JSON output, exit codes."""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
from pathlib import Path

import pytest
from tests_paths import MTECG


def _mtecg(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(MTECG), *args], capture_output=True, text=True, timeout=180, check=False
    )


def test_synth_then_preprocess_round_trip(tmp_path: Path) -> None:
    out = tmp_path / "data"
    proc = _mtecg("synth", "--n", "2", "--seed", "3", "--out", str(out), "--json")
    assert proc.returncode == 0, proc.stderr
    labels = Path(json.loads(proc.stdout)["labels"])
    rows = list(csv.DictReader(labels.open()))
    assert len(rows) == 2
    canonical = tmp_path / "c.png"
    proc = _mtecg("preprocess", str(out / rows[0]["file"]), "--out", str(canonical), "--json")
    assert proc.returncode == 0, proc.stdout
    payload = json.loads(proc.stdout)
    truth = {p["lead"]: p["box"] for p in json.loads(rows[0]["panels"])}
    found = {p["lead"]: p["box"] for p in payload["panels"]}
    assert set(found) == set(truth)
    assert canonical.stat().st_size > 0


def test_rejection_exit_code_and_nothing_written(tmp_path: Path) -> None:
    bogus = tmp_path / "notes.txt"
    bogus.write_text("not an ECG")
    out = tmp_path / "c.png"
    proc = _mtecg("preprocess", str(bogus), "--out", str(out), "--json")
    assert proc.returncode == 3
    assert json.loads(proc.stdout)["code"] == "unsupported_type"
    assert not out.exists()


def test_usage_error_and_missing_file(tmp_path: Path) -> None:
    assert _mtecg("preprocess").returncode == 2
    proc = _mtecg("preprocess", str(tmp_path / "absent.pdf"), "--out", str(tmp_path / "c.png"))
    assert proc.returncode == 1
    assert "No such file" in proc.stderr


def _subcommands() -> list[str]:
    from mtecg.cli import build_parser

    parser = build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return sorted(action.choices)


def test_help_of_the_command_and_of_every_subcommand(capsys: pytest.CaptureFixture[str]) -> None:
    from mtecg.cli import main

    top = _mtecg("--help")
    assert top.returncode == 0, top.stderr
    names = _subcommands()
    assert {"predict", "users", "api-keys", "db"} <= set(names)
    for name in names:
        assert name in top.stdout
        with pytest.raises(SystemExit) as exited:
            main([name, "--help"])
        assert exited.value.code == 0, name
        assert f"usage: mtecg {name}" in capsys.readouterr().out


@pytest.mark.parametrize(
    "argv",
    [
        ["users", "create"],
        ["users", "disable"],
        ["users", "set-password", "--generate-password"],
        ["api-keys", "create", "--label", "lab PC"],
        ["api-keys", "revoke"],
        ["db"],
        ["audit"],
    ],
)
def test_an_action_without_what_it_needs_is_a_usage_error(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    """Each action takes its own arguments: argparse refuses before any database is opened."""
    from mtecg.cli import main

    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2
    assert "required" in capsys.readouterr().err


def test_rekey_without_the_previous_key_is_a_reported_failure(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from mtecg.cli import main

    assert main(["db", "rekey-patient-refs", "--json"]) == 1
    assert json.loads(capsys.readouterr().out) == {
        "status": "failed",
        "message": "give --previous-key-file",
    }
