"""``POST /api/seed`` (and ``tdm seed``): each selected registry's ``baseline`` scenario, kept.

The baseline is tracked under the run ``baseline`` whatever run the caller names, so cleaning
up a test run never removes it (``all`` and ``olderThan`` with the run named do).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

import tdm
from tdm.boundary import Parameter, Parameters

from ._context import Api, answer
from ._requests import read_body

__all__ = ["BASELINE", "SEED_BODY", "baselines", "run_baselines", "seed"]

BASELINE = "baseline"
"""The name of a registry's seeding scenario, and of the run its entities are tracked under."""

SEED_BODY = Parameters((
    Parameter("force", bool, False, tdm.Field(
        description="Also reset what already exists (passwords, stock)",
    )),
))  # fmt: skip


def baselines(catalog: tdm.Catalog) -> list[tdm.Scenario]:
    """The ``baseline`` scenario of each selected registry that has one; at least one."""
    found = [s for s in catalog.scenarios if s.name == BASELINE]
    if not found:
        raise tdm.NotFound(
            "scenario",
            BASELINE,
            [catalog.scenario_name(s) for s in catalog.scenarios],
            message="no selected registry has a 'baseline' scenario to seed with",
        )
    return found


async def run_baselines(session: tdm.Session, *, force: bool = False) -> Any:
    """Run every baseline in ``session``: its result when there is one, else
    ``{seeded, baselines: {registry: result}}``."""
    results = {}
    for scenario in baselines(session.manager.catalog):
        given = {"force": True} if force and scenario.parameters.get("force") else {}
        results[scenario.registry] = tdm.to_json(await session.run(scenario, **given))
    if len(results) == 1:
        return next(iter(results.values()))
    seeded = any(isinstance(r, dict) and r.get("seeded") for r in results.values())
    return {"seeded": seeded, "baselines": results}


async def seed(api: Api, request: Request) -> Response:
    """``{force?}`` -> 200 ``{seeded, users, products, categories}`` (idempotent)."""
    baselines(api.manager.catalog)
    body = await read_body(request, SEED_BODY, f"POST {request.url.path}")
    async with api.session(request, run_id=BASELINE) as s:
        result = await run_baselines(s, force=body["force"])
    return answer(result, s, status=200)
