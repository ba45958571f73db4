"""``DELETE /api/cleanup``: remove tracked entities by tracking id, run, age, or all of them."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

import tdm

from ._context import Api
from ._requests import read_object

__all__ = ["cleanup"]


async def cleanup(api: Api, request: Request) -> Response:
    """``{trackingIds?, runId?, olderThan?, all?}`` -> 200 ``{deleted, alreadyGone, failed, ...}``.

    At least one selection is needed (removing everything takes ``all: true``); they combine
    (a run's entities older than an hour); ``olderThan`` alone spares the run ``baseline``.
    What cannot be removed is listed in ``failed`` and stays tracked.
    """
    selection = tdm.Selection.parse(await read_object(request), naming="json")
    report = await api.manager.cleanup(selection)
    return JSONResponse(report.to_json())
