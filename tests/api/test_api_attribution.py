"""Lead attribution over HTTP on SQLite and PostgreSQL: computed after the answer, stored beside
the images, pending until then, recomputed on request when lost, scoped and audited."""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update
from support.api_client import Running, bearer

from mtecg.api import attributions
from mtecg.db.models import AuditEvent, Screening
from mtecg.model.attribution import LEAD_ORDER, SIMILAR_MAPS_CORRELATION


@pytest.fixture(scope="module")
def keys(running: Running) -> dict[str, str]:
    return {
        "dana": running.user("dana", organisation="ward-a"),
        "eve": running.user("eve", organisation="ward-b"),
        "boss": running.user("boss", role="sysadmin", organisation="ward-c"),
    }


def screen(running: Running, key: str, pdf: bytes) -> dict[str, Any]:
    response = running.upload(key, pdf)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def attribution_url(screening_id: object) -> str:
    return f"/api/v1/screenings/{screening_id}/attribution"


def wait_ready(running: Running, key: str, screening_id: object) -> dict[str, Any]:
    """Polls as a client would (honouring Retry-After) until the attribution is ready."""
    deadline = time.monotonic() + 120
    while True:
        response = running.client.get(attribution_url(screening_id), headers=bearer(key))
        if response.status_code == 200:
            body: dict[str, Any] = response.json()
            return body
        assert response.status_code == 202, response.text
        assert response.json()["status"] == "pending"
        assert int(response.headers["Retry-After"]) >= 1
        assert time.monotonic() < deadline, "attribution never became ready"
        time.sleep(0.2)


def canonical_path(running: Running, screening_id: str) -> Path:
    with running.service.sessions() as db:
        row = db.get_one(Screening, uuid.UUID(screening_id))
        return running.data_dir / row.images["canonical"]


def test_attribution_arrives_after_the_answer_and_matches_it(
    running: Running, keys: dict[str, str], ecg_pdf: bytes
) -> None:
    created = screen(running, keys["dana"], ecg_pdf)
    body = wait_ready(running, keys["dana"], created["id"])
    assert body["status"] == "ready"
    assert body["model"]["id"] == created["model"]["id"]
    assert body["model"]["weights_sha256"] == created["model"]["weights_sha256"]
    for task in ("scar", "lvef"):
        attribution = body["tasks"][task]
        # The reference of the occlusion batch is the screening's own answer.
        assert attribution["probability"] == pytest.approx(
            created["tasks"][task]["probability"], abs=1e-4
        )
        assert [lead["lead"] for lead in attribution["leads"]] == list(LEAD_ORDER)
        assert all(-1.0 <= lead["change"] <= 1.0 for lead in attribution["leads"])
    maps = body["maps"]
    assert -1.0 <= maps["correlation"] <= 1.0
    assert maps["similar_from"] == SIMILAR_MAPS_CORRELATION
    assert maps["similar"] == (maps["correlation"] >= SIMILAR_MAPS_CORRELATION)
    assert (canonical_path(running, created["id"]).parent / attributions.FILE_NAME).is_file()
    # The screening's own body is unchanged by the attribution.
    again = running.client.get(f"/api/v1/screenings/{created['id']}", headers=bearer(keys["dana"]))
    assert again.json()["tasks"] == created["tasks"]
    with running.service.sessions() as db:
        audited = db.query(AuditEvent).filter_by(
            action="screening.view_attribution", object_id=created["id"]
        )
        assert audited.count() >= 1


def test_a_lost_attribution_is_pending_then_recomputed_the_same(
    running: Running, keys: dict[str, str], ecg_pdf: bytes
) -> None:
    created = screen(running, keys["dana"], ecg_pdf)
    first = wait_ready(running, keys["dana"], created["id"])
    stored = canonical_path(running, created["id"]).parent / attributions.FILE_NAME
    stored.unlink()  # as if the process had stopped before the background job ran
    response = running.client.get(attribution_url(created["id"]), headers=bearer(keys["dana"]))
    assert response.status_code == 202
    assert response.json()["status"] == "pending"
    second = wait_ready(running, keys["dana"], created["id"])
    assert second["tasks"] == first["tasks"]
    # Recomputed maps (not the answer's) give the same similarity.
    assert second["maps"]["correlation"] == pytest.approx(first["maps"]["correlation"], abs=1e-3)


def test_attribution_is_scoped_and_refused_for_another_model(
    running: Running, keys: dict[str, str], ecg_pdf: bytes
) -> None:
    created = screen(running, keys["dana"], ecg_pdf)
    wait_ready(running, keys["dana"], created["id"])
    foreign = running.client.get(attribution_url(created["id"]), headers=bearer(keys["eve"]))
    assert foreign.status_code == 403
    assert running.client.get(
        attribution_url(created["id"]), headers=bearer(keys["boss"])
    ).is_success
    missing = running.client.get(attribution_url(uuid.uuid4()), headers=bearer(keys["dana"]))
    assert missing.status_code == 404
    # A screening made by a model that is not the one served now is not attributed by it.
    (canonical_path(running, created["id"]).parent / attributions.FILE_NAME).unlink()
    with running.service.sessions.begin() as db:
        db.execute(
            update(Screening)
            .where(Screening.id == uuid.UUID(created["id"]))
            .values(model_version="an-older-version")
        )
    response = running.client.get(attribution_url(created["id"]), headers=bearer(keys["dana"]))
    assert response.status_code == 200
    assert response.json()["status"] == "unavailable"
    assert "model" in response.json()["reason"]


def test_deleting_a_screening_leaves_no_attribution_behind(
    running: Running, keys: dict[str, str], ecg_pdf: bytes
) -> None:
    created = screen(running, keys["dana"], ecg_pdf)
    folder = canonical_path(running, created["id"]).parent
    # Deleted at once, probably before its background job: the job must not recreate the folder.
    response = running.client.delete(
        f"/api/v1/screenings/{created['id']}", headers=bearer(keys["boss"])
    )
    assert response.status_code == 204
    deadline = time.monotonic() + 60
    while running.service.model is not None and running.service.model.attributions.is_queued(
        uuid.UUID(created["id"])
    ):
        assert time.monotonic() < deadline
        time.sleep(0.1)
    assert not folder.exists()


def test_the_pdf_report_carries_the_lead_attribution_once_ready(
    running: Running, keys: dict[str, str], ecg_pdf: bytes
) -> None:
    import pymupdf

    created = screen(running, keys["dana"], ecg_pdf)
    body = wait_ready(running, keys["dana"], created["id"])
    response = running.client.get(
        f"/api/v1/screenings/{created['id']}/report.pdf", headers=bearer(keys["dana"])
    )
    assert response.status_code == 200
    doc = pymupdf.open(stream=response.content, filetype="pdf")
    assert doc.page_count == 1
    text = doc[0].get_text()
    for task in ("scar", "lvef"):
        for lead in body["tasks"][task]["leads"]:
            assert f"{lead['change'] * 100:+.1f}" in text, (task, lead)
    assert all(lead in text for lead in LEAD_ORDER)
