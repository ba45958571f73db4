"""The HTTP API on the real shop: in process (ASGI) and served by uvicorn on a real socket."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx2
import pytest
from starlette.applications import Starlette

import tdm
import tdm_scenarios
from tdm_server import create_app
from tdm_server._serve import _Server, bind, server_config

# Scenarios that fail halfway, for the error paths, served beside the shop's catalog.
registry = tdm.Registry("server-tests")


@registry.scenario
async def same_email_twice(s: tdm.Session) -> None:
    """Creates a user, then another with the same email: the shop answers 409."""
    user = await s.create("user")
    await s.create("user", email=user.email)


@registry.scenario
async def broken_after_a_user(s: tdm.Session) -> None:
    """Creates a user, then fails in its own code (a bug, not input)."""
    await s.create("user")
    raise RuntimeError("a bug in the scenario")


@pytest.fixture
async def test_manager(manager: tdm.Manager) -> tdm.Manager:
    """The ``manager`` fixture's settings and ledger, with the failing scenarios added."""
    return tdm.Manager(
        manager.settings, registry=[tdm_scenarios.registry, registry], ledger=manager.ledger
    )


@pytest.fixture
async def app(test_manager: tdm.Manager) -> AsyncIterator[Starlette]:
    """The app with its lifespan entered (ASGITransport does not run it)."""
    app = create_app(test_manager)
    async with lifespan(app):
        yield app


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    """The app's lifespan entered and left in a task of its own, as a server runs it (a
    fixture's setup and teardown may run in different tasks; the lifespan's task group may not)."""
    started, stop = asyncio.Event(), asyncio.Event()

    async def run() -> None:
        async with app.router.lifespan_context(app):
            started.set()
            await stop.wait()

    task = asyncio.create_task(run())
    waiting = asyncio.create_task(started.wait())
    await asyncio.wait([task, waiting], return_when=asyncio.FIRST_COMPLETED)
    if task.done():  # the lifespan failed to start: its error
        waiting.cancel()
        task.result()
    try:
        yield
    finally:
        stop.set()
        await task


@pytest.fixture
async def client(app: Starlette) -> AsyncIterator[httpx2.AsyncClient]:
    """An HTTP client of the app, in process."""
    transport = httpx2.ASGITransport(app=app)
    async with httpx2.AsyncClient(transport=transport, base_url="http://127.0.0.1:3001") as c:
        yield c


@asynccontextmanager
async def serving(app: Any) -> AsyncIterator[str]:
    """Serve ``app`` with uvicorn (as ``tdm serve`` configures it) on a free port of 127.0.0.1
    in this loop; yield its URL."""
    sock = bind("127.0.0.1", 0)
    server = _Server(server_config(app))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        if task.done():
            task.result()
            raise AssertionError("the server did not start")
        await asyncio.sleep(0.005)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        await task
        sock.close()


@pytest.fixture
async def live(test_manager: tdm.Manager) -> AsyncIterator[str]:
    """The base URL of the API served on a real socket."""
    async with serving(create_app(test_manager)) as url:
        yield url


@pytest.fixture
async def http(live: str) -> AsyncIterator[httpx2.AsyncClient]:
    """An HTTP client of the API over the real socket."""
    async with httpx2.AsyncClient(base_url=live, trust_env=False, timeout=30) as c:
        yield c


def assert_error_shape(body: Any) -> None:
    """``{error, detail, fields: [{field, expected, got, message}]}``."""
    assert isinstance(body, dict), body
    assert isinstance(body["error"], str)
    assert body["error"]
    assert isinstance(body["detail"], str)
    assert body["detail"]
    assert isinstance(body["fields"], list)
    for field in body["fields"]:
        assert set(field) == {"field", "expected", "got", "message"}, field
        assert isinstance(field["field"], str)
        assert isinstance(field["message"], str)
