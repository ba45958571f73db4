"""Reading requests: JSON bodies, their top-level fields, query parameters and tdm's headers.

Each reader turns one sort of bad input into an error with a 4xx status (see ``_errors``), so
handlers only ever see checked values.

JSON bodies: ``application/json`` (or any ``+json`` type) and requests without a content type
are parsed as JSON. Any other content type is accepted when the body parses as JSON anyway,
because ``curl -d '{"all": true}'`` sends ``application/x-www-form-urlencoded`` (the design's
curl session does); a body that does not parse is then answered 415. An empty body is ``{}``.
(Browsers are held to ``application/json`` before a request gets here: ``_access``.) A body
nesting deeper than ``_limits.MAX_DEPTH`` is answered 422 (``nested_too_deeply``).
"""

from __future__ import annotations

import json
import math
import re
from typing import Any, NoReturn

import attrs
from starlette.requests import Request

import tdm
from tdm.boundary import (
    RUN_ID_RULE,
    InvalidBody,
    Parameters,
    PayloadTooLarge,
    UnsupportedMediaType,
    is_run_id,
)

from ._limits import check_depth, too_deep

__all__ = [
    "MAX_BODY",
    "MAX_SEED",
    "RUN_ID_HEADER",
    "SEED_HEADER",
    "TEST_ID_HEADER",
    "TEST_ID_PATTERN",
    "Headers",
    "query_values",
    "read_body",
    "read_bytes",
    "read_headers",
    "read_object",
]

MAX_BODY = 1024 * 1024
"""The largest body accepted (1 MiB); larger ones are answered 413."""
_MAX_DRAIN = 8 * MAX_BODY

RUN_ID_HEADER = "X-TDM-Run-Id"
TEST_ID_HEADER = "X-TDM-Test-Id"
SEED_HEADER = "X-TDM-Seed"

TEST_ID_PATTERN = r"[ -~\xa1-\xac\xae-\xff]{1,500}"
"""A test id: 1 to 500 printable characters of those a header carries (Latin-1)."""
_TEST_ID = re.compile(TEST_ID_PATTERN)
MAX_SEED = 2**63 - 1


async def read_bytes(request: Request) -> bytes:
    """The body, up to :data:`MAX_BODY` (:class:`PayloadTooLarge` beyond); read once, kept
    on the request for whoever reads it next (Starlette's own ``body()`` cache)."""
    cached = getattr(request, "_body", None)
    if isinstance(cached, bytes):
        return cached
    declared = request.headers.get("content-length", "")
    too_large = PayloadTooLarge(f"the request body is larger than {MAX_BODY} bytes (1 MiB)")
    if declared.isdigit() and int(declared) > _MAX_DRAIN:
        raise too_large
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size <= MAX_BODY:
            chunks.append(chunk)
        elif size > _MAX_DRAIN:
            break
    if size > MAX_BODY:
        raise too_large  # read (up to a bound) so that the client gets to read the answer
    request._body = body = b"".join(chunks)
    return body


def _no_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not valid JSON")


def _finite(text: str) -> float | int:
    """A JSON number with a fraction or exponent; ``17.0`` is the integer 17, as JSON Schema
    has it (so it fits an integer field)."""
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"the number {text[:40]} is too large")
    return int(value) if value.is_integer() else value


def _kind_of(value: Any) -> str:
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "a boolean"
    if value is None:
        return "null"
    return "a number"


_DECODER = json.JSONDecoder(parse_constant=_no_constant, parse_float=_finite)


def _parse(raw: bytes) -> Any:
    """``json.loads(raw, parse_constant=..., parse_float=...)`` with one decoder for every
    request (``json.loads`` builds a decoder per call when given hooks)."""
    return _DECODER.decode(raw.decode(json.detect_encoding(raw), "surrogatepass"))


async def read_object(request: Request) -> dict[str, Any]:
    """The request's JSON object body (``{}`` when there is none)."""
    raw = await read_bytes(request)
    if not raw.strip():
        return {}
    media = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    declared_json = media in ("", "application/json") or media.endswith("+json")
    try:
        value = _parse(raw)
    except RecursionError:
        raise too_deep() from None
    except ValueError as exc:
        if not declared_json:
            raise UnsupportedMediaType(
                f"send the body as application/json; it is {media} and does not parse as JSON"
            ) from None
        raise InvalidBody(f"the body is not valid JSON: {exc}") from None
    check_depth(raw)
    if not isinstance(value, dict):
        raise InvalidBody(f"the body must be a JSON object, got {_kind_of(value)}")
    return value


async def read_body(request: Request, parameters: Parameters, subject: str) -> dict[str, Any]:
    """The JSON object body, validated against ``parameters`` (camelCase names); Python-named
    values, defaults filled in."""
    body = await read_object(request)
    return parameters.validate(subject, body, naming="json")


def query_values(
    request: Request, known: tuple[str, ...]
) -> tuple[dict[str, str], list[tdm.FieldProblem]]:
    """The query parameters by name, and problems: unknown names, names given twice."""
    problems: list[tdm.FieldProblem] = []
    values: dict[str, str] = {}
    for key, value in request.query_params.multi_items():
        if key not in known:
            problems.append(
                tdm.FieldProblem((key,), f"one of {', '.join(known)}", value, unknown=True)
            )
        elif key in values:
            problems.append(tdm.FieldProblem((key,), "given once", value))
        else:
            values[key] = value
    return values, problems


@attrs.frozen
class Headers:
    """tdm's request headers: the run to group entities in, the test, the data seed."""

    run_id: str | None
    test_id: str | None
    seed: int | None


def read_headers(request: Request) -> Headers:
    """``X-TDM-Run-Id``, ``X-TDM-Test-Id`` and ``X-TDM-Seed``, checked (422 naming them)."""
    problems: list[tdm.FieldProblem] = []
    run_id = request.headers.get(RUN_ID_HEADER)
    if run_id is not None and not is_run_id(run_id):
        problems.append(tdm.FieldProblem((RUN_ID_HEADER,), RUN_ID_RULE, run_id))
    test_id = request.headers.get(TEST_ID_HEADER)
    if test_id is not None and not _TEST_ID.fullmatch(test_id):
        expected = "1 to 500 printable characters"
        problems.append(tdm.FieldProblem((TEST_ID_HEADER,), expected, test_id))
    raw_seed = request.headers.get(SEED_HEADER)
    seed = None
    if raw_seed is not None:
        seed = (
            int(raw_seed)
            if raw_seed.isascii() and raw_seed.isdigit() and len(raw_seed) < 20
            else -1
        )
        if not 0 <= seed <= MAX_SEED:
            expected = f"a whole number from 0 to {MAX_SEED}"
            problems.append(tdm.FieldProblem((SEED_HEADER,), expected, raw_seed))
    if problems:
        raise tdm.InvalidParameters("the request headers", problems, naming="json")
    return Headers(run_id, test_id, seed)
