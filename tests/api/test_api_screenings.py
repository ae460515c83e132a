"""Screenings end to end on SQLite and PostgreSQL, one behaviour per test: upload, read, list,
export, images, delete, who may do what, hostile uploads, and the audit rows each action leaves.

Module fixtures perform an action once (an upload, a delete); the tests that follow each check
one consequence of it.
"""

from __future__ import annotations

import csv
import hashlib
import io
import logging
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from support.api_client import Running, bearer
from support.hostile import ecg_like_rgb, image_bytes, other_format, zip_of_pdf

from mtecg.api.csv_export import BOM
from mtecg.db.models import AuditEvent, Screening

SCREENINGS = "/api/v1/screenings"
EVIL = "https://evil.example"


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
def upload_response(running: Running, keys: dict[str, str], ecg_pdf: bytes) -> Any:
    return running.upload(keys["alice"], ecg_pdf, patient_ref="HN-0042")


@pytest.fixture(scope="module")
def created(upload_response: Any) -> dict[str, Any]:
    assert upload_response.status_code == 201, upload_response.text
    body: dict[str, Any] = upload_response.json()
    return body


@pytest.fixture(scope="module")
def url(created: dict[str, Any]) -> str:
    return f"{SCREENINGS}/{created['id']}"


@pytest.fixture(scope="module")
def get(running: Running, keys: dict[str, str]) -> Callable[..., Any]:
    """GET as one of the users (`as_=None`: anonymous)."""

    def call(path: str, as_: str | None, **params: Any) -> Any:
        headers = bearer(keys[as_]) if as_ else {}
        return running.client.get(path, params=params or None, headers=headers)

    return call


# -- upload ------------------------------------------------------------------------------------


def test_upload_is_created_at_its_location(upload_response: Any, created: dict[str, Any]) -> None:
    assert upload_response.headers["Location"] == f"{SCREENINGS}/{created['id']}"


def test_upload_answers_the_files_sha256(created: dict[str, Any], ecg_pdf: bytes) -> None:
    assert created["upload_sha256"] == hashlib.sha256(ecg_pdf).hexdigest()


def test_upload_answers_a_short_hash_of_the_hn(created: dict[str, Any]) -> None:
    assert isinstance(created["patient_ref_hash"], str) and len(created["patient_ref_hash"]) == 12


def test_upload_answers_the_hn_to_its_own_organisation(created: dict[str, Any]) -> None:
    assert created["patient_ref"] == "HN-0042"


def test_upload_answers_both_tasks(created: dict[str, Any]) -> None:
    assert set(created["tasks"]) == {"scar", "lvef"}


@pytest.mark.parametrize("task", ["scar", "lvef"])
def test_each_task_has_a_probability_and_a_band(created: dict[str, Any], task: str) -> None:
    answer = created["tasks"][task]
    assert 0 <= answer["probability"] <= 1
    assert answer["risk_band"] in ("low", "moderate", "high")


@pytest.mark.parametrize("task", ["scar", "lvef"])
def test_each_prediction_is_the_probability_at_the_threshold(
    created: dict[str, Any], task: str
) -> None:
    answer = created["tasks"][task]
    assert answer["prediction"] == (answer["probability"] >= answer["threshold"])


def test_upload_answers_the_layout_kind(created: dict[str, Any]) -> None:
    assert created["layout"]["kind"] == "pdf"


def test_upload_answers_its_time_in_utc(created: dict[str, Any]) -> None:
    assert str(created["created_at"]).endswith("Z")


def test_upload_answers_its_timings(created: dict[str, Any]) -> None:
    timings = created["timings_ms"]
    assert timings["total"] >= timings["predict"] > 0


def test_upload_stores_a_row_without_the_patient_ref(
    running: Running, created: dict[str, Any]
) -> None:
    with running.service.sessions() as db:
        row = db.get(Screening, uuid.UUID(created["id"]))
        assert row is not None and row.patient_ref_hmac is not None
        assert "HN-0042" not in str(row.__dict__)


