"""A clinical-variant model: its inputs are required form fields, checked by name."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from support.api_client import Running, started
from support.services import BACKENDS, database, migrated

FIELDS = {
    "female": "true",
    "diabetes": "0",
    "hypertension": "1",
    "smoking": "false",
    "dyslipidaemia": "false",
    "age": "63",
}


@pytest.fixture(scope="module", params=BACKENDS)
def clinical(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, packages: Any
) -> Iterator[Running]:
    folder = tmp_path_factory.mktemp(f"clinical-{request.param}")
    with (
        database(request.param, folder) as url,
        started(migrated(url), folder / "data", packages["clinical"]) as running,
    ):
        yield running


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"age": "17"}, "age"),
        ({"age": "121"}, "age"),
        ({"age": "old"}, "age"),
        ({"female": "yes please"}, "female"),
        ({"smoking": None}, "smoking"),
        ({"weight": "80"}, "weight"),
    ],
)
def test_bad_clinical_fields_are_422_naming_the_field(
    clinical: Running, ecg_pdf: bytes, change: dict[str, str | None], field: str
) -> None:
    key = clinical.user(f"u{abs(hash((field, str(change)))) % 10**8}")
    fields = {k: v for k, v in {**FIELDS, **change}.items() if v is not None}
    response = clinical.upload(key, ecg_pdf, **fields)
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "validation_error" and response.json()["field"] == field


def test_clinical_inputs_are_used_and_returned(clinical: Running, ecg_pdf: bytes) -> None:
    key = clinical.user("clin")
    response = clinical.upload(key, ecg_pdf, **FIELDS)
    assert response.status_code == 201, response.text
    assert response.json()["clinical"] == {
        "female": True,
        "diabetes": False,
        "hypertension": True,
        "smoking": False,
        "dyslipidaemia": False,
        "age": 63.0,
    }
    card = clinical.client.get("/api/v1/model").json()
    names = {f["name"]: f for f in card["clinical_inputs"]["fields"]}
    assert set(names) == set(FIELDS) and names["age"]["min"] == 18


def test_lead_attribution_uses_the_screenings_clinical_inputs(
    clinical: Running, ecg_pdf: bytes
) -> None:
    """After the answer, and again from the stored fields when the attribution was lost."""
    import time
    import uuid

    from support.api_client import bearer

    from mtecg.api import attributions
    from mtecg.db.models import Screening

    key = clinical.user("clin-attribution")
    created = clinical.upload(key, ecg_pdf, **FIELDS).json()
    url = f"/api/v1/screenings/{created['id']}/attribution"

    def ready() -> dict[str, Any]:
        deadline = time.monotonic() + 120
        while (response := clinical.client.get(url, headers=bearer(key))).status_code == 202:
            assert time.monotonic() < deadline
            time.sleep(0.2)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    first = ready()
    for task in ("scar", "lvef"):
        expected = created["tasks"][task]["probability"]
        assert first["tasks"][task]["probability"] == pytest.approx(expected, abs=1e-4)
    with clinical.service.sessions() as db:
        canonical = db.get_one(Screening, uuid.UUID(created["id"])).images["canonical"]
    (clinical.data_dir / canonical).parent.joinpath(attributions.FILE_NAME).unlink()
    assert ready()["tasks"] == first["tasks"]


def test_the_upload_schema_lists_the_model_cards_fields_with_their_limits(
    clinical: Running,
) -> None:
    card = clinical.client.get("/api/v1/model").json()["clinical_inputs"]["fields"]
    schema = clinical.client.get("/api/v1/openapi.json").json()
    properties = schema["components"]["schemas"]["ScreeningUpload"]["properties"]
    for field in card:
        shown = properties[field["name"]]
        if field["type"] == "number":
            assert (shown["minimum"], shown["maximum"]) == (field["min"], field["max"])
        else:
            assert set(shown["enum"]) == {"true", "false", "1", "0"}
