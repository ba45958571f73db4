"""What travels between the clients and a tdm server: calls, and answers turned back into
tdm's exceptions (the server's error body is ``{error, detail, fields}`` plus a few keys)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs
import httpx2

from ._convert import camel
from ._errors import (
    FieldProblem,
    InvalidParameters,
    NotFound,
    ScenarioFailed,
    TargetError,
    TargetUnavailable,
    TdmError,
)
from ._report import CleanupReport, Leftover

__all__ = [
    "HEALTH",
    "Call",
    "ServerError",
    "camel_keys",
    "order_body",
    "report_of",
    "result_of",
    "unreachable",
]


class ServerError(TdmError):
    """The tdm server refused a request for a reason no other exception of tdm stands for
    (400 malformed, 405, 413 too large, 415, 500): ``status``, ``code``, ``detail``."""

    def __init__(self, status: int, code: str, detail: str, body: Any = None) -> None:
        self.status, self.code, self.detail, self.body = status, code, detail, body
        super().__init__(f"the tdm server answered {status} {code}: {detail}")


@attrs.frozen
class Call:
    method: str
    path: str
    body: Any = None
    operation: str = ""
    name: str = ""  # what a 404 is about (a scenario's name)


def camel_keys(fields: Mapping[str, Any]) -> dict[str, Any]:
    return {camel(key): value for key, value in fields.items()}


def order_body(user_id: int, items: Any, status: str | None, fields: Mapping[str, Any]) -> Any:
    body: dict[str, Any] = {"userId": user_id, **camel_keys(fields)}
    if items is not None:
        body["items"] = [camel_keys(i) if isinstance(i, Mapping) else i for i in items]
    if status is not None:
        body["status"] = status
    return body


def _problem(raw: Mapping[str, Any]) -> FieldProblem:
    """A field problem as the server reported it (its flags recovered from its message)."""
    field, expected, got = str(raw.get("field")), str(raw.get("expected")), raw.get("got")
    for flags in ({"missing": True}, {"unknown": True}):
        candidate = FieldProblem(field, expected, got, **flags)
        if candidate.message == raw.get("message"):
            return candidate
    return FieldProblem(field, expected, got)


def report_of(raw: Any) -> CleanupReport:
    raw = raw if isinstance(raw, Mapping) else {}
    failures = [
        Leftover(str(f.get("trackingId")), str(f.get("entityType")), f.get("entityId"),
                 str(f.get("reason")))
        for f in raw.get("failed", [])
    ]  # fmt: skip
    return CleanupReport(dict(raw.get("deleted", {})), int(raw.get("alreadyGone", 0)), failures)


def _exception(status: int, body: Mapping[str, Any], call: Call) -> Exception:
    """The exception of tdm that an error answer stands for."""
    code, detail = str(body.get("error", "error")), str(body.get("detail", ""))
    if code == "scenario_failed":
        cause = body.get("cause")
        inner = _exception(status, {**body, **cause} if isinstance(cause, Mapping) else {}, call)
        step = str(body.get("step", "an unknown step"))
        return ScenarioFailed(str(body.get("scenario", call.name)), step, inner,
                              report_of(body.get("cleanup")))  # fmt: skip
    if code == "validation_error":
        subject = detail.removeprefix("invalid parameters for ").partition(": ")[0]
        return InvalidParameters(subject or call.operation, [_problem(f) for f in body["fields"]])
    if code == "not_found":
        return NotFound(str(body.get("what", "route")), str(body.get("name", call.path)),
                        body.get("known", []))  # fmt: skip
    if "target" in body:
        target = str(body["target"])
        message = detail.removeprefix(f"{target}: ")
        kind = TargetUnavailable if code == "target_unavailable" else TargetError
        return kind(target, message, status=body.get("targetStatus"))
    return ServerError(status, code, detail, body)


def result_of(call: Call, response: httpx2.Response) -> Any:
    try:
        body = response.json()
    except ValueError:
        body = None
    if response.is_success and body is not None:
        return body
    if isinstance(body, Mapping) and "error" in body:
        raise _exception(response.status_code, body, call)
    detail = response.text[:200] or response.reason_phrase
    raise ServerError(response.status_code, "http_error", detail, body)


HEALTH = Call("GET", "/api/health")


def unreachable(call: Call, base_url: str, exc: Exception) -> TargetUnavailable:
    return TargetUnavailable("tdm server", f"{call.method} {base_url}{call.path} failed: {exc!r}")