def test_upload_stores_its_three_images(running: Running, created: dict[str, Any]) -> None:
    with running.service.sessions() as db:
        row = db.get(Screening, uuid.UUID(created["id"]))
        assert row is not None and set(row.images) == {"canonical", "scar", "lvef"}
        for path in row.images.values():
            assert (running.data_dir / path).is_file()


def test_upload_leaves_one_create_audit_row(running: Running, created: dict[str, Any]) -> None:
    creates = [r for r in audit_rows(running, "screening.create") if r.object_id == created["id"]]
    assert [(r.actor, r.outcome) for r in creates] == [("alice", "success")]


# -- reading one -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def read_by_colleague(get: Callable[..., Any], url: str) -> Any:
    """The screening read by bob, of the uploader's organisation."""
    return get(url, "bob")


@pytest.fixture(scope="module")
def read_by_other_organisation(get: Callable[..., Any], url: str) -> Any:
    return get(url, "carol")


def test_same_organisation_reads_it(read_by_colleague: Any, created: dict[str, Any]) -> None:
    assert read_by_colleague.status_code == 200
    assert read_by_colleague.json()["id"] == created["id"]


def test_a_read_is_not_cached(read_by_colleague: Any) -> None:
    assert read_by_colleague.headers["Cache-Control"] == "no-store"


def test_a_read_answers_its_request_id(read_by_colleague: Any) -> None:
    assert read_by_colleague.headers["X-Request-ID"]


def test_other_organisation_is_forbidden(read_by_other_organisation: Any) -> None:
    assert read_by_other_organisation.status_code == 403
    assert read_by_other_organisation.json()["code"] == "forbidden"


def test_a_refusal_is_problem_json(read_by_other_organisation: Any) -> None:
    content_type = read_by_other_organisation.headers["content-type"]
    assert content_type.startswith("application/problem+json")


def test_admin_reads_any_organisation(get: Callable[..., Any], url: str) -> None:
    assert get(url, "root").status_code == 200


def test_anonymous_read_is_refused(get: Callable[..., Any], url: str) -> None:
    assert get(url, None).status_code == 401


def test_unknown_id_is_not_found(get: Callable[..., Any]) -> None:
    missing = get(f"{SCREENINGS}/{uuid.uuid4()}", "bob")
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"


@pytest.mark.parametrize("name", ["canonical", "scar", "lvef"])
def test_images_are_served_as_png(get: Callable[..., Any], url: str, name: str) -> None:
    image = get(f"{url}/images/{name}.png", "bob")
    assert image.status_code == 200 and image.content.startswith(b"\x89PNG")


def test_images_are_not_cached(get: Callable[..., Any], url: str) -> None:
    assert get(f"{url}/images/scar.png", "bob").headers["Cache-Control"] == "no-store"


def test_images_of_another_organisation_are_forbidden(get: Callable[..., Any], url: str) -> None:
    assert get(f"{url}/images/scar.png", "carol").status_code == 403


@pytest.mark.parametrize(
    ("user", "suffix", "action", "outcome"),
    [
        ("bob", "", "screening.view", "success"),
        ("root", "", "screening.view", "success"),
        ("bob", "/images/scar.png", "screening.view_image", "success"),
        ("carol", "", None, "denied:forbidden"),  # a refusal is audited under its request
    ],
)
def test_reads_are_audited_with_their_outcome(
    running: Running,
    get: Callable[..., Any],
    url: str,
    created: dict[str, Any],
    user: str,
    suffix: str,
    action: str | None,
    outcome: str,
) -> None:
    get(url + suffix, user)
    rows = [r for r in audit_rows(running, action) if r.object_id == created["id"]]
    assert (user, outcome) in {(r.actor, r.outcome) for r in rows}


def test_anonymous_reads_are_audited(running: Running, get: Callable[..., Any], url: str) -> None:
    get(url, None)
    assert any(
        r.actor is None and r.outcome == "denied:not_authenticated" for r in audit_rows(running)
    )


