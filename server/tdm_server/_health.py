"""``GET /api/health`` (and ``tdm health``): each dependency up or down, and what that means.

``healthy``: everything is up. ``degraded``: only optional dependencies are down (the design's
``database``, which tdm needs only for what the system's API cannot delete). ``unhealthy``:
a dependency tdm needs to create data is down; answered 503 so ``curl -f`` fails.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

import tdm

from ._context import Api

__all__ = ["OPTIONAL", "health", "health_json"]

OPTIONAL = frozenset({"database"})
"""Checks whose failure degrades tdm rather than stopping it."""


async def health_json(manager: tdm.Manager) -> dict[str, Any]:
    """``{status, dependencies: {name: "up" | "down"}}`` from the registry's checks."""
    checks = await manager.health()
    down = {name for name, up in checks.items() if not up}
    if down - OPTIONAL:
        status = "unhealthy"
    elif down:
        status = "degraded"
    else:
        status = "healthy"
    dependencies = {name: "up" if up else "down" for name, up in checks.items()}
    return {"status": status, "dependencies": dependencies}


async def health(api: Api, request: Request) -> Response:
    """200 ``{status: healthy | degraded, dependencies}``; 503 when unhealthy."""
    body = await health_json(api.manager)
    return JSONResponse(body, status_code=503 if body["status"] == "unhealthy" else 200)
