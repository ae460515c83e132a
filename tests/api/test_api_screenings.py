"""Screenings end to end on SQLite and PostgreSQL: upload, read, list, export, images, delete,
who may do what, hostile uploads, and the audit rows each action leaves."""

from __future__ import annotations

import csv
import io
import logging
import uuid

import pytest
from api_client import Running, bearer
from hostile import ecg_like_rgb, image_bytes, other_format, zip_of_pdf
from sqlalchemy import func, select

from mtecg.api.csv_export import BOM
from mtecg.db.models import AuditEvent, Screening


def audit_rows(running: Running, action: str | None = None) -> list[AuditEvent]:
    with running.service.sessions() as db:
        query = select(AuditEvent).order_by(AuditEvent.id)
        if action is not None:
            query = query.where(AuditEvent.action == action)
        return list(db.scalars(query))


def screening_count(running: Running) -> int:
    with running.service.sessions() as db:
        return db.scalar(select(func.count()).select_from(Screening)) or 0


@pytest.fixture(scope="module")
def keys(running: Running) -> dict[str, str]:
    return {
        "alice": running.user("alice"),
        "bob": running.user("bob"),  # same organisation as alice
        "carol": running.user("carol", organisation="hospital-b"),
        "root": running.user("root", role="sysadmin", organisation="hospital-c"),
    }


@pytest.fixture(scope="module")
def created(running: Running, keys: dict[str, str], ecg_pdf: bytes) -> dict[str, object]:
    response = running.upload(keys["alice"], ecg_pdf, patient_ref="HN-0042")
    assert response.status_code == 201, response.text
    body: dict[str, object] = response.json()
    assert response.headers["Location"] == f"/api/v1/screenings/{body['id']}"
    return body


