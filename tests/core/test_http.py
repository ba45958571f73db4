"""HttpService: retries where safe, clear errors otherwise."""

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


def client_for(app: Starlette, retries: int = 3) -> tdm.HttpService:
    transport = httpx2.ASGITransport(app=app)
    return tdm.HttpService(
        "svc", httpx2.AsyncClient(transport=transport, base_url="http://svc"), retries=retries,
        backoff=0.001,
    )  # fmt: skip


@pytest.mark.parametrize("status", [429, 502, 503, 504])
async def test_retries_transient_statuses_when_safe(status: int) -> None:
    """Gateway errors are retried for idempotent calls; throttling for any."""
    app, seen = flaky_app([status, status])
    response = await client_for(app).request("GET", "/x")
    assert response.json() == {"ok": True}
    assert seen == ["GET"] * 3


@pytest.mark.parametrize(("status", "outcome"), [(502, "unknown"), (503, "unknown"),
                                                 (504, "unknown"), (429, None)])  # fmt: skip
async def test_a_create_whose_outcome_is_unknown_is_not_sent_again(
    status: int, outcome: str | None
) -> None:
    """A POST answered by a gateway error may have been processed behind it: it is not sent
    blindly again, and the error says the outcome is unknown. A 429 was refused: retried."""
    app, seen = flaky_app([status])
    if outcome is None:
        assert (await client_for(app).request("POST", "/x")).status_code == 200
        assert seen == ["POST", "POST"]
        return
    with pytest.raises(tdm.TargetError) as info:
        await client_for(app).request("POST", "/x")
    assert seen == ["POST"]
    assert (info.value.outcome, info.value.acted_on) == (outcome, True)


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
        client = tdm.HttpService("backend", raw, retries=1, backoff=0.001)
        with pytest.raises(tdm.TargetUnavailable, match=r"backend: POST http://127\.0\.0\.1:\d+/x "
                           r"failed after 2 attempts") as info:  # fmt: skip
            await client.request("POST", "/x")
    assert (info.value.outcome, info.value.acted_on) == ("not_sent", False)
