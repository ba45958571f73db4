"""What the HTTP API answers when something goes wrong, and how tdm's exceptions map onto it.

Every error body has one shape, ``{"error": code, "detail": message, "fields": [...]}``, each
field being ``{"field", "expected", "got", "message"}``; some errors add keys::

    ApiError                        the server's own refusals (the request, not tdm, is at fault)
    ├── InvalidBody          400    invalid_json: malformed JSON, a body that is not an object
    ├── PayloadTooLarge      413    payload_too_large: a body over 1 MiB
    └── UnsupportedMediaType 415    unsupported_media_type: neither JSON nor parseable as JSON
    RequestFailed                   a request that had created entities failed; they were removed

    tdm.InvalidParameters    422    validation_error (fields)
    tdm.NotFound             404    not_found (+ what, name, known)
    tdm.TargetUnavailable    503    target_unavailable (+ target)
    tdm.TargetError 409      409    conflict (+ target, targetStatus)
    tdm.TargetError 401, 403 502    target_error: the system refused tdm's own credentials
    tdm.TargetError 4xx      422    target_rejected: the system refused the values
    tdm.TargetError 5xx      502    target_error
    tdm.ConfigError          503    misconfigured: a setting of the server is unusable
    tdm.ScenarioFailed       the cause's status, scenario_failed (+ scenario, step, cause, cleanup)
    anything else            500    internal_error (a bug: logged with its traceback)
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

import tdm

__all__ = [
    "EXCEPTION_HANDLERS",
    "ApiError",
    "InvalidBody",
    "PayloadTooLarge",
    "RequestFailed",
    "UnsupportedMediaType",
    "error_body",
    "field_json",
    "primary",
    "status_of",
]

log = logging.getLogger("tdm.server")

_MAX_GOT = 500


class ApiError(Exception):
    """A refusal of the request itself, before tdm is asked anything."""

    status: ClassVar[int] = 400
    code: ClassVar[str] = "bad_request"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class InvalidBody(ApiError, ValueError):
    status, code = 400, "invalid_json"


class PayloadTooLarge(ApiError, ValueError):
    status, code = 413, "payload_too_large"


class UnsupportedMediaType(ApiError, ValueError):
    status, code = 415, "unsupported_media_type"


class RequestFailed(tdm.TdmError):
    """A request failed after tdm had begun creating; ``report`` says what removing that did."""

    def __init__(self, cause: BaseException, report: tdm.CleanupReport) -> None:
        self.cause, self.report = cause, report
        notes = []
        if report.total_deleted:
            notes.append(f"the {report.total_deleted} entities it had created were removed")
        if report.failures:
            notes.append(
                f"{len(report.failures)} entities it created (or may have created) could not "
                "be removed now and stay tracked for a later cleanup"
            )
        super().__init__("; ".join([str(cause), *notes]))


def primary(exc: BaseException) -> BaseException:
    """The exception that matters inside exception groups (cancellations left aside; the
    server and the command run on asyncio)."""
    while isinstance(exc, BaseExceptionGroup):
        inner = [e for e in exc.exceptions if not isinstance(e, asyncio.CancelledError)]
        exc = (inner or list(exc.exceptions))[0]
    return exc


def _safe(value: Any) -> Any:
    """``value`` if it is small, valid JSON; otherwise a short text standing for it."""
    try:
        text = json.dumps(value, allow_nan=False)
    except (TypeError, ValueError):
        text = None
    if text is not None and len(text) <= _MAX_GOT:
        return value
    shown = repr(value)
    return shown if len(shown) <= _MAX_GOT else shown[: _MAX_GOT - 3] + "..."


def field_json(problem: tdm.FieldProblem) -> dict[str, Any]:
    return {
        "field": problem.field,
        "expected": problem.expected,
        "got": _safe(problem.got),
        "message": problem.message,
    }


def error_body(
    code: str, detail: str, fields: Sequence[tdm.FieldProblem] = (), **extra: Any
) -> dict[str, Any]:
    return {"error": code, "detail": detail, "fields": [field_json(f) for f in fields], **extra}


def _target_status(exc: tdm.TargetError) -> tuple[int, str]:
    if isinstance(exc, tdm.TargetUnavailable):
        return 503, "target_unavailable"
    status = exc.status
    if status == 409:
        return 409, "conflict"
    if status is not None and 400 <= status < 500 and status not in (401, 403):
        return 422, "target_rejected"
    return 502, "target_error"


def status_of(exc: BaseException) -> tuple[int, str]:
    """The HTTP status and error code that stand for ``exc``."""
    if isinstance(exc, ApiError):
        return exc.status, exc.code
    if isinstance(exc, RequestFailed):
        return status_of(exc.cause)
    if isinstance(exc, tdm.InvalidParameters):
        return 422, "validation_error"
    if isinstance(exc, tdm.NotFound):
        return 404, "not_found"
    if isinstance(exc, tdm.TargetError):
        return _target_status(exc)
    if isinstance(exc, tdm.ConfigError):
        return 503, "misconfigured"
    if isinstance(exc, tdm.ScenarioFailed):
        return status_of(primary(exc.cause))[0], "scenario_failed"
    return 500, "internal_error"


def _extra(exc: BaseException) -> dict[str, Any]:
    """The keys an error body adds for ``exc``."""
    if isinstance(exc, tdm.NotFound):
        return {"what": exc.what, "name": exc.name, "known": exc.known}
    if isinstance(exc, tdm.TargetError):
        return {"target": exc.target, "targetStatus": exc.status}
    if isinstance(exc, tdm.ScenarioFailed):
        cause = primary(exc.cause)
        return {
            "scenario": exc.scenario,
            "step": exc.step,
            "cause": _cause(cause),
            "cleanup": exc.report.to_json(),
        }
    return {}


def _cause(exc: BaseException) -> dict[str, Any]:
    code = status_of(exc)[1]
    if code == "internal_error":
        return {"error": code, "detail": f"{type(exc).__name__}: {exc}"}
    return {"error": code, "detail": str(exc), **_extra(exc)}


def _problems(exc: BaseException) -> Sequence[tdm.FieldProblem]:
    return exc.problems if isinstance(exc, tdm.InvalidParameters) else ()


def tdm_error_body(exc: BaseException) -> tuple[int, dict[str, Any]]:
    """Status and body for one of tdm's exceptions (or a failure that wraps one)."""
    status, code = status_of(exc)
    if isinstance(exc, RequestFailed):
        cause = exc.cause
        body = error_body(code, str(exc), _problems(cause), **_extra(cause))
        return status, {**body, "cleanup": exc.report.to_json()}
    if isinstance(exc, tdm.ScenarioFailed):
        return status, error_body(code, str(exc), _problems(primary(exc.cause)), **_extra(exc))
    if code == "internal_error":
        return status, error_body(code, "tdm failed unexpectedly; the server's log has the details")
    return status, error_body(code, str(exc), _problems(exc), **_extra(exc))


