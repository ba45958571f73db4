"""An MCP server given to ``create_app`` answers at ``/mcp`` of the same app; the API's own
404 and 405 answers stay JSON."""

from __future__ import annotations

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
        registry=test_manager.registry,
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