# -- listing and export ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def elsewhere(running: Running, keys: dict[str, str], ecg_pdf: bytes) -> dict[str, Any]:
    """A screening of another organisation (hospital-b)."""
    response = running.upload(keys["carol"], ecg_pdf, patient_ref="HN-9")
    assert response.status_code == 201
    body: dict[str, Any] = response.json()
    return body


def listing(get: Callable[..., Any], as_: str, **params: Any) -> dict[str, Any]:
    response = get(SCREENINGS, as_, **params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_list_shows_only_the_own_organisation(
    get: Callable[..., Any], created: dict[str, Any], elsewhere: dict[str, Any]
) -> None:
    mine = listing(get, "bob")
    assert {item["organisation"] for item in mine["items"]} == {"hospital-a"}


def test_list_answers_the_first_page_of_25_and_the_total(
    get: Callable[..., Any], created: dict[str, Any]
) -> None:
    mine = listing(get, "bob")
    assert (mine["page"], mine["page_size"]) == (1, 25) and mine["total"] >= 1


def test_admin_lists_every_organisation(
    get: Callable[..., Any], created: dict[str, Any], elsewhere: dict[str, Any]
) -> None:
    everything = listing(get, "root")["total"]
    assert everything == listing(get, "bob")["total"] + listing(get, "carol")["total"]


def test_list_filters_by_patient_ref(
    get: Callable[..., Any], created: dict[str, Any], elsewhere: dict[str, Any]
) -> None:
    by_ref = listing(get, "root", patient_ref="HN-0042")
    assert [item["id"] for item in by_ref["items"]] == [created["id"]]


def test_list_filters_by_risk_band(get: Callable[..., Any], created: dict[str, Any]) -> None:
    banded = listing(get, "bob", risk_band=created["tasks"]["scar"]["risk_band"])
    assert created["id"] in [item["id"] for item in banded["items"]]


def test_list_from_a_future_date_is_empty(get: Callable[..., Any], created: dict[str, Any]) -> None:
    assert listing(get, "bob", date_from="2999-01-01")["total"] == 0


def test_list_of_the_upload_day_has_every_screening(
    get: Callable[..., Any], created: dict[str, Any]
) -> None:
    today = str(created["created_at"])[:10]
    dated = listing(get, "bob", date_from=today, date_to=today)
    assert dated["total"] == listing(get, "bob")["total"]


def test_page_size_above_the_limit_is_refused(get: Callable[..., Any]) -> None:
    too_big = get(SCREENINGS, "bob", page_size=101)
    assert too_big.status_code == 422 and too_big.json()["field"] == "page_size"


@pytest.fixture(scope="module")
def export(get: Callable[..., Any], created: dict[str, Any], elsewhere: dict[str, Any]) -> Any:
    """bob's export, with a screening of his organisation and one of another stored."""
    return get(f"{SCREENINGS}/export.csv", "bob")


@pytest.fixture(scope="module")
def export_rows(export: Any) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(export.text.removeprefix(BOM))))


def test_export_is_a_csv(export: Any) -> None:
    assert export.status_code == 200 and export.headers["content-type"].startswith("text/csv")


def test_export_starts_with_a_byte_order_mark(export: Any) -> None:
    assert export.content.startswith(BOM.encode())


def test_export_has_only_the_own_organisation(export_rows: list[dict[str, str]]) -> None:
    assert {row["ผู้ตรวจ"] for row in export_rows} == {"alice"}


def test_export_has_the_upload(export_rows: list[dict[str, str]], created: dict[str, Any]) -> None:
    assert created["id"] in {row["เลขที่การคัดกรอง"] for row in export_rows}


def test_export_times_are_in_the_hospitals_zone(export_rows: list[dict[str, str]]) -> None:
    # Asia/Bangkok by default, with its offset.
    assert all(row["วันเวลา"].endswith("+07:00") for row in export_rows)


