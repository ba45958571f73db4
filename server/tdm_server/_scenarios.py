"""``GET /api/scenarios``, ``GET /api/scenarios/{name}`` and ``POST /api/scenarios/{name}``."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

import tdm
from tdm.boundary import Parameter, Parameters

from ._context import Api, answer
from ._requests import read_body

__all__ = ["RUN_BODY", "list_scenarios", "run_scenario", "show_scenario"]

RUN_BODY = Parameters((
    Parameter("parameters", dict[str, Any] | None, None, tdm.Field(
        description="The scenario's parameters (camelCase), as its parameter schema says",
    )),
))  # fmt: skip
"""The body of ``POST /api/scenarios/{name}``."""


async def list_scenarios(api: Api, request: Request) -> Response:
    """200 ``{registries, scenarios, entityKinds}``: the catalog with every schema."""
    return JSONResponse(api.manager.catalog.to_json())


async def show_scenario(api: Api, request: Request) -> Response:
    """200 one scenario of the catalog; 404 listing the known scenarios."""
    catalog = api.manager.catalog
    return JSONResponse(catalog.scenario_json(catalog.scenario(request.path_params["name"])))


async def run_scenario(api: Api, request: Request) -> Response:
    """``{parameters?: {...}}`` -> 201 ``{data, trackingIds}``; 404 unknown; 422 bad parameters.

    A scenario that fails halfway has removed what it created; the answer names the step.
    """
    scenario = api.manager.catalog.scenario(request.path_params["name"])
    body = await read_body(request, RUN_BODY, f"POST {request.url.path}")
    async with api.session(request) as s:
        data = await s.run_from(scenario, body["parameters"] or {})
    return answer({"data": tdm.to_json(data), "trackingIds": s.tracking_ids}, s)
