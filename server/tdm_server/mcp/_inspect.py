"""Read-only tools: what tdm has created (the ledger, paged) and whether the system is up."""

from __future__ import annotations

from typing import Any, Literal

import tdm
from tdm.boundary import Parameter, Parameters

from ._hints import INSPECTING, PROBING
from ._runs import RunIds
from ._tools import ToolSpec

__all__ = ["MAX_PAGE", "inspect_tools", "ledger_page"]

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
    names = manager.catalog.names
    total = await manager.ledger.count(run_id=run_id, kind=kind, registries=names)
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
        "records": [r.to_json() for r in records],
        "nextOffset": offset + len(records) if more else None,
        "next": hint,
    }


def _list_parameters(manager: tdm.Manager) -> Parameters:
    kinds = tuple(sorted({k.name for k in manager.catalog.kinds}))
    kind_type: Any = (Literal[kinds] if kinds else str) | None
    return Parameters((
        Parameter("run_id", str | None, None, tdm.Field(
            min_length=1, max_length=128,
            description="The run to list (default: this MCP session's run, see myRunId)",
        )),
        Parameter("all_runs", bool, False, tdm.Field(
            description="List what every run created (people, CI, other agents)",
        )),
        Parameter("kind", kind_type, None, tdm.Field(description="Only entities of this kind")),
        Parameter("limit", int, 50, tdm.Field(
            ge=1, le=MAX_PAGE, description=f"Records per page (1 to {MAX_PAGE})",
        )),
        Parameter("offset", int, 0, tdm.Field(
            ge=0, description="Records to skip (nextOffset of the previous page)",
        )),
    ))  # fmt: skip


def inspect_tools(manager: tdm.Manager, runs: RunIds) -> list[ToolSpec]:
    """``list_created`` and ``check_health``."""

    async def list_created(arguments: dict[str, Any]) -> dict[str, Any]:
        current = runs.current()
        if arguments["run_id"] is not None and arguments["all_runs"]:
            problem = tdm.FieldProblem(("all_runs",), "false when runId is given", True)
            raise tdm.InvalidParameters("tool list_created", [problem], naming="json")
        run_id = None if arguments["all_runs"] else (arguments["run_id"] or current)
        page = await ledger_page(manager, run_id, kind=arguments["kind"],
                                 limit=arguments["limit"], offset=arguments["offset"])  # fmt: skip
        return {**page, "myRunId": current}

    async def check_health(arguments: dict[str, Any]) -> dict[str, Any]:
        report = await manager.health()
        hint = "Everything tdm needs is reachable."
        if not report.ready:
            hint = (
                "Some dependencies are down: creating and cleaning data may fail until "
                "they are back (checks[].reason says why). Tell the user which ones."
            )
        elif report.stuck:
            hint += (
                " Some other runs are stuck (stuckRuns): their data needs a person "
                "(`tdm cleanup --run RUN`); tell the user."
            )
        return {**report.to_json(), "healthy": report.status == "healthy", "next": hint}

    return [
        ToolSpec(
            name="list_created",
            title="List tracked data",
            description=(
                "Lists what tdm created and still tracks, oldest first and paged: by default "
                "what this MCP session created, or one run (runId), or every run (allRuns). "
                "Each record has the trackingId (for cleanup_by_tracking_ids), the entityType, "
                "the entity's id and label (an email, an order number, a SKU), the scenario and "
                "parameters it came from, the seed and the time. Returns records, total and "
                "nextOffset (null on the last page), and myRunId, the run of this MCP session."
            ),
            parameters=_list_parameters(manager),
            annotations=INSPECTING,
            handler=list_created,
            run_id=runs.current,
        ),
        ToolSpec(
            name="check_health",
            title="Check the system under test",
            description=(
                "Checks whether the system under test and its parts (services, database) are "
                "reachable. Returns status (healthy, degraded or unhealthy), healthy, "
                "dependencies (each 'up' or 'down') and checks (with the reason a check "
                "failed). Call it when a create or cleanup tool reports that something is "
                "unreachable."
            ),
            parameters=Parameters(),
            annotations=PROBING,
            handler=check_health,
            run_id=runs.current,
        ),
    ]
