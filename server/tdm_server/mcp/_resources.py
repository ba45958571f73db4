"""Resources: the scenario catalog and the ledger of a run, as JSON documents.

- ``tdm://scenarios``: what :func:`list_scenarios` returns.
- ``tdm://runs/current``: what the reading MCP session created (its first :data:`LIMIT` records).
- ``tdm://runs/{run_id}``: the same for any run.
"""

from __future__ import annotations

import json
from typing import Any

from mcp.server import MCPServer

import tdm

from ._catalog import ToolNames, catalog_json
from ._inspect import ledger_page
from ._runs import RunIds

__all__ = ["LIMIT", "add_resources"]

LIMIT = 500
"""The most ledger records a run resource shows (list_created pages through the rest)."""

JSON = "application/json"


def _dump(value: Any) -> str:
    return json.dumps(value, indent=2)


def add_resources(server: MCPServer, manager: tdm.Manager, runs: RunIds, names: ToolNames) -> None:
    """Register the catalog and the run resources."""

    @server.resource(
        "tdm://scenarios",
        name="scenarios",
        title="Scenario catalog",
        description="tdm's scenarios (tool, description, parameter schema) and entity kinds.",
        mime_type=JSON,
    )
    def scenarios() -> str:
        return _dump(catalog_json(manager.catalog, names))

    @server.resource(
        "tdm://runs/current",
        name="current-run",
        title="Data of this MCP session",
        description=(
            f"What this MCP session created and tdm still tracks (its run; first {LIMIT} "
            "records, oldest first): tracking ids, kinds, entity ids and labels."
        ),
        mime_type=JSON,
    )
    async def current_run() -> str:
        return _dump(await ledger_page(manager, runs.current(), limit=LIMIT))

    @server.resource(
        "tdm://runs/{run_id}",
        name="run",
        title="Data of a run",
        description=f"What a run created and tdm still tracks (first {LIMIT} records).",
        mime_type=JSON,
    )
    async def run(run_id: str) -> str:
        return _dump(await ledger_page(manager, run_id, limit=LIMIT))