async def _on_api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return JSONResponse(error_body(exc.code, exc.detail), status_code=exc.status)


async def _on_tdm_error(request: Request, exc: Exception) -> Response:
    status, body = tdm_error_body(exc)
    if status == 500:
        log.error("%s %s failed", request.method, request.url.path, exc_info=exc)
    elif status > 500:
        log.warning("%s %s answered %d: %s", request.method, request.url.path, status, exc)
    return JSONResponse(body, status_code=status)


_HTTP_CODES: Mapping[int, str] = {404: "not_found", 405: "method_not_allowed"}


async def _on_http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code = _HTTP_CODES.get(exc.status_code, "bad_request")
    if exc.status_code == 404:
        detail = f"there is no route {request.url.path}; GET /api/openapi.json lists them all"
    elif exc.status_code == 405:
        allowed = (exc.headers or {}).get("Allow", "")
        detail = f"{request.method} is not allowed on {request.url.path} (allowed: {allowed})"
    else:
        detail = str(exc.detail)
    body = error_body(code, detail)
    return JSONResponse(body, status_code=exc.status_code, headers=exc.headers)


async def _on_bug(request: Request, exc: Exception) -> Response:
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    body = error_body("internal_error", "tdm failed unexpectedly; the server's log has the details")
    return JSONResponse(body, status_code=500)


EXCEPTION_HANDLERS: Mapping[Any, Any] = {
    ApiError: _on_api_error,
    tdm.TdmError: _on_tdm_error,
    HTTPException: _on_http_exception,
    Exception: _on_bug,
}
"""For ``Starlette(exception_handlers=...)``; ``Exception`` catches bugs."""
