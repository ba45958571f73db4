"""Streamable HTTP: the server mounted in a Starlette app, each MCP session in a run of its own."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.server import MCPServer
from starlette.applications import Starlette
from starlette.routing import Mount

from ..support import Inspector
from .support import call, fail

BASE = "http://127.0.0.1:8000"


def host_app(server: MCPServer) -> Starlette:
    """An app like ``tdm serve``'s: the MCP app mounted last at "/", its manager in the lifespan."""
    mcp_app = server.streamable_http_app()

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        async with server.session_manager.run():
            yield

    return Starlette(routes=[Mount("/", app=mcp_app)], lifespan=lifespan)


@asynccontextmanager
async def serving(server: MCPServer) -> AsyncIterator[httpx2.AsyncClient]:
    app = host_app(server)
    async with (
        app.router.lifespan_context(app),
        httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app), base_url=BASE) as http,
    ):
        yield http


def connect(http: httpx2.AsyncClient, mode: str = "auto") -> Client:
    return Client(streamable_http_client(f"{BASE}/mcp", http_client=http), mode=mode)


@pytest.mark.usefixtures("seeded")
async def test_each_session_has_its_own_run(
    server: MCPServer, shop: Inspector, run_id: str
) -> None:
    """Two MCP sessions get two runs: one's cleanup_my_data leaves the other's data alone."""
    async with serving(server) as http, connect(http, "legacy") as a, connect(http, "legacy") as b:
        made_a = await call(a, "create_user_with_orders", {"orderCount": 1})
        made_b = await call(b, "create_user")
        assert made_a["runId"] != made_b["runId"]
        assert made_a["runId"].startswith(f"{run_id}-")
        listed_b = await call(b, "list_created")
        assert listed_b["myRunId"] == made_b["runId"]
        assert listed_b["total"] == 1
        cleaned = await call(a, "cleanup_my_data")
        assert cleaned["removed"] == len(made_a["trackingIds"])
        user_a, user_b = made_a["data"]["user"], made_b["entities"][0]
        assert shop.users(user_a["email"]) == []
        assert shop.orders(user_a["id"]) == []
        assert shop.users(user_b["email"]) != []
        (current,) = (await b.read_resource("tdm://runs/current")).contents
        assert made_b["trackingIds"][0] in getattr(current, "text", "")
        await call(b, "cleanup_my_data")
    assert shop.users(user_b["email"]) == []


async def test_sessionless_requests_share_the_base_run(
    server: MCPServer, shop: Inspector, run_id: str
) -> None:
    """Clients of the 2026 protocol have no session: their data is in the server's base run."""
    async with serving(server) as http, connect(http) as client:
        made = await call(client, "create_admin_user")
        assert made["runId"] == run_id
        message = await fail(client, "create_admin_user", {"isAdmin": True})
        assert "isAdmin: not a known field" in message
        await call(client, "cleanup_my_data")
    assert shop.users(made["data"]["user"]["email"]) == []
