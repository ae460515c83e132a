"""Login, logout and who-am-I for the browser; REST clients use API keys instead."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

import anyio
from fastapi import APIRouter, Request, Response

from mtecg.api.deps import (
    SESSION_COOKIE,
    Audit,
    AuditDep,
    DbDep,
    Guarded,
    PasswordChangerDep,
    Principal,
    ServiceDep,
)
from mtecg.api.errors import ApiError
from mtecg.api.schemas import LoginIn, Me, PasswordChangeIn, UserOut
from mtecg.db import accounts
from mtecg.db.models import utcnow
from mtecg.security.passwords import WeakPasswordError, needs_rehash, rehash, verify_password
from mtecg.settings import Settings

log = logging.getLogger(__name__)
router = APIRouter(prefix="/auth", tags=["auth"])


def me(principal: Principal, auth_enabled: bool) -> Me:
    return Me(
        auth_enabled=auth_enabled,
        must_change_password=principal.must_change_password,
        user=UserOut(
            id=principal.user_id,
            username=principal.username,
            display_name=principal.display_name,
            role=principal.role,  # type: ignore[arg-type]
            organisation=principal.organisation,
        ),
    )


def cookie_secure(request: Request, settings: Settings) -> bool:
    """Secure when told so, or (auto) when the browser reached us over TLS (the scheme a
    trusted proxy reported, see MTECG_TRUSTED_PROXIES)."""
    if settings.cookie_secure != "auto":
        return settings.cookie_secure == "true"
    return request.url.scheme == "https"


@router.post(
    "/login",
    dependencies=Guarded,
    responses={
        401: {"description": "invalid_credentials"},
        429: {"description": "too_many_attempts"},
    },
)
async def login(
    body: LoginIn, request: Request, response: Response, service: ServiceDep, audit: AuditDep
) -> Me:
    """Async only to wait without holding a thread; the work runs in the thread pool."""
    client = request.client.host if request.client else "unknown"
    delay = service.throttle.delay_s(body.username)
    if delay:
        await asyncio.sleep(delay)
    return await anyio.to_thread.run_sync(_login, body, request, response, service, audit, client)


def _login(
    body: LoginIn,
    request: Request,
    response: Response,
    service: ServiceDep,
    audit: Audit,
    client: str,
) -> Me:
    db = audit.db
    wait = service.throttle.retry_after(body.username, client)
    if wait is not None:
        log.warning("login throttled for a user name from %s", client)
        audit.commit("auth.login", body.username, outcome="throttled")
        raise ApiError(
            429,
            "too_many_attempts",
            "Too many failed sign-ins; try again later.",
            headers={"Retry-After": str(wait)},
        )
    user = accounts.find_user(db, body.username)
    usable = user is not None and not user.disabled and user.password_hash is not None
    # Unknown, disabled and password-less users cost one argon2 check too (no enumeration).
    if not verify_password(user.password_hash if usable and user else None, body.password):
        service.throttle.failed(body.username, client)
        log.info("failed sign-in from %s", client)
        audit.commit("auth.login", body.username, outcome="failure")
        raise ApiError(401, "invalid_credentials", "Wrong user name or password.")
    assert user is not None and user.password_hash is not None
    service.throttle.succeeded(body.username, client)
    accounts.purge_expired_sessions(db, utcnow())
    if needs_rehash(user.password_hash):
        user.password_hash = rehash(body.password)
    settings = service.settings
    token = accounts.start_session(
        db,
        user,
        utcnow(),
        timedelta(minutes=settings.session_idle_minutes),
        timedelta(hours=settings.session_absolute_hours),
    )
    audit.commit("auth.login", user.username, str(user.id))
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=settings.session_absolute_hours * 3600,
        path="/",
        secure=cookie_secure(request, settings),
        httponly=True,
        samesite="strict",
    )
    return me(Principal.of(user), settings.auth_enabled)


@router.post("/logout", status_code=204, dependencies=Guarded)
def logout(request: Request, service: ServiceDep, db: DbDep, audit: AuditDep) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    stored = accounts.find_session(db, token) if token else None
    if token and stored is not None:
        user = accounts.get_user(db, stored.user_id)
        accounts.end_session(db, token)
        audit.commit("auth.logout", user.username if user else None)
    response = Response(status_code=204)
    response.delete_cookie(
        SESSION_COOKIE,
        path="/",
        secure=cookie_secure(request, service.settings),
        httponly=True,
        samesite="strict",
    )
    return response


@router.get("/me", responses={401: {"description": "not_authenticated"}})
def get_me(principal: PasswordChangerDep, service: ServiceDep) -> Me:
    return me(principal, service.settings.auth_enabled)


@router.post(
    "/password",
    status_code=204,
    dependencies=Guarded,
    responses={
        401: {"description": "not_authenticated"},
        403: {"description": "wrong_password"},
        422: {"description": "weak_password or validation_error"},
    },
)
def change_password(
    body: PasswordChangeIn, principal: PasswordChangerDep, db: DbDep, audit: AuditDep
) -> Response:
    """The signed-in user replaces their own password (also the forced first change)."""
    user = accounts.get_user(db, principal.user_id)
    if user is None or not verify_password(user.password_hash, body.current_password):
        audit.commit("auth.password_change", principal.username, outcome="denied:wrong_password")
        raise ApiError(403, "wrong_password", "The current password is not right.")
    if body.new_password == body.current_password:
        raise ApiError(
            422,
            "weak_password",
            "The new password must differ from the current one.",
            field="new_password",
        )
    try:
        accounts.set_password(db, user.username, body.new_password, one_time=False)
    except WeakPasswordError as error:
        raise ApiError(422, "weak_password", str(error), field="new_password") from None
    audit.commit("auth.password_change", user.username, str(user.id))
    # set_password ended every session, this one too: the browser signs in again.
    return Response(status_code=204)
