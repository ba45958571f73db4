"""Running both services with uvicorn: in the current event loop, or on a thread of their own.

`running_shop` binds both sockets first (port 0 picks a free one), runs both apps' lifespans
itself, concurrently (so a database error surfaces as an exception, not a ``sys.exit``), then
serves both apps with two `uvicorn.Server` objects in the current loop. On the way out it
stops the servers, then closes the lifespans, even when cancelled.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from types import TracebackType

import attrs
import uvicorn
from starlette.applications import Starlette

from tdm_sut import auth, backend
from tdm_sut._settings import ShopSettings, url_host

logger = logging.getLogger("tdm_sut")

_STOP_TIMEOUT = 10.0


class _Server(uvicorn.Server):
    """A uvicorn server that leaves signals to whoever runs the shop."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def _bind(host: str, port: int) -> socket.socket:
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
        sock = socket.socket(family, kind, proto)
    except OSError as exc:
        raise OSError(exc.errno, f"cannot listen on {host}:{port}: {exc.strerror}") from exc
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.setblocking(False)
    except OSError as exc:
        sock.close()
        raise OSError(exc.errno, f"cannot listen on {host}:{port}: {exc.strerror}") from exc
    return sock


@attrs.define
class RunningShop:
    """Both services, serving; ``settings`` holds the ports actually bound."""

    settings: ShopSettings
    auth_url: str
    backend_url: str
    _servers: tuple[uvicorn.Server, ...] = attrs.field(repr=False, alias="servers")
    _tasks: tuple[asyncio.Task[None], ...] = attrs.field(repr=False, alias="tasks")

    def stop(self) -> None:
        """Ask both servers to stop; `running_shop` returns once they have."""
        for server in self._servers:
            server.should_exit = True

    async def wait(self) -> None:
        """Return once a server stops: after `stop`, or when one fails."""
        await asyncio.wait(self._tasks, return_when=asyncio.FIRST_COMPLETED)


async def _until_started(
    servers: tuple[uvicorn.Server, ...], tasks: tuple[asyncio.Task[None], ...]
) -> None:
    while not all(server.started for server in servers):
        for task in tasks:
            if task.done():
                task.result()
                raise RuntimeError("a shop server stopped while starting")
        await asyncio.sleep(0.005)


async def _stop(shop: RunningShop, tasks: tuple[asyncio.Task[None], ...]) -> None:
    """Stop the servers and wait for them, finishing even if cancelled meanwhile."""
    shop.stop()
    waiter = asyncio.gather(*tasks, return_exceptions=True)
    try:
        results = await asyncio.wait_for(asyncio.shield(waiter), _STOP_TIMEOUT)
    except TimeoutError:
        logger.warning("the shop servers did not stop within %s s; cancelling them", _STOP_TIMEOUT)
        for task in tasks:
            task.cancel()
        return
    except asyncio.CancelledError:
        await asyncio.wait([waiter], timeout=_STOP_TIMEOUT)
        raise
    for result in results:
        if isinstance(result, Exception):
            logger.error("a shop server failed", exc_info=result)


def _uvicorn(app: Starlette) -> _Server:
    config = uvicorn.Config(
        app,
        lifespan="off",
        log_config=None,
        ws="none",
        timeout_graceful_shutdown=5,
    )
    return _Server(config)


