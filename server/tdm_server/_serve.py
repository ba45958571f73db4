"""``tdm serve``: the HTTP API (and the MCP endpoint) with uvicorn, optionally with the demo shop.

With ``--demo`` the reference shop runs in the same process and event loop, on its own ports
(free ones unless configured), with SQLite files in a data directory; tdm is pointed at it
(its URLs, its databases, its bootstrap admin). SIGINT and SIGTERM stop everything cleanly:
the API first, then the shop.

Before anything is served, the production guard checks every URL the selected registries
declare, and an address other than loopback is refused without ``TDM_API_TOKEN`` (unless
``--insecure``). What is printed is the address really listened on; database URLs in it are
printed without their passwords.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import logging
import signal
import socket
from collections.abc import Callable, Iterator
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any, TextIO

import anyio
import uvicorn

import tdm
from tdm.boundary import (
    check_targets,
    demo_env,
    is_loopback,
    redact,
    remove_demo_env,
    start_demos,
    with_demos,
    write_demo_env,
)

from ._access import TOKEN_SETTING, Access
from ._app import create_app
from ._commands import UsageError
from ._limits import BoundedHttpTools

__all__ = ["bind", "load_mcp_server", "serve_command", "server_config"]

log = logging.getLogger("tdm.server")

_STOP_TIMEOUT = 10.0


class _Server(uvicorn.Server):
    """A uvicorn server that leaves signals to ``tdm serve`` (uvicorn re-raises them) and
    tells ``on_started`` as soon as it listens."""

    on_started: Callable[[], None] = staticmethod(lambda: None)

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started:
            self.on_started()


def _url(address: str, port: int) -> str:
    return f"http://[{address}]:{port}" if ":" in address else f"http://{address}:{port}"


def _listening(sock: socket.socket) -> tuple[str, str]:
    """The URL of the address the socket really listens on, and one to reach it from this
    machine (the same, unless it listens on every interface)."""
    address, port = sock.getsockname()[:2]
    if address in ("0.0.0.0", "::"):  # noqa: S104 -- reading the bound address, not binding
        return _url(address, port), _url("127.0.0.1" if address == "0.0.0.0" else "::1", port)  # noqa: S104
    return _url(address, port), _url(address, port)


def _where(real: str, local: str, path: str = "") -> str:
    if real == local:
        return f"{real}{path}"
    return f"{real}{path} (every interface; from this machine: {local}{path})"


def _exposed(sock: socket.socket, access: Access, insecure: bool, err: TextIO) -> None:
    """Refuse an address other than loopback without a token, unless ``--insecure``."""
    address = sock.getsockname()[0]
    if is_loopback(address) or access.tokens:
        return
    if not insecure:
        raise UsageError(
            f"refusing to listen on {address} without {TOKEN_SETTING}: anyone who can reach "
            f"that address could create and delete data. Set {TOKEN_SETTING} (clients send it "
            "as Authorization: Bearer <token>), or pass --insecure to serve without one"
        )
    err.write(f"tdm serve: WARNING: listening on {address} without {TOKEN_SETTING} "
              "(--insecure): anyone who can reach it can create and delete data\n")  # fmt: skip


def server_config(app: Any, **options: Any) -> uvicorn.Config:
    """uvicorn's configuration for the tdm app: httptools with a bound on request heads."""
    return uvicorn.Config(app, lifespan="on", log_config=None, ws="none", http=BoundedHttpTools,
                          **options)  # fmt: skip


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


MCP_BASE_RUN = "mcp"
"""The base run of ``/mcp`` on every replica: a session's run (derived from its session id and
this) is the same whichever replica computes it, so any replica (or its reaper) can clean it."""


def load_mcp_server(manager: tdm.Manager) -> tuple[Callable[[], Any] | None, str | None]:
    """A function building ``tdm_server.mcp.create_mcp_server(manager)``, or ``None`` and why
    MCP is unavailable. Only whether the MCP SDK is installed is checked here: importing it
    (a second or so) is left to the function, which the app calls once it serves."""
    missing = next((name for name in ("mcp", "tdm_server.mcp") if not _installed(name)), None)
    if missing is not None:
        return None, f"tdm_server.mcp is not available (no module named {missing!r})"

    def build() -> Any:
        module = importlib.import_module("tdm_server.mcp")
        return module.create_mcp_server(manager, run_id=MCP_BASE_RUN)

    return build, None


