"""Undo on failure: when a call fails after it has begun creating, remove what it created.

One helper for every front end (the HTTP API, the MCP tools) and for scenarios: removing runs
shielded from cancellation and bounded by the cleanup timeout; what could not be removed in
time stays tracked and is reported as such.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

import anyio

from ._errors import CreateFailed, unwrap
from ._report import CleanupReport, Leftover

if TYPE_CHECKING:
    from ._session import Session

__all__ = ["SETTLE_WAIT", "bounded_cleanup", "undo", "undo_on_failure"]

SETTLE_WAIT = 2.0
"""Seconds an exit cleanup keeps looking for a create cut off in flight: a request that left
lands within moments; a process being stopped (SIGTERM) has seconds, not minutes."""


async def bounded_cleanup(session: Session, tracking_ids: Sequence[str] | None) -> CleanupReport:
    """Remove what ``session`` created (only ``tracking_ids`` if given), shielded and bounded
    by ``TDM_CLEANUP_TIMEOUT``; on a timeout, what is left is reported and stays tracked.

    A create cut off in flight (by a cancellation, a lost answer) may still land: its natural
    key is looked up again for a moment (:data:`SETTLE_WAIT`) before the session gives up on
    it; it then stays tracked, and later cleanups look again."""
    settings = session.manager.settings
    report: CleanupReport | None = None
    with anyio.move_on_after(settings.cleanup_timeout, shield=True):
        report = await session.cleanup(tracking_ids)
        waited = 0.0
        while any(u.kept for u in report.unverified):
            if waited >= min(SETTLE_WAIT, settings.http_timeout):
                break
            await anyio.sleep(0.25)
            waited += 0.25
            # Again over what is left: a late create found now, and what waited for it.
            again = await session.cleanup(tracking_ids)
            report.failures, report.unverified = [], []
            report.merge(again)
    if report is not None:
        return report
    report = CleanupReport.empty(session.manager.catalog.empty_counts())
    with anyio.CancelScope(shield=True):
        left = await session.records(tracking_ids)
    report.failures.extend(
        Leftover(
            r.tracking_id,
            r.kind,
            r.entity_id,
            f"removing it timed out after {settings.cleanup_timeout:g} s",
        )
        for r in left
    )
    return report


async def undo(session: Session, tracking_ids: Sequence[str]) -> CleanupReport:
    """Remove the entities ``tracking_ids`` name (what a failed call created)."""
    return await bounded_cleanup(session, tracking_ids)


@asynccontextmanager
async def undo_on_failure(session: Session) -> AsyncIterator[None]:
    """If the block fails after ``session`` created something in it, remove that and raise
    :class:`~tdm.CreateFailed` (its report says how removing went); if it created nothing,
    raise the error itself, out of any exception group. A failed scenario has already
    removed its own entities (:class:`~tdm.ScenarioFailed` is raised as it is)."""
    mark = len(session.tracking_ids)
    try:
        yield
    except Exception as exc:
        found = unwrap(exc)
        created = session.tracking_ids[mark:]
        if isinstance(found, CreateFailed) or not created:
            if found is exc:
                raise
            raise found from exc
        report = await undo(session, created)
        raise CreateFailed(found, report) from found
    except BaseException:
        # Cancelled: what the call made so far is removed, and the cancellation goes on.
        created = session.tracking_ids[mark:]
        if created:
            await undo(session, created)
        raise
