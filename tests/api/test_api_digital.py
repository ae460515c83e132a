"""Digital ECG files over HTTP, signal exports, and a screening as FHIR R4 and as a Thai PDF
report: on SQLite and PostgreSQL, with who may see what and the audit rows each view leaves."""

from __future__ import annotations

import io
import re
import unicodedata
import uuid
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pymupdf
import pytest
from sqlalchemy import select
from support import waveform_files as wf
from support.api_client import Running, bearer
from tests_paths import REPO

from mtecg.api.report_text import TH
from mtecg.db.models import AuditEvent
from mtecg.geometry import LEADS
from mtecg.ingest.wfdb_record import pack_record
from mtecg.synth.dataset import make_record


def _audit(running: Running, action: str) -> list[AuditEvent]:
    with running.service.sessions() as db:
        return list(db.scalars(select(AuditEvent).where(AuditEvent.action == action)))


@pytest.fixture(scope="module")
def keys(running: Running) -> dict[str, str]:
    return {
        "dana": running.user("dana", organisation="ward-1"),
        "eve": running.user("eve", organisation="ward-2"),
    }


@pytest.fixture(scope="module")
def dicom_screening(running: Running, keys: dict[str, str], samples: Path) -> dict[str, Any]:
    data = (samples / "signals" / "mortara_anonymous_ecg.dcm").read_bytes()
    response = running.upload(keys["dana"], data, patient_ref="HN-77")
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def test_a_dicom_waveform_is_screened(dicom_screening: dict[str, Any]) -> None:
    layout = dicom_screening["layout"]
    assert layout["kind"] == "waveform" and layout["input_type"] == "dicom"
    assert set(dicom_screening["tasks"]) == {"scar", "lvef"}


def test_a_wfdb_zip_is_screened_and_a_100_hz_one_refused(
    running: Running, keys: dict[str, str], samples: Path
) -> None:
    ok = running.upload(keys["dana"], pack_record(samples / "signals" / "JS00001.hea", 2**24))
    assert ok.status_code == 201, ok.text
    assert ok.json()["layout"]["input_type"] == "wfdb"
    low = running.upload(keys["dana"], pack_record(samples / "signals" / "00001_lr.hea", 2**24))
    assert low.status_code == 422
    assert low.json()["code"] == "unsupported_sample_rate"


def test_hostile_waveforms_are_refused_with_their_codes(
    running: Running, keys: dict[str, str]
) -> None:
    for make, code in (
        (wf.xml_billion_laughs, "unsafe_xml"),
        (wf.zip_bomb, "unsafe_archive"),
        (wf.muse_truncated_base64, "corrupt_file"),
        (wf.philips_truncated_xli, "corrupt_file"),
    ):
        response = running.upload(keys["dana"], make())
        assert response.status_code == 422 and response.json()["code"] == code, make.__name__


def _export(running: Running, key: str, data: bytes, fmt: str) -> Any:
    return running.client.post(
        f"/api/v1/signals?format={fmt}",
        files={"file": ("x.bin", data, "application/octet-stream")},
        headers=bearer(key),
    )


def test_signals_export_as_csv_and_wfdb(running: Running, keys: dict[str, str]) -> None:
    signals = wf.known_signals()
    data = wf.aecg_xml(signals)
    csv = _export(running, keys["dana"], data, "csv")
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    table = np.loadtxt(io.StringIO(csv.text), delimiter=",", skiprows=1)
    assert csv.text.splitlines()[0] == ",".join(("time_s", *LEADS))
    assert table.shape == (5000, 13) and table[1, 0] == pytest.approx(0.002)
    assert np.max(np.abs(table[:, 1:].T - signals)) < 0.005  # 5 uV steps, 4 decimals
    record = _export(running, keys["dana"], data, "wfdb")
    assert record.status_code == 200 and record.headers["content-type"] == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(record.content)).namelist()
    assert sorted(names) == ["signals.dat", "signals.hea"]
    # The WFDB export is itself an upload the service reads.
    again = _export(running, keys["dana"], record.content, "csv")
    assert again.status_code == 200
    back = np.loadtxt(io.StringIO(again.text), delimiter=",", skiprows=1)
    assert np.max(np.abs(back - table)) < 0.0011
    assert len(_audit(running, "signals.export")) >= 3


def test_a_vector_pdf_has_signals_and_a_picture_none(
    running: Running, keys: dict[str, str], ecg_pdf: bytes
) -> None:
    vector = _export(running, keys["dana"], ecg_pdf, "csv")
    assert vector.status_code == 200
    rows = vector.text.splitlines()
    assert len(rows) == 5001 and rows[1].split(",")[1]  # lead I shown at t = 0
    picture = _export(running, keys["dana"], make_record(3, "siriraj-grid", "png").data, "csv")
    assert picture.status_code == 422 and picture.json()["code"] == "no_signals"


