"""Account work from the command line on SQLite and PostgreSQL: set-password makes a one-time
password, API keys can be listed (never their secrets), and every command on a database that is
not migrated says so and names `mtecg db upgrade`."""

from __future__ import annotations

import json

import pytest
from support.services import CliDatabase, migrated, run_cli

from mtecg.cli import main
from mtecg.db import accounts, migrate
from mtecg.db.engine import make_engine, session_factory
from mtecg.security.passwords import verify_password


def test_set_password_is_one_time_and_keys_are_listed(
    cli_database: CliDatabase, capsys: pytest.CaptureFixture[str]
) -> None:
    url = migrated(cli_database.url)
    assert run_cli(capsys, "users", "create", "nurse", "--password", "a fine passphrase")[0] == 0
    status, reset = run_cli(capsys, "users", "set-password", "nurse", "--generate-password")
    assert status == 0 and reset["must_change_password"] is True
    refused = run_cli(capsys, "users", "set-password", "nurse", "--password", "nurse-nurse-1234")
    assert refused[0] == 1 and "user name" in refused[1]["message"]
    assert run_cli(capsys, "users", "set-password", "nobody", "--password", "x1" * 8)[0] == 1
    engine = make_engine(url)
    with session_factory(engine)() as db:
        user = accounts.find_user(db, "nurse")
        assert user is not None and user.must_change_password
        assert verify_password(user.password_hash, reset["password"])
    engine.dispose()

    first = run_cli(capsys, "api-keys", "create", "--user", "nurse", "--label", "lab PC")[1]
    run_cli(capsys, "api-keys", "create", "--user", "nurse")
    run_cli(capsys, "api-keys", "revoke", "--prefix", first["prefix"])
    status, listed = run_cli(capsys, "api-keys", "list")
    assert status == 0 and len(listed["keys"]) == 2
    assert listed["keys"][0] | {"created_at": None} == {
        "prefix": first["prefix"],
        "user": "nurse",
        "label": "lab PC",
        "revoked": True,
        "created_at": None,
    }
    assert first["key"] not in json.dumps(listed)
    assert run_cli(capsys, "api-keys", "list", "--user", "someone-else")[1]["keys"] == []


@pytest.mark.parametrize("revision", [None, "0002"])
def test_commands_on_a_database_not_migrated_name_the_upgrade(
    revision: str | None, cli_database: CliDatabase, capsys: pytest.CaptureFixture[str]
) -> None:
    if revision is not None:
        engine = make_engine(cli_database.url)
        migrate.upgrade(engine, revision)
        engine.dispose()
    for argv in (
        ["users", "list"],
        ["users", "create", "nurse", "--password", "a fine passphrase"],
        ["api-keys", "list"],
        ["audit", "verify"],
    ):
        assert main(argv) == 1, argv
        captured = capsys.readouterr()
        assert "mtecg db upgrade" in captured.err and "Traceback" not in captured.err
        assert migrate.head_revision() in captured.err
