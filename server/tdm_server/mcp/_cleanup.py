"""Cleanup tools, narrowest scope first; removing everything needs an explicit confirmation.

- ``cleanup_my_data``: what this MCP session created (its run).
- ``cleanup_by_tracking_ids``: exactly these entities, whoever made them.
- ``cleanup_older_than``: every run's data older than an age of at least :data:`MIN_AGE`, so it
  cannot reach data that people and agents are working with right now.
- ``cleanup_all_data``: everything tdm tracks, only with ``confirm="delete everything"``.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Annotated, Any, Literal

from mcp.server import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import Strict

import tdm

from ._errors import tool_errors
from ._hints import CLEANING
from ._results import cleanup_result
from ._runs import RunIds
from ._signatures import keyword, sign

__all__ = ["CONFIRMATION", "MIN_AGE", "add_cleanup_tools"]

CONFIRMATION = "delete everything"
"""The value of ``confirm`` that lets ``cleanup_all_data`` run."""

MIN_AGE = timedelta(hours=1)
"""The youngest age ``cleanup_older_than`` accepts."""

MAX_IDS = 500


def _tracking_ids(given: list[str]) -> list[str]:
    found, bad = [], []
    for value in given:
        try:
            found.append(str(uuid.UUID(value)))
        except ValueError:
            bad.append(value)
    if bad:
        shown = ", ".join(repr(b) for b in bad[:5])
        raise ToolError(
            f"Not tracking ids: {shown}. A tracking id is a UUID such as "
            "'0b6f1c9e-3d1a-4f5e-9a7b-2c8d4e6f1a3b': take them from trackingIds in a create "
            "tool's result or from list_created."
        )
    return found


def _my_data(manager: tdm.Manager, runs: RunIds) -> Any:
    async def cleanup_my_data() -> dict[str, Any]:
        run_id = runs.current()
        with tool_errors("cleanup_my_data", run_id):
            report = await manager.cleanup(run_id=run_id)
        return cleanup_result(f"run {run_id} (this MCP session)", report, runId=run_id)

    return cleanup_my_data


def _by_tracking_ids(manager: tdm.Manager, runs: RunIds) -> Any:
    async def cleanup_by_tracking_ids(trackingIds: list[str]) -> dict[str, Any]:  # noqa: N803
        wanted = _tracking_ids(trackingIds)
        with tool_errors("cleanup_by_tracking_ids", runs.current()):
            records = await manager.select(tracking_ids=wanted)
            report = await manager.purge(records)
        known = {r.tracking_id for r in records}
        missing = [t for t in dict.fromkeys(wanted) if t not in known]
        return cleanup_result("trackingIds", report, notTracked=missing)

    return sign(
        cleanup_by_tracking_ids,
        "cleanup_by_tracking_ids",
        [
            keyword(
                "trackingIds", list[Annotated[str, Strict()]], min_length=1, max_length=MAX_IDS,
                description=(
                    "Tracking ids (UUIDs) of the entities to remove, from a create tool's "
                    "trackingIds or from list_created; ids no longer tracked are reported in "
                    "notTracked"
                ),
            )
        ],
    )  # fmt: skip


def _older_than(manager: tdm.Manager, runs: RunIds) -> Any:
    async def cleanup_older_than(olderThan: str) -> dict[str, Any]:  # noqa: N803
        with tool_errors("cleanup_older_than", runs.current()):
            records = await manager.select(older_than=olderThan)
            if tdm.parse_duration(olderThan) < MIN_AGE:
                raise ToolError(
                    f"olderThan must be at least 1h (got {olderThan!r}): younger data may "
                    "still be in use by people and other agents. To remove what this MCP "
                    "session created, call cleanup_my_data; to remove everything, "
                    "cleanup_all_data with confirmation."
                )
            report = await manager.purge(records)
        return cleanup_result(f"every run's data older than {olderThan}", report)

    return sign(
        cleanup_older_than,
        "cleanup_older_than",
        [
            keyword(
                "olderThan", Annotated[str, Strict()],
                description=(
                    "An age of at least 1h, such as '1h', '12h', '2d' or '1w' (units s, m, h, "
                    "d, w; combinations such as '1h30m' work too)"
                ),
            )
        ],
    )  # fmt: skip


def _all_data(manager: tdm.Manager, runs: RunIds) -> Any:
    async def cleanup_all_data(confirm: str | None) -> dict[str, Any]:
        with tool_errors("cleanup_all_data", runs.current()):
            if confirm != CONFIRMATION:
                total = await manager.ledger.count()
                raise ToolError(
                    f"Refused: cleanup_all_data removes ALL {total} entities tdm tracks, made by "
                    "every run, person and agent (the baseline seed data too, if tdm seeded "
                    f"it). If that is really intended, call it again with confirm set to "
                    f"exactly {CONFIRMATION!r}. To remove only what this MCP session created, "
                    "call cleanup_my_data."
                )
            report = await manager.cleanup(all=True)
        return cleanup_result("all tracked data", report)

    return sign(
        cleanup_all_data,
        "cleanup_all_data",
        [
            keyword(
                "confirm", Literal["delete everything"] | None, None,
                description=(
                    f"Must be exactly {CONFIRMATION!r}: this removes the data of every run, "
                    "person and agent"
                ),
            )
        ],
    )  # fmt: skip


def add_cleanup_tools(server: MCPServer, manager: tdm.Manager, runs: RunIds) -> None:
    """Register the four cleanup tools."""
    tools = [
        (_my_data, "cleanup_my_data", "Remove this session's data",
         "Removes everything this MCP session created (its run; see myRunId in list_created) "
         "from the system under test, children before parents. Returns removed, deleted "
         "(counts per entity type), alreadyGone and failed (entities that could not be removed, "
         "with the reason; they stay tracked). Safe to call again."),
        (_by_tracking_ids, "cleanup_by_tracking_ids", "Remove entities by tracking id",
         "Removes exactly the entities with these tracking ids (and nothing else), whichever "
         "run created them. Returns removed, deleted per entity type, alreadyGone, failed and "
         "notTracked (ids tdm does not track: already removed, or never made)."),
        (_older_than, "cleanup_older_than", "Remove old data of every run",
         "Removes the data of every run (people, CI, agents) created longer ago than olderThan, "
         "at least 1h. Use it to clear out stale test data. Returns removed, deleted per entity "
         "type, alreadyGone and failed."),
        (_all_data, "cleanup_all_data", "Remove ALL tracked data",
         "Removes everything tdm tracks, made by every run, person and agent. Refused unless "
         f"confirm is exactly {CONFIRMATION!r}; ask the user before calling it. To remove only "
         "this session's data use cleanup_my_data."),
    ]  # fmt: skip
    for make, name, title, description in tools:
        server.add_tool(
            make(manager, runs), name=name, title=title, description=description,
            annotations=CLEANING, structured_output=True,
        )  # fmt: skip
