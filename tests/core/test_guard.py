"""The production guard: tdm creates and deletes data only in loopback systems and those
``TDM_ALLOWED_TARGETS`` lists, and refuses before anything is sent or recorded.

The host name ``vm`` resolves to 127.0.0.1 here (as on CI): a name is refused all the same, and a
listening socket behind it shows that nothing even connected.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

import tdm
import tdm_scenarios
from tdm.boundary import check_targets, is_loopback

from ..support import Inspector
from .library import LibraryDB


@contextmanager
def listener() -> Iterator[tuple[int, socket.socket]]:
    """A socket listening on 127.0.0.1: ``connected(sock)`` says whether anyone came."""
    assert socket.gethostbyname("vm") == "127.0.0.1", (
        "these tests need the host name vm to resolve to 127.0.0.1 (/etc/hosts), as on CI"
    )
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        sock.setblocking(False)
        yield sock.getsockname()[1], sock


def connected(sock: socket.socket) -> bool:
    try:
        conn, _ = sock.accept()
    except BlockingIOError:
        return False
    conn.close()
    return True


def _settings(tmp_path: Path, env: dict[str, str]) -> tdm.Settings:
    return tdm.Settings(ledger_path=tmp_path / "ledger.sqlite3", run_id="run-guard", env=env)


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True), ("127.8.9.10", True), ("::1", True), ("[::1]", True),
        ("localhost", True), ("LOCALHOST", True), ("::ffff:127.0.0.1", True),
        ("10.0.0.1", False), ("0.0.0.0", False), ("vm", False),  # noqa: S104 ("localhost.example", False),
        ("shop.localhost", False), ("::", False),
    ],
)  # fmt: skip
def test_loopback_means_addresses_and_localhost_only(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


@pytest.mark.parametrize(
    ("url", "allowed", "refused"),
    [
        ("http://127.0.0.1:8000", "", None),
        ("http://localhost:8000/api", "", None),
        ("http://[::1]:8000", "", None),
        ("sqlite:////tmp/shop.db", "", None),
        ("sqlite+aiosqlite:///relative.db", "", None),
        ("postgresql://user@/db?host=/var/run/postgresql", "", None),
        ("http://vm:8000", "", "vm"),
        ("https://shop.example.com", "", "shop.example.com"),
        ("postgresql://u:pw@db.prod.internal:5432/shop", "", "db.prod.internal"),
        ("postgresql://u@127.0.0.1,db.prod.internal/shop", "", "db.prod.internal"),
        ("postgresql:///shop?host=db.prod.internal", "", "db.prod.internal"),
        ("http://10.1.2.3:8000", "", "10.1.2.3"),
        ("http://vm:8000", "vm", None),
        ("http://VM:8000", "other, vm", None),
        ("https://shop.staging.example.com", "*.staging.example.com", None),
        ("https://shop.example.com", "*.staging.example.com", "shop.example.com"),
        ("http://10.1.2.3:8000", "10.1.0.0/16", None),
        ("http://10.2.2.3:8000", "10.1.0.0/16", "10.2.2.3"),
        ("https://anything.example", "*", None),
    ],
)
def test_a_target_url_is_refused_unless_loopback_or_listed(
    tmp_path: Path, url: str, allowed: str, refused: str | None
) -> None:
    settings = _settings(tmp_path, {"TDM_ALLOWED_TARGETS": allowed} if allowed else {})
    if refused is None:
        tdm.guard_target(url, settings, setting="X_URL")
        return
    with pytest.raises(tdm.TargetNotAllowed) as caught:
        tdm.guard_target(url, settings, setting="X_URL")
    message = str(caught.value)
    assert f"its host {refused!r}" in message
    assert "X_URL=" in message
    assert f"TDM_ALLOWED_TARGETS={refused}" in message
    assert "pw@" not in message, "the URL's password is not shown"
    assert caught.value.http_status == 503
    assert caught.value.error_code == "target_not_allowed"


async def test_a_manager_refuses_at_start_and_nothing_reaches_the_system(
    sqlite_shop: Inspector, tmp_path: Path
) -> None:
    """``async with manager`` (what a server does at start) refuses a non-loopback name
    before opening anything: no connection reaches the socket behind ``vm``."""
    with listener() as (port, sock):
        env = {**sqlite_shop.env(), "BACKEND_URL": f"http://vm:{port}"}
        manager = tdm.Manager(_settings(tmp_path, env), registry=tdm_scenarios.registry)
        with pytest.raises(tdm.TargetNotAllowed) as caught:
            async with manager:
                pass  # pragma: no cover -- refused on entry
        assert manager.shared_clients is None
        message = str(caught.value)
        assert f"BACKEND_URL=http://vm:{port}" in message
        assert "'vm'" in message
        assert "TDM_ALLOWED_TARGETS" in message
        assert not connected(sock)
        manager.ledger.close()


@pytest.mark.parametrize("setting", ["BACKEND_URL", "AUTH_SERVICE_URL", "BACKEND_DB_URL"])
async def test_a_session_refuses_before_recording_or_sending_anything(
    sqlite_shop: Inspector, tmp_path: Path, setting: str
) -> None:
    with listener() as (port, sock):
        scheme = "postgresql" if setting.endswith("_DB_URL") else "http"
        env = {**sqlite_shop.env(), setting: f"{scheme}://postgres@vm:{port}/shop"}
        manager = tdm.Manager(_settings(tmp_path, env), registry=tdm_scenarios.registry)
        with pytest.raises(tdm.TargetNotAllowed, match=setting):
            async with manager.session() as s:
                await s.create("user")  # pragma: no cover -- refused on entry
        assert await manager.ledger.count() == 0
        assert not connected(sock)
        health = await manager.health()
        assert health.status == "unhealthy"
        targets = [c for c in health.checks if c.name != "ledger"]
        assert all("TDM_ALLOWED_TARGETS" in (c.reason or "") for c in targets)
        assert not connected(sock)
        manager.ledger.close()


@pytest.mark.parametrize("allowed", ["vm", "v?", "localhost, vm"])
async def test_a_listed_name_may_be_used(
    sqlite_shop: Inspector, tmp_path: Path, allowed: str
) -> None:
    """The same shop reached through the name ``vm``, once ``TDM_ALLOWED_TARGETS`` lists it."""
    env = {k: v.replace("127.0.0.1", "vm") for k, v in sqlite_shop.env(database=False).items()}
    env["TDM_ALLOWED_TARGETS"] = allowed
    manager = tdm.Manager(_settings(tmp_path, env), registry=tdm_scenarios.registry)
    async with manager.session() as s:
        user = await s.create("user")
        assert [u["id"] for u in sqlite_shop.users(user.email)] == [user.id]
    assert sqlite_shop.users(user.email) == []
    manager.ledger.close()


async def test_http_service_connect_refuses_before_opening(tmp_path: Path) -> None:
    with listener() as (port, sock):
        with pytest.raises(tdm.TargetNotAllowed, match="SVC_URL"):
            async with tdm.HttpService.connect(
                "svc", f"http://vm:{port}", _settings(tmp_path, {}), setting="SVC_URL"
            ):
                pass  # pragma: no cover -- refused on entry
        assert not connected(sock)


async def test_a_registry_guard_runs_before_its_targets_are_used(
    registry: tdm.Registry, library_db: LibraryDB, tmp_path: Path
) -> None:
    """A registry's own guard (here: the system must say it is a test system) refuses before
    anything is recorded or created, and runs once per set of clients when it passes."""
    calls: list[str | None] = []

    async def only_test_systems(settings: tdm.Settings) -> None:
        calls.append(settings.get("LIBRARY_ENV"))
        if settings.get("LIBRARY_ENV") != "test":
            raise tdm.TargetNotAllowed(
                "http://library", "library", setting="LIBRARY_ENV",
                reason="the library does not say it is a test system (LIBRARY_ENV=test)",
            )  # fmt: skip

    registry.add_guard(only_test_systems)
    refused = tdm.Manager(_settings(tmp_path, {}), registry=registry)
    with pytest.raises(tdm.TargetNotAllowed, match="does not say it is a test system"):
        async with refused.session() as s:
            await s.create("author")  # pragma: no cover -- refused on entry
    assert await refused.ledger.count() == 0
    assert library_db.count("authors") == 0
    refused.ledger.close()

    calls.clear()
    allowed = tdm.Manager(_settings(tmp_path, {"LIBRARY_ENV": "test"}), registry=registry)
    async with allowed:
        for _ in range(2):
            async with allowed.session() as s:
                await s.create("author")
                assert library_db.count("authors") == 1
    assert calls == ["test"], "once for the manager's shared clients"
    assert library_db.count("authors") == 0
    allowed.ledger.close()


def test_check_targets_reads_the_declared_url_settings_and_their_defaults(tmp_path: Path) -> None:
    registry = tdm.Registry("declared")
    registry.add_setting("DECLARED_URL", "the system", default="https://prod.example", url=True)
    registry.add_setting("DECLARED_NAME", "not a URL", default="https://ignored.example")
    with pytest.raises(tdm.TargetNotAllowed, match=r"DECLARED_URL=https://prod\.example"):
        check_targets([registry], _settings(tmp_path, {}))
    check_targets([registry], _settings(tmp_path, {"DECLARED_URL": "http://127.0.0.1:1"}))
