"""The reaper: removes what dead runs left, so a killed CI job leaves nothing for long.

A run is dead once nobody holds its lease and nothing keeps it (see :mod:`tdm._leases`). A
sweep claims dead runs that still have records (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so
sweepers on many machines never take the same run; a claim runs out, so a sweeper that dies
mid-reap is replaced) and cleans each with the normal cleanup. A run that cannot be cleaned is
tried again with backoff and, after ``MAX_ATTEMPTS``, marked stuck (health shows it).

The defaults follow Testcontainers' Ryuk (resources of a client gone for 10 s are removed,
with 10 removal attempts), stretched for CI: a lease of 60 s renewed every 10 s tolerates a
paused runner or a slow network, and a sweep every 10 s removes a dead run's data about a
minute after its last heartbeat.
"""

from __future__ import annotations

import logging
import random
import uuid
from typing import TYPE_CHECKING

import anyio
import attrs

from ._cleanup import BATCH
from ._leases import holder_name
from ._report import CleanupReport
from ._selection import Selection

if TYPE_CHECKING:
    from ._manager import Manager

__all__ = ["MAX_ATTEMPTS", "Sweep", "reap_forever", "sweep"]

log = logging.getLogger("tdm.reaper")

MAX_ATTEMPTS = 10
"""Attempts at a run before it is marked stuck (Ryuk retries a removal 10 times)."""


@attrs.define
class Sweep:
    """What one sweep did: runs reaped, runs to try again, runs now stuck, and the reports."""

    sweeper: str
    reaped: list[str] = attrs.field(factory=list)
    revived: list[str] = attrs.field(factory=list)
    """Runs that came back while they were reaped (what they wrote later stays)."""
    retry: list[str] = attrs.field(factory=list)
    stuck: list[str] = attrs.field(factory=list)
    reports: dict[str, CleanupReport] = attrs.field(factory=dict)

    def summary(self) -> str:
        if not (self.reaped or self.revived or self.retry or self.stuck):
            return "no dead runs to reap"
        parts = [f"reaped {len(self.reaped)} dead runs"]
        if self.revived:
            parts.append(f"{len(self.revived)} came back while reaped")
        if self.retry:
            parts.append(f"{len(self.retry)} to try again")
        if self.stuck:
            parts.append(f"{len(self.stuck)} stuck ({', '.join(self.stuck)})")
        return "; ".join(parts)

    def to_json(self) -> dict[str, object]:
        return {
            "sweeper": self.sweeper, "reaped": self.reaped, "revived": self.revived,
            "retry": self.retry,
            "stuck": self.stuck,
            "reports": {run: report.to_json() for run, report in self.reports.items()},
        }  # fmt: skip


async def sweep(
    manager: Manager, *, sweeper: str | None = None, batch: int = 20, concurrency: int = 4
) -> Sweep:
    """Claim and clean dead runs until none are left for this sweeper."""
    done = Sweep(sweeper or f"{holder_name()}:{uuid.uuid4().hex[:6]}")
    settings, ledger = manager.settings, manager.ledger
    claim_for = settings.claim_ttl
    limiter = anyio.CapacityLimiter(concurrency)

    async def clean(run_id: str) -> CleanupReport | None:
        # What was written before the claim only: the run was dead then. A holder that
        # comes back, or a new session in the run, writes later, and that stays.
        claimed_at = await ledger.claimed_at(run_id, done.sweeper)
        if claimed_at is None:  # the claim ran out and another sweeper has the run
            return None
        pages = ledger.pages(BATCH, run_id=run_id, written_before=claimed_at,
                             registries=manager.catalog.names)  # fmt: skip
        return await manager.purge(pages, selection=Selection(run_id=run_id),
                                   written_before=claimed_at)  # fmt: skip

    async def reap(run_id: str) -> None:
        # The claim is renewed from the moment it was made: a run waiting for its turn
        # (``concurrency``) must not be taken by another sweeper meanwhile.
        async with anyio.create_task_group() as tg:

            async def keep_claim() -> None:
                while True:
                    await anyio.sleep(claim_for / 3)
                    await ledger.renew_claim(run_id, done.sweeper, claim_for)

            tg.start_soon(keep_claim)
            try:
                async with limiter:
                    report = await clean(run_id)
            finally:
                tg.cancel_scope.cancel()
        if report is None:
            return
        done.reports[run_id] = report
        if report.complete:
            if await ledger.reaped(run_id, done.sweeper):
                done.reaped.append(run_id)
                log.info("reaped run %s: %s", run_id, report.summary())
            else:
                done.revived.append(run_id)
                log.info("run %s came back while it was reaped: %s", run_id, report.summary())
            return
        stuck = await ledger.reap_failed(run_id, done.sweeper, report.summary(),
                                         settings.reaper_interval, MAX_ATTEMPTS)  # fmt: skip
        (done.stuck if stuck else done.retry).append(run_id)
        log.warning("reaping run %s left something: %s", run_id, report.summary())

    while True:
        claimed = await ledger.claim_expired(done.sweeper, claim_for, batch)
        if not claimed:
            return done
        async with anyio.create_task_group() as tg:
            for run_id in claimed:
                tg.start_soon(reap, run_id)


async def reap_forever(manager: Manager) -> None:
    """Sweep every ``TDM_REAPER_INTERVAL`` (with jitter, so replicas spread out) until
    cancelled; a failed sweep is logged and the next one tries again."""
    interval = manager.settings.reaper_interval
    while True:
        await anyio.sleep(interval * random.uniform(0.8, 1.2))
        try:
            found = await sweep(manager)
        except Exception:
            log.exception("a reaper sweep failed")
            continue
        if found.reaped or found.stuck:
            log.info("reaper: %s", found.summary())
