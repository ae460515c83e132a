"""Migrations upgrade from empty and downgrade one step on SQLite and PostgreSQL, and the app
refuses to start on a database behind this code unless told to migrate."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import inspect
from support.services import BACKENDS, database, settings, tiny_package

from mtecg.api import create_app
from mtecg.api.service import DatabaseBehindError
from mtecg.db import migrate
from mtecg.db.engine import make_engine


@pytest.mark.parametrize("backend", BACKENDS)
def test_upgrade_from_empty_and_downgrade_one_step(backend: str, tmp_path: Path) -> None:
    with database(backend, tmp_path) as url:
        engine = make_engine(url)
        try:
            assert migrate.current_revision(engine) is None
            migrate.upgrade(engine)
            assert migrate.current_revision(engine) == migrate.head_revision()
            tables = set(inspect(engine).get_table_names())
            assert {"users", "api_keys", "sessions", "screenings", "audit_events"} <= tables
            migrate.downgrade(engine, "0011")
            assert migrate.current_revision(engine) == "0011"
            assert "key_version" not in {
                c["name"] for c in inspect(engine).get_columns("audit_events")
            }
            migrate.downgrade(engine, "0002")
            assert migrate.current_revision(engine) == "0002"
            columns = {c["name"] for c in inspect(engine).get_columns("screenings")}
            assert "patient_ref_ciphertext" not in columns and "patient_ref_hmac" in columns
            assert "must_change_password" not in {
                c["name"] for c in inspect(engine).get_columns("users")
            }
            migrate.downgrade(engine, "0001")
            assert "screenings" not in inspect(engine).get_table_names()
            migrate.upgrade(engine)
            assert "patient_ref_ciphertext" in {
                c["name"] for c in inspect(engine).get_columns("screenings")
            }
            assert migrate.current_revision(engine) == migrate.head_revision()
        finally:
            engine.dispose()


@pytest.mark.parametrize("backend", BACKENDS)
def test_app_refuses_a_database_behind_unless_told_to_migrate(backend: str, tmp_path: Path) -> None:
    model = tiny_package(tmp_path / "model")
    with database(backend, tmp_path) as url:
        engine = make_engine(url)
        migrate.upgrade(engine, "0001")
        engine.dispose()
        app = create_app(settings(url, tmp_path / "data", model))
        with pytest.raises(DatabaseBehindError, match="mtecg db upgrade"), TestClient(app):
            pass
        app = create_app(settings(url, tmp_path / "data", model, migrate_on_start=True))
        with TestClient(app) as client:
            assert client.get("/readyz").status_code == 200
