"""The exceptions tdm raises.

Every exception derives from :class:`TdmError`; where a builtin means the same thing the class
derives from it too, so ``except LookupError`` or ``except ValueError`` keeps working::

    TdmError
    ├── ConfigError(ValueError)            a setting has a value tdm cannot use
    ├── DefinitionError(TypeError)         a scenario, kind or target is declared wrongly
    ├── NotFound(LookupError)              no scenario, kind or target by that name
    ├── InvalidParameters(ValueError)      values for a scenario or an entity do not fit
    ├── ScenarioFailed                     a scenario raised; what it made was removed
    ├── TargetError                        the system under test answered with an error
    │   └── TargetUnavailable              ... or could not be reached at all
    ├── CannotDelete                       a kind cannot delete an entity with what it has
    └── CleanupIncomplete                  some tracked entities are still there
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import attrs

if TYPE_CHECKING:
    from ._report import CleanupReport

__all__ = [
    "CannotDelete",
    "CleanupIncomplete",
    "ConfigError",
    "DefinitionError",
    "FieldProblem",
    "InvalidParameters",
    "NotFound",
    "ScenarioFailed",
    "TargetError",
    "TargetUnavailable",
    "TdmError",
]


class TdmError(Exception):
    """The base of every error tdm raises."""


class ConfigError(TdmError, ValueError):
    """A setting has a value tdm cannot use."""

    def __init__(self, key: str, value: str, expected: str) -> None:
        self.key, self.value, self.expected = key, value, expected
        super().__init__(f"setting {key} has value {value!r}: expected {expected}")


class DefinitionError(TdmError, TypeError):
    """A scenario, entity kind or target is declared in a way tdm cannot use."""


class NotFound(TdmError, LookupError):
    """Nothing of that sort is registered under that name."""

    def __init__(self, what: str, name: str, known: Iterable[str]) -> None:
        self.what, self.name, self.known = what, name, sorted(known)
        listing = ", ".join(self.known) if self.known else "none"
        super().__init__(f"unknown {what} {name!r}; known: {listing}")


def _show(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


@attrs.frozen
class FieldProblem:
    """What is wrong with one field: its name, what was expected and what arrived."""

    field: str
    expected: str
    got: Any = attrs.field(default=None)
    missing: bool = False
    unknown: bool = False

    @property
    def message(self) -> str:
        if self.unknown:
            return f"{self.field}: not a known field; expected {self.expected}"
        if self.missing:
            return f"{self.field}: expected {self.expected}, got nothing (it is required)"
        return f"{self.field}: expected {self.expected}, got {_show(self.got)}"


class InvalidParameters(TdmError, ValueError):
    """Values given to a scenario or an entity kind do not fit its parameters."""

    def __init__(self, subject: str, problems: Sequence[FieldProblem]) -> None:
        self.subject, self.problems = subject, tuple(problems)
        lines = "; ".join(p.message for p in self.problems)
        super().__init__(f"invalid parameters for {subject}: {lines}")


class ScenarioFailed(TdmError):
    """A scenario raised; the entities it had created were removed (see :attr:`report`)."""

    def __init__(
        self, scenario: str, step: str, cause: BaseException, report: CleanupReport
    ) -> None:
        self.scenario, self.step, self.cause, self.report = scenario, step, cause, report
        removed = report.total_deleted
        left = len(report.failures)
        tail = f"removed the {removed} entities it had created"
        if left:
            tail += f"; {left} could not be removed and stay tracked"
        super().__init__(f"scenario {scenario!r} failed at {step}: {cause!r}; {tail}")


class TargetError(TdmError):
    """The system under test answered a request with an error."""

    def __init__(self, target: str, message: str, *, status: int | None = None) -> None:
        self.target, self.status = target, status
        super().__init__(f"{target}: {message}")


class TargetUnavailable(TargetError):
    """The system under test could not be reached (after retrying)."""


class CannotDelete(TdmError):
    """A kind cannot delete an entity with the access it has (for example no database URL)."""


class CleanupIncomplete(TdmError):
    """Some entities could not be removed; they stay tracked for a later cleanup."""

    def __init__(self, report: CleanupReport) -> None:
        self.report = report
        super().__init__(report.summary())
