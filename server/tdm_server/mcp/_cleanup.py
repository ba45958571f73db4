"""Cleanup tools, narrowest scope first; removing everything needs an explicit confirmation.

- ``cleanup_my_data``: what this MCP session created (its run).
- ``cleanup_run``: what one named run created (a CI job's, a person's).
- ``cleanup_by_tracking_ids``: exactly these entities, whoever made them.
- ``cleanup_older_than``: every run's data older than an age of at least :data:`MIN_AGE`, so it
  cannot reach data that people and agents are working with right now.
- ``cleanup_all_data``: everything tdm tracks, only with ``confirm="delete everything"``.

Their arguments are the cleanup selection's own parameters (``tdm.boundary.SELECTION``).
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any, Literal

import attrs

import tdm
from tdm.boundary import SELECTION, Parameter, Parameters

from ._hints import CLEANING
from ._runs import RunIds
from ._tools import ToolSpec

__all__ = ["CONFIRMATION", "MAX_IDS", "MIN_AGE", "cleanup_tools"]

CONFIRMATION = "delete everything"
"""The value of ``confirm`` that lets ``cleanup_all_data`` run."""

MIN_AGE = timedelta(hours=1)
"""The youngest age ``cleanup_older_than`` accepts."""

MAX_IDS = 500


def _required(name: str, **field: Any) -> Parameters:
    """One parameter of the selection, required, with ``field`` changes (a tighter bound)."""
    found = SELECTION.get(name)
    assert found is not None
    changed = attrs.evolve(found, default=inspect.Parameter.empty,
                           field=attrs.evolve(found.field, **field))  # fmt: skip
    return Parameters((changed,))


def _result(scope: str, report: tdm.CleanupReport, **extra: Any) -> dict[str, Any]:
    """A cleanup report (``deleted`` per plural, ``alreadyGone``, ``failed``...) with a hint."""
    if report.left:
        hint = (
            f"{report.left} entities could not be removed (see failed[].reason and "
            "unverified[]); they stay tracked. Fix the cause (check_health tells whether the "
            "system under test is up) and call this tool again."
        )
    else:
        hint = "Done: nothing of this scope is tracked any more. list_created shows what is left."
    return {"scope": scope, "removed": report.total_deleted, **report.to_json(), **extra,
            "next": hint}  # fmt: skip


def cleanup_tools(manager: tdm.Manager, runs: RunIds) -> list[ToolSpec]:
    """The five cleanup tools."""

    async def remove(values: dict[str, Any], scope: str) -> dict[str, Any]:
        report = await manager.cleanup(tdm.Selection.parse(values))
        return _result(scope, report)

    async def cleanup_my_data(arguments: dict[str, Any]) -> dict[str, Any]:
        run_id = runs.current()
        return {**await remove({"run_id": run_id}, f"run {run_id} (this MCP session)"),
                "runId": run_id}  # fmt: skip

    async def cleanup_run(arguments: dict[str, Any]) -> dict[str, Any]:
        return await remove(arguments, f"run {arguments['run_id']}")

    async def cleanup_by_tracking_ids(arguments: dict[str, Any]) -> dict[str, Any]:
        return await remove(arguments, "trackingIds")

    async def cleanup_older_than(arguments: dict[str, Any]) -> dict[str, Any]:
        selection = tdm.Selection.parse(arguments)
        assert selection.older_than is not None
        if selection.older_than < MIN_AGE:
            problem = tdm.FieldProblem(
                ("older_than",), "an age of at least 1h: younger data may still be in use by "
                "people and other agents (cleanup_my_data removes this session's data)",
                arguments["older_than"],
            )  # fmt: skip
            raise tdm.InvalidParameters("tool cleanup_older_than", [problem], naming="json")
        report = await manager.cleanup(selection)
        return _result(f"every run's data older than {arguments['older_than']}", report)

    async def cleanup_all_data(arguments: dict[str, Any]) -> dict[str, Any]:
        if arguments["confirm"] != CONFIRMATION:
            total = await manager.ledger.count(registries=manager.catalog.names)
            problem = tdm.FieldProblem(
                ("confirm",), f"exactly {CONFIRMATION!r}: this removes ALL {total} entities tdm "
                "tracks, made by every run, person and agent (the baseline too); ask the user "
                "first, or call cleanup_my_data for this session's data", arguments["confirm"],
                missing=arguments["confirm"] is None,
            )  # fmt: skip
            raise tdm.InvalidParameters("tool cleanup_all_data", [problem], naming="json")
        return await remove({"all": True}, "all tracked data")

    confirm = Parameters((Parameter("confirm", Literal["delete everything"] | None, None,
                                    tdm.Field(description=f"Must be exactly {CONFIRMATION!r}: "
                                              "this removes the data of every run, person and "
                                              "agent")),))  # fmt: skip
    table: list[tuple[str, str, str, Parameters, Callable[[dict[str, Any]],
                                                           Awaitable[dict[str, Any]]]]] = [
        ("cleanup_my_data", "Remove this session's data",
         "Removes everything this MCP session created (its run; see myRunId in list_created) "
         "from the system under test, children before parents. Returns removed, deleted "
         "(counts per entity type), alreadyGone, failed (entities that could not be removed, "
         "with the reason; they stay tracked) and unverified. Safe to call again.",
         Parameters(), cleanup_my_data),
        ("cleanup_run", "Remove one run's data",
         "Removes everything one run created (a CI job's, a person's, another MCP session's: "
         "runId as list_created shows it). Returns the same as cleanup_my_data.",
         _required("run_id"), cleanup_run),
        ("cleanup_by_tracking_ids", "Remove entities by tracking id",
         "Removes exactly the entities with these tracking ids (and nothing else), whichever "
         "run created them. Returns removed, deleted per entity type, alreadyGone, failed and "
         "notTracked (ids tdm does not track: already removed, or never made).",
         _required("tracking_ids", min_length=1, max_length=MAX_IDS), cleanup_by_tracking_ids),
        ("cleanup_older_than", "Remove old data of every run",
         "Removes the data of every run (people, CI, agents) created longer ago than olderThan, "
         "at least 1h. Use it to clear out stale test data. Returns removed, deleted per entity "
         "type, alreadyGone and failed.",
         _required("older_than"), cleanup_older_than),
        ("cleanup_all_data", "Remove ALL tracked data",
         "Removes everything tdm tracks, made by every run, person and agent. Refused unless "
         f"confirm is exactly {CONFIRMATION!r}; ask the user before calling it. To remove only "
         "this session's data use cleanup_my_data.",
         confirm, cleanup_all_data),
    ]  # fmt: skip
    return [
        ToolSpec(name, title, description, params, CLEANING, handler, runs.current)
        for name, title, description, params, handler in table
    ]
