"""``DELETE /api/cleanup``: remove tracked entities by tracking id, run, age, or all of them."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

import tdm

from ._context import Api
from ._requests import Field, check_fields, read_object

__all__ = ["MAX_TRACKING_IDS", "cleanup"]

MAX_TRACKING_IDS = 10_000


def _tracking_ids(value: Any) -> bool:
    return (
        isinstance(value, list)
        and len(value) <= MAX_TRACKING_IDS
        and all(isinstance(item, str) for item in value)
    )


def _duration(value: Any) -> bool:
    try:
        tdm.parse_duration(value)
    except (TypeError, ValueError):
        return False
    return isinstance(value, str)


_BODY = {
    "trackingIds": Field(f"a list of at most {MAX_TRACKING_IDS} tracking ids", _tracking_ids),
    "all": Field("a boolean", lambda v: isinstance(v, bool)),
    "olderThan": Field("a duration such as '90s', '15m', '1h' or '2d'", _duration),
    "runId": Field("a run id (a non-empty string)", lambda v: isinstance(v, str) and bool(v)),
}


async def cleanup(api: Api, request: Request) -> Response:
    """``{trackingIds?, all?, olderThan?, runId?}`` -> 200 ``{deleted, alreadyGone, failed}``.

    At least one selection is needed (removing everything takes ``all: true``); they combine
    (a run's entities older than an hour); ``olderThan`` alone spares the run ``baseline``.
    What cannot be removed is listed in ``failed`` and stays tracked.
    """
    body = await read_object(request)
    problems = check_fields(_BODY, body)
    if problems:
        raise tdm.InvalidParameters(f"DELETE {request.url.path}", problems)
    report = await api.manager.cleanup(
        tracking_ids=body.get("trackingIds"),
        run_id=body.get("runId"),
        all=body.get("all", False),
        older_than=body.get("olderThan"),
    )
    return JSONResponse(report.to_json())
