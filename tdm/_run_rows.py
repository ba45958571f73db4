"""Runs as the ledger knows them: :class:`RunRow`, with its holders' :class:`Lease` s."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import attrs

__all__ = ["Lease", "RunRow"]


@attrs.frozen
class Lease:
    """One holder's lease on a run (epoch seconds of the ledger's clock)."""

    holder: str
    lease_until: float


@attrs.frozen
class RunRow:
    """A run as the ledger knows it. Times are epoch seconds of the ledger's clock."""

    run_id: str
    created_at: float
    keep_until: float | None
    claimed_by: str | None
    claim_until: float | None
    claimed_at: float | None
    reap_attempts: int
    next_reap_at: float | None
    stuck: bool
    last_error: str | None
    leases: tuple[Lease, ...] = ()
    """Its holders' leases, the longest first (live or run out: a lease that ran out stays
    until its holder ends it or the run is gone, so people see who held it last)."""

    @property
    def lease_until(self) -> float | None:
        """When the longest lease runs out (``None``: nobody holds it)."""
        return self.leases[0].lease_until if self.leases else None

    @property
    def holder(self) -> str | None:
        """The holder of the longest lease."""
        return self.leases[0].holder if self.leases else None

    def holders(self, now: float) -> list[str]:
        """The holders whose leases are alive."""
        return [lease.holder for lease in self.leases if lease.lease_until > now]

    def alive(self, now: float) -> bool:
        """Held by someone (any holder's lease) or kept on purpose (its keep time)."""
        return (self.lease_until or 0) > now or (self.keep_until or 0) > now

    def to_json(self, now: float, *, records: int | None = None) -> dict[str, Any]:
        def at(value: float | None) -> str | None:
            return None if value is None else datetime.fromtimestamp(value, UTC).isoformat()

        state = "stuck" if self.stuck else "held" if (self.lease_until or 0) > now else (
            "kept" if (self.keep_until or 0) > now else "expired"
        )  # fmt: skip
        body: dict[str, Any] = {
            "runId": self.run_id, "state": state, "createdAt": at(self.created_at),
            "leaseUntil": at(self.lease_until), "keepUntil": at(self.keep_until),
            "holder": self.holder,
            "holders": [{"holder": lease.holder, "leaseUntil": at(lease.lease_until),
                         "live": lease.lease_until > now} for lease in self.leases],
            "reapAttempts": self.reap_attempts, "lastError": self.last_error,
        }  # fmt: skip
        if records is not None:
            body["records"] = records
        return body
