"""Serving over stdio, for desktop clients and agents that start ``tdm mcp`` themselves.

In this mode stdout carries the protocol: nothing else may be printed there. Logging goes to
stderr, which MCP clients show as the server's log.
"""

from __future__ import annotations

from contextlib import AsyncExitStack
from functools import partial

import anyio

import tdm

from ._server import create_mcp_server

__all__ = ["run_stdio", "serve_stdio"]


async def serve_stdio(manager: tdm.Manager, *, run_id: str | None = None) -> None:
    """Serve ``manager``'s registry over stdin/stdout until the client closes stdin.

    The manager is opened for the duration unless the caller already opened it.
    """
    server = create_mcp_server(manager, run_id=run_id)
    async with AsyncExitStack() as stack:
        if manager.shared_clients is None:
            await stack.enter_async_context(manager)
        await server.run_stdio_async()


def run_stdio(manager: tdm.Manager, *, run_id: str | None = None) -> None:
    """Blocking form of :func:`serve_stdio`: runs an event loop until the client leaves."""
    anyio.run(partial(serve_stdio, manager, run_id=run_id))
