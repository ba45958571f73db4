"""Exceptions to answers: every error renders itself (``tdm.boundary.error_json``); this module
only maps them onto Starlette's exception handlers and logs what deserves it.

The shape, the codes and the statuses are tdm's own (see ``tdm._errors``). Starlette's own
404 and 405 become tdm's :class:`~tdm.NotFound` and ``MethodNotAllowed``, so every answer
has one shape. Anything that is not a tdm error is a bug: 500, its text kept in the log.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

import tdm
from tdm.boundary import MethodNotAllowed, error_json, status_of, unwrap

__all__ = ["EXCEPTION_HANDLERS", "error_response"]

log = logging.getLogger("tdm.server")


def error_response(request: Request, exc: BaseException, headers: Any = None) -> JSONResponse:
    """The answer for ``exc``; bugs are logged with their traceback, 5xx with their text."""
    exc = unwrap(exc)
    status = status_of(exc)
    where = f"{request.method} {request.url.path}"
    if not isinstance(exc, tdm.TdmError):
        log.error("%s failed unexpectedly", where, exc_info=exc)
    elif status >= 500:
        log.warning("%s answered %d: %s", where, status, exc)
    if isinstance(exc, MethodNotAllowed) and not headers:  # RFC 9110: a 405 says what is
        headers = {"Allow": ", ".join(exc.allowed)}
    return JSONResponse(error_json(exc), status_code=status, headers=headers)


async def _on_error(request: Request, exc: Exception) -> Response:
    return error_response(request, exc)


async def _on_http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    path = request.url.path
    if exc.status_code == 404:
        error: tdm.TdmError = tdm.NotFound(
            "route", path, (), message=f"there is no route {path}; GET /api/openapi.json lists them"
        )
    elif exc.status_code == 405:
        allowed = [m.strip() for m in (exc.headers or {}).get("Allow", "").split(",") if m.strip()]
        error = MethodNotAllowed(
            f"{request.method} is not allowed on {path} (allowed: {', '.join(allowed)})", allowed
        )
    else:
        error = tdm.ServerError(exc.status_code, "http_error", str(exc.detail))
    return error_response(request, error, headers=exc.headers)


EXCEPTION_HANDLERS: Mapping[Any, Any] = {
    tdm.TdmError: _on_error,
    HTTPException: _on_http_exception,
    Exception: _on_error,
}
"""For ``Starlette(exception_handlers=...)``: tdm's errors are answers; ``Exception`` catches
bugs (Starlette then re-raises them for the server's log)."""
