"""The scenario catalog as JSON: what ``GET /api/scenarios`` and ``tdm scenarios --json`` show."""

from __future__ import annotations

from typing import Any

import tdm

__all__ = ["catalog_json", "scenario_json"]


def scenario_json(scenario: tdm.Scenario) -> dict[str, Any]:
    """A scenario's name, summary, description and parameters (a JSON Schema, camelCase)."""
    return {
        "name": scenario.name,
        "summary": scenario.summary,
        "description": scenario.description,
        "parameters": scenario.schema(),
    }


def catalog_json(registry: tdm.Registry) -> dict[str, Any]:
    """``{"scenarios": [...]}``, sorted by name."""
    scenarios = registry.scenarios
    return {"scenarios": [scenario_json(scenarios[name]) for name in sorted(scenarios)]}
