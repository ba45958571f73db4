"""``GET /api/tracked``: the ledger's records, filtered by run and entity type, paged."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

import tdm

from ._context import Api
from ._requests import query_values

__all__ = ["record_json", "tracked"]

_QUERY = ("runId", "entityType", "limit", "offset")
DEFAULT_LIMIT, MAX_LIMIT, MAX_OFFSET = 100, 1000, 2**31 - 1


def record_json(record: tdm.TrackingRecord) -> dict[str, Any]:
    """A tracking record in camelCase, with the design's ``entityType`` for its kind."""
    return {
        "trackingId": record.tracking_id,
        "entityType": record.kind,
        "entityId": record.entity_id,
        "label": record.label,
        "state": record.state,
        "target": record.target,
        "runId": record.run_id,
        "sessionId": record.session_id,
        "testId": record.test_id,
        "scenario": record.scenario,
        "parameters": record.params,
        "seed": record.seed,
        "createdAt": record.created_at.isoformat(),
        "attempts": record.attempts,
        "lastError": record.last_error,
        "lookup": record.lookup,
        "dependsOn": [{"entityType": kind, "entityId": id_} for kind, id_ in record.refs],
    }


def _whole(
    values: dict[str, str], key: str, default: int, high: int, low: int
) -> tuple[int, tdm.FieldProblem | None]:
    raw = values.get(key)
    if raw is None:
        return default, None
    if raw.isascii() and raw.isdigit() and len(raw) <= 10 and low <= int(raw) <= high:
        return int(raw), None
    return default, tdm.FieldProblem(key, f"a whole number from {low} to {high}", raw)


async def tracked(api: Api, request: Request) -> Response:
    """``?runId=&entityType=&limit=&offset=`` -> 200 ``{items, total, limit, offset}``."""
    values, problems = query_values(request, _QUERY)
    limit, bad_limit = _whole(values, "limit", DEFAULT_LIMIT, MAX_LIMIT, 1)
    offset, bad_offset = _whole(values, "offset", 0, MAX_OFFSET, 0)
    problems += [p for p in (bad_limit, bad_offset) if p is not None]
    kinds = api.manager.registry.kinds
    kind = values.get("entityType")
    if kind is not None and kind not in kinds:
        problems.append(tdm.FieldProblem("entityType", f"one of {', '.join(kinds)}", kind))
    run_id = values.get("runId")
    if run_id == "":
        problems.append(tdm.FieldProblem("runId", "a run id (a non-empty string)", run_id))
    if problems:
        raise tdm.InvalidParameters(f"GET {request.url.path}", problems)
    records = await api.manager.tracked(run_id=run_id, kind=kind, limit=limit, offset=offset)
    total = await api.manager.ledger.count(run_id=run_id, kind=kind)
    items = [record_json(r) for r in records]
    return JSONResponse({"items": items, "total": total, "limit": limit, "offset": offset})
