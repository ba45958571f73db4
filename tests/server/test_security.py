"""Safe where others can reach it: the token, cross-site requests, Host checks, no-store and the
limits, over a real socket (uvicorn as ``tdm serve`` configures it), outcomes in the shop."""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio.to_thread
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from starlette.routing import Route

import tdm
from tdm.boundary import Unauthorized
from tdm_server import create_app
from tdm_server.mcp import create_mcp_server

from ..support import Inspector, serving_in_thread
from .conftest import assert_error_shape, serving

TOKEN_A = "token-a-" + uuid.uuid4().hex
TOKEN_B = "token-b-" + uuid.uuid4().hex
MCP_HEADERS = {"Accept": "application/json, text/event-stream"}
PING = {"jsonrpc": "2.0", "id": 1, "method": "ping"}


@pytest.fixture
def shop(sqlite_shop: Inspector) -> Inspector:
    """Access control does not depend on the shop's database: SQLite only."""
    return sqlite_shop


def configured(manager: tdm.Manager, **env: str) -> tdm.Manager:
    """``manager`` with more settings, on the same catalog and ledger."""
    settings = manager.settings.evolve(env={**manager.settings.env, **env})
    return tdm.Manager(settings, registry=manager.catalog, ledger=manager.ledger)


@asynccontextmanager
async def served(manager: tdm.Manager) -> AsyncIterator[str]:
    """The API and /mcp of ``manager`` on a real socket, the manager open; yield the URL."""
    app = create_app(manager, mcp_server=create_mcp_server(manager))
    async with serving(app) as url:
        yield url


def http(url: str, **options: Any) -> httpx2.AsyncClient:
    return httpx2.AsyncClient(base_url=url, trust_env=False, timeout=30, **options)


def _route_requests(manager: tdm.Manager) -> list[tuple[str, str]]:
    """Every (method, path) of the API, templates filled in, creates before the cleanup."""
    app = create_app(manager)
    found = []
    for route in app.routes:
        assert isinstance(route, Route)
        path = route.path.replace("{kind}", "user").replace("{name}", "user-with-orders")
        found += [(m, path) for m in sorted(route.methods or ()) if m != "HEAD"]
    return sorted(found, key=lambda r: r[0] == "DELETE")


@pytest.mark.usefixtures("seeded")
async def test_with_a_token_every_route_but_health_needs_it(
    test_manager: tdm.Manager, shop: Inspector
) -> None:
    """Without the token each /api route and /mcp answers 401 (and does nothing); with either
    token of TDM_API_TOKEN (rotation) the same requests work."""
    manager = configured(test_manager, TDM_API_TOKEN=f"{TOKEN_A}, {TOKEN_B}")
    routes = _route_requests(manager)
    assert len(routes) >= 10
    run = f"security-{uuid.uuid4().hex[:8]}"
    before = await manager.ledger.count()
    async with served(manager) as url, http(url, headers={"X-TDM-Run-Id": run}) as client:
        for method, path in routes:
            body = {"runId": run} if method == "DELETE" else {}
            for headers in ({}, {"Authorization": "Bearer wrong-token-0123456789"},
                            {"Authorization": f"Basic {TOKEN_A}"}):  # fmt: skip
                answer = await client.request(method, path, json=body, headers=headers)
                if path == "/api/health":
                    assert answer.status_code == 200, answer.text
                    continue
                assert answer.status_code == 401, (method, path, answer.text)
                assert answer.json()["error"] == "unauthorized"
                assert answer.headers["www-authenticate"].startswith("Bearer")
                assert_error_shape(answer.json())
        assert await manager.ledger.count() == before, "nothing was done without the token"
        answer = await client.post("/mcp", json=PING, headers=MCP_HEADERS)
        assert (answer.status_code, answer.json()["error"]) == (401, "unauthorized")

        statuses = {}
        for index, (method, path) in enumerate(routes):
            token = (TOKEN_A, TOKEN_B)[index % 2]
            body = {"runId": run} if method == "DELETE" else {}
            headers = {"Authorization": f"bearer {token}"}
            answer = await client.request(method, path, json=body, headers=headers)
            statuses[(method, path)] = answer.status_code
        assert statuses[("POST", "/api/users")] == 201
        assert statuses[("POST", "/api/entities/user")] == 201
        assert statuses[("GET", "/api/scenarios")] == 200
        assert statuses[("GET", "/api/tracked")] == 200
        assert statuses[("DELETE", "/api/cleanup")] == 200
        assert statuses[("POST", "/api/orders")] == 422, "it got as far as validating the body"
        assert all(s < 500 and s not in (401, 403, 421) for s in statuses.values()), statuses
        assert await manager.ledger.count(run_id=run) == 0, "the cleanup removed what was made"


