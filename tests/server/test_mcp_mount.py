"""An MCP server given to ``create_app`` answers at ``/mcp`` of the same app; the API's own
404 and 405 answers stay JSON."""

from __future__ import annotations

import threading
from collections.abc import Callable

import anyio
import anyio.from_thread
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.server import MCPServer

import tdm
from tdm_server import create_app

from ..support import Inspector
from .conftest import assert_error_shape

BASE = "http://127.0.0.1:8000"


@pytest.fixture
def shop(sqlite_shop: Inspector) -> Inspector:
    return sqlite_shop


def _server() -> MCPServer:
    server = MCPServer("x")

    @server.tool()
    def add(a: int, b: int) -> int:
        """Adds two numbers."""
        return a + b

    return server


async def test_mcp_and_the_api_in_one_app(test_manager: tdm.Manager) -> None:
    """Tools list and run over /mcp; the API's JSON errors are unchanged beside it."""
    app = create_app(test_manager, mcp_server=_server())
    async with (
        app.router.lifespan_context(app),
        httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app), base_url=BASE) as http,
    ):
        async with Client(streamable_http_client(f"{BASE}/mcp", http_client=http)) as mcp:
            tools = await mcp.list_tools()
            result = await mcp.call_tool("add", {"a": 2, "b": 3})
        assert [t.name for t in tools.tools] == ["add"]
        assert result.structured_content == {"result": 5}
        for method, path, status in (
            ("GET", "/api/users", 405),
            ("GET", "/api/nope", 404),
            ("GET", "/mcp/extra", 404),
        ):
            answer = await http.request(method, path)
            assert answer.status_code == status
            assert_error_shape(answer.json())
        assert (await http.get("/api/health")).json()["status"] == "healthy"


async def test_mcp_refuses_foreign_hosts(test_manager: tdm.Manager) -> None:
    """DNS-rebinding protection: loopback hosts pass, others get 421, configured ones pass."""
    env = {**test_manager.settings.env, "TDM_MCP_ALLOWED_HOSTS": "tdm:3001"}
    configured = tdm.Manager(
        test_manager.settings.evolve(env=env),
        registry=test_manager.catalog,
        ledger=test_manager.ledger,
    )
    app = create_app(configured, mcp_server=_server())
    body = {"jsonrpc": "2.0", "id": 1, "method": "ping"}
    headers = {"Accept": "application/json, text/event-stream"}
    async with (
        app.router.lifespan_context(app),
        httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app), base_url=BASE) as http,
    ):
        for host, allowed in (
            ("evil.example", False),
            ("tdm:3001", True),
            ("localhost:3001", True),
            ("127.0.0.1:9", True),
        ):
            answer = await http.post("/mcp", json=body, headers={**headers, "Host": host})
            assert (answer.status_code != 421) is allowed, (host, answer.status_code)


async def test_a_deferred_mcp_server_is_built_once_asked(test_manager: tdm.Manager) -> None:
    """Given a function, the app serves before it is called; the first /mcp request waits
    while it is built on another thread, and what follows uses the same server."""
    calls: list[str] = []

    def build() -> MCPServer:
        calls.append(threading.current_thread().name)
        return _server()

    app = create_app(test_manager, mcp_server=build)
    async with (
        app.router.lifespan_context(app),
        httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app), base_url=BASE) as http,
    ):
        assert calls == []
        async with Client(streamable_http_client(f"{BASE}/mcp", http_client=http)) as mcp:
            result = await mcp.call_tool("add", {"a": 2, "b": 3})
            assert (await mcp.call_tool("add", {"a": 1, "b": 1})).structured_content == {
                "result": 2
            }
        assert result.structured_content == {"result": 5}
        assert len(calls) == 1
        assert calls[0] != threading.current_thread().name


def _noting_build() -> tuple[anyio.Event, Callable[[], MCPServer]]:
    """A build of the test's MCP server, and the event it sets when it is called."""
    built = anyio.Event()

    def build() -> MCPServer:
        anyio.from_thread.run_sync(built.set)
        return _server()

    return built, build


async def test_a_deferred_mcp_server_is_built_after_the_first_answer(
    test_manager: tdm.Manager,
) -> None:
    """The API's first answer (a start-up's health check) starts the build."""
    built, build = _noting_build()
    app = create_app(test_manager, mcp_server=build)
    async with (
        app.router.lifespan_context(app),
        httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app), base_url=BASE) as http,
    ):
        assert not built.is_set()
        assert (await http.get("/api/health")).status_code == 200
        with anyio.fail_after(30):
            await built.wait()


async def test_a_failed_mcp_build_answers_503(
    test_manager: tdm.Manager, caplog: pytest.LogCaptureFixture
) -> None:
    """When building the MCP server fails, /mcp answers 503 with the reason (logged too); the
    API goes on serving."""

    def build() -> MCPServer:
        raise RuntimeError("no tools today")

    app = create_app(test_manager, mcp_server=build)
    body = {"jsonrpc": "2.0", "id": 1, "method": "ping"}
    async with (
        app.router.lifespan_context(app),
        httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app), base_url=BASE) as http,
    ):
        for _ in range(2):
            answer = await http.post("/mcp", json=body)
            assert answer.status_code == 503
            assert_error_shape(answer.json())
            assert "no tools today" in answer.json()["detail"]
        assert (await http.get("/api/health")).status_code == 200
    assert "the MCP server could not be built" in caplog.text


async def test_a_deferred_mcp_server_is_built_without_any_request(
    test_manager: tdm.Manager,
) -> None:
    """With no request at all, the build starts on its own soon after the app started."""
    built, build = _noting_build()
    app = create_app(test_manager, mcp_server=build)
    async with app.router.lifespan_context(app):
        with anyio.fail_after(30):
            await built.wait()
