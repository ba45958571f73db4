"""``GET /api/health``: every check of the selected registries, and the ledger's location."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ._context import Api

__all__ = ["health"]


async def health(api: Api, request: Request) -> Response:
    """200 ``{status: healthy | degraded, dependencies, checks, ledger}``; 503 when unhealthy."""
    report = await api.manager.health()
    return JSONResponse(report.to_json(), status_code=report.http_status)
