"""``/mcp`` of the app: an MCP server mounted now, or built off the critical path.

The MCP SDK (with pydantic) takes about as long to import as the rest of ``tdm serve``
together, so the server does not wait for it: given a function that builds the MCP server
(:meth:`McpMount.later`), the app calls it on a worker thread once the API has answered its
first request (a start-up's health check, say), or ``/mcp`` its first, or ``START_AFTER``
seconds after the app started, whichever comes first; on two cores, building it while the
first health check runs would slow that down as much as waiting for it. Requests to ``/mcp``
that arrive before it is ready wait for it. If building it fails, the reason is logged and
``/mcp`` answers 503 with it. Given a built server (:meth:`McpMount.now`), the lifespan runs
its session manager before anything is served.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

import anyio
from anyio.abc import TaskStatus
from starlette.types import ASGIApp, Receive, Scope, Send

import tdm
from tdm.boundary import redact

from ._requests import MAX_BODY

if TYPE_CHECKING:
    from mcp.server import MCPServer

__all__ = ["START_AFTER", "McpMount"]

log = logging.getLogger("tdm.server")

START_AFTER = 1.0
"""Seconds after the app started when a deferred MCP server is built, if no request came."""


def _mounted(server: MCPServer) -> ASGIApp:
    """The server's streamable HTTP app at ``/mcp``. The SDK's own Host and Origin checks are
    off: the access middleware makes them, with the same settings for ``/mcp`` as for ``/api``.
    """
    from mcp.server.transport_security import TransportSecuritySettings

    return server.streamable_http_app(
        streamable_http_path="/mcp",
        transport_security=TransportSecuritySettings(enable_dns_rebinding_protection=False),
        max_request_body_size=MAX_BODY,
    )


class McpMount:
    """The ASGI app at ``/mcp``; :meth:`run` (in the app's lifespan) makes it ready."""

    def __init__(self, build: Callable[[], MCPServer], *, on_thread: bool) -> None:
        self._build, self._on_thread = build, on_thread
        self._wanted, self._ready = anyio.Event(), anyio.Event()
        self._app: ASGIApp | None = None
        self._failure: str | None = None

    @classmethod
    def now(cls, server: MCPServer) -> McpMount:
        """``server``, ready before the app serves."""
        mount = cls(lambda: server, on_thread=False)
        mount._app = _mounted(server)  # the MCP app must exist before its session manager runs
        return mount

    @classmethod
    def later(cls, build: Callable[[], MCPServer]) -> McpMount:
        """The server ``build`` makes, on a worker thread once the app serves."""
        return cls(build, on_thread=True)

    @property
    def deferred(self) -> bool:
        """Whether the app may serve before this is ready."""
        return self._on_thread

    def want(self) -> None:
        """Build a deferred server now (the API has answered, or ``/mcp`` was asked)."""
        self._wanted.set()

    def _load(self) -> tuple[MCPServer, ASGIApp]:
        server = self._build()
        return server, self._app or _mounted(server)

    async def run(self, *, task_status: TaskStatus[None] = anyio.TASK_STATUS_IGNORED) -> None:
        """Build the server (on a thread, if deferred) and run its session manager until
        cancelled; ``task_status`` is told once requests are served."""
        try:
            if self._on_thread:
                with anyio.move_on_after(START_AFTER):
                    await self._wanted.wait()
                server, app = await anyio.to_thread.run_sync(self._load, abandon_on_cancel=True)
            else:
                server, app = self._load()
        except Exception as exc:
            log.exception("the MCP server could not be built; /mcp answers 503")
            self._failure = redact(f"building the MCP server failed ({type(exc).__name__}: {exc})")
            self._ready.set()
            task_status.started()
            return
        async with server.session_manager.run():
            self._app = app
            self._ready.set()
            task_status.started()
            await anyio.sleep_forever()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.want()
        await self._ready.wait()
        if self._app is None:
            raise tdm.ServerError(503, "mcp_unavailable", self._failure or "no MCP server")
        await self._app(scope, receive, send)
