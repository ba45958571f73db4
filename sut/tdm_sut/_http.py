"""Request and response helpers shared by both services.

Each helper turns one kind of bad input into the matching `ApiError`, so handlers only
see checked values.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, NoReturn

import attrs
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from tdm_sut import _tokens
from tdm_sut._errors import (
    Forbidden,
    InvalidJson,
    NotFound,
    PayloadTooLarge,
    Unauthorized,
    UnsupportedMediaType,
    ValidationFailed,
)
from tdm_sut._settings import ShopSettings
from tdm_sut._validation import (
    Field,
    FieldError,
    Integer,
    Invalid,
    Text,
    parse_object,
    parse_query_int,
)

MAX_BODY_SIZE = 1024 * 1024
_MAX_DRAIN = 8 * MAX_BODY_SIZE
MAX_ID = 2**31 - 1
ID = Integer(1, MAX_ID)
_LIMIT = Integer(1, 100)
_OFFSET = Integer(0, MAX_ID)


def settings_of(request: Request) -> ShopSettings:
    settings = request.app.state.settings
    assert isinstance(settings, ShopSettings)
    return settings


async def read_body(request: Request, *, limit: int = MAX_BODY_SIZE) -> bytes:
    """The request body, or `PayloadTooLarge` once it passes ``limit`` bytes.

    An oversized body is still drained (up to a bound) so the client reads the 413.
    """
    too_large = PayloadTooLarge(f"the request body is larger than {limit} bytes")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > _MAX_DRAIN:
        raise too_large
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size <= limit:
            chunks.append(chunk)
        elif size > _MAX_DRAIN:
            break
    if size > limit:
        raise too_large
    return b"".join(chunks)


def _reject_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not valid JSON")


async def read_json(request: Request) -> Any:
    """The decoded JSON body of a request that says it sends JSON."""
    media_type = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if media_type != "application/json" and not media_type.endswith("+json"):
        shown = media_type or "none"
        raise UnsupportedMediaType(f"send the body as application/json, not {shown}")
    body = await read_body(request)
    try:
        return json.loads(body, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as exc:
        raise InvalidJson(f"the body is not valid JSON: {exc}") from None


async def read_object(
    request: Request, fields: Sequence[Field], *, partial: bool = False
) -> dict[str, Any]:
    """The JSON object body checked against ``fields`` (422 names every bad field)."""
    value = await read_json(request)
    try:
        return parse_object(value, fields, partial=partial)
    except Invalid as exc:
        raise ValidationFailed(exc.fields) from None


def query_int(request: Request, name: str, *, default: int, spec: Integer) -> int:
    try:
        return parse_query_int(request.query_params.get(name), name, default=default, spec=spec)
    except Invalid as exc:
        raise ValidationFailed(exc.fields) from None


def query_id(request: Request, name: str) -> int | None:
    """An optional id filter such as ``userId``."""
    value = query_int(request, name, default=0, spec=ID)
    return value or None


def query_text(request: Request, name: str, *, max_length: int = 200) -> str | None:
    """An optional text filter; None when absent or blank."""
    raw = request.query_params.get(name)
    if raw is None or not raw.strip():
        return None
    try:
        return Text(1, max_length).parse(raw, name)
    except Invalid as exc:
        raise ValidationFailed(exc.fields) from None


@attrs.frozen
class Page:
    limit: int
    offset: int


def page_of(request: Request) -> Page:
    """``limit`` (1 to 100, default 50) and ``offset`` (default 0)."""
    errors: list[FieldError] = []
    values: list[int] = []
    for name, default, spec in (("limit", 50, _LIMIT), ("offset", 0, _OFFSET)):
        try:
            values.append(query_int(request, name, default=default, spec=spec))
        except ValidationFailed as exc:
            errors.extend(exc.fields)
    if errors:
        raise ValidationFailed(errors)
    return Page(*values)


def listing(items: list[dict[str, Any]], total: int, page: Page) -> JSONResponse:
    return JSONResponse(
        {"items": items, "total": total, "limit": page.limit, "offset": page.offset}
    )


def path_id(request: Request, what: str, name: str = "id") -> int:
    """An integer path parameter; ids beyond the id range cannot exist, hence 404."""
    value = request.path_params[name]
    assert isinstance(value, int)
    if not 1 <= value <= MAX_ID:
        raise NotFound(f"there is no {what} {value}")
    return value


def created(body: dict[str, Any]) -> JSONResponse:
    return JSONResponse(body, status_code=201)


def no_content() -> Response:
    return Response(status_code=204)


def bearer_token(request: Request) -> str:
    header = request.headers.get("authorization")
    if header is None:
        raise Unauthorized("send an Authorization: Bearer <accessToken> header")
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("the Authorization header must read Bearer <accessToken>")
    return token.strip()


def authenticate(request: Request) -> _tokens.Claims:
    """The claims of the request's bearer token (401 when missing, bad or expired)."""
    try:
        return _tokens.verify(bearer_token(request), settings_of(request).secret)
    except _tokens.TokenError as exc:
        raise Unauthorized(str(exc)) from None


def authenticate_admin(request: Request) -> _tokens.Claims:
    """Like `authenticate`, and 403 unless the bearer is an admin."""
    claims = authenticate(request)
    if not claims.is_admin:
        raise Forbidden("only an admin may do this")
    return claims
