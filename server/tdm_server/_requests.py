"""Reading requests: JSON bodies, their top-level fields, query parameters and tdm's headers.

Each reader turns one sort of bad input into an error with a 4xx status (see ``_errors``), so
handlers only ever see checked values.

JSON bodies: ``application/json`` (or any ``+json`` type) and requests without a content type
are parsed as JSON. Any other content type is accepted when the body parses as JSON anyway,
because ``curl -d '{"all": true}'`` sends ``application/x-www-form-urlencoded`` (the design's
curl session does); a body that does not parse is then answered 415. An empty body is ``{}``.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping
from typing import Any, NoReturn

import attrs
from starlette.requests import Request

import tdm

from ._errors import InvalidBody, PayloadTooLarge, UnsupportedMediaType

__all__ = [
    "MAX_BODY",
    "RUN_ID_HEADER",
    "SEED_HEADER",
    "TEST_ID_HEADER",
    "Field",
    "Headers",
    "check_fields",
    "query_values",
    "read_headers",
    "read_object",
]

MAX_BODY = 1024 * 1024
"""The largest body accepted (1 MiB); larger ones are answered 413."""
_MAX_DRAIN = 8 * MAX_BODY

RUN_ID_HEADER = "X-TDM-Run-Id"
TEST_ID_HEADER = "X-TDM-Test-Id"
SEED_HEADER = "X-TDM-Seed"

_RUN_ID = re.compile(r"[A-Za-z0-9._:/@+-]{1,128}")
_RUN_ID_WORDS = "1 to 128 characters: letters, digits and . _ : / @ + -"
_MAX_TEST_ID = 500
_MAX_SEED = 2**63 - 1


async def _read(request: Request) -> bytes:
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
    return b"".join(chunks)


def _no_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not valid JSON")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"the number {text[:40]} is too large")
    return value


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


async def read_object(request: Request) -> dict[str, Any]:
    """The request's JSON object body (``{}`` when there is none)."""
    raw = await _read(request)
    if not raw.strip():
        return {}
    media = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    declared_json = media in ("", "application/json") or media.endswith("+json")
    try:
        value = json.loads(raw, parse_constant=_no_constant, parse_float=_finite)
    except (ValueError, RecursionError) as exc:
        if not declared_json:
            raise UnsupportedMediaType(
                f"send the body as application/json; it is {media} and does not parse as JSON"
            ) from None
        reason = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
        raise InvalidBody(f"the body is not valid JSON: {reason}") from None
    if not isinstance(value, dict):
        raise InvalidBody(f"the body must be a JSON object, got {_kind_of(value)}")
    return value


@attrs.frozen
class Field:
    """A top-level body field: a check of its value and what it should be, in words."""

    expected: str
    check: Callable[[Any], bool]


def check_fields(fields: Mapping[str, Field], body: Mapping[str, Any]) -> list[tdm.FieldProblem]:
    """Problems with ``body``'s keys: unknown ones, and values that fail their check."""
    known = ", ".join(fields)
    problems = [
        tdm.FieldProblem(key, f"one of {known}", value, unknown=True)
        for key, value in body.items()
        if key not in fields
    ]
    problems += [
        tdm.FieldProblem(key, field.expected, body[key])
        for key, field in fields.items()
        if key in body and not field.check(body[key])
    ]
    return problems


def query_values(
    request: Request, known: tuple[str, ...]
) -> tuple[dict[str, str], list[tdm.FieldProblem]]:
    """The query parameters by name, and problems: unknown names, names given twice."""
    problems: list[tdm.FieldProblem] = []
    values: dict[str, str] = {}
    for key, value in request.query_params.multi_items():
        if key not in known:
            problems.append(
                tdm.FieldProblem(key, f"one of {', '.join(known)}", value, unknown=True)
            )
        elif key in values:
            problems.append(tdm.FieldProblem(key, "given once", value))
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
    if run_id is not None and not _RUN_ID.fullmatch(run_id):
        problems.append(tdm.FieldProblem(RUN_ID_HEADER, _RUN_ID_WORDS, run_id))
    test_id = request.headers.get(TEST_ID_HEADER)
    if test_id is not None and not (0 < len(test_id) <= _MAX_TEST_ID and test_id.isprintable()):
        expected = f"1 to {_MAX_TEST_ID} printable characters"
        problems.append(tdm.FieldProblem(TEST_ID_HEADER, expected, test_id))
    raw_seed = request.headers.get(SEED_HEADER)
    seed = None
    if raw_seed is not None:
        seed = (
            int(raw_seed)
            if raw_seed.isascii() and raw_seed.isdigit() and len(raw_seed) < 20
            else -1
        )
        if not 0 <= seed <= _MAX_SEED:
            expected = f"a whole number from 0 to {_MAX_SEED}"
            problems.append(tdm.FieldProblem(SEED_HEADER, expected, raw_seed))
    if problems:
        raise tdm.InvalidParameters("the request headers", problems)
    return Headers(run_id, test_id, seed)
