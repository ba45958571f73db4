"""ApiClient: retries where safe, clear errors otherwise."""

from __future__ import annotations

import socket

import httpx2
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

import tdm


def flaky_app(failures: list[int]) -> tuple[Starlette, list[str]]:
    """Answers each status in ``failures`` in turn, then 200; records the methods it saw."""
    seen: list[str] = []

    async def endpoint(request: Request) -> Response:
        seen.append(request.method)
        if failures:
            status = failures.pop(0)
            return JSONResponse({"detail": f"failure {status}"}, status)
        return JSONResponse({"ok": True})

    return Starlette(routes=[Route("/x", endpoint, methods=["GET", "POST"])]), seen


def client_for(app: Starlette, retries: int = 3) -> tdm.ApiClient:
    transport = httpx2.ASGITransport(app=app)
    return tdm.ApiClient(
        "svc", httpx2.AsyncClient(transport=transport, base_url="http://svc"), retries=retries,
        backoff=0.001,
    )  # fmt: skip


@pytest.mark.parametrize("status", [429, 502, 503, 504])
async def test_retries_transient_statuses(status: int) -> None:
    """Throttling and gateway errors are retried, even for POST."""
    app, seen = flaky_app([status, status])
    response = await client_for(app).request("POST", "/x")
    assert response.json() == {"ok": True}
    assert seen == ["POST"] * 3


async def test_500_is_retried_only_when_idempotent() -> None:
    """A POST that failed with 500 might have happened, so it is not sent again."""
    app, seen = flaky_app([500, 500])
    assert (await client_for(app).request("GET", "/x")).status_code == 200
    app, seen = flaky_app([500])
    with pytest.raises(tdm.TargetError) as info:
        await client_for(app).request("POST", "/x")
    assert seen == ["POST"]
    assert info.value.status == 500
    assert str(info.value) == "svc: POST /x answered 500: failure 500"


async def test_gives_up_after_the_retries() -> None:
    """After the last attempt the service's own message is in the error."""
    app, seen = flaky_app([503] * 10)
    with pytest.raises(tdm.TargetError, match="answered 503: failure 503"):
        await client_for(app, retries=2).request("GET", "/x")
    assert len(seen) == 3


async def test_unreachable_service() -> None:
    """Nothing listening: TargetUnavailable names the service and the request."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    async with httpx2.AsyncClient(base_url=f"http://127.0.0.1:{port}") as raw:
        client = tdm.ApiClient("backend", raw, retries=1, backoff=0.001)
        with pytest.raises(tdm.TargetUnavailable, match=r"backend: GET /x failed after 2 attempts"):
            await client.request("GET", "/x")
