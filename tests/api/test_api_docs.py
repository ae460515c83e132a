"""The API's documentation works offline: the docs page loads Swagger UI from this service
(never a CDN) and the schema declares how to authenticate. (The e2e renders it in Chromium
with every other origin blocked.)"""

from __future__ import annotations

import re

from support.api_client import Running


def test_the_docs_page_loads_its_assets_from_this_service(running: Running) -> None:
    page = running.client.get("/api/v1/docs")
    assert page.status_code == 200
    urls = re.findall(r"""(?:src|href)=["']([^"']+)["']""", page.text)
    assert urls and all(url.startswith("/api/v1/docs/assets/") for url in urls), urls
    assert "https://" not in page.text and "http://" not in page.text
    for url in urls:
        asset = running.client.get(url)
        assert asset.status_code == 200 and len(asset.content) > 0, url


def test_the_schema_declares_both_ways_to_authenticate(running: Running) -> None:
    schema = running.client.get("/api/v1/openapi.json").json()
    schemes = schema["components"]["securitySchemes"]
    assert schemes["apiKey"] == {**schemes["apiKey"], "type": "http", "scheme": "bearer"}
    assert (schemes["session"]["in"], schemes["session"]["name"]) == ("cookie", "mtecg_session")
    paths = schema["paths"]
    assert paths["/api/v1/screenings"]["get"]["security"] == [{"apiKey": []}, {"session": []}]
    for public in ("/api/v1/auth/login", "/api/v1/assessment"):
        assert "security" not in paths[public]["post"]
    assert "security" not in paths["/api/v1/model"]["get"]


def test_the_schema_describes_the_upload_form_by_name(running: Running) -> None:
    schema = running.client.get("/api/v1/openapi.json").json()
    body = schema["paths"]["/api/v1/screenings"]["post"]["requestBody"]
    ref = body["content"]["multipart/form-data"]["schema"]["$ref"]
    form = schema["components"]["schemas"][ref.removeprefix("#/components/schemas/")]
    assert body["required"] is True
    assert (form["required"], form["additionalProperties"]) == (["file"], False)
    assert form["properties"]["file"] == {**form["properties"]["file"], "format": "binary"}


def test_the_upload_schema_shows_the_patient_refs_limit(running: Running) -> None:
    schema = running.client.get("/api/v1/openapi.json").json()
    patient_ref = schema["components"]["schemas"]["ScreeningUpload"]["properties"]["patient_ref"]
    assert patient_ref["maxLength"] == 64 and "default" not in patient_ref
