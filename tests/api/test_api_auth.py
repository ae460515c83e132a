"""Sign-in, sessions and API keys on SQLite and PostgreSQL: cookie flags, timeouts, throttling
without user enumeration, logout, revoked keys and disabled users, with their audit rows."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select, update
from support.api_client import PASSWORD, Running, bearer

from mtecg.db import accounts
from mtecg.db.models import AuditEvent, UserSession, utcnow


def login(running: Running, username: str, password: str, **headers: str):  # type: ignore[no-untyped-def]
    running.client.cookies.clear()
    return running.client.post(
        "/api/v1/auth/login", json={"username": username, "password": password}, headers=headers
    )


def outcomes(running: Running, action: str) -> list[tuple[str | None, str]]:
    with running.service.sessions() as db:
        rows = db.scalars(select(AuditEvent).where(AuditEvent.action == action))
        return [(r.actor, r.outcome) for r in rows]


def test_login_sets_a_strict_http_only_cookie_secure_behind_tls(running: Running) -> None:
    running.user("dana")
    plain = login(running, "dana", PASSWORD)
    assert plain.status_code == 200
    assert plain.json()["user"]["username"] == "dana" and plain.json()["auth_enabled"] is True
    cookie = plain.headers["set-cookie"]
    assert cookie.startswith("mtecg_session=")
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Secure" not in cookie
    tls = login(running, "dana", PASSWORD, **{"X-Forwarded-Proto": "https"})
    assert "Secure" in tls.headers["set-cookie"]
    assert ("dana", "success") in outcomes(running, "auth.login")


def test_session_cookie_authenticates_until_logout(running: Running) -> None:
    running.user("erin")
    assert login(running, "erin", PASSWORD).status_code == 200
    me = running.client.get("/api/v1/auth/me")
    assert me.status_code == 200 and me.json()["user"]["role"] == "clinician"
    assert running.client.get("/api/v1/screenings").status_code == 200
    token = running.client.cookies.get("mtecg_session")
    out = running.client.post("/api/v1/auth/logout")
    assert out.status_code == 204
    running.client.cookies.set("mtecg_session", str(token))
    assert running.client.get("/api/v1/auth/me").status_code == 401
    assert ("erin", "success") in outcomes(running, "auth.logout")


def test_idle_and_absolute_timeouts_end_a_session(running: Running) -> None:
    running.user("finn")
    for column in (UserSession.idle_expires_at, UserSession.absolute_expires_at):
        assert login(running, "finn", PASSWORD).status_code == 200
        token = running.client.cookies.get("mtecg_session")
        assert running.client.get("/api/v1/auth/me").status_code == 200
        with running.service.sessions.begin() as db:
            stored = accounts.find_session(db, str(token))
            assert stored is not None
            db.execute(
                update(UserSession)
                .where(UserSession.id == stored.id)
                .values({column: utcnow() - timedelta(seconds=1)})
            )
        expired = running.client.get("/api/v1/auth/me")
        assert expired.status_code == 401 and expired.json()["code"] == "not_authenticated"


def test_failures_are_throttled_and_do_not_reveal_users(running: Running) -> None:
    running.user("gwen")
    wrong = login(running, "gwen", "not the password at all")
    unknown = login(running, "nobody-here", "not the password at all")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["code"] == unknown.json()["code"] == "invalid_credentials"
    assert wrong.json()["detail"] == unknown.json()["detail"]
    for _ in range(4):
        assert login(running, "gwen", "still not it, sorry").status_code == 401
    throttled = login(running, "gwen", PASSWORD)  # even the right password waits now
    assert throttled.status_code == 429 and throttled.json()["code"] == "too_many_attempts"
    assert int(throttled.headers["Retry-After"]) > 0
    assert login(running, "dana", PASSWORD).status_code == 200  # others are not locked out
    recorded = outcomes(running, "auth.login")
    assert recorded.count(("gwen", "failure")) == 5 and ("gwen", "throttled") in recorded
    assert ("nobody-here", "failure") in recorded


def test_revoked_keys_and_disabled_users_are_refused(running: Running) -> None:
    key = running.user("hugo")
    assert running.client.get("/api/v1/auth/me", headers=bearer(key)).status_code == 200
    prefix = key.split("_")[1]
    with running.service.sessions.begin() as db:
        accounts.revoke_api_key(db, prefix)
    revoked = running.client.get("/api/v1/screenings", headers=bearer(key))
    assert revoked.status_code == 401
    key2 = running.user("iris")
    with running.service.sessions.begin() as db:
        accounts.disable_user(db, "iris")
    assert running.client.get("/api/v1/auth/me", headers=bearer(key2)).status_code == 401
    assert login(running, "iris", PASSWORD).status_code == 401
    garbage = running.client.get("/api/v1/auth/me", headers=bearer("mtecg_nope_nope"))
    assert garbage.status_code == 401


def test_a_one_time_password_must_be_changed_before_anything_else(running: Running) -> None:
    one_time = "given-by-the-admin-1"
    with running.service.sessions.begin() as db:
        accounts.create_user(db, "jane", one_time, organisation="hospital-a", one_time=True)
    signed_in = login(running, "jane", one_time)
    assert signed_in.status_code == 200 and signed_in.json()["must_change_password"] is True
    blocked = running.client.get("/api/v1/screenings")
    assert blocked.status_code == 403 and blocked.json()["code"] == "password_change_required"
    assert running.client.get("/api/v1/auth/me").json()["must_change_password"] is True

    def change(current: str, new: str) -> Any:
        return running.client.post(
            "/api/v1/auth/password", json={"current_password": current, "new_password": new}
        )

    wrong = change("not-my-password", "a much better passphrase")
    assert wrong.status_code == 403 and wrong.json()["code"] == "wrong_password"
    for weak in ("short", "jane-jane-jane-jane", "a" * 20, "x" * 129, one_time):
        refused = change(one_time, weak)
        assert refused.status_code == 422, weak
        assert (refused.json()["code"], refused.json()["field"]) == (
            "weak_password",
            "new_password",
        )
    assert change(one_time, "a much better passphrase  ✓ ไทย").status_code == 204
    # The change ended the session; the new password signs in with nothing left to do.
    assert running.client.get("/api/v1/auth/me").status_code == 401
    assert login(running, "jane", one_time).status_code == 401
    again = login(running, "jane", "a much better passphrase  ✓ ไทย")
    assert again.json()["must_change_password"] is False
    assert running.client.get("/api/v1/screenings").status_code == 200
    assert ("jane", "success") in outcomes(running, "auth.password_change")
    assert ("jane", "denied:wrong_password") in outcomes(running, "auth.password_change")


def test_an_admin_resets_a_password_to_a_one_time_one(running: Running) -> None:
    running.user("kim")
    admin_key = running.user("lee", role="admin")
    clinician_key = running.user("max")
    listed = running.client.get("/api/v1/users", headers=bearer(admin_key))
    assert listed.status_code == 200 and "kim" in {u["username"] for u in listed.json()}
    assert running.client.get("/api/v1/users", headers=bearer(clinician_key)).status_code == 403
    refused = running.client.post("/api/v1/users/kim/password-reset", headers=bearer(clinician_key))
    assert refused.status_code == 403
    missing = running.client.post("/api/v1/users/nobody/password-reset", headers=bearer(admin_key))
    assert missing.status_code == 404
    reset = running.client.post("/api/v1/users/kim/password-reset", headers=bearer(admin_key))
    assert reset.status_code == 200
    one_time = reset.json()["one_time_password"]
    assert login(running, "kim", PASSWORD).status_code == 401
    assert login(running, "kim", one_time).json()["must_change_password"] is True
    assert ("lee", "success") in outcomes(running, "user.password_reset")


def test_a_bad_api_key_gets_its_own_code_not_sign_in(running: Running) -> None:
    key = running.user("nora")
    with running.service.sessions.begin() as db:
        accounts.revoke_api_key(db, key.split("_")[1])
    for token in (key, "mtecg_nope_nope", "garbage"):
        refused = running.client.get("/api/v1/screenings", headers=bearer(token))
        assert refused.status_code == 401 and refused.json()["code"] == "invalid_api_key"
        assert "API key" in refused.json()["detail"]
    running.client.cookies.clear()
    assert running.client.get("/api/v1/screenings").json()["code"] == "not_authenticated"


def test_an_api_key_still_works_for_a_user_who_must_change_the_password(running: Running) -> None:
    with running.service.sessions.begin() as db:
        accounts.create_user(
            db, "his", "generated-once-123", organisation="hospital-a", one_time=True
        )
        token = accounts.create_api_key(db, "his").token
    assert running.client.get("/api/v1/screenings", headers=bearer(token)).status_code == 200
