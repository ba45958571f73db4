"""``tdm serve``: the HTTP API (and the MCP endpoint) with uvicorn, optionally with the demo shop.

With ``--demo`` the reference shop runs in the same process and event loop, on its own ports
(free ones unless configured), with SQLite files in a data directory; tdm is pointed at it
(its URLs, its databases, its bootstrap admin). SIGINT and SIGTERM stop everything cleanly:
the API first, then the shop.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import signal
import socket
from collections.abc import Callable, Iterator
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any, TextIO

import anyio
import attrs
import uvicorn

import tdm

from ._app import create_app

__all__ = ["DemoOptions", "bind", "load_mcp_server", "serve_command"]

log = logging.getLogger("tdm.server")

_STOP_TIMEOUT = 10.0


class _Server(uvicorn.Server):
    """A uvicorn server that leaves signals to ``tdm serve`` (uvicorn re-raises them)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def _url_host(host: str) -> str:
    if host in ("", "0.0.0.0"):  # noqa: S104 -- mapping the wildcard to loopback, not binding
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    return f"[{host}]" if ":" in host else host


def bind(host: str, port: int) -> socket.socket:
    """A listening-ready socket on ``host:port`` (port 0: a free one), or a clear OSError."""
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


def load_mcp_server(manager: tdm.Manager) -> tuple[Any, str | None]:
    """``tdm_server.mcp.create_mcp_server(manager)``, or ``None`` and why it is unavailable."""
    try:
        module = importlib.import_module("tdm_server.mcp")
        factory = module.create_mcp_server
    except (ImportError, AttributeError) as exc:
        return None, f"tdm_server.mcp is not available ({exc})"
    try:
        return factory(manager), None
    except Exception as exc:
        log.exception("the MCP server could not be built")
        return None, f"building the MCP server failed ({type(exc).__name__}: {exc})"


async def _serve_app(
    app: Any, sock: socket.socket, stop: anyio.Event, ready: Callable[[], None]
) -> None:
    config = uvicorn.Config(app, lifespan="on", log_config=None, ws="none",
                            timeout_graceful_shutdown=5)  # fmt: skip
    server = _Server(config)
    finished = anyio.Event()

    async def run() -> None:
        try:
            await server.serve(sockets=[sock])
        finally:
            finished.set()

    async def stopper() -> None:
        await stop.wait()
        server.should_exit = True

    async with anyio.create_task_group() as tg:
        tg.start_soon(run)
        while not server.started:
            if finished.is_set():
                raise RuntimeError("the tdm API did not start; the log above says why")
            await anyio.sleep(0.01)
        ready()
        tg.start_soon(stopper)
        await finished.wait()
        tg.cancel_scope.cancel()


@attrs.frozen
class DemoOptions:
    """Where the demo shop keeps its data and which ports it listens on (0: free ones)."""

    data_dir: Path
    auth_port: int = 0
    backend_port: int = 0


def _demo_shop_settings(settings: tdm.Settings, host: str, demo: DemoOptions) -> Any:
    from tdm_sut import ShopSettings

    data_dir = demo.data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    shop = ShopSettings(
        host=host,
        auth_port=demo.auth_port,
        backend_port=demo.backend_port,
        data_dir=data_dir,
        admin_email=settings.get("TDM_ADMIN_EMAIL", "admin@shop.test"),
        admin_password=settings.get("TDM_ADMIN_PASSWORD", "Admin-Passw0rd"),
    )
    # SQLite files in the data directory, unless the environment names databases.
    return attrs.evolve(
        shop,
        auth_db_url=settings.get("AUTH_DB_URL") or shop.auth_db_url,
        backend_db_url=settings.get("BACKEND_DB_URL") or shop.backend_db_url,
    )


def _announce(out: TextIO, lines: list[tuple[str, str]], hints: list[str]) -> None:
    for label, url in lines:
        out.write(f"{label} listening on {url}\n")
    if hints:
        out.write("\n" + "\n".join(hints) + "\n")
    out.flush()


def _demo_hints(base: str, shop: Any, env: dict[str, str]) -> list[str]:
    keys = ("AUTH_SERVICE_URL", "BACKEND_URL", "AUTH_DB_URL", "BACKEND_DB_URL")
    exports = " ".join(f"{k}={env[k]}" for k in keys)
    return [
        "Try it:",
        f"  curl -X POST {base}/api/seed",
        f"  curl -X POST {base}/api/scenarios/user-with-orders -H "
        '"Content-Type: application/json" -d \'{"parameters": {"orderCount": 5}}\'',
        f"  curl -X DELETE {base}/api/cleanup -d '{{\"all\": true}}'",
        f"The shop's pages: {shop.backend_url}/products (its admin: "
        f"{shop.settings.admin_email} / {shop.settings.admin_password}); "
        f"its data: {shop.settings.data_dir}",
        "For `tdm run`, `tdm seed` and `tdm cleanup` in another shell:",
        f"  export {exports}",
        "Stop with Ctrl-C.",
    ]


async def serve_command(
    settings: tdm.Settings,
    *,
    host: str,
    port: int,
    demo: DemoOptions | None,
    out: TextIO,
    err: TextIO,
) -> int:
    """Serve until SIGINT or SIGTERM; 0 then, 1 when something could not start."""
    stop = anyio.Event()

    async def on_signals() -> None:
        with anyio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
            async for _ in signals:
                stop.set()
                return

    async with AsyncExitStack() as stack, anyio.create_task_group() as tg:
        tg.start_soon(on_signals)
        sock = stack.enter_context(bind(host, port))
        base = f"http://{_url_host(host)}:{sock.getsockname()[1]}"
        lines = [("tdm API", base)]
        shop_lines: list[tuple[str, str]] = []
        hints: list[str] = []
        if demo is not None:
            from tdm_sut import running_shop

            shop = await stack.enter_async_context(
                running_shop(_demo_shop_settings(settings, host, demo))
            )
            env = {
                "AUTH_SERVICE_URL": shop.auth_url,
                "BACKEND_URL": shop.backend_url,
                "AUTH_DB_URL": shop.settings.auth_db_url,
                "BACKEND_DB_URL": shop.settings.backend_db_url,
                "TDM_ADMIN_EMAIL": shop.settings.admin_email,
                "TDM_ADMIN_PASSWORD": shop.settings.admin_password,
            }
            settings = settings.evolve(env={**settings.env, **env})
            hints = _demo_hints(base, shop, env)
            shop_lines = [("Auth Service (demo shop)", shop.auth_url),
                          ("Backend (demo shop)", shop.backend_url)]  # fmt: skip
        manager = tdm.Manager(settings)
        stack.callback(manager.ledger.close)
        mcp_server, unavailable = load_mcp_server(manager)
        if mcp_server is not None:
            lines.append(("MCP endpoint", f"{base}/mcp"))
        else:
            err.write(f"tdm serve: no MCP endpoint: {unavailable}\n")
        lines += shop_lines
        app = create_app(manager, mcp_server=mcp_server)
        await _serve_app(app, sock, stop, lambda: _announce(out, lines, hints))
        tg.cancel_scope.cancel()
    err.write("tdm serve: stopped\n")
    return 0
