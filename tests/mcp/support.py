"""Helpers for talking to the MCP server in tests."""

from __future__ import annotations

from typing import Any

from mcp import Client
from mcp.types import CallToolResult, TextContent


def text(result: CallToolResult) -> str:
    """The text of a tool result's content blocks."""
    return "\n".join(b.text for b in result.content if isinstance(b, TextContent))


async def call(
    client: Client, tool: str, arguments: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Call a tool that must succeed; its structured content."""
    result = await client.call_tool(tool, arguments or {})
    assert not result.is_error, text(result)
    assert result.structured_content is not None
    return result.structured_content


async def fail(client: Client, tool: str, arguments: dict[str, Any] | None = None) -> str:
    """Call a tool that must fail; its error text."""
    result = await client.call_tool(tool, arguments or {})
    assert result.is_error, result.structured_content
    return text(result)