@contextlib.asynccontextmanager
async def running_shop(settings: ShopSettings) -> AsyncIterator[RunningShop]:
    """Serve the Auth Service and the Backend in the current event loop while inside."""
    async with contextlib.AsyncExitStack() as stack:
        auth_socket = stack.enter_context(_bind(settings.host, settings.auth_port))
        backend_socket = stack.enter_context(_bind(settings.host, settings.backend_port))
        actual = attrs.evolve(
            settings,
            auth_port=auth_socket.getsockname()[1],
            backend_port=backend_socket.getsockname()[1],
        )
        auth_app = auth.create_app(actual)
        backend_app = backend.create_app(actual)
        # Both lifespans at once: each waits on its database (and the Auth Service on hashing
        # its admin's password) while the other works.
        try:
            async with asyncio.TaskGroup() as starting:
                for app in (auth_app, backend_app):
                    lifespan = app.router.lifespan_context(app)
                    starting.create_task(stack.enter_async_context(lifespan))
        except ExceptionGroup as group:  # the first failure, as if they had started in turn
            raise group.exceptions[0] from None
        servers = (_uvicorn(auth_app), _uvicorn(backend_app))
        tasks = (
            asyncio.create_task(servers[0].serve(sockets=[auth_socket]), name="tdm-sut-auth"),
            asyncio.create_task(servers[1].serve(sockets=[backend_socket]), name="tdm-sut-backend"),
        )
        host = url_host(actual.host)
        shop = RunningShop(
            settings=actual,
            auth_url=f"http://{host}:{actual.auth_port}",
            backend_url=f"http://{host}:{actual.backend_port}",
            servers=servers,
            tasks=tasks,
        )
        try:
            await _until_started(servers, tasks)
            yield shop
        finally:
            await _stop(shop, tasks)


async def serve(
    settings: ShopSettings,
    *,
    stop: asyncio.Event | None = None,
    ready: Callable[[RunningShop], object] | None = None,
) -> None:
    """Run the shop in the current event loop until ``stop`` is set or the task is cancelled.

    ``ready`` is called with the `RunningShop` once both services answer.
    """
    async with running_shop(settings) as shop:
        if ready is not None:
            ready(shop)
        waits: list[asyncio.Future[object]] = [asyncio.ensure_future(shop.wait())]
        if stop is not None:
            waits.append(asyncio.ensure_future(stop.wait()))
        try:
            await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiting in waits:
                waiting.cancel()


class ShopThread:
    """The shop on a thread with its own event loop, for code without a long-lived loop.

    ``start()`` returns once both services answer; ``stop()`` shuts them down. As a context
    manager it does both.
    """

    def __init__(self, settings: ShopSettings, *, start_timeout: float = 30.0) -> None:
        self._settings = settings
        self._start_timeout = start_timeout
        self._ready = threading.Event()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._shop: RunningShop | None = None
        self._error: BaseException | None = None

    def __repr__(self) -> str:
        where = "stopped" if self._shop is None else self._shop.backend_url
        return f"<ShopThread {where}>"

    @property
    def settings(self) -> ShopSettings:
        """The settings, with the bound ports once started."""
        return self._settings if self._shop is None else self._shop.settings

    @property
    def auth_url(self) -> str:
        return self._running().auth_url

    @property
    def backend_url(self) -> str:
        return self._running().backend_url

    def _running(self) -> RunningShop:
        if self._shop is None:
            raise RuntimeError("the shop is not running; call start() first")
        return self._shop

    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError("this ShopThread was already started")
        self._thread = threading.Thread(target=asyncio.run, args=(self._main(),), daemon=True)
        self._thread.name = "tdm-sut"
        self._thread.start()
        if not self._ready.wait(self._start_timeout):
            raise TimeoutError(f"the shop did not start within {self._start_timeout} s")
        if self._error is not None:
            self._thread.join()
            raise RuntimeError("the shop failed to start") from self._error

    def stop(self) -> None:
        """Stop both services and wait for the thread; harmless when not running."""
        loop, shop, thread = self._loop, self._shop, self._thread
        if loop is not None and shop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                loop.call_soon_threadsafe(shop.stop)
        if thread is not None:
            thread.join(_STOP_TIMEOUT + 5)
        self._shop = None

    async def _main(self) -> None:
        try:
            async with running_shop(self._settings) as shop:
                self._loop = asyncio.get_running_loop()
                self._shop = shop
                self._ready.set()
                await shop.wait()
        except Exception as exc:
            if self._ready.is_set():
                logger.exception("the shop stopped with an error")
            self._error = exc
        finally:
            self._ready.set()

    def __enter__(self) -> ShopThread:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
