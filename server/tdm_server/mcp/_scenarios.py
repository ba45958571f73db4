"""One tool per scenario, and ``list_scenarios``."""

from __future__ import annotations

from typing import Any

import tdm
from tdm.boundary import Parameters, undo_on_failure

from ._catalog import ToolNames, catalog_json, shape
from ._hints import CREATED_HINT, CREATING, INSPECTING
from ._runs import RunIds
from ._tools import ToolSpec

__all__ = ["scenario_tools"]


def _description(catalog: tdm.Catalog, scenario: tdm.Scenario) -> str:
    picture = shape(catalog.scenario_json(scenario)["result"])
    returns = f"data {picture}" if picture else "data (the scenario's result)"
    return (
        f"{scenario.description}\n\n"
        f"Runs the tdm scenario '{catalog.scenario_name(scenario)}' against the system under "
        f"test. Returns {returns}, trackingIds, runId and seed (as a string). Everything it "
        "creates is tracked under this MCP session's run and kept when the session ends: call "
        "cleanup_my_data when the data is no longer needed. If it fails halfway, what it had "
        "created is removed again."
    )


def _runner(manager: tdm.Manager, runs: RunIds, scenario: tdm.Scenario) -> Any:
    async def run(arguments: dict[str, Any]) -> dict[str, Any]:
        run_id = runs.current()
        async with manager.session(keep=True, run_id=run_id) as s, undo_on_failure(s):
            data = await s.run_from(scenario, arguments, naming="python")
        return {
            "scenario": manager.catalog.scenario_name(scenario),
            "data": tdm.to_json(data),
            "trackingIds": s.tracking_ids,
            "runId": run_id,
            "seed": str(s.seed),
            "next": CREATED_HINT,
        }

    return run


def scenario_tools(manager: tdm.Manager, runs: RunIds, names: ToolNames) -> list[ToolSpec]:
    """A ``create_<scenario>`` tool per scenario, and ``list_scenarios``."""
    catalog = manager.catalog
    tools = [
        ToolSpec(
            name=names.scenarios[scenario.qualified_name],
            title=f"Scenario: {catalog.scenario_name(scenario)}",
            description=_description(catalog, scenario),
            parameters=scenario.parameters,
            annotations=CREATING,
            handler=_runner(manager, runs, scenario),
            run_id=runs.current,
        )
        for scenario in catalog.scenarios
    ]

    async def list_scenarios(arguments: dict[str, Any]) -> dict[str, Any]:
        return catalog_json(catalog, names)

    tools.append(ToolSpec(
        name="list_scenarios",
        title="List scenarios and entity kinds",
        description=(
            "Lists tdm's scenarios (named, parameterised data set-ups such as a user with "
            "orders) with the tool that runs each, its description, its parameters and its "
            "result as JSON Schema, and the entity kinds with their create tools and fields. "
            "Call it first to find the tool for the data you need."
        ),
        parameters=Parameters(),
        annotations=INSPECTING,
        handler=list_scenarios,
        run_id=runs.current,
    ))  # fmt: skip
    return tools
