"""Middleware that makes argument mistakes visible and their messages short.

The SDK validates a tool's arguments against its signature but ignores arguments it does not
know: an agent writing ``order_count`` for ``orderCount`` would silently get the default. This
guard refuses unknown tools and unknown arguments with a tool error that names what exists
(and the closest match), and drops the pydantic documentation links from the SDK's validation
messages, which cost an agent tokens and say nothing.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from typing import Any

from mcp.server import MCPServer
from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.types import CallToolResult, TextContent

import tdm

__all__ = ["ArgumentGuard"]

_DOC_LINK = re.compile(r"\n\s*For further information visit https://errors\.pydantic\.dev/\S+")


def _closest(word: str, known: Sequence[str]) -> str | None:
    if tdm.camel(word) in known:
        return tdm.camel(word)
    found = difflib.get_close_matches(word, known, n=1, cutoff=0.6)
    return found[0] if found else None


def _error(text: str) -> CallToolResult:
    return CallToolResult(content=[TextContent(type="text", text=text)], is_error=True)


def _unknown_tool(name: str, tools: Sequence[str]) -> CallToolResult:
    guess = _closest(name, tools)
    hint = f" Did you mean {guess!r}?" if guess else ""
    return _error(
        f"Unknown tool {name!r}.{hint} tdm's tools: {', '.join(tools)}. list_scenarios tells "
        "which tool creates which data."
    )


def _unknown_arguments(tool: str, unknown: Sequence[str], known: Sequence[str]) -> CallToolResult:
    parts = []
    for name in unknown:
        guess = _closest(name, known)
        parts.append(f"{name!r}" + (f" (did you mean {guess!r}?)" if guess else ""))
    takes = ", ".join(known) if known else "no arguments"
    return _error(
        f"Unknown argument{'s' if len(unknown) > 1 else ''} for {tool}: {', '.join(parts)}. "
        f"It takes: {takes} (camelCase). Call {tool} again with those names."
    )


def _tidy(result: HandlerResult) -> HandlerResult:
    """Drop documentation links from an error result (the wire form ``call_next`` returns)."""
    if not isinstance(result, dict) or not result.get("isError"):
        return result
    content = [
        {**block, "text": _DOC_LINK.sub("", block["text"])}
        if isinstance(block, dict) and isinstance(block.get("text"), str)
        else block
        for block in result.get("content") or ()
    ]
    return {**result, "content": content}


class ArgumentGuard:
    """Middleware for ``tools/call``: unknown tools and arguments become clear tool errors."""

    def __init__(self, server: MCPServer) -> None:
        self._server = server
        self._tools: dict[str, list[str]] | None = None

    async def _known(self) -> dict[str, list[str]]:
        if self._tools is None:
            self._tools = {
                tool.name: list(tool.input_schema.get("properties", {}))
                for tool in await self._server.list_tools()
            }
        return self._tools

    async def __call__(
        self, ctx: ServerRequestContext[Any, Any], call_next: CallNext
    ) -> HandlerResult:
        params = ctx.params
        if ctx.method != "tools/call" or not isinstance(params, Mapping):
            return await call_next(ctx)
        name, arguments = params.get("name"), params.get("arguments")
        if isinstance(name, str):
            tools = await self._known()
            if name not in tools:
                return _unknown_tool(name, list(tools))
            if isinstance(arguments, Mapping):
                unknown = [str(k) for k in arguments if k not in tools[name]]
                if unknown:
                    return _unknown_arguments(name, unknown, tools[name])
        return _tidy(await call_next(ctx))
