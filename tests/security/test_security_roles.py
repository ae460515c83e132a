"""Item 4: admin rights are per organisation. Every API route is called by every role from its
own and from another organisation (a matrix generated from the app's routes, so a new route
without an expectation fails here), and the answer must be exactly the one the role allows.

Roles: `clinician` and `admin` (their own organisation only; admins also delete) and
`sysadmin` (every organisation, made only with the CLI); `anonymous` has no credentials.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from attack_inputs import ASSESSMENT
from support.api_client import Running, bearer

from mtecg.api.csv_export import BOM, HEADERS
from mtecg.db.models import Screening

ROLES = ("anonymous", "clinician", "admin", "sysadmin")
HOME, OTHER = "hospital-a", "hospital-b"
ID_HEADER = HEADERS[0]  # the screening id column of the CSV export


@dataclass(frozen=True)
class Case:
    role: str
    target: str  # "home" or "other": whose screening the call names


@pytest.fixture(scope="module")
def world(app: Running, ecg_pdf: bytes) -> dict[str, Any]:
    """Users of every role in hospital A (sysadmin in neither), a screening in A and in B."""
    keys = {
        "clinician": app.user("m-clin", "clinician", HOME),
        "admin": app.user("m-admin", "admin", HOME),
        "sysadmin": app.user("m-sys", "sysadmin", "operations"),
    }
    writer_b = app.user("m-clin-b", "clinician", OTHER)
    # Accounts whose passwords the reset calls replace (one per organisation).
    app.user("m-reset-a", "clinician", HOME)
    app.user("m-reset-b", "clinician", OTHER)
    home = app.upload(keys["clinician"], ecg_pdf)
    other = app.upload(writer_b, ecg_pdf)
    assert home.status_code == other.status_code == 201, (home.text, other.text)
    return {"keys": keys, "home": home.json()["id"], "other": other.json()["id"]}


def headers_for(world: dict[str, Any], role: str) -> dict[str, str]:
    return {} if role == "anonymous" else bearer(world["keys"][role])


def may_read(case: Case) -> bool:
    return case.role == "sysadmin" or (case.role != "anonymous" and case.target == "home")


def clone(app: Running, screening_id: str) -> str:
    """A copy of a stored screening (images pointing nowhere) for a delete to consume."""
    with app.service.sessions.begin() as db:
        row = db.get_one(Screening, uuid.UUID(screening_id))
        fresh = uuid.uuid4()
        columns = {c.key: getattr(row, c.key) for c in Screening.__table__.columns}
        images = {name: f"nowhere/{fresh}/{name}.png" for name in ("canonical", "scar", "lvef")}
        columns.update(id=fresh, images=images)
        db.add(Screening(**columns))
    return str(fresh)


Call = Callable[[Running, dict[str, Any], Case], tuple[int, set[int]]]


def _public_get(path: str) -> Call:
    def call(app: Running, world: dict[str, Any], case: Case) -> tuple[int, set[int]]:
        return app.client.get(path, headers=headers_for(world, case.role)).status_code, {200}

    return call


def _me(app: Running, world: dict[str, Any], case: Case) -> tuple[int, set[int]]:
    response = app.client.get("/api/v1/auth/me", headers=headers_for(world, case.role))
    return response.status_code, {401} if case.role == "anonymous" else {200}


def _login(app: Running, world: dict[str, Any], case: Case) -> tuple[int, set[int]]:
    # A name per case: the same client failing for one name repeatedly would be throttled.
    body = {"username": f"nobody-{case.role}-{case.target}", "password": "wrong password here"}
    response = app.client.post("/api/v1/auth/login", json=body)
    return response.status_code, {401}


def _logout(app: Running, world: dict[str, Any], case: Case) -> tuple[int, set[int]]:
    response = app.client.post("/api/v1/auth/logout", headers=headers_for(world, case.role))
    return response.status_code, {204}


def _assess(app: Running, world: dict[str, Any], case: Case) -> tuple[int, set[int]]:
    response = app.client.post(
        "/api/v1/assessment", json=ASSESSMENT, headers=headers_for(world, case.role)
    )
    return response.status_code, {200}


def _create(app: Running, world: dict[str, Any], case: Case) -> tuple[int, set[int]]:
    # Not multipart: past authentication it is a 400, so every signed-in role gets that far.
    response = app.client.post("/api/v1/screenings", headers=headers_for(world, case.role))
    return response.status_code, {401} if case.role == "anonymous" else {400}


def _listing(path: str) -> Call:
    def call(app: Running, world: dict[str, Any], case: Case) -> tuple[int, set[int]]:
        response = app.client.get(path, headers=headers_for(world, case.role))
        if case.role == "anonymous":
            return response.status_code, {401}
        if path.endswith(".csv"):
            rows = csv.reader(io.StringIO(response.text.lstrip(BOM)))
            ids = {row[HEADERS.index(ID_HEADER)] for row in list(rows)[1:]}
        else:
            ids = {item["id"] for item in response.json()["items"]}
        visible = {world["home"], world["other"]} if case.role == "sysadmin" else {world["home"]}
        assert world["home"] in ids and (world["other"] in ids) == (world["other"] in visible)
        return response.status_code, {200}

    return call


def _read(suffix: str, allowed: frozenset[int] = frozenset({200})) -> Call:
    """A read of one screening; `allowed` the statuses of a permitted read (the attribution
    may still be 202 pending)."""

    def call(app: Running, world: dict[str, Any], case: Case) -> tuple[int, set[int]]:
        path = f"/api/v1/screenings/{world[case.target]}{suffix}"
        response = app.client.get(path, headers=headers_for(world, case.role))
        if case.role == "anonymous":
            return response.status_code, {401}
        return response.status_code, set(allowed) if may_read(case) else {403}

    return call


def _signals(app: Running, world: dict[str, Any], case: Case) -> tuple[int, set[int]]:
    # Not multipart, like _create: every signed-in role gets past authentication to the 400.
    response = app.client.post("/api/v1/signals", headers=headers_for(world, case.role))
    return response.status_code, {401} if case.role == "anonymous" else {400}


def _password(app: Running, world: dict[str, Any], case: Case) -> tuple[int, set[int]]:
    # A wrong current password: signed-in users reach the check (403), nobody's is changed.
    body = {"current_password": "not the password", "new_password": "a long new passphrase"}
    response = app.client.post(
        "/api/v1/auth/password", json=body, headers=headers_for(world, case.role)
    )
    return response.status_code, {401} if case.role == "anonymous" else {403}


def _users(app: Running, world: dict[str, Any], case: Case) -> tuple[int, set[int]]:
    response = app.client.get("/api/v1/users", headers=headers_for(world, case.role))
    if case.role in ("anonymous", "clinician"):
        return response.status_code, {401} if case.role == "anonymous" else {403}
    names = {user["username"] for user in response.json()}
    assert "m-reset-a" in names
    assert ("m-reset-b" in names) == (case.role == "sysadmin")
    assert ("m-sys" in names) == (case.role == "sysadmin")
    return response.status_code, {200}


def _reset(app: Running, world: dict[str, Any], case: Case) -> tuple[int, set[int]]:
    victim = "m-reset-a" if case.target == "home" else "m-reset-b"
    response = app.client.post(
        f"/api/v1/users/{victim}/password-reset", headers=headers_for(world, case.role)
    )
    if case.role in ("anonymous", "clinician"):
        return response.status_code, {401} if case.role == "anonymous" else {403}
    allowed = case.role == "sysadmin" or case.target == "home"
    return response.status_code, {200} if allowed else {404}


def _delete(app: Running, world: dict[str, Any], case: Case) -> tuple[int, set[int]]:
    victim = clone(app, world[case.target])
    response = app.client.delete(
        f"/api/v1/screenings/{victim}", headers=headers_for(world, case.role)
    )
    if case.role == "anonymous":
        expected = {401}
    elif case.role == "clinician":
        expected = {403}
    else:
        expected = {204} if may_read(case) else {403}
    with app.service.sessions() as db:
        gone = db.get(Screening, uuid.UUID(victim)) is None
    assert gone == (response.status_code == 204), (case, response.text)
    return response.status_code, expected


#: Every route of the app, by (method, path): how to call it and what each case must get.
EXPECTATIONS: dict[tuple[str, str], Call] = {
    ("GET", "/livez"): _public_get("/livez"),
    ("GET", "/readyz"): _public_get("/readyz"),
    ("GET", "/api/v1/model"): _public_get("/api/v1/model"),
    ("POST", "/api/v1/auth/login"): _login,
    ("POST", "/api/v1/auth/logout"): _logout,
    ("GET", "/api/v1/auth/me"): _me,
    ("POST", "/api/v1/assessment"): _assess,
    ("POST", "/api/v1/screenings"): _create,
    ("GET", "/api/v1/screenings"): _listing("/api/v1/screenings"),
    ("GET", "/api/v1/screenings/export.csv"): _listing("/api/v1/screenings/export.csv"),
    ("GET", "/api/v1/screenings/{screening_id}"): _read(""),
    ("GET", "/api/v1/screenings/{screening_id}/images/{name}.png"): _read("/images/scar.png"),
    ("DELETE", "/api/v1/screenings/{screening_id}"): _delete,
    ("GET", "/api/v1/screenings/{screening_id}/attribution"): _read(
        "/attribution", frozenset({200, 202})
    ),
    ("GET", "/api/v1/screenings/{screening_id}/fhir"): _read("/fhir"),
    ("GET", "/api/v1/screenings/{screening_id}/report.pdf"): _read("/report.pdf"),
    ("POST", "/api/v1/signals"): _signals,
    ("POST", "/api/v1/auth/password"): _password,
    ("GET", "/api/v1/users"): _users,
    ("POST", "/api/v1/users/{username}/password-reset"): _reset,
}


def app_routes(app: Running) -> set[tuple[str, str]]:
    """Every operation the app serves, from its OpenAPI schema (generated from the routes)."""
    paths = app.client.get("/api/v1/openapi.json").json()["paths"]
    return {(method.upper(), path) for path, item in paths.items() for method in item}


def test_every_route_has_an_expectation(app: Running) -> None:
    assert app_routes(app) == set(EXPECTATIONS), "classify new routes in EXPECTATIONS"


@pytest.mark.parametrize("target", ("home", "other"))
@pytest.mark.parametrize("role", ROLES)
def test_role_by_organisation_matrix(
    app: Running, world: dict[str, Any], role: str, target: str
) -> None:
    case = Case(role, target)
    wrong = []
    for (method, path), call in sorted(EXPECTATIONS.items()):
        status, expected = call(app, world, case)
        if status not in expected:
            wrong.append(f"{method} {path}: {status}, expected {sorted(expected)}")
    assert not wrong, f"{case}: " + "; ".join(wrong)
