"""Hostile corpus over HTTP: at least 200 malicious or broken files against the real server.

Each file (see hostile_uploads.py) is POSTed with a hostile client filename from 4 client
threads. Every one must be refused with its own 4xx problem+json code, each within a generous
"does not hang" bound; not one screening row or image may be written, no file may appear where
a client-chosen name points, and the server must stay live and ready and still screen a real
printout afterwards.
"""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from hostile_uploads import FILENAMES, hostile_uploads
from support.reliability_harness import (
    Deployment,
    Outcome,
    Server,
    api_key,
    audit_verify,
    deployment,
    migrate,
    screening_folders,
    stored,
    upload,
)

from mtecg.errors import RejectCode

FILES = 220
CLIENTS = 4
#: "Does not hang": the sandbox's own job timeout is a few seconds; this is the outer bound.
ANSWER_BOUND_S = 60
KNOWN_CODES = {code.value for code in RejectCode}


def empty_filename_is_not_a_file(dep: Deployment, key: str, printout: bytes) -> None:
    """A part with filename="" (what a browser sends for an empty file input) is a form field,
    not a file: refused as a missing file (422 naming `file`), or 400 when it is bigger than a
    field may be; never parsed, never a 500."""
    with httpx.Client() as client:
        small = upload(client, dep, key, b"%PDF-1.7\n", "")
        large = upload(client, dep, key, printout, "")
    assert (small.status, small.code) == (422, "validation_error"), small
    assert (large.status, large.code) in {(422, "validation_error"), (400, "bad_request")}, large


def test_hostile_corpus_is_refused_and_writes_nothing(
    tmp_path: Path, package: Path, printouts: list[bytes]
) -> None:
    files = list(hostile_uploads(FILES, seed=11))
    assert len(files) >= 200
    dep = deployment(tmp_path, f"sqlite:///{tmp_path / 'mtecg.db'}", package, sandbox_workers=2)
    migrate(dep)
    key = api_key(dep, "mallory")
    server = Server(dep, tmp_path / "server.log")

    def send(index: int) -> Outcome:
        _name, data, _expect = files[index]
        with httpx.Client() as client:
            return upload(
                client, dep, key, data, FILENAMES[index % len(FILENAMES)], ANSWER_BOUND_S * 2
            )

    try:
        server.start()
        with ThreadPoolExecutor(CLIENTS) as pool:
            outcomes = list(pool.map(send, range(len(files))))
        rss_process, rss_group = server.memory()
        empty_filename_is_not_a_file(dep, key, printouts[0])
        assert httpx.get(f"{dep.base}/livez").json() == {"status": "live"}
        assert httpx.get(f"{dep.base}/readyz").status_code == 200
        rows_after_corpus = stored(dep.url)
        folders_after_corpus = list(screening_folders(dep.data_dir))
        with httpx.Client() as client:
            assert upload(client, dep, key, printouts[0]).status == 201
    finally:
        server.close()

    print(
        f"\n{len(files)} hostile files: {dict(Counter(o.code for o in outcomes))}; slowest "
        f"{max(o.seconds for o in outcomes):.2f} s; server RSS afterwards "
        f"{rss_process / 2**20:.0f} MB (with sandbox workers {rss_group / 2**20:.0f} MB)"
    )
    wrong = [
        (name, expect.value, outcome)
        for (name, _data, expect), outcome in zip(files, outcomes, strict=True)
        if outcome.status != expect.http_status or outcome.code != expect.value
    ]
    assert not wrong, wrong[:10]
    for outcome in outcomes:
        assert outcome.code in KNOWN_CODES
        assert outcome.content_type.startswith("application/problem+json")
        assert outcome.seconds < ANSWER_BOUND_S
    assert rows_after_corpus.images == {} and folders_after_corpus == []
    assert not Path("/tmp/mtecg-escape.pdf").exists()
    assert audit_verify(dep).returncode == 0
    assert "Traceback" not in server.log_text()
