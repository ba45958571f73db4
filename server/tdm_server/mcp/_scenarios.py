"""One tool per registered scenario, and ``list_scenarios``."""

from __future__ import annotations

from typing import Any

from mcp.server import MCPServer

import tdm

from ._catalog import ToolNames, catalog, result_shape
from ._errors import kept_session
from ._hints import CREATING, INSPECTING
from ._results import CREATED_HINT
from ._runs import RunIds
from ._signatures import parameter_for, sign

__all__ = ["add_scenario_tools"]


def _description(scenario: tdm.Scenario) -> str:
    shape = result_shape(scenario)
    returns = f"data {shape}" if shape else "data (the scenario's result)"
    return (
        f"{scenario.description}\n\n"
        f"Runs the tdm scenario '{scenario.name}' against the system under test. Returns "
        f"{returns}, trackingIds, runId and seed (as a string). Everything it creates is "
        "tracked under this MCP session's run and kept when the session ends: call "
        "cleanup_my_data when the data is no longer needed. If it fails halfway, what it had "
        "created is removed again."
    )


def _scenario_tool(manager: tdm.Manager, runs: RunIds, scenario: tdm.Scenario, tool: str) -> Any:
    async def run_scenario(**arguments: Any) -> dict[str, Any]:
        run_id = runs.current()
        async with kept_session(manager, tool, run_id) as s:
            data = await s.run_from(scenario.name, arguments)
            return {
                "scenario": scenario.name,
                "data": tdm.to_json(data),
                "trackingIds": s.tracking_ids,
                "runId": run_id,
                "seed": str(s.seed),
                "next": CREATED_HINT,
            }

    return sign(run_scenario, tool, [parameter_for(p) for p in scenario.params])


def add_scenario_tools(
    server: MCPServer, manager: tdm.Manager, runs: RunIds, names: ToolNames
) -> None:
    """Register ``list_scenarios`` and a ``create_<scenario>`` tool per scenario."""
    registry = manager.registry
    for scenario in registry.scenarios.values():
        tool = names.scenarios[scenario.name]
        server.add_tool(
            _scenario_tool(manager, runs, scenario, tool),
            name=tool,
            title=f"Scenario: {scenario.name}",
            description=_description(scenario),
            annotations=CREATING,
            structured_output=True,
        )

    async def list_scenarios() -> dict[str, Any]:
        return catalog(registry, names)

    server.add_tool(
        list_scenarios,
        name="list_scenarios",
        title="List scenarios and entity kinds",
        description=(
            "Lists tdm's scenarios (named, parameterised data set-ups such as a user with "
            "orders) with the tool that runs each, its description, its parameters as JSON "
            "Schema and what it returns, and the entity kinds with their create tools. Call it "
            "first to find the tool for the data you need."
        ),
        annotations=INSPECTING,
        structured_output=True,
    )
