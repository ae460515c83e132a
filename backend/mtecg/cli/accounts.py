"""`mtecg users` and `mtecg api-keys`: accounts, each change audited in its own transaction."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from mtecg.cli.output import JSON_OPTION
from mtecg.cli.service import Work, in_transaction
from mtecg.settings import Settings

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


def register(sub: Any) -> None:
    """Adds `users` and `api-keys` to the `mtecg` parser."""
    usr = sub.add_parser(
        "users",
        help="create, list or disable user accounts, or set a user's password",
        description="set-password sets a one-time password: the user must choose a new one at "
        "the next sign-in. Generated passwords are printed to this terminal only.",
    )
    user_actions = usr.add_subparsers(dest="action", required=True, metavar="ACTION")
    username = argparse.ArgumentParser(add_help=False)
    username.add_argument("username", help="the user")
    password = argparse.ArgumentParser(add_help=False)
    password.add_argument("--password", default=None, help="the password (default: prompt)")
    password.add_argument(
        "--generate-password", action="store_true", help="make a random password and print it"
    )
    create = _action(user_actions, "create", _create_user, "create an account", username, password)
    create.add_argument(
        "--role",
        choices=("clinician", "admin", "sysadmin"),
        default="clinician",
        help="admin: one organisation; sysadmin: every organisation",
    )
    create.add_argument("--organisation", default=None, help="default MTECG_DEFAULT_ORGANISATION")
    create.add_argument("--display-name", default=None)
    _action(user_actions, "list", _list_users, "list the accounts")
    _action(user_actions, "disable", _disable_user, "disable an account", username)
    _action(
        user_actions, "set-password", _set_password, "set a one-time password", username, password
    )

    key = sub.add_parser("api-keys", help="create (printed once), list or revoke API keys")
    key_actions = key.add_subparsers(dest="action", required=True, metavar="ACTION")
    create_key = _action(key_actions, "create", _create_key, "issue a key (printed once)")
    create_key.add_argument("--user", required=True, help="owner of the new key (create)")
    create_key.add_argument("--label", default=None, help="what the key is for (create)")
    list_keys = _action(key_actions, "list", _list_keys, "prefixes, owners, labels; no secrets")
    list_keys.add_argument("--user", help="only this user's keys (list)")
    revoke = _action(key_actions, "revoke", _revoke_key, "revoke a key")
    revoke.add_argument("--prefix", required=True, help="the key's public prefix (revoke)")


def _action(
    actions: Any,
    name: str,
    work: Work,
    help_text: str,
    *parents: argparse.ArgumentParser,
) -> argparse.ArgumentParser:
    """One account action (`users create NAME`, `api-keys revoke --prefix P`...): each takes
    only its own arguments, so argparse itself refuses one that lacks what it needs."""
    parser: argparse.ArgumentParser = actions.add_parser(
        name, parents=[*parents, JSON_OPTION], help=help_text
    )
    parser.set_defaults(handler=in_transaction, work=work)
    return parser


def _new_password(args: argparse.Namespace, payload: dict[str, Any]) -> str:
    """--password, or a generated one (printed to this terminal only), or a prompt."""
    import getpass
    import secrets

    if args.password is not None:
        return str(args.password)
    if args.generate_password:
        password = payload["password"] = secrets.token_urlsafe(18)
        return password
    return getpass.getpass(f"password for {args.username}: ")


def _create_user(args: argparse.Namespace, session: Session) -> dict[str, Any]:
    from mtecg.db import accounts, audit

    payload: dict[str, Any] = {}
    password = _new_password(args, payload)
    user = accounts.create_user(
        session,
        args.username,
        password,
        role=args.role,
        organisation=args.organisation or Settings().default_organisation,
        display_name=args.display_name or "",
        one_time=args.generate_password,
    )
    audit.record(session, "user.create", "success", actor="cli", object_id=str(user.id))
    return {"user": args.username, "role": user.role, "organisation": user.organisation, **payload}


def _list_users(args: argparse.Namespace, session: Session) -> dict[str, Any]:
    from mtecg.db import accounts

    return {
        "users": [
            {
                "username": u.username,
                "role": u.role,
                "organisation": u.organisation,
                "disabled": u.disabled,
            }
            for u in accounts.list_users(session)
        ]
    }


def _disable_user(args: argparse.Namespace, session: Session) -> dict[str, Any]:
    from mtecg.db import accounts, audit

    user = accounts.disable_user(session, args.username)
    audit.record(session, "user.disable", "success", actor="cli", object_id=str(user.id))
    return {"user": args.username, "disabled": True}


def _set_password(args: argparse.Namespace, session: Session) -> dict[str, Any]:
    """Set by someone other than the user: it must be replaced at the next sign-in."""
    from mtecg.db import accounts, audit

    payload: dict[str, Any] = {}
    password = _new_password(args, payload)
    user = accounts.set_password(session, args.username, password, one_time=True)
    audit.record(session, "user.password_reset", "success", actor="cli", object_id=str(user.id))
    return {"user": args.username, "must_change_password": True, **payload}


def _create_key(args: argparse.Namespace, session: Session) -> dict[str, Any]:
    from mtecg.db import accounts, audit

    issued = accounts.create_api_key(session, args.user, args.label or "")
    audit.record(session, "api_key.create", "success", actor="cli", object_id=issued.key.prefix)
    return {"key": issued.token, "prefix": issued.key.prefix, "user": args.user}


def _revoke_key(args: argparse.Namespace, session: Session) -> dict[str, Any]:
    from mtecg.db import accounts, audit

    key = accounts.revoke_api_key(session, args.prefix)
    audit.record(session, "api_key.revoke", "success", actor="cli", object_id=key.prefix)
    return {"prefix": key.prefix, "revoked": True}


def _list_keys(args: argparse.Namespace, session: Session) -> dict[str, Any]:
    from mtecg.db import accounts

    return {
        "keys": [
            {
                "prefix": key.prefix,
                "user": username,
                "label": key.label,
                "revoked": key.revoked,
                "created_at": key.created_at.isoformat(timespec="seconds"),
            }
            for key, username in accounts.list_api_keys(session, args.user)
        ]
    }