@pytest.mark.usefixtures("seeded")
async def test_mcp_with_the_token_works(test_manager: tdm.Manager, shop: Inspector) -> None:
    manager = configured(test_manager, TDM_API_TOKEN=TOKEN_A)
    async with (
        served(manager) as url,
        http(url, headers={"Authorization": f"Bearer {TOKEN_A}"}) as client,
        Client(streamable_http_client(f"{url}/mcp", http_client=client)) as mcp,
    ):
        tools = {t.name for t in (await mcp.list_tools()).tools}
        made = await mcp.call_tool("create_user", {})
        assert {"create_user", "cleanup_my_data", "check_health"} <= tools
        email = made.structured_content["entities"][0]["email"]  # type: ignore[index]
        assert shop.users(email)
        await mcp.call_tool("cleanup_my_data", {})
    assert shop.users(email) == []


async def test_the_clients_send_the_token(test_manager: tdm.Manager, shop: Inspector) -> None:
    """``token=`` and ``TDM_API_TOKEN`` (its first token): the clients are let in; without it,
    the server's 401 comes back as the same exception."""
    manager = configured(test_manager, TDM_API_TOKEN=f"{TOKEN_A},{TOKEN_B}")
    async with served(manager) as url:
        async with tdm.AsyncClient(url) as anonymous:
            assert (await anonymous.health())["status"] == "healthy"
            with pytest.raises(Unauthorized, match="sends no token"):
                await anonymous.catalog()
        env = {"TEST_DATA_MANAGER_URL": url, "TDM_API_TOKEN": f"{TOKEN_B}, {TOKEN_A}"}
        async with tdm.AsyncClient.from_env(env) as client:
            client.start_tracking()
            (user,) = (await client.create_user())["users"]
            assert shop.users(user["email"])
            assert (await client.cleanup()).complete
        assert shop.users(user["email"]) == []
    with serving_in_thread(create_app(manager)) as url:

        def sync_calls() -> None:
            with tdm.Client(url, token=TOKEN_A) as client:
                assert client.catalog()["scenarios"]
            with (
                tdm.Client(url, token="not-the-token-0123456789") as client,
                pytest.raises(Unauthorized, match="not accepted"),
            ):
                client.catalog()

        await anyio.to_thread.run_sync(sync_calls)


async def test_a_short_token_is_refused(test_manager: tdm.Manager) -> None:
    with pytest.raises(tdm.ConfigError, match="TDM_API_TOKEN") as caught:
        create_app(configured(test_manager, TDM_API_TOKEN="short-secret"))
    assert "short-secret" not in str(caught.value)


@pytest.mark.usefixtures("seeded")
async def test_cross_site_requests_are_refused(live: str, test_manager: tdm.Manager) -> None:
    """What a page of another site can send without a preflight (a text/plain POST) is refused
    (403); the server's own pages must send JSON (415 otherwise); nothing was created."""
    own = live
    before = await test_manager.ledger.count()
    async with http(live) as client:
        for origin, ctype, status, code in (
            ("http://evil.example", "text/plain", 403, "forbidden"),
            ("http://evil.example", "application/json", 403, "forbidden"),
            ("null", "text/plain", 403, "forbidden"),
            (own, "text/plain", 415, "unsupported_media_type"),
            (own, "application/x-www-form-urlencoded", 415, "unsupported_media_type"),
        ):
            headers = {"Origin": origin, "Content-Type": ctype}
            answer = await client.post("/api/users", content=b"{}", headers=headers)
            assert (answer.status_code, answer.json()["error"]) == (status, code), origin
            assert_error_shape(answer.json())
        answer = await client.request("DELETE", "/api/cleanup", content=b'{"all": true}',
                                      headers={"Origin": "http://evil.example"})  # fmt: skip
        assert answer.status_code == 403
        assert await test_manager.ledger.count() == before
        made = await client.post("/api/users", json={}, headers={"Origin": own})
        assert made.status_code == 201
        assert "access-control-allow-origin" not in made.headers, "no CORS for its own pages"
        # The design's curl (no Origin): a JSON body under curl's default type still works.
        form = {"Content-Type": "application/x-www-form-urlencoded"}
        body = json.dumps({"trackingIds": made.json()["trackingIds"]})
        cleaned = await client.request("DELETE", "/api/cleanup", content=body, headers=form)
        assert cleaned.status_code == 200
        assert cleaned.json()["deleted"]["users"] == 1


