"""Compact JSON results: the ids and human keys an agent needs next, and a hint what that is.

Entities and scenario results come out of ``tdm.to_json`` (camelCase; users with the password
tdm gave them, orders with their number). Ledger records are trimmed to what identifies an
entity and how it was made. Seeds are 63-bit integers, beyond what a JavaScript number holds
exactly, so they travel as strings.
"""

from __future__ import annotations

from typing import Any

import tdm

__all__ = ["CREATED_HINT", "cleanup_result", "record_json"]

CREATED_HINT = (
    "The data is kept after this MCP session ends. Use the ids, emails and passwords above; "
    "call cleanup_my_data when it is no longer needed (or cleanup_by_tracking_ids with these "
    "trackingIds); list_created shows everything this session made."
)


def record_json(record: tdm.TrackingRecord) -> dict[str, Any]:
    """One ledger record: tracking id, kind, entity id, label, how and when it was made."""
    found: dict[str, Any] = {
        "trackingId": record.tracking_id,
        "kind": record.kind,
        "entityId": record.entity_id,
        "label": record.label,
        "state": record.state,
        "runId": record.run_id,
        "scenario": record.scenario,
        "params": dict(record.params) if record.params is not None else None,
        "seed": None if record.seed is None else str(record.seed),
        "createdAt": record.created_at.isoformat(),
    }
    if record.last_error:
        found["lastError"] = record.last_error
        found["deleteAttempts"] = record.attempts
    return found


def cleanup_result(scope: str, report: tdm.CleanupReport, **extra: Any) -> dict[str, Any]:
    """A cleanup report (``deleted`` per plural, ``alreadyGone``, ``failed``) with a hint."""
    body = report.to_json()
    if report.failures:
        hint = (
            f"{len(report.failures)} entities could not be removed (see failed[].reason); they "
            "stay tracked. Fix the cause (check_health tells whether the system under test is "
            "up) and call this tool again."
        )
    else:
        hint = "Done: nothing of this scope is tracked any more. list_created shows what is left."
    return {"scope": scope, "removed": report.total_deleted, **body, **extra, "next": hint}
