"""A tracking record as a row of ``tracked`` and back: one converter per direction."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from ._records import TrackingRecord
from ._schema import tracked

__all__ = ["INTENT_COLUMNS", "RECORD_COLUMNS", "record_of", "row_of"]


def _dumps(value: Any) -> str | None:
    return None if value is None else json.dumps(value, default=str)


def row_of(record: TrackingRecord, secret: str | None = None) -> dict[str, Any]:
    return {
        "tracking_id": record.tracking_id, "registry": record.registry, "kind": record.kind,
        "target": record.target, "state": record.state, "entity_id": record.entity_id,
        "label": record.label, "lookup": _dumps(record.lookup),
        "refs": json.dumps([list(r) for r in record.refs]) if record.refs else "[]",
        "run_id": record.run_id,
        "session_id": record.session_id, "test_id": record.test_id,
        "scenario": record.scenario, "params": _dumps(record.params), "seed": record.seed,
        "created_at": record.created_at.timestamp(), "attempts": record.attempts,
        "last_error": record.last_error,
        "settle_until": None if record.settle_until is None else record.settle_until.timestamp(),
        "secret": secret,
    }  # fmt: skip


def record_of(row: Sequence[Any]) -> TrackingRecord:
    """The record of a row of :data:`RECORD_COLUMNS` (by position: a database's row as it
    comes, no mapping made per row)."""
    (tracking_id, registry, kind, target, state, entity_id, label, lookup, refs, run_id,
     session_id, test_id, scenario, params, seed, created_at, attempts, last_error,
     settle) = row  # fmt: skip
    return TrackingRecord(
        tracking_id=tracking_id, registry=registry, kind=kind, target=target, state=state,
        entity_id=entity_id, label=label, lookup=None if lookup is None else json.loads(lookup),
        refs=() if refs == "[]" else tuple(tuple(r) for r in json.loads(refs)), run_id=run_id,
        session_id=session_id, test_id=test_id, scenario=scenario,
        params=None if params is None else json.loads(params), seed=seed,
        created_at=datetime.fromtimestamp(created_at, UTC), attempts=attempts,
        last_error=last_error,
        settle_until=None if settle is None else datetime.fromtimestamp(settle, UTC),
    )  # fmt: skip


INTENT_COLUMNS = (
    "tracking_id", "registry", "kind", "target", "state", "entity_id", "label", "lookup", "refs",
    "run_id", "session_id", "test_id", "scenario", "params", "seed", "created_at", "attempts",
    "last_error", "settle_until", "secret",
)  # fmt: skip
"""What :func:`row_of` gives, in the order the hot path's INSERT names them."""

RECORD_COLUMNS = [tracked.c[name] for name in (
    "tracking_id", "registry", "kind", "target", "state", "entity_id", "label", "lookup", "refs",
    "run_id", "session_id", "test_id", "scenario", "params", "seed", "created_at", "attempts",
    "last_error", "settle_until",
)]  # fmt: skip
"""What a :class:`~tdm.TrackingRecord` is read from, in the order :func:`record_of` takes."""
