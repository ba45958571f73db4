"""Sessions of one opened manager share their targets' clients: one set per event loop, the
same HTTP clients and database engines for every session of that loop, closed as it ends.
Seen at PostgreSQL: the shop's database connections tdm holds (pg_stat_activity)."""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
import pytest

import tdm
import tdm_scenarios

from ..conftest import PG_SERVER
from ..support import Inspector

pytestmark = pytest.mark.postgres


def _manager(shop: Inspector, tmp_path: Path, app: str) -> tdm.Manager:
    """tdm on the PostgreSQL shop; its connections to the shop's backend database carry the
    application name ``app``."""
    env = shop.env()
    env["BACKEND_DB_URL"] += f"?application_name={app}"
    settings = tdm.Settings(ledger_path=tmp_path / f"{app}.sqlite3", run_id=f"run-{app}", env=env)
    return tdm.Manager(settings, registry=tdm_scenarios.registry)


def _backends(app: str) -> set[int]:
    """The server processes of the connections named ``app`` open now."""
    with psycopg.connect(PG_SERVER, autocommit=True) as connection:
        rows = connection.execute(
            "SELECT pid FROM pg_stat_activity WHERE application_name = %s", (app,)
        ).fetchall()
    return {row[0] for row in rows}


def _until(check: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + 30
    while not check():
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


async def _sessions(manager: tdm.Manager, app: str, count: int) -> list[tuple[Any, set[int]]]:
    """``count`` sessions one after another, each placing an order (its cleanup deletes it
    through the database); per session its shop client and the connections seen after it."""
    seen = []
    for _ in range(count):
        async with manager.session() as s:
            await s.run("user-with-orders", order_count=1)
            client = await s.client("shop")
        seen.append((client, await asyncio.to_thread(_backends, app)))
    return seen


async def test_an_opened_managers_sessions_share_clients_and_connections(
    postgres_shop: Inspector, tmp_path: Path
) -> None:
    app = f"tdm-{uuid.uuid4().hex[:8]}"
    manager = _manager(postgres_shop, tmp_path, app).open()
    try:
        seen = await _sessions(manager, app, 3)
    finally:
        manager.ledger.close()
    clients = {id(client) for client, _ in seen}
    engines = {id(client.backend_db) for client, _ in seen}
    assert len(clients) == len(engines) == 1
    # One pooled connection, the same server process all along, still open between sessions.
    pids = [pids for _, pids in seen]
    assert len(pids[0]) == 1
    assert pids == [pids[0]] * 3


async def test_an_unopened_managers_sessions_each_open_their_own(
    postgres_shop: Inspector, tmp_path: Path
) -> None:
    """The measure above can fail: without sharing, each session builds its own engine and
    closes it as it ends."""
    app = f"tdm-{uuid.uuid4().hex[:8]}"
    manager = _manager(postgres_shop, tmp_path, app)
    try:
        seen = await _sessions(manager, app, 2)
    finally:
        manager.ledger.close()
    assert seen[0][0] is not seen[1][0]
    assert [pids for _, pids in seen] == [set(), set()]


def test_each_event_loop_has_its_own_set_closed_as_the_loop_ends(
    postgres_shop: Inspector, tmp_path: Path
) -> None:
    """Clients are bound to their loop: a second ``asyncio.run`` (or a test's own loop) gets
    a set of its own, and each set's connections close when its loop shuts down."""
    app = f"tdm-{uuid.uuid4().hex[:8]}"
    manager = _manager(postgres_shop, tmp_path, app).open()
    found: list[tuple[Any, set[int]]] = []
    problems: list[dict[str, Any]] = []

    def in_a_loop() -> None:  # a thread of its own: this test's thread may run a loop
        with asyncio.Runner() as runner:  # what asyncio.run does, its errors seen
            runner.get_loop().set_exception_handler(lambda _, context: problems.append(context))
            found.extend(runner.run(_sessions(manager, app, 2)))

    try:
        for _ in range(2):
            thread = threading.Thread(target=in_a_loop)
            thread.start()
            thread.join()
            _until(lambda: not _backends(app), "the loop's connections were not closed")
    finally:
        manager.ledger.close()
    assert problems == []  # the sets closed cleanly as their loops ended
    (first, first_pids), (second, _), (third, third_pids), (fourth, _) = found
    assert first is second
    assert third is fourth
    assert first is not third
    assert first_pids
    assert third_pids
    assert first_pids != third_pids
    assert first.backend.client.is_closed
    assert third.backend.client.is_closed


def test_tdm_session_reuses_one_opened_manager(
    monkeypatch: pytest.MonkeyPatch, postgres_shop: Inspector, tmp_path: Path
) -> None:
    """``tdm.session()`` calls share the process-wide manager's clients."""
    app = f"tdm-{uuid.uuid4().hex[:8]}"
    env = postgres_shop.env()
    env["BACKEND_DB_URL"] += f"?application_name={app}"
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("TDM_LEDGER", str(tmp_path / "ledger.sqlite3"))
    monkeypatch.setenv("TDM_REGISTRIES", "shop")
    monkeypatch.setattr("tdm._manager._default", None)

    async def twice() -> list[Any]:
        clients = []
        for _ in range(2):
            async with tdm.session() as s:
                await s.run("user-with-orders", order_count=1)
                clients.append(await s.client("shop"))
        return clients

    found: list[Any] = []
    thread = threading.Thread(target=lambda: found.extend(asyncio.run(twice())))
    thread.start()
    thread.join()
    try:
        assert len(found) == 2
        assert found[0] is found[1]
        assert tdm.default_manager() is tdm.default_manager()
        _until(lambda: not _backends(app), "the loop's connections were not closed")
    finally:
        tdm.default_manager().ledger.close()
