"""Read-only tools: what tdm has created (the ledger, paged) and whether the system is up."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from mcp.server import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import Strict

import tdm

from ._errors import tool_errors
from ._hints import INSPECTING, PROBING
from ._results import record_json
from ._runs import RunIds
from ._signatures import keyword, sign

__all__ = ["MAX_PAGE", "add_inspect_tools", "ledger_page"]

MAX_PAGE = 200
"""The most ledger records one call returns."""


async def ledger_page(
    manager: tdm.Manager,
    run_id: str | None,
    *,
    kind: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> dict[str, Any]:
    """One page of tracked records of a run (``None``: every run), oldest first."""
    total = await manager.ledger.count(run_id=run_id, kind=kind)
    records = await manager.tracked(run_id=run_id, kind=kind, limit=limit, offset=offset)
    more = offset + len(records) < total
    if not records:
        hint = "Nothing is tracked here." if offset == 0 else "No records at this offset."
    else:
        hint = (
            "cleanup_my_data removes this MCP session's data; cleanup_by_tracking_ids removes "
            "single entities by their trackingId."
        )
    if more:
        hint = f"More records: call list_created again with offset={offset + len(records)}. {hint}"
    return {
        "runId": run_id,
        "kind": kind,
        "total": total,
        "offset": offset,
        "limit": limit,
        "records": [record_json(r) for r in records],
        "nextOffset": offset + len(records) if more else None,
        "next": hint,
    }


def _list_created(manager: tdm.Manager, runs: RunIds) -> Any:
    async def list_created(
        runId: str | None,  # noqa: N803 -- tool arguments are camelCase
        allRuns: bool,  # noqa: N803
        kind: str | None,
        limit: int,
        offset: int,
    ) -> dict[str, Any]:
        current = runs.current()
        if runId is not None and allRuns:
            raise ToolError(
                "Give either runId (one run) or allRuns=true (every run), not both; leave "
                "both out for this MCP session's run."
            )
        with tool_errors("list_created", current):
            run_id = None if allRuns else (runId or current)
            page = await ledger_page(manager, run_id, kind=kind, limit=limit, offset=offset)
            return {**page, "myRunId": current}

    kinds = tuple(manager.registry.kinds)
    kind_type = Literal[kinds] | None if kinds else str | None
    return sign(
        list_created,
        "list_created",
        [
            keyword(
                "runId", Annotated[str, Strict()] | None, None,
                description="The run to list (default: this MCP session's run, see myRunId)",
            ),
            keyword(
                "allRuns", Annotated[bool, Strict()], False,
                description="List what every run created (people, CI, other agents)",
            ),
            keyword("kind", kind_type, None, description="Only entities of this kind"),
            keyword(
                "limit", Annotated[int, Strict()], 50, ge=1, le=MAX_PAGE,
                description=f"Records per page (1 to {MAX_PAGE})",
            ),
            keyword(
                "offset", Annotated[int, Strict()], 0, ge=0,
                description="Records to skip (nextOffset of the previous page)",
            ),
        ],
    )  # fmt: skip


def add_inspect_tools(server: MCPServer, manager: tdm.Manager, runs: RunIds) -> None:
    """Register ``list_created`` and ``check_health``."""
    server.add_tool(
        _list_created(manager, runs),
        name="list_created",
        title="List tracked data",
        description=(
            "Lists what tdm created and still tracks, oldest first and paged: by default what "
            "this MCP session created, or one run (runId), or every run (allRuns). Each record "
            "has the trackingId (for cleanup_by_tracking_ids), the kind, the entity's id and "
            "label (an email, an order number, a SKU), the scenario and parameters it came "
            "from, the seed and the time. Returns records, total and nextOffset (null on the "
            "last page), and myRunId, the run of this MCP session."
        ),
        annotations=INSPECTING,
        structured_output=True,
    )

    async def check_health() -> dict[str, Any]:
        with tool_errors("check_health", runs.current()):
            found = await manager.health()
        up = all(found.values())
        return {
            "healthy": up,
            "dependencies": {name: "up" if ok else "down" for name, ok in found.items()},
            "next": (
                "Everything tdm needs is reachable."
                if up
                else "Some dependencies are down: creating and cleaning data may fail until "
                "they are back. Tell the user which ones."
            ),
        }

    server.add_tool(
        check_health,
        name="check_health",
        title="Check the system under test",
        description=(
            "Checks whether the system under test and its parts (services, database) are "
            "reachable. Returns healthy and dependencies (each 'up' or 'down'). Call it when a "
            "create or cleanup tool reports that something is unreachable."
        ),
        annotations=PROBING,
        structured_output=True,
    )
