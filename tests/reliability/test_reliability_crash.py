"""Crash consistency: a screening acknowledged with 201 survives any number of SIGKILLs.

16 client threads upload printouts to the real server while its whole process group is killed
(SIGKILL) three times and restarted on the same database and data folder. Afterwards, read
straight from the database and the disk: every acknowledged id has its row, its three complete
images and exactly one success audit row; no row (acknowledged or not) lacks an image or its
audit row; the audit chain verifies. Images are written before their row is committed, so a
kill can leave an image folder without a row; those are counted and bounded by the requests
that were in flight at the kills, never more.
"""

from __future__ import annotations

import random
from collections import Counter
from pathlib import Path

import httpx
import pytest
from support.reliability_harness import (
    Deployment,
    Load,
    Outcome,
    Server,
    Stored,
    api_key,
    audit_verify,
    complete_png,
    deployment,
    migrate,
    screening_folders,
    stored,
    upload,
)
from support.services import BACKENDS, database

from mtecg.tasks import IMAGE_NAMES

CLIENTS = 16
KILLS = 3
#: New acknowledgements to wait for before each kill (so every kill lands under load).
ACKS_BETWEEN_KILLS = 4


def crash_under_load(
    dep: Deployment, server: Server, key: str, printouts: list[bytes], seed: int
) -> list[Outcome]:
    """Uploads from CLIENTS threads; SIGKILLs and restarts the server KILLS times meanwhile."""
    rng = random.Random(seed)

    def send(client: httpx.Client, n: int) -> Outcome:
        return upload(client, dep, key, printouts[n % len(printouts)])

    server.start()
    with Load(CLIENTS, send) as load:
        for _ in range(KILLS):
            load.wait_for_acknowledged(len(load.acknowledged) + ACKS_BETWEEN_KILLS)
            load.wait_for_acknowledged(len(load.acknowledged) + rng.randint(0, 2))
            server.kill()
            server.start()
        load.wait_for_acknowledged(len(load.acknowledged) + ACKS_BETWEEN_KILLS)
    assert server.stop() in (0, -15)
    return load.outcomes


def check_rows(dep: Deployment, found: Stored) -> None:
    """Every row has its three complete images and exactly one success audit row."""
    for sid, images in found.images.items():
        assert sorted(images) == sorted(IMAGE_NAMES), sid
        for name, relative in images.items():
            assert complete_png(dep.data_dir / relative), (sid, name)
        assert found.created_audit.get(sid) == 1, sid
    orphan_audit = set(found.created_audit) - set(found.images)
    assert not orphan_audit, f"audit rows for screenings that were never stored: {orphan_audit}"


def orphan_folders(dep: Deployment, found: Stored) -> list[Path]:
    """Image folders no row points at (a kill between writing images and committing)."""
    referenced = {str(Path(images["canonical"]).parent) for images in found.images.values()}
    return [
        folder
        for folder in screening_folders(dep.data_dir)
        if str(folder.relative_to(dep.data_dir)) not in referenced
    ]


# About 70 s per database on an idle 2-core machine (four server starts each): it fits CI's
# time, so it is part of `make test`.
@pytest.mark.slow
@pytest.mark.parametrize("backend", BACKENDS)
def test_acknowledged_screenings_survive_repeated_sigkill(
    backend: str, tmp_path: Path, package: Path, printouts: list[bytes]
) -> None:
    with database(backend, tmp_path) as url:
        dep = deployment(tmp_path, url, package, sandbox_workers=2, queue_size=CLIENTS)
        migrate(dep)
        key = api_key(dep, "loader")
        server = Server(dep, tmp_path / "server.log")
        try:
            outcomes = crash_under_load(dep, server, key, printouts, seed=len(backend))
        finally:
            server.close()
        found = stored(url)
        verified = audit_verify(dep)

    statuses = Counter(o.status for o in outcomes)
    acknowledged = [o.screening_id for o in outcomes if o.screening_id]
    lost = [sid for sid in acknowledged if sid not in found.images]
    print(
        f"\n{backend}: {len(outcomes)} sent, statuses {dict(statuses)}, "
        f"{len(acknowledged)} acknowledged, {len(found.images)} stored, lost={len(lost)}, "
        f"orphan image folders {len(orphan_folders(dep, found))}, starts {server.starts}"
    )
    assert not lost, f"acknowledged but not stored: {lost}"
    assert len(set(acknowledged)) == len(acknowledged)
    # Only crash-time failures: no answer, or the 503 of a request cut short by shutdown.
    assert set(statuses) <= {201, 503, None}, statuses
    assert all(o.code == "overloaded" for o in outcomes if o.status == 503)
    check_rows(dep, found)
    # Rows committed whose 201 never reached the client, and folders written whose row never
    # committed, can only come from requests in flight at a kill.
    assert len(found.images) - len(acknowledged) <= KILLS * CLIENTS
    assert len(orphan_folders(dep, found)) <= KILLS * CLIENTS
    assert verified.returncode == 0, verified.stdout + verified.stderr
    log = server.log_text()
    assert "database is locked" not in log
    assert "Traceback" not in log, log[-4000:]
