"""The MCP server, generated from a manager's catalog."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from mcp.server import MCPServer

import tdm

from ._catalog import ToolNames
from ._cleanup import cleanup_tools
from ._entities import entity_tools
from ._guard import ToolGuard
from ._inspect import inspect_tools
from ._resources import add_resources
from ._runs import RunIds
from ._scenarios import scenario_tools
from ._tools import build_tool

__all__ = ["INSTRUCTIONS", "create_mcp_server"]

INSTRUCTIONS = """\\
tdm (Test Data Manager) creates realistic test data in the system under test through its own \\
APIs, tracks every entity it creates, and removes exactly those again.

- list_scenarios shows the named data set-ups (a user with orders, a cart with products, ...) \\
and the tool that makes each; create_<kind> tools make single entities (fields optional).
- Results carry what you need next: ids, emails and passwords of users, order numbers, and \\
trackingIds.
- Everything this MCP session creates is tracked under its run and KEPT when the session ends \\
(data is often set up for a person). Remove it with cleanup_my_data when it is no longer \\
needed; list_created shows what is tracked.
- cleanup_all_data removes every run's data and needs confirm="delete everything": ask the \\
user first."""


def _version() -> str:
    try:
        return version("tdm")
    except PackageNotFoundError:  # running from a source tree that is not installed
        return "0"


def create_mcp_server(manager: tdm.Manager, *, run_id: str | None = None) -> MCPServer:
    """An MCP server exposing ``manager``'s catalog as tools and resources.

    One tool per scenario (``create_user_with_orders``) and per entity kind
    (``create_user``), ``list_scenarios``, ``list_created``, ``check_health`` and the cleanup
    tools; resources ``tdm://scenarios``, ``tdm://runs/current`` and ``tdm://runs/{run_id}``.

    What a caller creates is tracked under its run and kept when its MCP session ends. The
    base run is ``run_id`` (default ``mcp-<time>-<hex>``); over streamable HTTP each stateful
    MCP session gets a run of its own derived from it. Open the manager (``async with
    manager``) for as long as the server serves, so every call shares the targets' clients.
    """
    runs = RunIds(run_id)
    names = ToolNames(manager.catalog)
    specs = [
        *scenario_tools(manager, runs, names),
        *entity_tools(manager, runs, names),
        *inspect_tools(manager, runs),
        *cleanup_tools(manager, runs),
    ]
    server = MCPServer(
        "tdm",
        title="tdm - Test Data Manager",
        description="Create, inspect and clean up tracked test data in the system under test.",
        instructions=INSTRUCTIONS,
        version=_version(),
        tools=[build_tool(spec) for spec in specs],
    )
    add_resources(server, manager, runs, names)
    server.middleware.append(runs)
    server.middleware.append(ToolGuard(server))
    return server
