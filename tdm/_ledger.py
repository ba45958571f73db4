"""The ledger: a durable record of every entity tdm created and has not yet removed, and of the
runs that made them.

A record is written *before* the create call (``pending``, with the natural key that finds the
entity) and confirmed after it (``created``, with the entity's id); a crash between the two
leaves a pending record that cleanup reconciles by looking the entity up. A record is removed
only once its entity is gone, and only by the cleanup that claimed it.

The store is a SQLite file by default (zero set-up; every process of one machine shares it) or a
PostgreSQL database (``TDM_LEDGER=postgresql://...``: every machine, every replica). What is
written per entity (intents, confirms, settling, failures, reopening, removal) and runs'
touches go to the ledger's one writer thread (see :mod:`tdm._writer`); on a SQLite file a
small write, read or claim that finds the file free is made in the caller's thread instead.
Other calls run in worker threads; the store's clock is the database's.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import anyio
import anyio.from_thread
import anyio.to_thread
import attrs

from ._records import TrackingRecord
from ._secrets import Sealer
from ._store import Cursor, Filter, RunRow, Store, Write, is_url, open_store
from ._writer import SMALL_ROWS, NotHere, Writer

__all__ = ["Ledger", "RunRow", "TrackingRecord"]

T = TypeVar("T")


class Ledger:
    """The tracking records and runs, in the store at ``location`` (a path or a URL).

    ``secret`` (``TDM_SECRET``) seals what tdm keeps to act as entities it created;
    ``migrate`` creates or upgrades the schema when that is safe (a fresh database, or a
    SQLite file); a shared PostgreSQL ledger of an older schema is upgraded with
    ``tdm ledger migrate``.
    """

    _small_rows = SMALL_ROWS
    """Reads of at most this many records (by id) are made in the caller's thread on a
    SQLite file, when it can: a session reads its own records by id while they are few."""

    def __init__(
        self, location: str | Path, *, secret: str | None = None, migrate: bool = True
    ) -> None:
        self.store: Store = open_store(location)
        self.path = self.store.location
        """Where the ledger is, for people (a URL's password hidden)."""
        self.shared = self.store.postgres
        self._sealer = Sealer(secret)
        self._limiter = anyio.CapacityLimiter(4 if self.shared else 1)
        # One in-memory database is one connection: its writes queue behind the limiter too.
        self._writer = None if self.path == ":memory:" else Writer(self.store)
        if migrate:
            try:
                self.store.migrate(upgrade=not self.shared or not is_url(str(location)))
            except BaseException:  # refused (an older shared schema): no connection left open
                self.store.close()
                raise

    def __repr__(self) -> str:
        return f"<tdm.Ledger {self.path}>"

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        self.store.close()

    async def _call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        return await anyio.to_thread.run_sync(
            functools.partial(fn, *args, **kwargs), limiter=self._limiter
        )

    async def _small(
        self, fn: Callable[..., T], *args: Any, rows: int, writes: bool = False, **kwargs: Any
    ) -> T:
        """``fn`` of the store on at most ``rows`` records: in this thread when the writer can
        (see :meth:`Writer.run_here`), else in a worker thread as :meth:`_call`."""
        if self._writer is not None and rows <= self._small_rows:
            try:
                return self._writer.run_here(
                    lambda connection: fn(*args, connection=connection, **kwargs), writes=writes
                )
            except NotHere:
                pass
        return await self._call(fn, *args, **kwargs)

    async def _write(self, write: Write) -> None:
        """Once ``write`` is committed: by the writer thread, with whatever other callers
        hand it meanwhile (outside asyncio, or in memory, in a worker thread)."""
        if self._writer is not None:
            try:
                asyncio.get_running_loop()
            except RuntimeError:
                pass
            else:
                await self._writer.write(write)
                return
        await self._call(self.store.write, [write])

    # -- records -----------------------------------------------------------------------------------

    async def add(self, record: TrackingRecord) -> None:
        """Write a record (normally ``pending``, before the entity is created)."""
        await self._write(Write.add([record]))

    async def add_many(self, records: Sequence[TrackingRecord]) -> None:
        """Write several intents in one transaction (``create_many``)."""
        if records:
            await self._write(Write.add(records))

    async def confirm(
        self,
        record: TrackingRecord,
        entity_id: str,
        label: str | None,
        *,
        secret: Mapping[str, Any] | None = None,
    ) -> TrackingRecord:
        """The entity exists: note its id (and, sealed, what tdm needs to act as it)."""
        sealed = None if secret is None else self._sealer.seal(secret)
        await self._write(Write.confirm(record, entity_id, label, sealed))
        return attrs.evolve(record, state="created", entity_id=entity_id,
                            label=label or record.label)  # fmt: skip

    async def settle(self, tracking_id: str, seconds: float) -> None:
        """A create's outcome was unknown: its entity may still appear for ``seconds``."""
        await self._write(Write.settle(tracking_id, seconds))

    async def reopen(self, tracking_ids: Iterable[str]) -> None:
        """The entity is gone but another may still land: back to pending, by natural key."""
        await self._write(Write.reopen(list(tracking_ids)))

    async def remove(self, tracking_ids: Iterable[str]) -> None:
        """Forget records whose entities are gone."""
        await self._write(Write.remove(list(tracking_ids)))

    async def note_failure(self, tracking_id: str, error: str) -> None:
        """A delete failed: count the attempt, keep the reason, release the claim."""
        await self._write(Write.note_failure(tracking_id, error))

    async def claim(
        self, tracking_ids: Sequence[str], claimer: str, seconds: float,
        *, written_before: float | None = None,
    ) -> set[str]:  # fmt: skip
        """Claim records for one cleanup; the ids this cleanup may act on. With
        ``written_before`` (a reaper's claim on the run, by the ledger's clock), only records
        written before then."""
        if not tracking_ids:
            return set()
        ids = list(tracking_ids)
        return set(await self._small(self.store.claim, ids, claimer, seconds, written_before,
                                     rows=len(ids), writes=True))  # fmt: skip

    async def written_since(self, tracking_ids: Sequence[str], at: float) -> set[str]:
        """Those of ``tracking_ids`` written at ``at`` (the ledger's clock) or later."""
        if not tracking_ids:
            return set()
        return set(await self._call(self.store.written_since, list(tracking_ids), at))

    async def release(self, tracking_ids: Sequence[str], claimer: str) -> None:
        if tracking_ids:
            await self._call(self.store.release, list(tracking_ids), claimer)

    async def select(
        self,
        *,
        tracking_ids: Sequence[str] | None = None,
        run_id: str | None = None,
        session_id: str | None = None,
        kind: str | None = None,
        created_before: datetime | None = None,
        exclude_runs: Sequence[str] = (),
        registries: Sequence[str] | None = None,
        entity_ids: Sequence[str] | None = None,
        spare_held_runs: bool = False,
        written_before: float | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[TrackingRecord]:
        """Records matching every given filter, oldest first.

        ``registries`` keeps records of those registries only (and records older than
        registries, which name none); ``spare_held_runs`` leaves out runs with a live lease;
        ``written_before`` keeps records the ledger wrote before then (its clock).
        """
        where = Filter(
            tracking_ids=tracking_ids, run_id=run_id, session_id=session_id, kind=kind,
            created_before=created_before, exclude_runs=exclude_runs, registries=registries,
            entity_ids=entity_ids, spare_held_runs=spare_held_runs,
            written_before=written_before,
        )  # fmt: skip
        bounds = [len(ids) for ids in (tracking_ids, entity_ids) if ids is not None]
        if limit is not None:
            bounds.append(limit)
        return await self._small(self.store.select, where, limit=limit, offset=offset,
                                 rows=min(bounds, default=self._small_rows + 1))  # fmt: skip

    async def pages(self, size: int, **filters: Any) -> AsyncIterator[list[TrackingRecord]]:
        """The records :meth:`select` would return (same filters), newest first, ``size`` at
        a time: a cleanup of any size holds one page of records, never all of them."""
        where = Filter(**filters)
        before: Cursor | None = None
        while True:
            page, before = await self._call(self.store.page, where, before=before, limit=size)
            if page:
                yield page
            if before is None:
                return

    async def count(
        self,
        *,
        run_id: str | None = None,
        kind: str | None = None,
        registries: Sequence[str] | None = None,
    ) -> int:
        return await self._call(self.store.count, Filter(run_id=run_id, kind=kind,
                                                         registries=registries))  # fmt: skip

    async def secret(self, registry: str, kind: str, entity_id: str) -> dict[str, Any] | None:
        """What tdm keeps to act as this entity (a user's password), if anything."""
        sealed = await self._call(self.store.secret, registry, kind, entity_id)
        return None if sealed is None else self._sealer.open(sealed)

    # -- runs --------------------------------------------------------------------------------------

    async def touch(
        self,
        run_id: str,
        keep_for: float | None,
        renew_for: float | None = None,
        holder: str | None = None,
        *,
        hold: bool = False,
    ) -> None:
        """A session starts in ``run_id`` (or a request is served in it): ``holder``'s live
        lease (without one: every live lease) is renewed; kept data keeps an unheld run
        ``keep_for`` longer. With ``hold``, ``holder`` holds the run ``renew_for`` from now,
        in the same transaction."""
        await self._write(Write.touch(run_id, keep_for, renew_for, holder, hold=hold))

    async def hold(self, run_ids: Sequence[str], seconds: float, holder: str) -> None:
        """``holder``'s leases on the runs run ``seconds`` from now."""
        await self._call(self.store.hold, list(run_ids), seconds, holder)

    async def end(self, run_id: str, holder: str, keep_for: float | None) -> None:
        """``holder``'s lease ends (other holders keep theirs); ``keep_for`` keeps the data."""
        await self._write(Write.end(run_id, holder, keep_for))

    async def run(self, run_id: str) -> RunRow | None:
        return await self._call(self.store.run, run_id)

    async def runs(self, *, limit: int = 100, offset: int = 0) -> list[tuple[RunRow, int]]:
        return await self._call(self.store.runs, limit=limit, offset=offset)

    async def claim_expired(self, sweeper: str, seconds: float, limit: int) -> list[str]:
        """Claim dead runs that still have records, for one sweeper (see the reaper)."""
        return await self._call(self.store.claim_expired, sweeper, seconds, limit)

    async def renew_claim(self, run_id: str, sweeper: str, seconds: float) -> bool:
        return await self._call(self.store.renew_claim, run_id, sweeper, seconds)

    async def claimed_at(self, run_id: str, sweeper: str) -> float | None:
        return await self._call(self.store.claimed_at, run_id, sweeper)

    async def reaped(self, run_id: str, sweeper: str) -> bool:
        """The run is gone (``False``: it came back while it was reaped; only the claim
        ended)."""
        return await self._call(self.store.reaped, run_id, sweeper)

    async def reap_failed(
        self, run_id: str, sweeper: str, error: str, backoff: float, max_attempts: int
    ) -> bool:
        return await self._call(self.store.reap_failed, run_id, sweeper, error, backoff,
                                max_attempts)  # fmt: skip

    async def stuck_runs(self) -> list[RunRow]:
        return await self._call(self.store.stuck_runs)

    async def now(self) -> float:
        """The ledger's clock, in epoch seconds."""
        return await self._call(self.store.now)

    # -- idempotency -------------------------------------------------------------------------------

    async def idempotency_begin(
        self, key: str, fingerprint: str, stale_after: float
    ) -> tuple[str, int | None, str | None]:
        return await self._call(self.store.idempotency_begin, key, fingerprint, stale_after)

    async def idempotency_finish(self, key: str, status: int, body: str) -> None:
        await self._call(self.store.idempotency_finish, key, status, body)

    async def idempotency_drop(self, key: str) -> None:
        await self._call(self.store.idempotency_drop, key)

    # -- locks -------------------------------------------------------------------------------------

    @asynccontextmanager
    async def lock(self, name: str) -> AsyncIterator[None]:
        """Hold the named lock (every process and, on PostgreSQL, every machine) for the block."""
        entered = anyio.Event()
        leave = anyio.Event()
        failure: list[BaseException] = []

        def hold() -> None:
            try:
                with self.store.lock(name):
                    anyio.from_thread.run_sync(entered.set)
                    anyio.from_thread.run(leave.wait)
            except BaseException as exc:  # noqa: BLE001 -- raised in the caller below
                failure.append(exc)
                anyio.from_thread.run_sync(entered.set)

        async with anyio.create_task_group() as tg:
            tg.start_soon(lambda: anyio.to_thread.run_sync(hold, abandon_on_cancel=False))
            await entered.wait()
            if failure:
                raise failure[0]
            try:
                yield
            finally:
                leave.set()
