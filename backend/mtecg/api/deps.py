"""Request-scoped dependencies: the service, a database session, who is asking, the loaded
model, the screening asked for, the audit trail, and guards.

Authentication and the Origin check are dependencies (not middleware) because a refusal is an
auditable event and needs the database session of the request.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Final

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from mtecg.api.errors import ApiError, not_ready, request_id
from mtecg.api.service import LoadedModel, Service
from mtecg.db import accounts, audit
from mtecg.db import screenings as screening_rows
from mtecg.db.models import Screening, User, utcnow
from mtecg.ingest.sandbox import Sandbox

SESSION_COOKIE: Final = "mtecg_session"
_UNSAFE_METHODS: Final = frozenset({"POST", "PUT", "PATCH", "DELETE"})
#: A session's last-seen time is written at most this often (each write is a transaction).
_TOUCH_EVERY: Final = timedelta(seconds=60)


@dataclass(frozen=True)
class Principal:
    """Who a request acts for."""

    user_id: uuid.UUID
    username: str
    display_name: str
    role: str
    organisation: str
    must_change_password: bool = False

    @property
    def is_admin(self) -> bool:
        """May manage (delete) records: of its own organisation, or any for a sysadmin."""
        return self.role in ("admin", "sysadmin")

    @property
    def is_sysadmin(self) -> bool:
        """Sees every organisation (system administrator; made only with the CLI)."""
        return self.role == "sysadmin"

    @classmethod
    def of(cls, user: User) -> Principal:
        return cls(
            user.id,
            user.username,
            user.display_name,
            user.role,
            user.organisation,
            bool(user.must_change_password),
        )


def get_service(request: Request) -> Service:
    service: Service = request.app.state.service
    return service


ServiceDep = Annotated[Service, Depends(get_service)]


def get_db(service: ServiceDep) -> Iterator[Session]:
    with service.sessions() as db:
        yield db


DbDep = Annotated[Session, Depends(get_db)]


def get_model(service: ServiceDep) -> LoadedModel:
    """The loaded model, or 503 `not_ready` saying why not (still loading, package unusable)."""
    if service.model is None:
        raise not_ready(service.model_problem)
    return service.model


ModelDep = Annotated[LoadedModel, Depends(get_model)]


def get_sandbox(service: ServiceDep) -> Sandbox:
    """The sandbox that parses uploads; it exists once the service has started."""
    if service.sandbox is None:
        raise not_ready("The service is starting.")
    return service.sandbox


SandboxDep = Annotated[Sandbox, Depends(get_sandbox)]


def _record(
    db: Session,
    request: Request,
    action: str,
    outcome: str,
    actor: str | None,
    object_id: str | None = None,
) -> None:
    """An audit row in this request's transaction (the caller commits with its action)."""
    audit.record(
        db, action, outcome, actor=actor, object_id=object_id, request_id=request_id(request)
    )


@dataclass(frozen=True)
class Audit:
    """The request's audit trail, bound to its database session.

    `commit` stores the audit row and the request's own changes in one transaction, so an
    action is never stored without its audit row, nor audited without having happened.
    """

    db: Session
    request: Request

    def commit(
        self,
        action: str,
        actor: str | None,
        object_id: str | None = None,
        outcome: str = "success",
    ) -> None:
        _record(self.db, self.request, action, outcome, actor, object_id)
        self.db.commit()


def get_audit(request: Request, db: DbDep) -> Audit:
    return Audit(db, request)


AuditDep = Annotated[Audit, Depends(get_audit)]


def record_apart(
    service: Service, request: Request, action: str, outcome: str, actor: str | None
) -> None:
    """An audit row in a transaction of its own, for work that holds no request session (an
    upload runs in worker threads; its refusal is audited there)."""
    with service.sessions.begin() as db:
        _record(db, request, action, outcome, actor)


def deny(
    db: Session,
    request: Request,
    error: ApiError,
    actor: str | None,
    object_id: str | None = None,
) -> ApiError:
    """Audits a refusal in its own transaction and returns the error to raise."""
    db.rollback()
    action = f"{request.method} {_route(request)}"
    Audit(db, request).commit(action, actor, object_id, outcome=f"denied:{error.code}")
    return error


def _route(request: Request) -> str:
    route = request.scope.get("route")
    return str(getattr(route, "path", request.url.path))[:48]


