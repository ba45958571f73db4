"""Running the shop: in the current event loop, on a thread, and its catch-all for bugs."""

from __future__ import annotations

import asyncio
import logging
import socket

import httpx2
import pytest
from starlette.routing import Route

import tdm_sut
from tdm_sut import ShopThread, backend, running_shop, serve


def test_public_names():
    """The package exports a small, sorted front door."""
    assert tdm_sut.__all__ == sorted(tdm_sut.__all__)
    assert set(tdm_sut.__all__) == {
        "RunningShop",
        "ShopSettings",
        "ShopThread",
        "running_shop",
        "serve",
    }


async def test_running_shop_serves_in_the_current_loop(make_settings):
    """Inside running_shop both services answer on the ports it bound; after it, nothing does."""
    async with running_shop(make_settings()) as shop:
        assert shop.settings.auth_port != 0
        assert shop.auth_url == f"http://127.0.0.1:{shop.settings.auth_port}"
        assert shop.settings.auth_base_url == shop.auth_url
        async with httpx2.AsyncClient(trust_env=False) as client:
            assert (await client.get(f"{shop.auth_url}/auth/health")).status_code == 200
            assert (await client.get(f"{shop.backend_url}/api/health")).status_code == 200
    async with httpx2.AsyncClient(trust_env=False) as client:
        with pytest.raises(httpx2.ConnectError):
            await client.get(f"{shop.backend_url}/api/health")


async def test_serve_returns_when_stopped(make_settings):
    """serve() runs until its stop event is set, reporting the running shop first."""
    stop = asyncio.Event()
    seen = []

    def ready(shop):
        seen.append(shop.backend_url)
        stop.set()

    await asyncio.wait_for(serve(make_settings(), stop=stop, ready=ready), 10)
    assert len(seen) == 1


async def test_cancelling_serve_stops_the_shop(make_settings):
    """Cancelling the task running serve() closes the ports."""
    started = asyncio.Event()
    urls = []

    def ready(shop):
        urls.append(shop.backend_url)
        started.set()

    task = asyncio.create_task(serve(make_settings(), ready=ready))
    await asyncio.wait_for(started.wait(), 10)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    async with httpx2.AsyncClient(trust_env=False) as client:
        with pytest.raises(httpx2.ConnectError):
            await client.get(f"{urls[0]}/api/health")


def test_shop_thread_start_and_stop(make_settings):
    """ShopThread serves once start() returns and stops on stop(); a second stop is harmless."""
    thread = ShopThread(make_settings())
    with pytest.raises(RuntimeError, match="not running"):
        _ = thread.backend_url
    thread.start()
    try:
        assert thread.settings.backend_port != 0
        answer = httpx2.get(f"{thread.backend_url}/api/health", trust_env=False)
        assert answer.status_code == 200
        with pytest.raises(RuntimeError, match="already started"):
            thread.start()
    finally:
        thread.stop()
    thread.stop()
    assert "stopped" in repr(thread)


def test_shop_thread_reports_a_port_in_use(make_settings):
    """Starting on a port that is taken fails with the port in the message."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        thread = ShopThread(make_settings(backend_port=port))
        with pytest.raises(RuntimeError, match="failed to start") as failure:
            thread.start()
    assert f":{port}" in str(failure.value.__cause__)


def test_restart_keeps_data_and_one_admin(make_settings):
    """A second start on the same SQLite files finds the data and does not duplicate the admin."""
    settings = make_settings()
    for _ in range(2):
        with ShopThread(settings) as thread:
            answer = httpx2.post(
                f"{thread.auth_url}/auth/login",
                json={"email": settings.admin_email, "password": settings.admin_password},
                trust_env=False,
            )
            token = answer.json()["accessToken"]
            users = httpx2.get(
                f"{thread.auth_url}/auth/users",
                headers={"Authorization": f"Bearer {token}"},
                trust_env=False,
            )
    assert users.json()["total"] == 1


async def test_a_bug_answers_500_json_and_is_logged(make_settings, caplog):
    """An unexpected exception answers 500 in the error shape and logs the traceback."""

    async def broken(request):
        raise ZeroDivisionError("a bug")

    app = backend.create_app(make_settings())
    app.router.routes.append(Route("/api/broken", broken))
    transport = httpx2.ASGITransport(app=app, raise_app_exceptions=False)
    async with (
        app.router.lifespan_context(app),
        httpx2.AsyncClient(transport=transport, base_url="http://shop") as client,
    ):
        with caplog.at_level(logging.ERROR, logger="tdm_sut.errors"):
            answer = await client.get("/api/broken")
    assert answer.status_code == 500
    assert answer.json() == {
        "error": "internal_error",
        "detail": "the shop failed; see its log",
        "fields": [],
    }
    [record] = caplog.records
    assert record.exc_info is not None
    assert record.exc_info[0] is ZeroDivisionError
