"""``POST /api/seed`` (and ``tdm seed``): the registry's ``baseline`` scenario, kept.

The baseline is tracked under the run ``baseline`` whatever run the caller names, so cleaning
up a test run never removes it (``all`` and ``olderThan`` do).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

import tdm

from ._context import Api, answer, guarded
from ._requests import Field, check_fields, read_object

__all__ = ["BASELINE", "run_baseline", "seed"]

BASELINE = "baseline"
"""The name of the scenario that seeds, and of the run its entities are tracked under."""

_BODY = {"force": Field("a boolean", lambda v: isinstance(v, bool))}


async def run_baseline(session: tdm.Session, *, force: bool = False) -> Any:
    """Run the ``baseline`` scenario in ``session`` (``force`` only when asked for)."""
    scenario = session.manager.registry.get_scenario(BASELINE)
    return await session.run(scenario, **({"force": True} if force else {}))


async def seed(api: Api, request: Request) -> Response:
    """``{force?}`` -> 200 ``{seeded, users, products, categories}`` (idempotent)."""
    api.manager.registry.get_scenario(BASELINE)
    body = await read_object(request)
    problems = check_fields(_BODY, body)
    if problems:
        raise tdm.InvalidParameters(f"POST {request.url.path}", problems)
    force = bool(body.get("force", False))
    async with api.seed_lock, api.session(request, run_id=BASELINE) as s:
        result = await guarded(s, lambda: run_baseline(s, force=force))
    return answer(tdm.to_json(result), s, status=200)