async def test_listed_origins_get_cors_answers(test_manager: tdm.Manager, shop: Inspector) -> None:
    manager = configured(test_manager, TDM_ALLOWED_ORIGINS="http://localhost:5173, https://*.test")
    async with served(manager) as url, http(url) as client:
        preflight = await client.options(
            "/api/users",
            headers={"Origin": "http://localhost:5173", "Access-Control-Request-Method": "POST",
                     "Access-Control-Request-Headers": "content-type, authorization"},
        )  # fmt: skip
        assert preflight.status_code == 204
        assert preflight.headers["access-control-allow-origin"] == "http://localhost:5173"
        assert "Authorization" in preflight.headers["access-control-allow-headers"]
        made = await client.post("/api/users", json={}, headers={"Origin": "https://qa.test"})
        assert made.status_code == 201
        assert made.headers["access-control-allow-origin"] == "https://qa.test"
        assert shop.users(made.json()["users"][0]["email"])
        refused = await client.options(
            "/api/users",
            headers={"Origin": "http://evil.example", "Access-Control-Request-Method": "POST"},
        )
        assert refused.status_code == 403
        assert "access-control-allow-origin" not in refused.headers
        await client.request(
            "DELETE", "/api/cleanup", json={"trackingIds": made.json()["trackingIds"]}
        )


@pytest.mark.parametrize(
    ("env", "host", "allowed"),
    [
        ({}, "evil.example", False),
        ({}, "evil.example:3001", False),
        ({}, "localhost.evil.example", False),
        ({}, "localhost:3001", True),
        ({}, "127.0.0.1:9", True),
        ({}, "[::1]:3001", True),
        ({}, "192.168.7.9:3001", True),  # an address: no name to rebind
        ({"TDM_ALLOWED_HOSTS": "tdm"}, "tdm:3001", True),
        ({"TDM_ALLOWED_HOSTS": "tdm:3001"}, "tdm:3002", False),
        ({"TDM_ALLOWED_HOSTS": "*.ci.internal"}, "tdm.ci.internal:80", True),
        ({"TDM_MCP_ALLOWED_HOSTS": "tdm:*"}, "tdm:3001", True),
    ],
)
async def test_a_foreign_host_is_misdirected_on_api_and_mcp(
    test_manager: tdm.Manager, env: dict[str, str], host: str, allowed: bool
) -> None:
    """One allow-list for /api and /mcp: foreign Host values get 421 (DNS rebinding)."""
    async with served(configured(test_manager, **env)) as url, http(url) as client:
        for method, path, body in (("GET", "/api/health", None), ("GET", "/api/scenarios", None),
                                   ("POST", "/mcp", PING)):  # fmt: skip
            headers = {"Host": host, **(MCP_HEADERS if path == "/mcp" else {})}
            answer = await client.request(method, path, json=body, headers=headers)
            assert (answer.status_code != 421) is allowed, (path, answer.text)
            if not allowed:
                assert answer.json()["error"] == "misdirected_request"
                assert "TDM_ALLOWED_HOSTS" in answer.json()["detail"]


