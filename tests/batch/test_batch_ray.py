"""The Ray engine on a real local Ray instance (2 CPUs): the local engine's rows, to the bit."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from batch_fixtures import printouts, read_results, small_pngs

from mtecg.cli import main

ray = pytest.importorskip("ray")  # the `ray` extra; `make install` installs it


@pytest.fixture(scope="module")
def local_ray() -> Iterator[None]:
    ray.init(
        num_cpus=2,
        object_store_memory=256 * 2**20,
        include_dashboard=False,
        log_to_driver=False,
        _node_ip_address="127.0.0.1",  # loopback only
    )
    try:
        yield
    finally:
        ray.shutdown()


@pytest.mark.slow
def test_ray_engine_gives_the_local_engines_rows(
    local_ray: None, model: Path, tmp_path: Path
) -> None:
    inputs = tmp_path / "in"
    printouts(inputs, 3)
    small_pngs(inputs, 2)
    (inputs / "notes.txt").write_text("not an ECG")
    common = ["--model", str(model), "--workers", "1", "--batch-size", "1"]
    local_out, ray_out = tmp_path / "local.parquet", tmp_path / "ray.parquet"
    assert main(["batch", str(inputs), "--out", str(local_out), *common]) == 0
    assert main(["batch", str(inputs), "--out", str(ray_out), "--engine", "ray", *common]) == 0
    local_rows, ray_rows = read_results(local_out), read_results(ray_out)
    assert [tuple(r) for r in ray_rows] == [tuple(r) for r in local_rows]  # same schema
    assert len(ray_rows) == 6
    same = ("path", "sha256", "status", "code", "reason", "profile", "px_per_mm", "model_sha256")
    for mine, theirs in zip(ray_rows, local_rows, strict=True):
        for column in (*same, "scar_probability", "lvef_probability", "scar_band", "lvef_band"):
            assert mine[column] == theirs[column], column  # identical, not approximately
    assert sum(r["status"] == "ok" for r in ray_rows) == 3

    # Resumable like the local engine: a second run skips everything.
    (inputs / "late.pdf").write_bytes(printouts(tmp_path / "late", 1, first_seed=7)[0].read_bytes())
    assert main(["batch", str(inputs), "--out", str(ray_out), "--engine", "ray", *common]) == 0
    rows = {str(r["path"]): r for r in read_results(ray_out)}
    assert len(rows) == 7 and all(rows[str(r["path"])] == r for r in ray_rows)
