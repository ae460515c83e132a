"""The hostile catalogue (hostile.CASES): every file gets its expected answer, in and out of
the sandbox, and refusals of bombs cost neither time nor memory."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable, Iterator

import pytest
import sandbox_jobs as jobs
from support import hostile

from mtecg.errors import RejectCode, Rejection
from mtecg.ingest import SandboxLimits, open_document
from mtecg.ingest.sandbox import Sandbox


@pytest.mark.parametrize("case", hostile.CASES, ids=[c.name for c in hostile.CASES])
def test_catalogue_in_process(case: hostile.Case) -> None:
    data = case.make(0)
    if case.expect is None:
        source = open_document(data)
        assert source.render(0.1).ndim == 3
        return
    start = time.perf_counter()
    with pytest.raises(Rejection) as caught:
        open_document(data)
    assert caught.value.code is case.expect
    assert time.perf_counter() - start < 1.0
    assert caught.value.message and len(caught.value.message) < 200


def test_seeded_corpus_in_the_sandbox() -> None:
    # 2 x the catalogue with other seeds (other noise, other truncation points), all through
    # one worker: every answer crosses the process boundary intact, and no file kills it.
    cases = list(hostile.corpus(2 * len(hostile.CASES), seed=1))
    with Sandbox(SandboxLimits(timeout_s=10.0)) as box:
        worker = box.call(jobs.pid)
        for name, data, expect in cases:
            if expect is None:
                _kind, _, width, height, shape = box.call(jobs.open_and_summarise, data)
                assert shape == (round(height * 0.1), round(width * 0.1), 3), name
                continue
            with pytest.raises(Rejection) as caught:
                box.call(jobs.open_and_summarise, data)
            assert caught.value.code is expect, name
        assert box.call(jobs.pid) == worker


@pytest.fixture(scope="module")
def headroom_box() -> Iterator[Sandbox]:
    with Sandbox(SandboxLimits(timeout_s=10.0)) as box:
        yield box


@pytest.mark.parametrize(
    "make",
    [
        hostile.png_header_bomb,
        hostile.jpeg_header_bomb,
        hostile.png_bomb,
        lambda: hostile.ecg_pdf(size_mm=(5000, 5000)),
        hostile.huge_image_pdf,
        lambda: hostile.flate_bomb_pdf(256 * 2**20),
    ],
    ids=["png-header", "jpeg-header", "png-bomb", "pdf-giant-page", "pdf-huge-image", "flate"],
)
def test_bombs_are_refused_within_64_mb(headroom_box: Sandbox, make: Callable[[], bytes]) -> None:
    with pytest.raises(Rejection) as caught:
        headroom_box.call(jobs.open_with_headroom, make(), 64 * 2**20)
    assert caught.value.code in (
        RejectCode.IMAGE_TOO_LARGE,
        RejectCode.PAGE_TOO_LARGE,
        RejectCode.PDF_TOO_COMPLEX,
    )


def test_the_64_mb_headroom_is_real(headroom_box: Sandbox) -> None:
    # A legal 30 MP image needs ~120 MB to decode: under the same headroom it must fail,
    # or the test above would prove nothing.
    with pytest.raises(Rejection) as caught:
        headroom_box.call(jobs.open_with_headroom, hostile.png_bomb(6000, 5000), 64 * 2**20)
    assert caught.value.code is RejectCode.PROCESSING_FAILED
    kind, width, _ = headroom_box.call(
        jobs.open_with_headroom, hostile.png_bomb(6000, 5000), 512 * 2**20
    )
    assert (kind, width) == ("png", 6000)


@pytest.mark.parametrize("first", ["mtecg.ingest", "mtecg.layout", "mtecg.ingest.sandbox"])
def test_ingest_and_layout_import_in_either_order(first: str) -> None:
    # mtecg.layout imports PageSource from here while ingest imports layout.geometry.
    done = subprocess.run(
        [sys.executable, "-c", f"import {first}, mtecg.ingest, mtecg.layout"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
