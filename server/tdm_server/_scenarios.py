"""``GET /api/scenarios``, ``GET /api/scenarios/{name}`` and ``POST /api/scenarios/{name}``."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

import tdm

from ._catalog import catalog_json, scenario_json
from ._context import Api, answer, guarded
from ._requests import Field, check_fields, read_object

__all__ = ["list_scenarios", "run_scenario", "show_scenario"]

_BODY = {
    "parameters": Field(
        "an object of the scenario's parameters (camelCase)",
        lambda v: v is None or isinstance(v, dict),
    )
}


async def list_scenarios(api: Api, request: Request) -> Response:
    """200 ``{scenarios: [{name, summary, description, parameters}]}``."""
    return JSONResponse(catalog_json(api.manager.registry))


async def show_scenario(api: Api, request: Request) -> Response:
    """200 ``{name, summary, description, parameters}``; 404 listing the known scenarios."""
    scenario = api.manager.registry.get_scenario(request.path_params["name"])
    return JSONResponse(scenario_json(scenario))


async def run_scenario(api: Api, request: Request) -> Response:
    """``{parameters?: {...}}`` -> 201 ``{data, trackingIds}``; 404 unknown; 422 bad parameters.

    A scenario that fails halfway has removed what it created; the answer names the step.
    """
    scenario = api.manager.registry.get_scenario(request.path_params["name"])
    body = await read_object(request)
    problems = check_fields(_BODY, body)
    if problems:
        raise tdm.InvalidParameters(f"POST {request.url.path}", problems)
    parameters = body.get("parameters") or {}
    async with api.session(request) as s:
        data = await guarded(s, lambda: s.run_from(scenario, parameters))
    return answer({"data": tdm.to_json(data), "trackingIds": s.tracking_ids}, s)