@pytest.mark.parametrize(
    ("path", "action"),
    [(SCREENINGS, "screening.list"), (f"{SCREENINGS}/export.csv", "screening.export")],
)
def test_list_and_export_are_audited(
    running: Running, get: Callable[..., Any], path: str, action: str
) -> None:
    before = len(audit_rows(running, action))
    get(path, "bob")
    after = audit_rows(running, action)
    assert [(r.actor, r.outcome) for r in after[before:]] == [("bob", "success")]


# -- deleting ----------------------------------------------------------------------------------


@dataclass
class Deletion:
    id: str
    folder: Path
    by_clinician: Any
    by_admin: Any


@pytest.fixture(scope="module")
def deletion(running: Running, keys: dict[str, str], ecg_pdf: bytes) -> Deletion:
    """One screening that a clinician tries to delete, then an admin deletes."""
    sid = running.upload(keys["alice"], ecg_pdf).json()["id"]
    with running.service.sessions() as db:
        row = db.get(Screening, uuid.UUID(sid))
        assert row is not None
        folder = (running.data_dir / row.images["canonical"]).parent
    assert folder.is_dir()
    clinician = running.client.delete(f"{SCREENINGS}/{sid}", headers=bearer(keys["alice"]))
    admin = running.client.delete(f"{SCREENINGS}/{sid}", headers=bearer(keys["root"]))
    return Deletion(sid, folder, clinician, admin)


def test_clinicians_may_not_delete(deletion: Deletion) -> None:
    assert deletion.by_clinician.status_code == 403


def test_admin_delete_answers_no_content(deletion: Deletion) -> None:
    assert deletion.by_admin.status_code == 204


def test_a_deleted_screening_is_not_found(deletion: Deletion, get: Callable[..., Any]) -> None:
    assert get(f"{SCREENINGS}/{deletion.id}", "root").status_code == 404


def test_the_images_go_with_the_row(deletion: Deletion) -> None:
    assert not deletion.folder.exists()


def test_delete_is_audited_once(running: Running, deletion: Deletion) -> None:
    deletes = [r for r in audit_rows(running, "screening.delete") if r.object_id == deletion.id]
    assert [(r.actor, r.outcome) for r in deletes] == [("root", "success")]


# -- Origin check ------------------------------------------------------------------------------

WRONG_LOGIN = {"username": "alice", "password": "wrong password here"}


def test_foreign_origin_login_is_refused(running: Running) -> None:
    foreign = running.client.post("/api/v1/auth/login", json=WRONG_LOGIN, headers={"Origin": EVIL})
    assert foreign.status_code == 403 and foreign.json()["code"] == "foreign_origin"


def test_foreign_origin_is_refused_even_with_an_api_key(
    running: Running, keys: dict[str, str]
) -> None:
    delete = running.client.delete(
        f"{SCREENINGS}/{uuid.uuid4()}", headers={**bearer(keys["root"]), "Origin": EVIL}
    )
    assert delete.status_code == 403 and delete.json()["code"] == "foreign_origin"


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "http://testserver"},
        {
            "Origin": "https://ecg.hospital.example",
            "X-Forwarded-Proto": "https",
            "X-Forwarded-Host": "ecg.hospital.example",
        },
    ],
    ids=["direct", "behind-proxy"],
)
def test_own_origin_passes_the_origin_check(running: Running, headers: dict[str, str]) -> None:
    login = running.client.post("/api/v1/auth/login", json=WRONG_LOGIN, headers=headers)
    assert login.status_code == 401  # refused for the password, not the Origin


def test_foreign_origin_is_audited(running: Running) -> None:
    running.client.post("/api/v1/auth/login", json=WRONG_LOGIN, headers={"Origin": EVIL})
    assert any(r.outcome == "denied:foreign_origin" for r in audit_rows(running))


# -- refused uploads ---------------------------------------------------------------------------


