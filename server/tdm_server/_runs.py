"""``/api/runs``: runs held over HTTP, for clients in other processes and languages.

A client opens its run (``POST /api/runs``), renews the lease while it works
(``PUT /api/runs/{id}/lease``, every ``heartbeatInterval`` seconds) and ends it
(``DELETE /api/runs/{id}``, ``keep`` to keep what is left for a while). Each ``holder`` (in
the body) has a lease of its own, so several clients may hold one run and one's end leaves the
others' leases alone. A run all of whose holders go quiet for ``TDM_LEASE_TTL`` is dead, and
the reaper removes what it left. Run ids may hold a
``/``; ``.../lease`` at the end of a path is always the lease of the run before it.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

import tdm
from tdm.boundary import (
    KEEP_FORMAT,
    RUN_ID_RULE,
    MethodNotAllowed,
    Parameter,
    Parameters,
    is_run_id,
    new_run_id,
    parse_keep,
)

from ._context import Api
from ._requests import query_values, read_body

__all__ = ["END_BODY", "OPEN_BODY", "RENEW_BODY", "end_run", "list_runs", "open_run", "renew_run"]

OPEN_BODY = Parameters((
    Parameter("run_id", str | None, None, tdm.Field(
        min_length=1, max_length=128, description="The run to hold (default: a new one)",
    )),
    Parameter("holder", str | None, None, tdm.Field(
        max_length=200, description="Who holds it, for people reading the runs",
    )),
))  # fmt: skip

_HOLDER = Parameter("holder", str | None, None, tdm.Field(
    max_length=200, description="The holder whose lease this is (as given to POST /api/runs)",
))  # fmt: skip

RENEW_BODY = Parameters((_HOLDER,))

END_BODY = Parameters((
    _HOLDER,
    Parameter("keep", str | None, None, tdm.Field(
        description=f"Keep what the run left this long ({KEEP_FORMAT}); default: the "
        "reaper removes it",
    )),
))  # fmt: skip


def _run_id(value: Any) -> str:
    if not is_run_id(value):
        problem = tdm.FieldProblem(("run_id",), RUN_ID_RULE, value)
        raise tdm.InvalidParameters("the run", [problem], naming="json")
    return str(value)


async def _answer(api: Api, run_id: str, status: int = 200) -> Response:
    ledger, settings = api.manager.ledger, api.manager.settings
    row = await ledger.run(run_id)
    now = await ledger.now()
    body: dict[str, Any] = {"runId": run_id, "state": "ended"} if row is None else row.to_json(now)
    body |= {"ttl": settings.lease_ttl, "heartbeatInterval": settings.heartbeat_interval}
    return JSONResponse(body, status_code=status)


def _holder(request: Request, body: dict[str, Any]) -> str:
    """The body's holder, or one named after the client's address (a client that names none
    holds one lease per address)."""
    return str(body["holder"] or f"http:{request.client.host if request.client else '?'}")


async def open_run(api: Api, request: Request) -> Response:
    """``{runId?, holder?}`` -> 201 the run, held by ``holder`` for ``ttl`` seconds: renew it
    every ``heartbeatInterval``."""
    body = await read_body(request, OPEN_BODY, "POST /api/runs")
    run_id = _run_id(body["run_id"]) if body["run_id"] is not None else new_run_id()
    await api.manager.ledger.hold([run_id], api.manager.settings.lease_ttl, _holder(request, body))
    return await _answer(api, run_id, 201)


async def renew_run(api: Api, request: Request) -> Response:
    """``{holder?}`` -> 200 the run, the holder's lease renewed (held again if it had run
    out); other holders' leases are untouched."""
    run_id = _run_id(request.path_params["run_id"])
    body = await read_body(request, RENEW_BODY, f"PUT {request.url.path}")
    await api.manager.ledger.hold([run_id], api.manager.settings.lease_ttl, _holder(request, body))
    return await _answer(api, run_id)


async def end_run(api: Api, request: Request) -> Response:
    """``{holder?, keep?}`` -> 200: the holder's lease ends (the run stays alive while other
    holders' leases are); what it left is kept ``keep`` or, once nobody holds it, reaped."""
    if request.path_params["run_id"].endswith("/lease"):  # PUT .../lease's path, not a run's
        raise MethodNotAllowed(f"DELETE {request.url.path} is not allowed", ["PUT"])
    run_id = _run_id(request.path_params["run_id"])
    body = await read_body(request, END_BODY, f"DELETE {request.url.path}")
    keep: float | None = None
    if body["keep"] is not None:
        try:
            keep = parse_keep(body["keep"])
        except ValueError:
            problem = tdm.FieldProblem(("keep",), KEEP_FORMAT, body["keep"])
            raise tdm.InvalidParameters("the run", [problem], naming="json") from None
    await api.manager.ledger.end(run_id, _holder(request, body), keep)
    return await _answer(api, run_id)


async def list_runs(api: Api, request: Request) -> Response:
    """``?limit=&offset=`` -> 200 ``{items: [{runId, state, leaseUntil, keepUntil, holders,
    records, ...}]}``, newest first."""
    values, problems = query_values(request, ("limit", "offset"))
    limits = {"limit": (100, 1, 1000), "offset": (0, 0, 2**31 - 1)}
    page: dict[str, int] = {}
    for key, (default, low, high) in limits.items():
        raw = values.get(key)
        ok = raw is None or (raw.isascii() and raw.isdigit() and low <= int(raw) <= high)
        page[key] = int(raw) if raw is not None and ok else default
        if not ok:
            problems.append(tdm.FieldProblem((key,), f"a whole number from {low} to {high}", raw))
    if problems:
        raise tdm.InvalidParameters("GET /api/runs", problems, naming="json")
    ledger = api.manager.ledger
    found = await ledger.runs(limit=page["limit"], offset=page["offset"])
    now = await ledger.now()
    items = [row.to_json(now, records=records) for row, records in found]
    return JSONResponse({"items": items, **page})
