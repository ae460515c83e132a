"""Item 1: nobody can lock another user out by failing on purpose.

The app is run as behind the web app's proxy (TestClient's peer is a trusted proxy here), so
X-Forwarded-For names the browser. An attacker failing from one address is locked out; the
real user, from their own address, still signs in. An attacker with many addresses reaches
the per-user ceiling: every try for that user is then slowed down, never refused, so the real
user still signs in (a little later). From an untrusted peer X-Forwarded-For is ignored.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.api_client import PASSWORD, Running, started

SLOW_AFTER = 6
DELAY_S = 0.4


@pytest.fixture(scope="module")
def throttled(app: Running, package: Path) -> Iterator[Running]:
    folder = app.data_dir.parent / "throttled"
    with started(
        app.url,
        folder / "data",
        package,
        login_max_failures=3,
        login_user_slow_after=SLOW_AFTER,
        login_user_delay_s=DELAY_S,
    ) as running:
        yield running


def login(app: Running, username: str, password: str, client: str) -> tuple[int, float]:
    started_at = time.monotonic()
    response = app.client.post(
        "/api/v1/auth/login",
        json={"username": username, "password": password},
        headers={"X-Forwarded-For": client},
    )
    return response.status_code, time.monotonic() - started_at


def test_one_attacker_address_cannot_lock_the_user_out(throttled: Running) -> None:
    throttled.user("victim1")
    attacker, victim = "203.0.113.9", "198.51.100.4"
    statuses = [login(throttled, "victim1", "wrong password here", attacker)[0] for _ in range(5)]
    assert statuses == [401, 401, 401, 429, 429]
    assert login(throttled, "victim1", PASSWORD, victim)[0] == 200
    # The proxy's own address is not the key: another browser behind it is not locked out.
    assert login(throttled, "victim1", PASSWORD, "198.51.100.5")[0] == 200


def test_many_addresses_slow_every_try_down_but_never_refuse_the_user(throttled: Running) -> None:
    throttled.user("victim2")
    for n in range(SLOW_AFTER):
        assert login(throttled, "victim2", "wrong password here", f"203.0.113.{n + 10}")[0] == 401
    assert throttled.service.throttle.delay_s("victim2") == DELAY_S
    status, seconds = login(throttled, "victim2", "wrong password here", "203.0.113.99")
    assert status == 401 and seconds >= DELAY_S  # slowed, not locked
    status, seconds = login(throttled, "victim2", PASSWORD, "198.51.100.4")
    assert status == 200 and seconds >= DELAY_S


def test_forwarded_for_from_an_untrusted_peer_is_ignored(app: Running, package: Path) -> None:
    folder = app.data_dir.parent / "no-proxy"
    with started(app.url, folder / "data", package, trusted_proxies=[]) as direct:
        direct.user("victim3")
        for n in range(5):
            login(direct, "victim3", "wrong password here", f"203.0.113.{n}")
        # Rotating X-Forwarded-For did not make those five tries five different clients.
        assert login(direct, "victim3", PASSWORD, "198.51.100.4")[0] == 429
