"""Which run an MCP caller's data belongs to.

A server instance has a base run id (given, or ``mcp-<8 hex>``). Over stdio a server serves one
client, so that is the client's run. Over streamable HTTP one server serves many clients: a
stateful session (the ``Mcp-Session-Id`` the transport assigned and checks on every request) gets
a run of its own, ``<base>-<8 hex of the session id's SHA-256>``, so one agent's
``cleanup_my_data`` never touches another's data. Requests that carry no session (in process,
the stateless 2026 protocol era) share the base run.

The SDK's middleware (``MCPServer.middleware``) sees each request's transport details before the
handler runs; :class:`RunIds` records the caller's run there in a context variable that tools
and resources read through :meth:`RunIds.current`.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

from mcp.server.context import CallNext, HandlerResult, ServerRequestContext

from tdm.boundary import new_run_id, session_run_id

__all__ = ["RunIds", "new_mcp_run_id"]

SESSION_HEADER = "mcp-session-id"

_caller: ContextVar[str | None] = ContextVar("tdm_mcp_caller_run", default=None)


def new_mcp_run_id() -> str:
    """A fresh base run id for one MCP server instance: ``mcp-20261124T021500-1f3a9c``."""
    return new_run_id("mcp")


def _session_id(ctx: ServerRequestContext[Any, Any]) -> str | None:
    headers = getattr(ctx.request, "headers", None)
    if headers is None:
        return None
    found = headers.get(SESSION_HEADER)
    return str(found) if found else None


class RunIds:
    """The base run id of a server instance and the run of each caller."""

    def __init__(self, base: str | None = None) -> None:
        self.base = base or new_mcp_run_id()

    def __repr__(self) -> str:
        return f"<RunIds base={self.base!r}>"

    def for_session(self, session_id: str | None) -> str:
        """The run of the MCP session ``session_id`` (the base run without a session)."""
        return session_run_id(self.base, session_id) if session_id else self.base

    def current(self) -> str:
        """The run of the caller whose request is being handled."""
        return _caller.get() or self.base

    async def __call__(
        self, ctx: ServerRequestContext[Any, Any], call_next: CallNext
    ) -> HandlerResult:
        """Middleware: note the caller's run for the handler of this request."""
        token = _caller.set(self.for_session(_session_id(ctx)))
        try:
            return await call_next(ctx)
        finally:
            _caller.reset(token)