def _installed(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


async def _serve_app(
    app: Any, sock: socket.socket, stop: anyio.Event, ready: Callable[[], None]
) -> None:
    server = _Server(server_config(app, timeout_graceful_shutdown=5))
    started, finished = anyio.Event(), anyio.Event()
    server.on_started = started.set

    async def run() -> None:
        try:
            await server.serve(sockets=[sock])
        finally:
            finished.set()

    async def stopper() -> None:
        await stop.wait()
        server.should_exit = True

    async def until_finished() -> None:
        await finished.wait()
        started.set()

    async with anyio.create_task_group() as tg:
        tg.start_soon(run)
        tg.start_soon(until_finished)
        await started.wait()
        if not server.started:
            raise RuntimeError("the tdm API did not start; the log above says why")
        ready()
        tg.start_soon(stopper)
        await finished.wait()
        tg.cancel_scope.cancel()


def _announce(out: TextIO, lines: list[tuple[str, str]], hints: list[str]) -> None:
    for label, url in lines:
        out.write(f"{label} listening on {redact(url)}\n")
    if hints:
        out.write("\n" + "\n".join(redact(line) for line in hints) + "\n")
    out.flush()


def _demo_hints(
    base: str, demos: list[tdm.Demo], *, token: bool, settings_file: Path | None
) -> list[str]:
    exports = " ".join(
        f"{k}={redact(v)}" for demo in demos for k, v in demo.env.items() if k.endswith("_URL")
    )
    found = (
        [f"In another terminal of this project, `tdm run`, pytest, a notebook and tdm.session() "
         f"find it without exports (through {settings_file}); elsewhere:"]
        if settings_file is not None
        else ["For `tdm run`, `tdm seed` and `tdm cleanup` in another shell:"]
    )  # fmt: skip
    auth = f' -H "Authorization: Bearer ${TOKEN_SETTING}"' if token else ""
    return [
        "Try it:",
        f"  curl -X POST {base}/api/seed{auth}",
        f"  curl -X POST {base}/api/scenarios/user-with-orders{auth} -H "
        '"Content-Type: application/json" -d \'{"parameters": {"orderCount": 5}}\'',
        f"  curl -X DELETE {base}/api/cleanup{auth} -d '{{\"all\": true}}'",
        *(note for demo in demos for note in demo.notes),
        *found,
        f"  export {exports} TEST_DATA_MANAGER_URL={base}",
        "Stop with Ctrl-C.",
    ]


async def serve_command(
    settings: tdm.Settings,
    *,
    host: str,
    port: int,
    demo: Path | None,
    out: TextIO,
    err: TextIO,
    insecure: bool = False,
    settings_file: Path | None = None,
) -> int:
    """Serve until SIGINT or SIGTERM; 0 then, 1 when something could not start (2 when the
    address, a setting or the production guard refuses).

    With ``demo``, the settings that reach the demo systems and this API are written to
    ``settings_file`` (the project's ``.tdm/demo.env``) while it serves."""
    stop = anyio.Event()

    async def on_signals() -> None:
        with anyio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
            async for _ in signals:
                stop.set()
                return

    async with AsyncExitStack() as stack, anyio.create_task_group() as tg:
        tg.start_soon(on_signals)
        access = Access.from_settings(settings)
        sock = stack.enter_context(bind(host, port))
        _exposed(sock, access, insecure, err)
        real, base = _listening(sock)
        lines = [("tdm API", _where(real, base))]
        shop_lines: list[tuple[str, str]] = []
        hints: list[str] = []
        catalog = tdm.Catalog.from_settings(settings)
        demos: list[tdm.Demo] = []
        if demo is not None:
            demos = await start_demos(stack, settings, catalog, demo)
            settings = with_demos(settings, demos)
            hints = _demo_hints(base, demos, token=bool(access.tokens),
                                settings_file=settings_file)  # fmt: skip
            shop_lines = [service for d in demos for service in d.services]
        check_targets(catalog.registries, settings)  # before anything is served
        manager = tdm.Manager(settings, registry=catalog)
        stack.callback(manager.ledger.close)
        if demos and settings_file is not None:
            found = {**demo_env(demos), "TEST_DATA_MANAGER_URL": base,
                     "TDM_LEDGER": str(manager.ledger.path)}  # fmt: skip
            write_demo_env(settings_file, found)
            stack.callback(remove_demo_env, settings_file)
        mcp_server, unavailable = load_mcp_server(manager)
        if mcp_server is not None:
            lines.append(("MCP endpoint", _where(real, base, "/mcp")))
        else:
            err.write(f"tdm serve: no MCP endpoint: {redact(unavailable or '')}\n")
        lines += shop_lines
        app = create_app(manager, mcp_server=mcp_server, reaper=settings.reaper)
        await _serve_app(app, sock, stop, lambda: _announce(out, lines, hints))
        tg.cancel_scope.cancel()
    err.write("tdm serve: stopped\n")
    return 0
