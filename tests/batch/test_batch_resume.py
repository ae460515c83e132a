"""Killed (SIGKILL) twice and Ctrl-C'd, then resumed: every file exactly once, nothing redone."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from batch_fixtures import batch_command, printouts, read_results, run_batch, small_pngs

from mtecg.batch.journal import journal_folder


def _parts(out: Path) -> list[Path]:
    return sorted(journal_folder(out).glob("part-*.parquet"))


def _interruptible() -> None:
    """In the child before exec: Ctrl-C back to its default. A test process may have inherited
    SIGINT ignored (an earlier test's library, a runner), and an ignored signal stays ignored
    across exec, so the command would never see the Ctrl-C this test sends."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _start(args: list[str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        batch_command(*args),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group: the kill takes its sandbox workers too
        preexec_fn=_interruptible,
    )


def _stop_after_parts(args: list[str], out: Path, parts: int, sig: int) -> int:
    """Runs the command until the journal has `parts` more parts, then sends `sig`."""
    wanted = len(_parts(out)) + parts
    process = _start(args)
    deadline = time.monotonic() + 240
    try:
        while len(_parts(out)) < wanted and process.poll() is None:
            assert time.monotonic() < deadline, "no progress"
            time.sleep(0.05)
        if process.poll() is not None:
            return process.returncode
        if sig == signal.SIGKILL:
            os.killpg(process.pid, sig)
        else:
            process.send_signal(sig)  # Ctrl-C reaches the command, not its workers
        return process.wait(timeout=60)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@pytest.mark.slow
def test_killed_twice_and_interrupted_then_resumed_has_every_file_once(
    model: Path, tmp_path: Path
) -> None:
    inputs = tmp_path / "in"
    # Enough files that three interruptions, however fast the machine, leave work to resume.
    files = [*small_pngs(inputs / "noise", 160), *printouts(inputs / "ecg", 3)]
    out = tmp_path / "results.parquet"
    args = [str(inputs), "--out", str(out), "--model", str(model), "--chunk-size", "4"]

    assert _stop_after_parts(args, out, 1, signal.SIGKILL) == -signal.SIGKILL
    assert _stop_after_parts(args, out, 1, signal.SIGKILL) == -signal.SIGKILL
    assert _stop_after_parts(args, out, 1, signal.SIGINT) == 130
    before = sum(pq.read_metadata(part).num_rows for part in _parts(out))
    assert 0 < before < len(files) and not out.exists()

    done = run_batch(*args, "--json")
    assert done.returncode == 0, done.stderr
    rows = read_results(out)
    assert Counter(str(r["path"]) for r in rows) == Counter(str(p) for p in files)
    # Exactly once in the journal too: what was written before a kill was never redone.
    journalled = [row for part in _parts(out) for row in pq.read_table(part).to_pylist()]
    assert Counter(str(r["path"]) for r in journalled) == Counter(str(p) for p in files)
    assert {r["status"] for r in rows if str(r["path"]).endswith(".pdf")} == {"ok"}
    assert not list(journal_folder(out).glob(".*"))