# -- FHIR ------------------------------------------------------------------------------------


def _resources(bundle: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def test_fhir_bundle_validates_and_says_what_the_api_says(
    running: Running, keys: dict[str, str], dicom_screening: dict[str, Any]
) -> None:
    from fhir.resources.R4B.bundle import Bundle

    sid = dicom_screening["id"]
    response = running.client.get(f"/api/v1/screenings/{sid}/fhir", headers=bearer(keys["dana"]))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/fhir+json")
    body = response.json()
    Bundle.model_validate(body)  # raises on any structural error
    (report,) = _resources(body, "DiagnosticReport")
    assert report["conclusion"] == dicom_screening["screening_aid"]
    # The uploader's own organisation sees the HN itself (item 2 of the identity work).
    assert report["subject"]["identifier"]["value"] == "HN-77" == dicom_screening["patient_ref"]
    observations = _resources(body, "Observation")
    assert len(observations) == 2 == len(report["result"])
    for observation in observations:
        name = "scar" if "scar" in observation["code"]["text"].lower() else "lvef"
        task = dicom_screening["tasks"][name]
        assert observation["valueQuantity"]["value"] == pytest.approx(task["probability"])
        code = observation["interpretation"][0]["coding"][0]["code"]
        assert code == ("POS" if task["prediction"] else "NEG")
        assert observation["note"][0]["text"] == dicom_screening["screening_aid"]
    (device,) = _resources(body, "Device")
    values = {i["value"] for i in device["identifier"]}
    assert dicom_screening["model"]["weights_sha256"] in values
    assert device["version"][0]["value"] == dicom_screening["model"]["version"]
    (card,) = _resources(body, "DocumentReference")
    assert card["content"][0]["attachment"]["contentType"] == "text/markdown"
    media = _resources(body, "Media")
    urls = {m["content"]["url"] for m in media}
    assert {"http://testserver" + u for u in dicom_screening["images"].values()} == urls
    assert len(_audit(running, "screening.view_fhir")) == 1


def test_fhir_and_report_of_another_organisation_are_forbidden(
    running: Running, keys: dict[str, str], dicom_screening: dict[str, Any]
) -> None:
    sid = dicom_screening["id"]
    for path in ("fhir", "report.pdf"):
        response = running.client.get(
            f"/api/v1/screenings/{sid}/{path}", headers=bearer(keys["eve"])
        )
        assert response.status_code == 403 and response.json()["code"] == "forbidden"
    missing = running.client.get(
        f"/api/v1/screenings/{uuid.uuid4()}/fhir", headers=bearer(keys["dana"])
    )
    assert missing.status_code == 404


# -- PDF report ------------------------------------------------------------------------------


def _nfkc(text: str) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text))


def test_pdf_report_is_one_a4_page_in_thai_saying_what_the_api_says(
    running: Running, keys: dict[str, str], dicom_screening: dict[str, Any]
) -> None:
    sid = dicom_screening["id"]
    response = running.client.get(
        f"/api/v1/screenings/{sid}/report.pdf", headers=bearer(keys["dana"])
    )
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    doc = pymupdf.open(stream=response.content, filetype="pdf")
    assert doc.page_count == 1
    page = doc[0]
    assert (round(page.rect.width), round(page.rect.height)) == (595, 842)
    text = _nfkc(page.get_text())
    assert sid in text and "dana" in text and "HN-77" in text
    for name, task in dicom_screening["tasks"].items():
        assert f"{task['probability'] * 100:.1f} %" in text, name
        assert _nfkc(TH[f"band.{task['risk_band']}"]) in text
    for key in ("result.reportTitle", "aid.title", "aid.text", "heatmap.title"):
        assert _nfkc(TH[key]) in text, key
    if dicom_screening["model"]["synthetic"]:
        assert _nfkc(TH["banner.synthetic"]) in text
    assert "dicom" in text
    assert len(page.get_images()) == 3  # the ECG and both overlays
    fonts = {font[3] for font in page.get_fonts()}
    assert any("Sarabun" in font for font in fonts), fonts
    assert len(_audit(running, "screening.view_report")) == 1


def test_report_texts_are_the_web_apps() -> None:
    th = (REPO / "frontend" / "src" / "i18n" / "th.ts").read_text(encoding="utf-8")
    for key, value in TH.items():
        match = re.search(rf'"{re.escape(key)}":\s*"([^"]*)"', th)
        assert match is not None, f"{key} is not in th.ts"
        assert match.group(1) == value, key


def test_every_rejection_fits_the_audit_outcome_column() -> None:
    # A refused upload is audited as "rejected:<code>" (PostgreSQL would refuse a longer one).
    from mtecg.errors import RejectCode

    length = AuditEvent.__table__.c.outcome.type.length
    assert all(len(f"rejected:{code.value}") <= length for code in RejectCode)