def test_upload_answers_with_the_stored_screening(
    running: Running, created: dict[str, object], ecg_pdf: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    import hashlib

    body = created
    assert body["upload_sha256"] == hashlib.sha256(ecg_pdf).hexdigest()
    assert isinstance(body["patient_ref_hash"], str) and len(body["patient_ref_hash"]) == 12
    assert body["patient_ref"] == "HN-0042"  # the uploader's own organisation
    tasks = body["tasks"]
    assert isinstance(tasks, dict) and set(tasks) == {"scar", "lvef"}
    for task in tasks.values():
        assert 0 <= task["probability"] <= 1
        assert task["risk_band"] in ("low", "moderate", "high")
        assert task["prediction"] == (task["probability"] >= task["threshold"])
    assert body["layout"]["kind"] == "pdf"  # type: ignore[index]
    assert str(body["created_at"]).endswith("Z")
    timings = body["timings_ms"]
    assert isinstance(timings, dict) and timings["total"] >= timings["predict"] > 0
    # Stored: row, three images on disk, one create audit row naming it.
    with running.service.sessions() as db:
        row = db.get(Screening, uuid.UUID(str(body["id"])))
        assert row is not None and row.patient_ref_hmac is not None
        assert "HN-0042" not in str(row.__dict__)
        for path in row.images.values():
            assert (running.data_dir / path).is_file()
    creates = [r for r in audit_rows(running, "screening.create") if r.object_id == body["id"]]
    assert [(r.actor, r.outcome) for r in creates] == [("alice", "success")]


def test_reads_are_org_scoped_audited_and_not_cached(
    running: Running, keys: dict[str, str], created: dict[str, object]
) -> None:
    sid = created["id"]
    url = f"/api/v1/screenings/{sid}"
    own = running.client.get(url, headers=bearer(keys["bob"]))
    assert own.status_code == 200 and own.json()["id"] == sid
    assert own.headers["Cache-Control"] == "no-store"
    assert own.headers["X-Request-ID"]
    other = running.client.get(url, headers=bearer(keys["carol"]))
    assert other.status_code == 403 and other.json()["code"] == "forbidden"
    assert other.headers["content-type"].startswith("application/problem+json")
    assert running.client.get(url, headers=bearer(keys["root"])).status_code == 200
    assert running.client.get(url).status_code == 401
    missing = running.client.get(f"/api/v1/screenings/{uuid.uuid4()}", headers=bearer(keys["bob"]))
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"
    for name in ("canonical", "scar", "lvef"):
        image = running.client.get(f"{url}/images/{name}.png", headers=bearer(keys["bob"]))
        assert image.status_code == 200 and image.content.startswith(b"\x89PNG")
        assert image.headers["Cache-Control"] == "no-store"
    assert (
        running.client.get(f"{url}/images/scar.png", headers=bearer(keys["carol"])).status_code
        == 403
    )
    views = [r for r in audit_rows(running) if r.object_id == sid]
    outcomes = {(r.action, r.actor, r.outcome) for r in views}
    assert ("screening.view", "bob", "success") in outcomes
    assert ("screening.view", "root", "success") in outcomes
    assert ("screening.view_image", "bob", "success") in outcomes
    assert any(r.actor == "carol" and r.outcome == "denied:forbidden" for r in views)
    assert any(
        r.actor is None and r.outcome == "denied:not_authenticated" for r in audit_rows(running)
    )


def test_list_and_export_filter_and_scope(
    running: Running, keys: dict[str, str], created: dict[str, object], ecg_pdf: bytes
) -> None:
    other = running.upload(keys["carol"], ecg_pdf, patient_ref="HN-9")
    assert other.status_code == 201
    mine = running.client.get("/api/v1/screenings", headers=bearer(keys["bob"])).json()
    assert {item["organisation"] for item in mine["items"]} == {"hospital-a"}
    assert mine["page"] == 1 and mine["page_size"] == 25 and mine["total"] >= 1
    everything = running.client.get("/api/v1/screenings", headers=bearer(keys["root"])).json()
    assert everything["total"] == mine["total"] + 1
    by_ref = running.client.get(
        "/api/v1/screenings", params={"patient_ref": "HN-0042"}, headers=bearer(keys["root"])
    ).json()
    assert [item["id"] for item in by_ref["items"]] == [created["id"]]
    band = created["tasks"]["scar"]["risk_band"]  # type: ignore[index]
    banded = running.client.get(
        "/api/v1/screenings", params={"risk_band": band}, headers=bearer(keys["bob"])
    ).json()
    assert created["id"] in [item["id"] for item in banded["items"]]
    future = running.client.get(
        "/api/v1/screenings", params={"date_from": "2999-01-01"}, headers=bearer(keys["bob"])
    ).json()
    assert future["total"] == 0
    today = str(created["created_at"])[:10]
    dated = running.client.get(
        "/api/v1/screenings",
        params={"date_from": today, "date_to": today},
        headers=bearer(keys["bob"]),
    ).json()
    assert dated["total"] == mine["total"]
    too_big = running.client.get(
        "/api/v1/screenings", params={"page_size": 101}, headers=bearer(keys["bob"])
    )
    assert too_big.status_code == 422 and too_big.json()["field"] == "page_size"
    export = running.client.get("/api/v1/screenings/export.csv", headers=bearer(keys["bob"]))
    assert export.status_code == 200 and export.headers["content-type"].startswith("text/csv")
    assert export.content.startswith(BOM.encode())
    rows = list(csv.DictReader(io.StringIO(export.text.removeprefix(BOM))))
    assert {row["ผู้ตรวจ"] for row in rows} == {"alice"}
    assert created["id"] in {row["เลขที่การคัดกรอง"] for row in rows}
    # Times in the hospital's zone (Asia/Bangkok by default) with their offset.
    assert all(row["วันเวลา"].endswith("+07:00") for row in rows)
    actions = {(r.action, r.actor) for r in audit_rows(running)}
    assert ("screening.list", "bob") in actions and ("screening.export", "bob") in actions


def test_only_admins_delete_and_the_images_go_with_the_row(
    running: Running, keys: dict[str, str], ecg_pdf: bytes
) -> None:
    sid = running.upload(keys["alice"], ecg_pdf).json()["id"]
    with running.service.sessions() as db:
        row = db.get(Screening, uuid.UUID(sid))
        assert row is not None
        folder = (running.data_dir / row.images["canonical"]).parent
    refused = running.client.delete(f"/api/v1/screenings/{sid}", headers=bearer(keys["alice"]))
    assert refused.status_code == 403
    deleted = running.client.delete(f"/api/v1/screenings/{sid}", headers=bearer(keys["root"]))
    assert deleted.status_code == 204
    assert (
        running.client.get(f"/api/v1/screenings/{sid}", headers=bearer(keys["root"])).status_code
        == 404
    )
    assert not folder.exists()
    assert [
        (r.actor, r.outcome) for r in audit_rows(running, "screening.delete") if r.object_id == sid
    ] == [("root", "success")]


def test_foreign_origin_is_refused_own_origin_accepted(
    running: Running, keys: dict[str, str]
) -> None:
    body = {"username": "alice", "password": "wrong password here"}
    foreign = running.client.post(
        "/api/v1/auth/login", json=body, headers={"Origin": "https://evil.example"}
    )
    assert foreign.status_code == 403 and foreign.json()["code"] == "foreign_origin"
    delete = running.client.delete(
        f"/api/v1/screenings/{uuid.uuid4()}",
        headers={**bearer(keys["root"]), "Origin": "https://evil.example"},
    )
    assert delete.status_code == 403 and delete.json()["code"] == "foreign_origin"
    proxied = running.client.post(
        "/api/v1/auth/login",
        json=body,
        headers={
            "Origin": "https://ecg.hospital.example",
            "X-Forwarded-Proto": "https",
            "X-Forwarded-Host": "ecg.hospital.example",
        },
    )
    direct = running.client.post(
        "/api/v1/auth/login", json=body, headers={"Origin": "http://testserver"}
    )
    assert proxied.status_code == direct.status_code == 401  # past the Origin check
    assert any(r.outcome == "denied:foreign_origin" for r in audit_rows(running))


def test_hostile_uploads_are_refused_without_rows(
    running: Running, keys: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    before = screening_count(running)
    renamed = running.client.post(
        "/api/v1/screenings",
        files={"file": ("ecg.pdf", zip_of_pdf(), "application/pdf")},
        data={"patient_ref": "SECRET-REF-1"},
        headers=bearer(keys["alice"]),
    )
    assert renamed.status_code == 415 and renamed.json()["code"] == "unsupported_type"
    gif = running.upload(keys["alice"], other_format("GIF"))
    assert gif.status_code == 415
    photo = running.upload(keys["alice"], image_bytes(ecg_like_rgb(800, 600) * 0 + 255))
    assert photo.status_code == 422 and photo.json()["code"] in {"not_ecg", "too_low_resolution"}
    empty = running.upload(keys["alice"], b"")
    assert empty.status_code == 422
    two_files = running.client.post(
        "/api/v1/screenings",
        files=[
            ("file", ("a.pdf", b"%PDF-1.4", "application/pdf")),
            ("file", ("b.pdf", b"%PDF-1.4", "application/pdf")),
        ],
        headers=bearer(keys["alice"]),
    )
    assert two_files.status_code in (400, 413)
    unknown = running.upload(keys["alice"], b"%PDF-1.4", shoe_size="44")
    assert unknown.status_code == 422 and unknown.json()["field"] == "shoe_size"
    long_ref = running.upload(keys["alice"], b"%PDF-1.4", patient_ref="x" * 65)
    assert long_ref.status_code == 422 and long_ref.json()["field"] == "patient_ref"
    no_file = running.client.post(
        "/api/v1/screenings", data={"patient_ref": "a"}, headers=bearer(keys["alice"])
    )
    assert no_file.status_code in (400, 422)
    assert screening_count(running) == before
    rejected = [r.outcome for r in audit_rows(running, "screening.create")]
    assert "rejected:unsupported_type" in rejected
    assert "SECRET-REF-1" not in caplog.text and "ecg.pdf" not in caplog.text


def test_body_cap_with_and_without_content_length(running: Running, keys: dict[str, str]) -> None:
    cap = running.service.settings.max_upload_bytes
    big = b"%PDF-1.4\n" + b"0" * (cap + 100_000)
    declared = running.upload(keys["alice"], big)
    assert declared.status_code == 413 and declared.json()["code"] == "file_too_large"

    def chunks():  # type: ignore[no-untyped-def]
        boundary = b"--xyz\r\n"
        yield boundary + b'Content-Disposition: form-data; name="file"; filename="a"\r\n\r\n'
        for start in range(0, len(big), 1 << 20):
            yield big[start : start + (1 << 20)]
        yield b"\r\n--xyz--\r\n"

    chunked = running.client.post(
        "/api/v1/screenings",
        content=chunks(),
        headers={**bearer(keys["alice"]), "Content-Type": "multipart/form-data; boundary=xyz"},
    )
    assert chunked.status_code == 413 and chunked.json()["code"] == "file_too_large"
    assert "content-length" not in {k.lower() for k in chunked.request.headers}


def test_a_rejection_names_its_reason(running: Running, keys: dict[str, str]) -> None:
    import numpy as np
    from PIL import Image

    buffer = io.BytesIO()
    noise = np.random.default_rng(9).integers(0, 256, (600, 800, 3), dtype=np.uint8)
    Image.fromarray(noise).save(buffer, format="PNG")
    refused = running.upload(keys["alice"], buffer.getvalue())
    assert refused.status_code == 422
    problem = refused.json()
    assert (problem["code"], problem["reason"]) == ("not_ecg", "not_a_printout")