def _raw(url: str, request: bytes) -> bytes:
    """Send raw bytes to the server at ``url``; what it answers before closing (or within 30 s)."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            sock.sendall(request)  # it may stop reading: its answer is what counts
        chunks = []
        try:
            while chunk := sock.recv(65536):
                chunks.append(chunk)
                if b"\r\n\r\n" in b"".join(chunks) and b"connection: close" not in chunks[0]:
                    break
        except (ConnectionResetError, TimeoutError):
            pass
    return b"".join(chunks)


async def test_a_request_without_host_is_misdirected(live: str) -> None:
    answer = await anyio.to_thread.run_sync(_raw, live, b"GET /api/health HTTP/1.0\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 421 ")
    assert b"misdirected_request" in answer


async def test_every_answer_says_no_store(live: str) -> None:
    async with http(live) as client:
        answers = [
            await client.get("/api/health"),
            await client.get("/api/nope"),
            await client.get("/api/health", headers={"Host": "evil.example"}),
            await client.post("/api/users", content=b"x", headers={"Origin": "http://e.example"}),
        ]
    assert [a.headers["cache-control"] for a in answers] == ["no-store"] * 4


async def test_mcp_answers_say_no_store(test_manager: tdm.Manager) -> None:
    async with served(test_manager) as url, http(url) as client:
        answer = await client.post("/mcp", json=PING, headers=MCP_HEADERS)
    assert answer.status_code == 400  # no session: but an answer of the MCP app
    assert answer.headers["cache-control"] == "no-store"


async def test_headers_over_the_limits_get_431(live: str, test_manager: tdm.Manager) -> None:
    async with http(live) as client:
        for headers in (
            {"X-Big": "x" * (8 * 1024 + 1)},
            {f"X-Part-{i}": "x" * 8000 for i in range(5)},
        ):
            answer = await client.post("/api/users", json={}, headers=headers)
            assert answer.status_code == 431, answer.text
            assert answer.json()["error"] == "header_too_large"
            assert_error_shape(answer.json())
        assert (await client.get("/api/health", headers={"X-Fine": "x" * 8000})).status_code == 200
    assert await test_manager.ledger.count() == 0


async def test_a_huge_header_is_refused_before_it_is_buffered(live: str) -> None:
    """A 1 MB header value that has not even ended: the server answers 431 and closes once
    the head passes 64 KiB, instead of buffering it waiting for more."""
    request = b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Huge: " + b"x" * 1024 * 1024
    answer = await anyio.to_thread.run_sync(_raw, live, request)
    assert answer.startswith(b"HTTP/1.1 431 "), answer[:200]
    assert b'"header_too_large"' in answer


async def test_large_bodies_on_one_connection_are_no_heads(live: str) -> None:
    """Bodies near 1 MiB, one after another on a kept-alive connection: the head bound counts
    heads only (a read that ends a body and starts the next head is not a head)."""
    body = json.dumps({"filler": "x" * (900 * 1024)}).encode()
    async with http(live) as client:
        for _ in range(3):
            answer = await client.post("/api/users", content=body, headers={"X-A": "b"})
            assert (answer.status_code, answer.json()["error"]) == (422, "validation_error")
        assert (await client.get("/api/health")).status_code == 200


async def test_mcp_bodies_are_bounded_and_checked_for_depth(test_manager: tdm.Manager) -> None:
    deep = b'{"jsonrpc": "2.0", "id": 1, "method": "ping", "params": {"x": ' + b"[" * 70
    deep += b"]" * 70 + b"}}"
    huge = b'{"jsonrpc": "2.0", "id": 1, "method": "x", "params": {"p": "' + b"x" * 1024 * 1024
    async with served(test_manager) as url, http(url) as client:
        headers = {**MCP_HEADERS, "Content-Type": "application/json"}
        answer = await client.post("/mcp", content=deep, headers=headers)
        assert (answer.status_code, answer.json()["error"]) == (422, "nested_too_deeply")
        answer = await client.post("/mcp", content=huge + b'"}}', headers=headers)
        assert (answer.status_code, answer.json()["error"]) == (413, "payload_too_large")


async def test_created_users_passwords_are_answered_but_never_logged(
    live: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A test user's password is the caller's: in the create answer, in no log line (every
    logger at DEBUG: tdm's, uvicorn's, httpx2's)."""
    with caplog.at_level(logging.DEBUG):
        async with http(live) as client:
            made = (await client.post("/api/users", json={})).json()
            (user,) = made["users"]
            await client.request(
                "DELETE", "/api/cleanup", json={"trackingIds": made["trackingIds"]}
            )
    assert len(user["password"]) >= 8
    assert caplog.records, "the server logged something at DEBUG"
    assert user["password"] not in caplog.text
