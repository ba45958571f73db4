"""Errors the shop answers with, and the handlers that turn them into JSON.

Every error body has one shape: ``{"error": code, "detail": message, "fields": [...]}``.

    ApiError                     base; carries status, code, detail, fields, headers
    ├── InvalidJson(ValueError)          400 invalid_json
    ├── Unauthorized(PermissionError)    401 unauthorized
    ├── Forbidden(PermissionError)       403 forbidden
    ├── NotFound(LookupError)            404 not_found
    ├── MethodNotAllowed                 405 method_not_allowed
    ├── Conflict                         409 conflict
    ├── PayloadTooLarge(ValueError)      413 payload_too_large
    ├── UnsupportedMediaType(ValueError) 415 unsupported_media_type
    └── ValidationFailed(ValueError)     422 validation_error
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from tdm_sut._validation import FieldError

logger = logging.getLogger("tdm_sut.errors")

_CODES_BY_STATUS = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
}


class ApiError(Exception):
    """An answer other than success; subclasses fix the status and the code."""

    status: ClassVar[int] = 400
    code: ClassVar[str] = "bad_request"

    def __init__(
        self,
        detail: str,
        *,
        fields: Sequence[FieldError] = (),
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.fields = tuple(fields)
        self.headers = dict(headers or {})

    def __str__(self) -> str:
        return f"{self.status} {self.code}: {self.detail}"

    def body(self) -> dict[str, Any]:
        """The JSON body of this error."""
        return {
            "error": self.code,
            "detail": self.detail,
            "fields": [field.as_json() for field in self.fields],
        }


class InvalidJson(ApiError, ValueError):
    status = 400
    code = "invalid_json"


class Unauthorized(ApiError, PermissionError):
    status = 401
    code = "unauthorized"

    def __init__(self, detail: str) -> None:
        super().__init__(detail, headers={"WWW-Authenticate": "Bearer"})


class Forbidden(ApiError, PermissionError):
    status = 403
    code = "forbidden"


class NotFound(ApiError, LookupError):
    status = 404
    code = "not_found"


class MethodNotAllowed(ApiError):
    status = 405
    code = "method_not_allowed"


class Conflict(ApiError):
    status = 409
    code = "conflict"


class PayloadTooLarge(ApiError, ValueError):
    status = 413
    code = "payload_too_large"


class UnsupportedMediaType(ApiError, ValueError):
    status = 415
    code = "unsupported_media_type"


class ValidationFailed(ApiError, ValueError):
    status = 422
    code = "validation_error"

    def __init__(self, fields: Sequence[FieldError], detail: str | None = None) -> None:
        if detail is None:
            detail = "; ".join(field.message for field in fields) or "the request is not valid"
        super().__init__(detail, fields=fields)


def error_json(status: int, code: str, detail: str) -> JSONResponse:
    """A JSON error response with no field at fault."""
    return JSONResponse({"error": code, "detail": detail, "fields": []}, status_code=status)


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return JSONResponse(exc.body(), status_code=exc.status, headers=exc.headers)


async def _http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code = _CODES_BY_STATUS.get(exc.status_code, "error")
    if exc.status_code == 404:
        detail = f"no route for {request.url.path}"
    elif exc.status_code == 405:
        detail = f"{request.method} is not allowed on {request.url.path}"
    else:
        detail = str(exc.detail)
    body = {"error": code, "detail": detail, "fields": []}
    return JSONResponse(body, status_code=exc.status_code, headers=exc.headers)


async def _internal_error(request: Request, exc: Exception) -> Response:
    logger.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_json(500, "internal_error", "the shop failed; see its log")


EXCEPTION_HANDLERS: Mapping[Any, Any] = {
    ApiError: _api_error,
    HTTPException: _http_exception,
    Exception: _internal_error,
}
"""Handlers for `Starlette(exception_handlers=...)`; ``Exception`` is the catch-all for bugs."""
