"""A started app (in-process, real lifespan) and helpers to call it, for the API suites."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from mtecg.api import create_app
from mtecg.api.service import Service
from mtecg.db import accounts
from support.services import settings

PASSWORD = "correct horse battery staple"


@dataclass
class Running:
    """One started app and the ways into it."""

    app: FastAPI
    client: TestClient
    data_dir: Path
    url: str

    @property
    def service(self) -> Service:
        service: Service = self.app.state.service
        return service

    def user(self, username: str, role: str = "clinician", organisation: str = "hospital-a") -> str:
        """Creates a user; returns an API key for them."""
        with self.service.sessions.begin() as db:
            accounts.create_user(db, username, PASSWORD, role=role, organisation=organisation)
            return accounts.create_api_key(db, username).token

    def upload(self, key: str, data: bytes, **fields: str) -> Any:
        return self.client.post(
            "/api/v1/screenings",
            files={"file": ("upload.bin", data, "application/octet-stream")},
            data=fields,
            headers=bearer(key),
        )


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@contextmanager
def started(url: str, data_dir: Path, model_dir: Path, **overrides: Any) -> Iterator[Running]:
    app = create_app(settings(url, data_dir, model_dir, **overrides))
    with TestClient(app, base_url="http://testserver") as client:
        yield Running(app, client, data_dir, url)
