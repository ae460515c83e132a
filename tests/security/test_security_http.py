"""Attacks on the HTTP surface, in-process (the real app and lifespan, TestClient):
items 6 (500s), 7 (log injection), 9 (security headers), 10 (Host and Origin), 12 (strict
booleans, problem+json in the schema, session purge) and the header-count part of 8."""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta

import pytest
from attack_inputs import ASSESSMENT
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from support.api_client import PASSWORD, Running, bearer

from mtecg.db import accounts
from mtecg.db.models import UserSession, utcnow
from mtecg.logsafe import LOG_FORMAT, SafeFormatter


def test_api_answers_carry_the_security_baseline(app: Running) -> None:
    for response in (app.client.get("/api/v1/model"), app.client.get("/api/v1/auth/me")):
        headers = response.headers
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "no-referrer"
        assert "camera=()" in headers["permissions-policy"]
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
        assert "strict-transport-security" not in headers  # plain HTTP: no HSTS
    # Behind TLS, as the trusted proxy (the web app) says: HSTS and a Secure cookie.
    tls = app.client.get("/api/v1/model", headers={"X-Forwarded-Proto": "https"})
    assert tls.headers["strict-transport-security"].startswith("max-age=")


def test_forwarded_headers_count_only_from_trusted_proxies(app: Running, package: object) -> None:
    from pathlib import Path

    from support.api_client import started

    folder = app.data_dir.parent / "untrusted"
    with started(app.url, folder / "data", Path(str(package)), trusted_proxies=[]) as other:
        spoofed = other.client.get("/api/v1/model", headers={"X-Forwarded-Proto": "https"})
        assert "strict-transport-security" not in spoofed.headers


def test_host_header_is_checked_and_never_used_for_redirects(app: Running) -> None:
    evil = app.client.get("/api/v1/model", headers={"Host": "evil.example"})
    assert evil.status_code == 400 and evil.json()["code"] == "invalid_host"
    assert evil.headers["content-type"] == "application/problem+json"
    redirect = app.client.get(
        "/api/v1/screenings/", headers={"Host": "evil.example"}, follow_redirects=False
    )
    assert redirect.status_code == 400 and "location" not in redirect.headers
    own = app.client.get("/api/v1/screenings/", follow_redirects=False)
    assert "evil" not in own.headers.get("location", "")


def test_dns_rebinding_origin_is_refused(app: Running) -> None:
    body = {"username": "x", "password": "wrong password here"}
    # The rebinding page's request: its own name as Host and as Origin.
    rebound = app.client.post(
        "/api/v1/auth/login",
        json=body,
        headers={"Host": "evil.example", "Origin": "http://evil.example"},
    )
    assert rebound.status_code == 400 and rebound.json()["code"] == "invalid_host"
    for headers in (
        {"Origin": "http://evil.example"},
        # What the old check believed: X-Forwarded-Host/-Proto naming the attacker's origin.
        {
            "Origin": "http://evil.example",
            "X-Forwarded-Host": "evil.example",
            "X-Forwarded-Proto": "http",
        },
    ):
        response = app.client.post("/api/v1/auth/login", json=body, headers=headers)
        assert response.status_code == 403 and response.json()["code"] == "foreign_origin"
    allowed = app.client.post(
        "/api/v1/auth/login", json=body, headers={"Origin": "https://ecg.hospital.example"}
    )
    assert allowed.status_code == 401  # past the Origin check


def test_the_two_500s_are_now_4xx_or_fine(app: Running) -> None:
    key = app.user(f"h-{uuid.uuid4().hex[:8]}")
    far = app.client.get(
        "/api/v1/screenings", params={"date_to": "9999-12-31"}, headers=bearer(key)
    )
    assert far.status_code == 200, far.text
    far_from = app.client.get(
        "/api/v1/screenings", params={"date_from": "9999-12-31"}, headers=bearer(key)
    )
    assert far_from.status_code == 200 and far_from.json()["total"] == 0
    thai = app.client.get(
        "/api/v1/auth/me", headers={"Authorization": "Bearer mtecg_abc_คีย์".encode()}
    )
    assert thai.status_code == 401 and thai.headers["content-type"] == "application/problem+json"


def test_unhandled_errors_are_problem_json_with_the_request_id(app: Running) -> None:
    def boom() -> None:
        raise RuntimeError("secret detail that must not leak")

    app.app.add_api_route("/api/v1/test-boom", boom)
    client = TestClient(app.app, raise_server_exceptions=False)
    response = client.get("/api/v1/test-boom", headers={"X-Request-ID": "rid-boom-1"})
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == "internal_error" and body["request_id"] == "rid-boom-1"
    assert "secret" not in response.text and response.headers["x-request-id"] == "rid-boom-1"


def test_booleans_are_strict(app: Running) -> None:
    for wrong in ("yes", "1", 1, "true"):
        response = app.client.post("/api/v1/assessment", json={**ASSESSMENT, "ckd": wrong})
        assert response.status_code == 422, (wrong, response.text)
        assert response.json()["field"] == "ckd"
    assert app.client.post("/api/v1/assessment", json=ASSESSMENT).status_code == 200


def test_openapi_documents_problem_json_errors(app: Running) -> None:
    schema = app.client.get("/api/v1/openapi.json").json()
    upload = schema["paths"]["/api/v1/screenings"]["post"]["responses"]
    assert {"400", "401", "408", "413", "415", "422", "500", "503"} <= set(upload)
    for path in schema["paths"].values():
        for operation in path.values():
            for status, response in operation["responses"].items():
                if status[0] in "45":
                    assert list(response["content"]) == ["application/problem+json"]
    assert "HTTPValidationError" not in schema["components"]["schemas"]


def test_too_many_headers_are_refused(app: Running) -> None:
    headers = [(f"x-filler-{n}", "1") for n in range(120)]
    response = app.client.get("/api/v1/model", headers=headers)
    assert response.status_code == 431 and response.json()["code"] == "headers_too_large"


def test_control_characters_cannot_forge_log_lines(
    app: Running, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="mtecg.api.access")
    app.client.get("/api/v1/x%0a2026-01-01 00:00:00 INFO forged%00%1b[2J")
    records = [r for r in caplog.records if r.name == "mtecg.api.access" and "forged" in r.message]
    assert records
    line = SafeFormatter(LOG_FORMAT).format(records[-1])
    assert "\n" not in line and "\x00" not in line and "\x1b" not in line
    assert "\\x0a2026-01-01" in line and "\\x00" in line


def test_expired_sessions_are_purged(app: Running) -> None:
    name = f"p-{uuid.uuid4().hex[:8]}"
    app.user(name)
    past = utcnow() - timedelta(days=2)
    with app.service.sessions.begin() as db:
        user = accounts.find_user(db, name)
        assert user is not None
        for _ in range(3):
            accounts.start_session(db, user, past, timedelta(minutes=30), timedelta(hours=12))

    def stored() -> int:
        with app.service.sessions() as db:
            count = select(func.count()).select_from(UserSession)
            return db.scalar(count.where(UserSession.user_id == user.id)) or 0

    assert stored() == 3
    login = app.client.post("/api/v1/auth/login", json={"username": name, "password": PASSWORD})
    assert login.status_code == 200
    assert stored() == 1  # the new session only
