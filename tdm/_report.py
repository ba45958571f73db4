"""What a cleanup did: counts per entity type, and what is still there and why."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from ._words import count

__all__ = ["CleanupReport", "LeakWarning", "Leftover"]


class LeakWarning(UserWarning):
    """Some tracked entities could not be removed; they stay tracked for a later cleanup."""


@attrs.frozen
class Leftover:
    """An entity a cleanup did not remove (or could not see), with the reason.

    ``kept`` says whether its record stays in the ledger for a later cleanup.
    """

    tracking_id: str
    kind: str
    entity_id: str | None
    reason: str
    kept: bool = True

    def to_json(self) -> dict[str, Any]:
        return {
            "trackingId": self.tracking_id,
            "entityType": self.kind,
            "entityId": self.entity_id,
            "reason": self.reason,
            "kept": self.kept,
        }

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> Leftover:
        entity_id = raw.get("entityId")
        return cls(
            str(raw.get("trackingId")), str(raw.get("entityType")),
            None if entity_id is None else str(entity_id), str(raw.get("reason")),
            bool(raw.get("kept", True)),
        )  # fmt: skip


@attrs.define
class CleanupReport:
    """Counts of removed entities per plural (``users``, ``cartItems``) and what is left.

    ``deleted`` counts entities that are gone now, whether tdm deleted them or found them
    already gone; ``already_gone`` tells how many of those were the latter. ``failures`` are
    entities that are still there. ``unverified`` are pending records whose natural key found
    nothing: a create whose outcome was never seen. They are kept (``kept``) for a while and
    looked up again, since a late create may still land. ``not_tracked`` lists tracking ids
    that were asked for and are not in the ledger.
    """

    deleted: dict[str, int] = attrs.field(factory=dict)
    already_gone: int = 0
    failures: list[Leftover] = attrs.field(factory=list)
    unverified: list[Leftover] = attrs.field(factory=list)
    not_tracked: list[str] = attrs.field(factory=list)
    matched: int = 0
    """How many ledger records the selection matched."""

    @classmethod
    def empty(cls, plurals: Iterable[str]) -> CleanupReport:
        return cls(deleted=dict.fromkeys(plurals, 0))

    @property
    def total_deleted(self) -> int:
        return sum(self.deleted.values())

    @property
    def left(self) -> int:
        """How many selected entities may still be in the system (and stay tracked)."""
        return len(self.failures) + sum(u.kept for u in self.unverified)

    @property
    def complete(self) -> bool:
        """``True`` when nothing selected may be left behind."""
        return not self.left

    def count(self, plural: str, *, already: bool = False) -> None:
        self.deleted[plural] = self.deleted.get(plural, 0) + 1
        self.already_gone += already

    def merge(self, other: CleanupReport) -> None:
        for plural, n in other.deleted.items():
            self.deleted[plural] = self.deleted.get(plural, 0) + n
        self.already_gone += other.already_gone
        self.failures.extend(other.failures)
        self.unverified.extend(other.unverified)
        self.not_tracked.extend(other.not_tracked)
        self.matched += other.matched

    def summary(self) -> str:
        """One line for people: what was removed, what is left and why."""
        counts = ", ".join(count(n, p) for p, n in self.deleted.items() if n) or "nothing"
        text = f"removed {counts}"
        if self.failures:
            reasons = "; ".join(
                f"{f.kind} {f.entity_id or '(pending)'} [{f.tracking_id}]: {f.reason}"
                for f in self.failures[:5]
            )
            more = f" and {len(self.failures) - 5} more" if len(self.failures) > 5 else ""
            text += f"; {len(self.failures)} left and still tracked: {reasons}{more}"
        kept = sum(u.kept for u in self.unverified)
        if kept:
            text += (
                f"; {count(kept, 'pending creates')} not found yet (kept, looked up again by the "
                "next cleanup)"
            )
        if len(self.unverified) > kept:
            never = count(len(self.unverified) - kept, "pending creates")
            text += f"; {never} never appeared (forgotten)"
        if self.not_tracked:
            text += f"; {count(len(self.not_tracked), 'tracking ids')} not tracked"
        return text

    def to_json(self) -> dict[str, Any]:
        """The design's shape plus what is left: ``{deleted, alreadyGone, failed, ...}``."""
        return {
            "deleted": dict(self.deleted),
            "alreadyGone": self.already_gone,
            "failed": [f.to_json() for f in self.failures],
            "unverified": [u.to_json() for u in self.unverified],
            "notTracked": list(self.not_tracked),
            "matched": self.matched,
            "complete": self.complete,
        }

    @classmethod
    def from_json(cls, raw: Any) -> CleanupReport:
        raw = raw if isinstance(raw, Mapping) else {}
        return cls(
            deleted={str(k): int(v) for k, v in (raw.get("deleted") or {}).items()},
            already_gone=int(raw.get("alreadyGone") or 0),
            failures=[Leftover.from_json(f) for f in raw.get("failed") or []],
            unverified=[Leftover.from_json(u) for u in raw.get("unverified") or []],
            not_tracked=[str(t) for t in raw.get("notTracked") or []],
            matched=int(raw.get("matched") or 0),
        )

    def _repr_html_(self) -> str:
        from ._table import table

        rows = [{"entities": p, "removed": n} for p, n in self.deleted.items()]
        html = table(rows)._repr_html_()
        if self.failures:
            html += "<p>Left and still tracked:</p>" + table(self.failures)._repr_html_()
        return html
