"""``Idempotency-Key`` on every create endpoint (the IETF httpapi draft's header).

The first request with a key is served and, when it succeeds, its answer is stored in the
ledger; the same key with the same request (method, path, run, body) gets the stored answer
again (``Idempotent-Replayed: true``) from any replica; the same key with another request is
422; a key whose first request is still being served is 409. A failed request forgets its key,
so a retry can try again. Keys are forgotten after ``TDM_KEEP_FOR``.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

import tdm
from tdm.boundary import IdempotencyKeyInFlight, IdempotencyKeyReused

from ._context import Api
from ._requests import RUN_ID_HEADER, read_bytes

__all__ = ["HEADER", "idempotent"]

HEADER = "Idempotency-Key"
_KEY = re.compile(r"[\x21-\x7e]{1,255}")
_KEPT_HEADERS = ("x-tdm-run-id", "x-tdm-seed")

Handler = Callable[[Api, Request], Awaitable[Response]]


def idempotent(handler: Handler) -> Handler:
    """``handler``, honouring ``Idempotency-Key``."""

    async def serve(api: Api, request: Request) -> Response:
        key = request.headers.get(HEADER)
        if key is None:
            return await handler(api, request)
        if not _KEY.fullmatch(key):
            problem = tdm.FieldProblem((HEADER,), "1 to 255 visible ASCII characters", key)
            raise tdm.InvalidParameters("the request headers", [problem], naming="json")
        body = await read_bytes(request)
        run_id = request.headers.get(RUN_ID_HEADER, "")
        parts = [request.method, request.url.path, request.url.query, run_id,
                 body.decode("utf-8", "replace")]  # fmt: skip
        fingerprint = hashlib.sha256("\x00".join(parts).encode()).hexdigest()
        ledger = api.manager.ledger
        state, status, stored = await ledger.idempotency_begin(key, fingerprint, stale_after=300)
        if state == "mismatch":
            raise IdempotencyKeyReused(f"{HEADER} {key!r} was used for another request")
        if state == "in_flight":
            raise IdempotencyKeyInFlight(f"a request with {HEADER} {key!r} is still being "
                                         "served; try again in a moment")  # fmt: skip
        if state == "replay":
            kept = json.loads(stored or "{}")
            headers = {**kept.get("headers", {}), "Idempotent-Replayed": "true"}
            return JSONResponse(kept.get("body"), status_code=status or 200, headers=headers)
        try:
            response = await handler(api, request)
        except BaseException:
            await ledger.idempotency_drop(key)
            raise
        if not 200 <= response.status_code < 300:
            await ledger.idempotency_drop(key)
            return response
        headers = {k: v for k, v in response.headers.items() if k.lower() in _KEPT_HEADERS}
        answer = json.loads(bytes(response.body))
        kept_json = json.dumps({"headers": headers, "body": answer})
        await ledger.idempotency_finish(key, response.status_code, kept_json)
        return response

    serve.__name__, serve.__doc__ = handler.__name__, handler.__doc__
    return serve
