"""What a cleanup did: counts per entity type, and what is still there and why."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import attrs

from ._table import table

__all__ = ["CleanupReport", "LeakWarning", "Leftover"]


class LeakWarning(UserWarning):
    """Some tracked entities could not be removed; they stay tracked for a later cleanup."""


@attrs.frozen
class Leftover:
    """An entity cleanup could not remove, with the reason. It stays in the ledger."""

    tracking_id: str
    kind: str
    entity_id: str | None
    reason: str


@attrs.define
class CleanupReport:
    """Counts of removed entities per plural (``users``, ``cartItems``) and what is left.

    ``deleted`` counts entities that are gone now, whether tdm deleted them or found them
    already gone; ``already_gone`` tells how many of those were the latter.
    """

    deleted: dict[str, int] = attrs.field(factory=dict)
    already_gone: int = 0
    failures: list[Leftover] = attrs.field(factory=list)

    @classmethod
    def empty(cls, plurals: Iterable[str]) -> CleanupReport:
        return cls(deleted=dict.fromkeys(plurals, 0))

    @property
    def total_deleted(self) -> int:
        return sum(self.deleted.values())

    @property
    def complete(self) -> bool:
        """``True`` when nothing selected was left behind."""
        return not self.failures

    def merge(self, other: CleanupReport) -> None:
        for plural, n in other.deleted.items():
            self.deleted[plural] = self.deleted.get(plural, 0) + n
        self.already_gone += other.already_gone
        self.failures.extend(other.failures)

    def summary(self) -> str:
        counts = ", ".join(f"{n} {p}" for p, n in self.deleted.items() if n) or "nothing"
        text = f"removed {counts}"
        if self.failures:
            reasons = "; ".join(
                f"{f.kind} {f.entity_id or '(pending)'} [{f.tracking_id}]: {f.reason}"
                for f in self.failures[:5]
            )
            more = f" and {len(self.failures) - 5} more" if len(self.failures) > 5 else ""
            text += f"; {len(self.failures)} left and still tracked: {reasons}{more}"
        return text

    def _repr_html_(self) -> str:
        rows = [{"entities": p, "removed": n} for p, n in self.deleted.items()]
        html = table(rows)._repr_html_()
        if self.failures:
            html += "<p>Left and still tracked:</p>" + table(self.failures)._repr_html_()
        return html

    def to_json(self) -> dict[str, Any]:
        """The design's response shape, plus what was left: ``{deleted, alreadyGone, failed}``."""
        return {
            "deleted": dict(self.deleted),
            "alreadyGone": self.already_gone,
            "failed": [
                {"trackingId": f.tracking_id, "entityType": f.kind, "entityId": f.entity_id,
                 "reason": f.reason}
                for f in self.failures
            ],
        }  # fmt: skip
