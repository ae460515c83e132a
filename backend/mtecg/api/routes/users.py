"""Administrators' account work in the browser: list users, reset a user's password.

A reset makes a one-time password, shown once in the answer (never logged) and to be replaced
at the user's next sign-in. Creating users stays on the command line (`mtecg users create`).
Admin rights are per organisation: an `admin` sees and resets only its own organisation's
accounts (and never a `sysadmin`'s, which would hand it every organisation); a `sysadmin`
manages all. Another organisation's account answers 404, as if it did not exist, so names
cannot be probed.
"""

from __future__ import annotations

import secrets
from typing import Any, Final

from fastapi import APIRouter

from mtecg.api.deps import AdminDep, AuditDep, DbDep, Guarded, Principal
from mtecg.api.errors import ApiError
from mtecg.api.schemas import AccountOut, PasswordResetOut
from mtecg.db import accounts
from mtecg.db.models import User

router = APIRouter(prefix="/users", tags=["users"])
_ADMIN_ONLY: Final[dict[int | str, dict[str, Any]]] = {
    401: {"description": "not_authenticated"},
    403: {"description": "forbidden"},
}


@router.get("", responses=_ADMIN_ONLY)
def list_users(admin: AdminDep, db: DbDep, audit: AuditDep) -> list[AccountOut]:
    users = [
        AccountOut(
            username=u.username,
            display_name=u.display_name,
            role=u.role,  # type: ignore[arg-type]
            organisation=u.organisation,
            disabled=u.disabled,
            must_change_password=u.must_change_password,
        )
        for u in accounts.list_users(db)
        # the built-in local user has no password to reset
        if u.password_hash is not None and _manages(admin, u)
    ]
    audit.commit("user.list", admin.username)
    return users


@router.post(
    "/{username}/password-reset",
    dependencies=Guarded,
    responses={**_ADMIN_ONLY, 404: {"description": "not_found"}},
)
def reset_password(username: str, admin: AdminDep, db: DbDep, audit: AuditDep) -> PasswordResetOut:
    user = accounts.find_user(db, username)
    if user is None or user.password_hash is None or not _manages(admin, user):
        raise ApiError(404, "not_found", "No such user.")
    password = secrets.token_urlsafe(18)
    accounts.set_password(db, username, password, one_time=True)
    audit.commit("user.password_reset", admin.username, str(user.id))
    return PasswordResetOut(username=username, one_time_password=password)


def _manages(admin: Principal, user: User) -> bool:
    """Whether `admin` may see and reset `user`'s account (see the module's docstring)."""
    if admin.is_sysadmin:
        return True
    return user.organisation == admin.organisation and user.role != "sysadmin"