def _renamed_zip(running: Running, key: str) -> Any:
    return running.client.post(
        SCREENINGS,
        files={"file": ("ecg.pdf", zip_of_pdf(), "application/pdf")},
        data={"patient_ref": "SECRET-REF-1"},
        headers=bearer(key),
    )


def _two_files(running: Running, key: str) -> Any:
    return running.client.post(
        SCREENINGS,
        files=[
            ("file", ("a.pdf", b"%PDF-1.4", "application/pdf")),
            ("file", ("b.pdf", b"%PDF-1.4", "application/pdf")),
        ],
        headers=bearer(key),
    )


def _no_file(running: Running, key: str) -> Any:
    return running.client.post(SCREENINGS, data={"patient_ref": "a"}, headers=bearer(key))


# name -> (send, accepted statuses, the `code` or `field` the answer names, if stable)
REFUSALS: dict[str, tuple[Callable[[Running, str], Any], set[int], dict[str, Any]]] = {
    "zip-renamed-pdf": (_renamed_zip, {415}, {"code": "unsupported_type"}),
    "gif": (lambda r, k: r.upload(k, other_format("GIF")), {415}, {}),
    "blank-photo": (
        lambda r, k: r.upload(k, image_bytes(ecg_like_rgb(800, 600) * 0 + 255)),
        {422},
        {"code": {"not_ecg", "too_low_resolution"}},
    ),
    "empty": (lambda r, k: r.upload(k, b""), {422}, {}),
    "two-files": (_two_files, {400, 413}, {}),
    "unknown-field": (
        lambda r, k: r.upload(k, b"%PDF-1.4", shoe_size="44"),
        {422},
        {"field": "shoe_size"},
    ),
    "long-patient-ref": (
        lambda r, k: r.upload(k, b"%PDF-1.4", patient_ref="x" * 65),
        {422},
        {"field": "patient_ref"},
    ),
    "no-file": (_no_file, {400, 422}, {}),
}


@pytest.fixture
def no_new_rows(running: Running) -> Iterator[None]:
    before = screening_count(running)
    yield
    assert screening_count(running) == before


@pytest.mark.parametrize("case", REFUSALS)
def test_bad_upload_is_refused_without_a_row(
    running: Running, keys: dict[str, str], no_new_rows: None, case: str
) -> None:
    send, statuses, names = REFUSALS[case]
    response = send(running, keys["alice"])
    assert response.status_code in statuses, response.text
    for key, expected in names.items():
        got = response.json()[key]
        assert got in expected if isinstance(expected, set) else got == expected


def test_refused_upload_is_audited_with_its_code(running: Running, keys: dict[str, str]) -> None:
    _renamed_zip(running, keys["alice"])
    rejected = [r.outcome for r in audit_rows(running, "screening.create")]
    assert "rejected:unsupported_type" in rejected


def test_refused_upload_logs_neither_patient_ref_nor_filename(
    running: Running, keys: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    _renamed_zip(running, keys["alice"])
    assert caplog.text  # the request was logged...
    assert "SECRET-REF-1" not in caplog.text and "ecg.pdf" not in caplog.text  # ...without them


# -- body size cap -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def oversized(running: Running) -> bytes:
    return b"%PDF-1.4\n" + b"0" * (running.service.settings.max_upload_bytes + 100_000)


def test_oversized_body_with_content_length_is_refused(
    running: Running, keys: dict[str, str], oversized: bytes
) -> None:
    declared = running.upload(keys["alice"], oversized)
    assert declared.status_code == 413 and declared.json()["code"] == "file_too_large"


def test_oversized_chunked_body_is_refused(
    running: Running, keys: dict[str, str], oversized: bytes
) -> None:
    def chunks() -> Iterator[bytes]:
        boundary = b"--xyz\r\n"
        yield boundary + b'Content-Disposition: form-data; name="file"; filename="a"\r\n\r\n'
        for start in range(0, len(oversized), 1 << 20):
            yield oversized[start : start + (1 << 20)]
        yield b"\r\n--xyz--\r\n"

    chunked = running.client.post(
        SCREENINGS,
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
