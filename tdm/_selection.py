"""What a cleanup removes: tracking ids, a run, everything, older than an age, of one kind.

One definition for every surface: its parameters give the JSON Schema of the HTTP body, the
MCP tools' arguments and the command line's options, and :meth:`Selection.parse` validates
them the same way whichever names they come in.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import attrs

from ._durations import DURATION_FORMAT, parse_duration
from ._errors import FieldProblem, InvalidParameters
from ._names import Naming
from ._params import Field, Parameter, Parameters
from ._run_ids import RUN_ID_RULE, is_run_id

__all__ = ["MAX_TRACKING_IDS", "PROTECTED_RUNS", "SELECTION", "Selection"]

MAX_TRACKING_IDS = 10_000
"""The most tracking ids one cleanup names."""

PROTECTED_RUNS = ("baseline",)
"""Runs an age-based cleanup leaves alone; clean them by naming the run, or with ``all``."""

SELECTION = Parameters(
    (
        Parameter("tracking_ids", list[str], None, Field(
            max_length=MAX_TRACKING_IDS,
            description="Exactly these entities (tracking ids from a create's trackingIds)",
        )),
        Parameter("run_id", str, None, Field(
            min_length=1, max_length=128, description="Everything one run created",
        )),
        Parameter("older_than", str, None, Field(
            description=f"Created longer ago than this: {DURATION_FORMAT}",
        )),
        Parameter("all", bool, False, Field(
            description="Everything tracked (every run's data, the baseline too)",
        )),
    )
)  # fmt: skip
"""The parameters of a selection, in Python names (``trackingIds`` ... on the wire)."""


@attrs.frozen(kw_only=True)
class Selection:
    """Which tracked entities a cleanup removes. Options combine (a run's entities older than
    an hour); at least one is needed, and removing everything takes ``all=True``. An age alone
    spares the baseline run (:data:`PROTECTED_RUNS`)."""

    tracking_ids: tuple[str, ...] | None = None
    run_id: str | None = None
    older_than: timedelta | None = None
    all: bool = False

    @property
    def spared_runs(self) -> tuple[str, ...]:
        """Runs this selection leaves alone: the baseline, unless it is named or all is."""
        explicit = self.run_id is not None or self.all or self.tracking_ids is not None
        return () if explicit else PROTECTED_RUNS

    def describe(self) -> str:
        """The selection in words, for reports: ``run run-1 older than 1:00:00``."""
        parts = []
        if self.tracking_ids is not None:
            parts.append(f"{len(self.tracking_ids)} tracking ids")
        if self.run_id is not None:
            parts.append(f"run {self.run_id}")
        if self.older_than is not None:
            parts.append(f"older than {self.older_than}")
        if self.all:
            parts.append("everything")
        return " ".join(parts)

    @classmethod
    def parse(cls, given: Mapping[str, Any], *, naming: Naming = "python") -> Selection:
        """A selection from ``given`` (Python or JSON names), or :class:`InvalidParameters`."""
        raw = dict(given)
        if naming == "python" and isinstance(raw.get("older_than"), timedelta):
            raw["older_than"] = f"{int(raw['older_than'].total_seconds())}s"
        if naming == "python" and isinstance(raw.get("tracking_ids"), tuple):
            raw["tracking_ids"] = list(raw["tracking_ids"])
        values = SELECTION.validate("cleanup", raw, naming=naming)
        names = [p.key(naming) for p in SELECTION]
        problems = []
        older: timedelta | None = None
        if values["older_than"] is not None:
            try:
                older = parse_duration(values["older_than"])
            except ValueError:
                problems.append(
                    FieldProblem(("older_than",), DURATION_FORMAT, values["older_than"])
                )
        run_id = values["run_id"]
        if run_id is not None and not is_run_id(run_id):
            problems.append(FieldProblem(("run_id",), RUN_ID_RULE, run_id))
        ids = values["tracking_ids"]
        given_any = ids is not None or run_id is not None or values["older_than"] is not None
        if not given_any and not values["all"]:
            expected = f"one of {', '.join(names[:3])}, or {names[3]}: true"
            problems.append(FieldProblem((SELECTION.items[0].name,), expected, missing=True))
        if problems:
            raise InvalidParameters("cleanup", problems, naming=naming)
        return cls(
            tracking_ids=None if ids is None else tuple(dict.fromkeys(ids)),
            run_id=run_id,
            older_than=older,
            all=values["all"],
        )
