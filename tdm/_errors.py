"""The exceptions tdm raises, and what each one is on every surface.

Each class knows its code (the ``error`` of a JSON answer), its HTTP status and the field
problems it carries, and renders itself as JSON (:meth:`TdmError.to_json`); :func:`from_json`
turns such an answer back into the same exception. The HTTP API, the MCP tools, the command
line and the clients only render them, so the same mistake reads the same everywhere::

    TdmError                                  code                     HTTP
    ├── ConfigError(ValueError)               misconfigured            503
    │   └── TargetNotAllowed                  target_not_allowed       503
    ├── DefinitionError(TypeError)            definition_error         500
    ├── NotFound(LookupError)                 not_found                404
    ├── AmbiguousName(LookupError)            ambiguous_name           422
    ├── InvalidParameters(ValueError)         validation_error         422
    ├── RequestRefused                        the request itself is refused
    │   ├── InvalidBody(ValueError)           invalid_json             400
    │   ├── Unauthorized                      unauthorized             401
    │   ├── Forbidden                         forbidden                403
    │   ├── MethodNotAllowed                  method_not_allowed       405
    │   ├── PayloadTooLarge(ValueError)       payload_too_large        413
    │   ├── UnsupportedMediaType(ValueError)  unsupported_media_type   415
    │   ├── MisdirectedRequest                misdirected_request      421
    │   ├── NestedTooDeeply(ValueError)       nested_too_deeply        422
    │   ├── IdempotencyKeyInFlight            idempotency_key_in_flight 409
    │   ├── IdempotencyKeyReused(ValueError)  idempotency_key_reused   422
    │   └── HeaderTooLarge                    header_too_large         431
    ├── CreateFailed                          (its cause's)            (its cause's)
    │   └── ScenarioFailed                    scenario_failed          (its cause's)
    ├── TargetError                           conflict, target_rejected, target_error
    │   └── TargetUnavailable                 target_unavailable       503
    ├── CannotDelete                          cannot_delete            409
    ├── CleanupIncomplete                     cleanup_incomplete       409
    └── ServerError                           (what the server said)   (what it said)

Anything that is not a :class:`TdmError` is a bug: ``internal_error``, 500, its text kept out
of answers (:func:`error_json`). An error's text and JSON never carry a password: both are
redacted (``tdm._redact``).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import attrs

from ._names import Naming, Path, parse_path, render_path
from ._redact import redact, redact_json
from ._words import count

if TYPE_CHECKING:
    from ._report import CleanupReport

__all__ = [
    "AmbiguousName",
    "CannotDelete",
    "CleanupIncomplete",
    "ConfigError",
    "CreateFailed",
    "DefinitionError",
    "FieldProblem",
    "Forbidden",
    "HeaderTooLarge",
    "IdempotencyKeyInFlight",
    "IdempotencyKeyReused",
    "InvalidBody",
    "InvalidParameters",
    "MethodNotAllowed",
    "MisdirectedRequest",
    "NestedTooDeeply",
    "NotFound",
    "PayloadTooLarge",
    "RequestRefused",
    "ScenarioFailed",
    "ServerError",
    "TargetError",
    "TargetNotAllowed",
    "TargetUnavailable",
    "TdmError",
    "Unauthorized",
    "UnsupportedMediaType",
    "error_json",
    "from_json",
    "unwrap",
]

_MAX_GOT = 500


def _show(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _as_path(value: str | Path) -> Path:
    return parse_path(value) if isinstance(value, str) else tuple(value)


@attrs.frozen
class FieldProblem:
    """What is wrong with one field: where it is, what was expected and what arrived.

    ``path`` holds Python names (``("items", 0, "product_id")``; a string is parsed); an
    unknown key keeps the name the caller wrote. :meth:`message` renders it for one side.
    """

    path: Path = attrs.field(converter=_as_path)
    expected: str
    got: Any = None
    missing: bool = False
    unknown: bool = False

    @property
    def field(self) -> str:
        """The path in Python names: ``items[0].product_id``."""
        return self.field_in("python")

    @property
    def message(self) -> str:
        """``order_count: expected an integer from 1 to 10, got 99`` (Python names)."""
        return self.message_in("python")

    def field_in(self, naming: Naming) -> str:
        """The path as one side names it: ``items[0].productId`` on the wire."""
        return render_path(self.path, naming, verbatim_last=self.unknown)

    def message_in(self, naming: Naming) -> str:
        """``orderCount: expected an integer from 1 to 10, got 99`` on the wire."""
        name = self.field_in(naming)
        if self.unknown:
            return f"{name}: not a known field; expected {self.expected}"
        if self.missing:
            return f"{name}: expected {self.expected}, got nothing (it is required)"
        return f"{name}: expected {self.expected}, got {_show(self.got)}"

    def to_json(self) -> dict[str, Any]:
        """``{field, expected, got, message}`` in JSON names."""
        return {
            "field": self.field_in("json"),
            "expected": self.expected,
            "got": _safe(self.got),
            "message": self.message_in("json"),
        }

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> FieldProblem:
        """A problem as a server reported it (its flags recovered from its message)."""
        path, expected, got = str(raw.get("field")), str(raw.get("expected")), raw.get("got")
        for flags in ({"missing": True}, {"unknown": True}, {}):
            candidate = cls(path, expected, got, **flags)
            if candidate.message_in("json") == raw.get("message"):
                break
        # Names that came over the wire are camelCase: keep them as they are.
        return attrs.evolve(candidate, path=(path,)) if "." not in path else candidate


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


class TdmError(Exception):
    """The base of every error tdm raises."""

    code: ClassVar[str] = "error"
    """What the ``error`` key of a JSON answer says."""

    def __str__(self) -> str:
        return redact(super().__str__())

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self)!r})"

    @property
    def http_status(self) -> int:
        """The status an HTTP answer carries for this error."""
        return 500

    @property
    def problems(self) -> tuple[FieldProblem, ...]:
        """The fields at fault, if the error is about input."""
        return ()

    @property
    def error_code(self) -> str:
        """:attr:`code`, unless the instance says more precisely (a target's 409)."""
        return self.code

    def details(self) -> dict[str, Any]:
        """Keys a JSON answer adds (camelCase), beyond ``error``, ``detail`` and ``fields``."""
        return {}

    def to_json(self) -> dict[str, Any]:
        """``{error, detail, fields, ...details}``: the one shape of an error on every wire."""
        return {
            "error": self.error_code,
            "detail": str(self),
            "fields": [p.to_json() for p in self.problems],
            **self.details(),
        }


class ConfigError(TdmError, ValueError):
    """A setting has a value tdm cannot use."""

    code = "misconfigured"

    def __init__(self, key: str, value: str, expected: str) -> None:
        # The value may be (or hold) a secret: a database URL's password, say.
        self.key, self.value, self.expected = key, redact(value), expected
        super().__init__(f"setting {key} has value {self.value!r}: expected {expected}")

    @property
    def http_status(self) -> int:
        return 503

    def details(self) -> dict[str, Any]:
        return {"setting": self.key}


ALLOWED_TARGETS = "TDM_ALLOWED_TARGETS"


class TargetNotAllowed(ConfigError):
    """A system tdm would create or delete data in is not one it may touch (the production
    guard): its host is not loopback, ``localhost`` or listed in ``TDM_ALLOWED_TARGETS``, or its
    registry's own guard refused it (``reason``)."""

    code = "target_not_allowed"

    def __init__(
        self, url: str, host: str, *, setting: str | None = None, reason: str | None = None,
        message: str | None = None,
    ) -> None:  # fmt: skip
        self.key, self.value, self.host = setting or ALLOWED_TARGETS, redact(url), host
        self.setting = setting
        self.expected = f"a loopback host, localhost or a host listed in {ALLOWED_TARGETS}"
        named = f"{setting}={self.value}" if setting else self.value
        why = reason or (
            f"its host {host!r} is not a loopback address or localhost, and {ALLOWED_TARGETS} "
            f"does not list it. tdm creates and deletes data; to allow this system, set "
            f"{ALLOWED_TARGETS}={host} (host names or patterns such as *.staging.example.com, "
            "comma separated)"
        )
        TdmError.__init__(self, message or f"tdm refuses to use {named}: {why}")

    def details(self) -> dict[str, Any]:
        return {"setting": self.setting, "host": self.host, "allowList": ALLOWED_TARGETS}


class DefinitionError(TdmError, TypeError):
    """A scenario, entity kind, target or registry is declared in a way tdm cannot use."""

    code = "definition_error"


class NotFound(TdmError, LookupError):
    """Nothing of that sort is known under that name."""

    code = "not_found"

    def __init__(
        self, what: str, name: str, known: Iterable[str], *, message: str | None = None
    ) -> None:
        self.what, self.name, self.known = what, name, sorted(known)
        listing = ", ".join(self.known) if self.known else "none"
        super().__init__(message or f"unknown {what} {name!r}; known: {listing}")

    @property
    def http_status(self) -> int:
        return 404

    def details(self) -> dict[str, Any]:
        return {"what": self.what, "name": self.name, "known": self.known}


class AmbiguousName(TdmError, LookupError):
    """Several selected registries define that name: qualify it (``shop:category``)."""

    code = "ambiguous_name"

    def __init__(self, what: str, name: str, registries: Sequence[str]) -> None:
        self.what, self.name, self.registries = what, name, sorted(registries)
        options = " or ".join(f"{r}:{name}" for r in self.registries)
        names = " and ".join(repr(r) for r in self.registries)
        super().__init__(
            f"{what} {name!r} is defined by registries {names}: say {options}, or select "
            "one registry (TDM_REGISTRIES, --registry)"
        )

    @property
    def http_status(self) -> int:
        return 422

    def details(self) -> dict[str, Any]:
        return {"what": self.what, "name": self.name, "registries": self.registries}


class InvalidParameters(TdmError, ValueError):
    """Values given to a scenario, an entity kind or a request do not fit.

    ``naming`` says which names the caller spoke; the message names fields in those.
    """

    code = "validation_error"

    def __init__(
        self, subject: str, problems: Sequence[FieldProblem], *, naming: Naming = "python"
    ) -> None:
        self.subject, self.naming = subject, naming
        self._problems = tuple(problems)
        super().__init__(self.text(naming))

    def text(self, naming: Naming) -> str:
        """The message, naming fields as one side does (the wire always speaks JSON names)."""
        lines = "; ".join(p.message_in(naming) for p in self._problems)
        return f"invalid parameters for {self.subject}: {lines}"

    def to_json(self) -> dict[str, Any]:
        return {**super().to_json(), "detail": self.text("json")}

    @property
    def problems(self) -> tuple[FieldProblem, ...]:
        return self._problems

    @property
    def http_status(self) -> int:
        return 422

    def details(self) -> dict[str, Any]:
        return {"subject": self.subject}


class RequestRefused(TdmError):
    """The request itself cannot be served (its body, its method, its size)."""

    status: ClassVar[int] = 400

    @property
    def http_status(self) -> int:
        return self.status


class InvalidBody(RequestRefused, ValueError):
    """The body is not valid JSON, or not a JSON object."""

    code, status = "invalid_json", 400


class Unauthorized(RequestRefused):
    """The server needs a token (``TDM_API_TOKEN``): the request has none, or a wrong one."""

    code, status = "unauthorized", 401


class Forbidden(RequestRefused):
    """A page of another origin may not use this server (``TDM_ALLOWED_ORIGINS``)."""

    code, status = "forbidden", 403


class MethodNotAllowed(RequestRefused):
    """The route exists, but not for this method."""

    code, status = "method_not_allowed", 405

    def __init__(self, message: str, allowed: Sequence[str] = ()) -> None:
        self.allowed = tuple(allowed)
        super().__init__(message)

    def details(self) -> dict[str, Any]:
        return {"allowed": list(self.allowed)}


class PayloadTooLarge(RequestRefused, ValueError):
    """The body is larger than the server accepts."""

    code, status = "payload_too_large", 413


class UnsupportedMediaType(RequestRefused, ValueError):
    """The body is not JSON."""

    code, status = "unsupported_media_type", 415


class MisdirectedRequest(RequestRefused):
    """The ``Host`` the request names is not this server's (``TDM_ALLOWED_HOSTS``)."""

    code, status = "misdirected_request", 421


class NestedTooDeeply(RequestRefused, ValueError):
    """The JSON body nests arrays and objects deeper than the server accepts."""

    code, status = "nested_too_deeply", 422


class IdempotencyKeyInFlight(RequestRefused):
    """A request with this ``Idempotency-Key`` is still being served: try again shortly."""

    code, status = "idempotency_key_in_flight", 409


class IdempotencyKeyReused(RequestRefused, ValueError):
    """This ``Idempotency-Key`` was used for a different request (another body or path)."""

    code, status = "idempotency_key_reused", 422


class HeaderTooLarge(RequestRefused):
    """A header value, or the headers together, are larger than the server accepts."""

    code, status = "header_too_large", 431


def _cause_json(exc: BaseException) -> dict[str, Any]:
    return error_json(exc)


class CreateFailed(TdmError):
    """A call failed after it had begun creating; what it had created was removed again.

    ``cause`` is what failed; ``report`` says how removing the partial data went (what could
    not be removed stays tracked). Its code, status and fields are the cause's.
    """

    def __init__(
        self, cause: BaseException, report: CleanupReport, *, message: str | None = None
    ) -> None:
        self.cause, self.report = cause, report
        super().__init__(message or f"{_text(cause)}; {_removal(report)}")

    @property
    def error_code(self) -> str:
        return _code(self.cause)

    @property
    def http_status(self) -> int:
        return _status(self.cause)

    @property
    def problems(self) -> tuple[FieldProblem, ...]:
        return self.cause.problems if isinstance(self.cause, TdmError) else ()

    def details(self) -> dict[str, Any]:
        inner = self.cause.details() if isinstance(self.cause, TdmError) else {}
        return {**inner, "cleanup": self.report.to_json()}


class ScenarioFailed(CreateFailed):
    """A scenario raised at ``step``; the entities it had created were removed (:attr:`report`)."""

    code = "scenario_failed"

    def __init__(
        self, scenario: str, step: str, cause: BaseException, report: CleanupReport
    ) -> None:
        self.scenario, self.step = scenario, step
        message = f"scenario {scenario!r} failed at {step}: {_text(cause)}; {_removal(report)}"
        super().__init__(cause, report, message=message)

    @property
    def error_code(self) -> str:
        return self.code

    def details(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario,
            "step": self.step,
            "cause": _cause_json(self.cause),
            "cleanup": self.report.to_json(),
        }


def _removal(report: CleanupReport) -> str:
    made = report.total_deleted
    text = (
        f"removed the {count(made, 'entities')} it had created"
        if made
        else "nothing had been created yet"
    )
    if report.left:
        text += f"; {report.left} could not be removed and stay tracked"
    return text


Outcome = Literal["refused", "not_sent", "unknown"]


class TargetError(TdmError):
    """The system under test answered a request with an error, or gave no answer.

    ``status`` is the system's HTTP status (``None`` when there was no answer). ``outcome``
    says what the failed request did: ``"refused"`` (the system said no: nothing happened),
    ``"not_sent"`` (it never left: nothing happened) or ``"unknown"`` (it may have been acted
    on: a timeout after sending, a reset, a 5xx).
    """

    def __init__(
        self, target: str, message: str, *, status: int | None = None,
        outcome: Outcome | None = None,
    ) -> None:  # fmt: skip
        self.target, self.status = target, status
        if outcome is None:
            refused = status is not None and 400 <= status < 500
            outcome = "refused" if refused else "unknown"
        self.outcome: Outcome = outcome
        super().__init__(f"{target}: {message}")

    @property
    def acted_on(self) -> bool:
        """Whether the system may have acted on the request (a create may have happened)."""
        return self.outcome == "unknown"

    @property
    def error_code(self) -> str:
        if self.status == 409:
            return "conflict"
        if self.status is not None and 400 <= self.status < 500 and self.status not in (401, 403):
            return "target_rejected"
        return "target_error"

    @property
    def http_status(self) -> int:
        return {"conflict": 409, "target_rejected": 422}.get(self.error_code, 502)

    def details(self) -> dict[str, Any]:
        return {"target": self.target, "targetStatus": self.status, "outcome": self.outcome}


class TargetUnavailable(TargetError):
    """The system under test could not be reached."""

    code = "target_unavailable"

    @property
    def error_code(self) -> str:
        return self.code

    @property
    def http_status(self) -> int:
        return 503


class CannotDelete(TdmError):
    """A kind cannot delete an entity with the access it has (for example no database URL)."""

    code = "cannot_delete"

    @property
    def http_status(self) -> int:
        return 409


class CleanupIncomplete(TdmError):
    """Some entities could not be removed; they stay tracked for a later cleanup."""

    code = "cleanup_incomplete"

    def __init__(self, report: CleanupReport) -> None:
        self.report = report
        super().__init__(report.summary())

    @property
    def http_status(self) -> int:
        return 409

    def details(self) -> dict[str, Any]:
        return {"cleanup": self.report.to_json()}


class ServerError(TdmError):
    """A tdm server answered an error no other exception stands for (``status``, ``code``)."""

    def __init__(self, status: int, code: str, detail: str, body: Any = None) -> None:
        self.status, self.server_code, self.detail, self.body = status, code, detail, body
        super().__init__(f"the tdm server answered {status} {code}: {detail}")

    @property
    def error_code(self) -> str:
        return self.server_code

    @property
    def http_status(self) -> int:
        return self.status


def unwrap(exc: BaseException) -> BaseException:
    """The exception that matters inside (nested) exception groups, cancellations aside."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        inner = [e for e in exc.exceptions if not isinstance(e, asyncio.CancelledError)]
        exc = (inner or list(exc.exceptions))[0]
    return exc


def _text(exc: BaseException) -> str:
    return str(exc) if isinstance(exc, TdmError) else repr(exc)


def _code(exc: BaseException) -> str:
    return exc.error_code if isinstance(exc, TdmError) else "internal_error"


def _status(exc: BaseException) -> int:
    return exc.http_status if isinstance(exc, TdmError) else 500


INTERNAL_DETAIL = "tdm failed unexpectedly; the server's log has the details"


def error_json(exc: BaseException) -> dict[str, Any]:
    """The JSON answer for any exception: tdm's own render themselves; a bug says only that."""
    exc = unwrap(exc)
    if isinstance(exc, TdmError):
        found: dict[str, Any] = redact_json(exc.to_json())
        return found
    return {"error": "internal_error", "detail": INTERNAL_DETAIL, "fields": []}


def status_of(exc: BaseException) -> int:
    """The HTTP status for any exception."""
    return _status(unwrap(exc))


def from_json(status: int, body: Mapping[str, Any]) -> TdmError:
    """The exception an error answer (:func:`error_json`'s shape) stands for."""
    from ._report import CleanupReport

    code, detail = str(body.get("error", "error")), str(body.get("detail", ""))
    fields = [FieldProblem.from_json(f) for f in body.get("fields") or [] if isinstance(f, dict)]
    cleanup = body.get("cleanup")
    if code == "scenario_failed":
        cause = body.get("cause") if isinstance(body.get("cause"), Mapping) else {}
        inner = from_json(status, cause)  # type: ignore[arg-type]
        return ScenarioFailed(
            str(body.get("scenario", "?")), str(body.get("step", "an unknown step")), inner,
            CleanupReport.from_json(cleanup),
        )  # fmt: skip
    if isinstance(cleanup, Mapping) and code != "cleanup_incomplete":
        inner = from_json(status, {k: v for k, v in body.items() if k != "cleanup"})
        return CreateFailed(inner, CleanupReport.from_json(cleanup), message=detail)
    if code == "validation_error":
        subject = str(body.get("subject") or "the request")
        return InvalidParameters(subject, fields, naming="json")
    if code == "not_found":
        return NotFound(str(body.get("what", "route")), str(body.get("name", "")),
                        body.get("known") or [], message=detail)  # fmt: skip
    if code == "ambiguous_name":
        return AmbiguousName(str(body.get("what")), str(body.get("name")),
                             body.get("registries") or [])  # fmt: skip
    if code == "misconfigured":
        error = ConfigError(str(body.get("setting")), "", "")
        error.args = (detail,)
        return error
    if code == "target_not_allowed":
        setting = body.get("setting")
        named = str(setting) if setting else None
        return TargetNotAllowed("", str(body.get("host", "")), setting=named, message=detail)
    if code in ("target_unavailable", "conflict", "target_rejected", "target_error"):
        target = str(body.get("target", "the system under test"))
        kind = TargetUnavailable if code == "target_unavailable" else TargetError
        outcome = body.get("outcome")
        return kind(
            target,
            detail.removeprefix(f"{target}: "),
            status=body.get("targetStatus"),
            outcome=outcome if outcome in ("refused", "not_sent", "unknown") else None,
        )
    if code == "cleanup_incomplete":
        return CleanupIncomplete(CleanupReport.from_json(cleanup))
    refused: dict[str, type[RequestRefused]] = {
        cls.code: cls
        for cls in (
            InvalidBody, Unauthorized, Forbidden, PayloadTooLarge, UnsupportedMediaType,
            MisdirectedRequest, NestedTooDeeply, HeaderTooLarge, IdempotencyKeyInFlight,
            IdempotencyKeyReused,
        )
    }  # fmt: skip
    if code in refused:
        return refused[code](detail)
    if code == "method_not_allowed":
        return MethodNotAllowed(detail, body.get("allowed") or ())
    return ServerError(status, code, detail, body)
