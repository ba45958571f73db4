"""A tracking record: one entity tdm created, what it is, where it lives, who made it and how.

A record is written *before* the create call (state ``pending``, with the natural key that finds
the entity) and confirmed after it (state ``created``, with the entity's id). A record is removed
only once its entity is gone.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal

import attrs

__all__ = ["State", "TrackingRecord", "new_tracking_id"]

State = Literal["pending", "created"]


def new_tracking_id() -> str:
    """A new record's id: a version 7 UUID (RFC 9562), its milliseconds first. Records made
    together sit together in the ledger's index of ids, so a cleanup removing a page of them
    (made together, read together) touches a few of its pages, not one per record: its cost
    per record stays the same in a ledger of a thousand records or of millions."""
    ms = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")
    rand_a, rand_b = rand >> 68, rand & (2**62 - 1)  # 12 and 62 random bits
    value = (ms & (2**48 - 1)) << 80 | 0x7 << 76 | rand_a << 64 | 0b10 << 62 | rand_b
    h = f"{value:032x}"  # (as ``str(uuid.UUID(int=value))``, a tenth of its cost)
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


@attrs.frozen(kw_only=True)
class TrackingRecord:
    """One tracked entity: what it is, where it lives, who made it and how."""

    tracking_id: str
    registry: str = ""
    kind: str
    target: str
    state: State
    entity_id: str | None
    label: str | None
    lookup: Mapping[str, Any] | None
    refs: tuple[tuple[str, str], ...]
    run_id: str
    session_id: str
    test_id: str | None
    scenario: str | None
    params: Mapping[str, Any] | None
    seed: int | None
    created_at: datetime
    attempts: int = 0
    last_error: str | None = None
    settle_until: datetime | None = None
    """Until then a create of this entity whose answer was lost may still land: cleanups look
    its natural key up again, and keep the record after deleting what they found."""

    def settling(self, now: datetime) -> bool:
        return self.settle_until is not None and now < self.settle_until

    def to_json(self) -> dict[str, Any]:
        """The one JSON shape of a record (HTTP, MCP, the command line); seeds as strings."""
        return {
            "trackingId": self.tracking_id,
            "entityType": self.kind,
            "registry": self.registry,
            "entityId": self.entity_id,
            "label": self.label,
            "state": self.state,
            "target": self.target,
            "runId": self.run_id,
            "sessionId": self.session_id,
            "testId": self.test_id,
            "scenario": self.scenario,
            "parameters": None if self.params is None else dict(self.params),
            "seed": None if self.seed is None else str(self.seed),
            "createdAt": self.created_at.isoformat(),
            "attempts": self.attempts,
            "lastError": self.last_error,
            "lookup": None if self.lookup is None else dict(self.lookup),
            "settleUntil": None if self.settle_until is None else self.settle_until.isoformat(),
            "dependsOn": [{"entityType": kind, "entityId": id_} for kind, id_ in self.refs],
        }
