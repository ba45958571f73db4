"""Middleware that makes a mistaken tool name visible, with the closest match.

Arguments are checked by each tool itself (tdm's validator names unknown arguments and the
closest known name); an unknown tool never reaches a tool, so it is answered here.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from typing import Any

from mcp.server import MCPServer
from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.types import CallToolResult, TextContent

__all__ = ["ToolGuard"]


def _unknown_tool(name: str, tools: Sequence[str]) -> CallToolResult:
    found = difflib.get_close_matches(name, tools, n=1, cutoff=0.6)
    hint = f" Did you mean {found[0]!r}?" if found else ""
    text = (
        f"Unknown tool {name!r}.{hint} tdm's tools: {', '.join(tools)}. list_scenarios tells "
        "which tool creates which data."
    )
    return CallToolResult(content=[TextContent(type="text", text=text)], is_error=True)


class ToolGuard:
    """Middleware for ``tools/call``: an unknown tool becomes a clear tool error."""

    def __init__(self, server: MCPServer) -> None:
        self._server = server
        self._tools: list[str] | None = None

    async def __call__(
        self, ctx: ServerRequestContext[Any, Any], call_next: CallNext
    ) -> HandlerResult:
        params = ctx.params
        if ctx.method == "tools/call" and isinstance(params, Mapping):
            name = params.get("name")
            if self._tools is None:
                self._tools = [tool.name for tool in await self._server.list_tools()]
            if isinstance(name, str) and name not in self._tools:
                return _unknown_tool(name, self._tools)
        return await call_next(ctx)