def check_origin(request: Request, service: ServiceDep, db: DbDep) -> None:
    """State-changing requests from a page not of MTECG_ALLOWED_ORIGINS get 403 foreign_origin.

    Compared with the configured public origin(s) only, never with Host or X-Forwarded-Host:
    both are chosen by the client, so a DNS-rebinding page (Host: evil, Origin: http://evil)
    would otherwise pass.
    """
    if request.method not in _UNSAFE_METHODS:
        return
    origin = request.headers.get("origin")
    if origin is None:
        return  # not a browser, or a same-origin request from an older browser
    if origin.rstrip("/") in service.settings.allowed_origins:
        return
    raise deny(
        db,
        request,
        ApiError(403, "foreign_origin", "Requests from this site are not allowed."),
        actor=None,
    )


def _bearer_token(request: Request) -> str | None:
    authorization = request.headers.get("authorization", "")
    return authorization[7:].strip() if authorization[:7].lower() == "bearer " else None


def _user_from_request(request: Request, service: ServiceDep, db: Session) -> User | None:
    token = _bearer_token(request)
    if token is not None:
        user = accounts.user_for_api_key(db, token)
        if user is None:
            # A script with a bad key needs to know it is the key, not that it should sign in.
            raise deny(
                db,
                request,
                ApiError(
                    401,
                    "invalid_api_key",
                    "The API key is not valid: it is mistyped, revoked, or its user is disabled.",
                ),
                None,
            )
        return user
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    stored = accounts.find_session(db, token)
    now = utcnow()
    if stored is None or now >= stored.idle_expires_at or now >= stored.absolute_expires_at:
        return None
    user = accounts.get_user(db, stored.user_id)
    if user is None or user.disabled:
        return None
    if now - stored.last_seen_at >= _TOUCH_EVERY:
        stored.last_seen_at = now
        stored.idle_expires_at = min(
            now + timedelta(minutes=service.settings.session_idle_minutes),
            stored.absolute_expires_at,
        )
        db.commit()
    return user


def get_signed_in(request: Request, service: ServiceDep, db: DbDep) -> Principal:
    """Who is asking, even one who must still change a one-time password; 401 for nobody."""
    if not service.settings.auth_enabled:
        local = accounts.find_user(db, accounts.LOCAL_USER)
        if local is None:
            raise not_ready("The service is starting.")
        return Principal.of(local)
    user = _user_from_request(request, service, db)
    if user is None:
        raise deny(db, request, ApiError(401, "not_authenticated", "Sign in first."), None)
    # End the read transaction now: on SQLite it holds the write lock (BEGIN IMMEDIATE), and
    # an upload keeps its session open while the model works.
    db.commit()
    return Principal.of(user)


PasswordChangerDep = Annotated[Principal, Depends(get_signed_in)]


def get_principal(request: Request, principal: PasswordChangerDep, db: DbDep) -> Principal:
    """The authenticated user (or the local user when authentication is off); 401 otherwise.

    A user signed in with a one-time (or administrator-reset) password may do nothing but
    change it: a password someone else has seen must not stay in use. API keys are separate
    credentials issued by the operator (an integration may never sign in), so they still work.
    """
    if principal.must_change_password and _bearer_token(request) is None:
        raise deny(
            db,
            request,
            ApiError(403, "password_change_required", "Choose a new password first."),
            principal.username,
        )
    return principal


PrincipalDep = Annotated[Principal, Depends(get_principal)]
Guarded = [Depends(check_origin)]


def require_admin(request: Request, principal: PrincipalDep, db: DbDep) -> Principal:
    """An organisation's admin (own organisation's records) or a sysadmin."""
    if not principal.is_admin:
        raise deny(
            db, request, ApiError(403, "forbidden", "Administrators only."), principal.username
        )
    return principal


AdminDep = Annotated[Principal, Depends(require_admin)]


def get_visible_screening(
    screening_id: uuid.UUID, request: Request, db: DbDep, principal: PrincipalDep
) -> tuple[Screening, str]:
    """The screening and its uploader's name if this principal may see it: 404 when absent,
    403 (audited) when it belongs to another organisation and the principal is no sysadmin."""
    found = screening_rows.one(db, screening_id)
    if found is None:
        raise ApiError(404, "not_found", "No such screening.")
    if not principal.is_sysadmin and found[0].organisation != principal.organisation:
        raise deny(
            db,
            request,
            ApiError(403, "forbidden", "This screening belongs to another organisation."),
            principal.username,
            str(screening_id),
        )
    return found


VisibleScreeningDep = Annotated[tuple[Screening, str], Depends(get_visible_screening)]
