"""``GET /api/tracked``: the ledger's records, filtered by run and entity type, paged."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

import tdm
from tdm.boundary import RUN_ID_RULE, is_run_id

from ._context import Api
from ._requests import query_values

__all__ = ["tracked"]

_QUERY = ("runId", "entityType", "limit", "offset")
DEFAULT_LIMIT, MAX_LIMIT, MAX_OFFSET = 100, 1000, 2**31 - 1


def _whole(
    values: dict[str, str], key: str, default: int, high: int, low: int
) -> tuple[int, tdm.FieldProblem | None]:
    raw = values.get(key)
    if raw is None:
        return default, None
    if raw.isascii() and raw.isdigit() and len(raw) <= 10 and low <= int(raw) <= high:
        return int(raw), None
    return default, tdm.FieldProblem((key,), f"a whole number from {low} to {high}", raw)


async def tracked(api: Api, request: Request) -> Response:
    """``?runId=&entityType=&limit=&offset=`` -> 200 ``{items, total, limit, offset}``."""
    values, problems = query_values(request, _QUERY)
    limit, bad_limit = _whole(values, "limit", DEFAULT_LIMIT, MAX_LIMIT, 1)
    offset, bad_offset = _whole(values, "offset", 0, MAX_OFFSET, 0)
    problems += [p for p in (bad_limit, bad_offset) if p is not None]
    catalog = api.manager.catalog
    kinds = sorted({k.name for k in catalog.kinds})
    kind = values.get("entityType")
    if kind is not None and kind not in kinds:
        problems.append(tdm.FieldProblem(("entityType",), f"one of {', '.join(kinds)}", kind))
    run_id = values.get("runId")
    if run_id is not None and not is_run_id(run_id):
        problems.append(tdm.FieldProblem(("runId",), RUN_ID_RULE, run_id))
    if problems:
        raise tdm.InvalidParameters(f"GET {request.url.path}", problems, naming="json")
    records = await api.manager.tracked(run_id=run_id, kind=kind, limit=limit, offset=offset)
    total = await api.manager.ledger.count(run_id=run_id, kind=kind, registries=catalog.names)
    items = [r.to_json() for r in records]
    return JSONResponse({"items": items, "total": total, "limit": limit, "offset": offset})
