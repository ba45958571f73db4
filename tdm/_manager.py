"""The manager: one catalog, one ledger and one set of settings, and the sessions on them."""

from __future__ import annotations

import atexit
from collections.abc import AsyncIterable, AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from . import _cleanup
from ._catalog import Catalog
from ._clients import Clients
from ._datagen import new_seed
from ._guard import check_targets
from ._health import HealthReport, StuckRun, run_checks
from ._leases import LeaseKeeper
from ._ledger import Ledger, TrackingRecord
from ._redact import remember_environment
from ._registry import Registry
from ._report import CleanupReport
from ._selection import Selection
from ._session import Session
from ._settings import Settings
from ._shared import LoopClients

__all__ = ["Manager", "cleanup", "default_manager", "session"]


class Manager:
    """Binds a :class:`Catalog`, a :class:`Ledger` and :class:`Settings` together.

    Everything defaults to the process-wide defaults: settings from the environment, the
    process's own registry plus the installed registries (``TDM_REGISTRIES`` selects), and
    the ledger file ``TDM_LEDGER``. ``registry`` names the registries to use instead (one, or
    several).

    Used as ``async with manager:``, it opens the targets' clients once and every session
    inside shares them (a server does this). After :meth:`open` (the pytest plugin's and
    ``tdm.session()``'s managers are open), the sessions of each event loop share one set,
    closed as that loop ends. Otherwise each session opens its own.
    """

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        registry: Registry | Sequence[Registry] | Catalog | None = None,
        ledger: Ledger | None = None,
    ) -> None:
        self.settings = settings if settings is not None else Settings.from_env()
        if isinstance(registry, Catalog):
            self.catalog = registry
        elif isinstance(registry, Registry):
            self.catalog = Catalog([registry])
        elif registry is not None:
            self.catalog = Catalog(registry)
        else:
            self.catalog = Catalog.from_settings(self.settings)
        if ledger is None:
            ledger = Ledger(self.settings.ledger_path, secret=self.settings.secret)
        self.ledger = ledger
        self.leases = LeaseKeeper(ledger.store, ttl=self.settings.lease_ttl,
                                  interval=self.settings.heartbeat_interval)  # fmt: skip
        self.shared_clients: Clients | None = None
        self._per_loop: LoopClients | None = None
        secret = [s.name for r in self.catalog.registries for s in r.settings if s.secret]
        remember_environment(self.settings.env, secret)

    async def __aenter__(self) -> Manager:
        if self.shared_clients is not None:
            raise RuntimeError("this Manager is already open")
        check_targets(self.catalog.registries, self.settings)  # before anything is opened
        self.shared_clients = Clients(self.catalog, self.settings)
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        clients, self.shared_clients = self.shared_clients, None
        if clients is not None:
            await clients.aclose()

    def open(self) -> Manager:
        """Let this manager's sessions share clients from now on: one set per event loop
        (clients are bound to the loop they were opened on), opened on a session's first use
        and closed as its loop shuts down (``asyncio.run`` and pytest-asyncio do that)."""
        if self._per_loop is None:  # the production guard runs as each set first opens
            self._per_loop = LoopClients(self.catalog, self.settings)
        return self

    def close_shared(self) -> None:
        """Close what :meth:`open` shares, on every loop (each set closes on its own loop)."""
        per_loop, self._per_loop = self._per_loop, None
        if per_loop is not None:
            per_loop.close()

    async def session_clients(self) -> Clients | None:
        """The clients a session of this manager shares: those of ``async with manager``,
        else (when :meth:`open`) the running loop's; None when each session opens its own."""
        if self.shared_clients is not None:
            return self.shared_clients
        return None if self._per_loop is None else await self._per_loop.get()

    def __repr__(self) -> str:
        return f"<tdm.Manager run={self.settings.run_id!r} ledger={str(self.ledger.path)!r}>"

    def session(
        self,
        *,
        seed: int | None = None,
        test_id: str | None = None,
        keep: bool = False,
        run_id: str | None = None,
    ) -> Session:
        """A new tracking session (use it with ``async with``).

        ``seed`` replays a session's data exactly (default: a fresh random seed, which the
        ledger records); ``run_id`` groups sessions for a later cleanup by run (default: this
        process's run, ``TDM_RUN_ID``); ``keep`` leaves the data in place, still tracked.
        """
        return Session(
            self,
            seed=new_seed() if seed is None else seed,
            run_id=run_id or self.settings.run_id,
            test_id=test_id,
            keep=keep,
        )

    async def purge(
        self,
        records: Sequence[TrackingRecord] | AsyncIterable[Sequence[TrackingRecord]],
        *,
        selection: Selection | None = None,
        clients: Clients | None = None,
        written_before: float | None = None,
    ) -> CleanupReport:
        """Remove exactly these records' entities (children first); see :meth:`cleanup`.
        ``records`` may come in pages, newest first (:meth:`pages`): one is held at a time.
        With ``written_before`` (the ledger's clock), records written again since they were
        read are left alone (a reaper's: their run came back).

        With the ``selection`` they were selected by, tracking ids it names that are not among
        them are reported as not tracked.
        """
        clients = clients or await self.session_clients()
        if clients is None:
            async with Clients(self.catalog, self.settings) as own:
                return await self.purge(records, selection=selection, clients=own,
                                        written_before=written_before)  # fmt: skip
        report = await _cleanup.purge(
            records, catalog=self.catalog, clients=clients, ledger=self.ledger,
            concurrency=self.settings.concurrency, grace=self.settings.grace,
            # Records stay claimed while a cleanup may still run, and at least as long as two
            # of a sweeper's claims: a sweeper that died mid-reap is replaced once both ran out.
            claim_for=max(2 * self.settings.cleanup_timeout, 2 * self.settings.claim_ttl),
            written_before=written_before,
        )  # fmt: skip
        if selection is not None and selection.tracking_ids is not None:
            assert isinstance(records, Sequence)  # named ids: a bounded list, not pages
            found = {r.tracking_id for r in records}
            report.not_tracked.extend(t for t in selection.tracking_ids if t not in found)
        return report

    async def select(self, selection: Selection) -> list[TrackingRecord]:
        """The records of the selected registries that ``selection`` names."""
        return await self.ledger.select(**self._filters(selection))

    def pages(
        self, selection: Selection, size: int | None = None
    ) -> AsyncIterator[list[TrackingRecord]]:
        """The records :meth:`select` would return, newest first, ``size`` (default
        :data:`~tdm._cleanup.BATCH`) at a time."""
        return self.ledger.pages(size or _cleanup.BATCH, **self._filters(selection))

    def _filters(self, selection: Selection) -> dict[str, Any]:
        before = None
        if selection.older_than is not None:
            now = datetime.now(UTC)
            # Older than the calendar's start (``9999d`` and beyond): nothing is that old.
            oldest = now - datetime.min.replace(tzinfo=UTC)
            before = now - min(selection.older_than, oldest)
        return {
            "tracking_ids": None if selection.tracking_ids is None
            else list(selection.tracking_ids),
            "run_id": selection.run_id,
            "created_before": before,
            "exclude_runs": selection.spared_runs,
            "registries": self.catalog.names,
            # Leases, not ages, say whether a run is alive: an age never reaches a held run.
            "spare_held_runs": selection.older_than is not None and selection.run_id is None,
        }  # fmt: skip

    async def cleanup(
        self,
        selection: Selection | None = None,
        *,
        tracking_ids: Sequence[str] | None = None,
        run_id: str | None = None,
        all: bool = False,
        older_than: str | timedelta | None = None,
    ) -> CleanupReport:
        """Remove tracked entities: by tracking ids, by run, older than a duration, or ``all``.

        Options combine (a run's entities older than an hour). At least one must be given:
        removing everything needs ``all=True``. ``older_than`` alone spares the ``baseline``
        run (seed data meant to stay); name it with ``run_id`` to include it. Entities that
        cannot be removed stay tracked and are listed in the report's ``failures``; tracking
        ids that are not tracked, in its ``not_tracked``.
        """
        if selection is None:
            options: dict[str, Any] = {"all": all}
            for key, value in (
                ("tracking_ids", tracking_ids), ("run_id", run_id), ("older_than", older_than)
            ):  # fmt: skip
                if value is not None:
                    options[key] = value
            selection = Selection.parse(options)
        if selection.tracking_ids is not None:  # at most MAX_TRACKING_IDS: one list
            return await self.purge(await self.select(selection), selection=selection)
        # Any number of records: a page at a time, so memory stays flat.
        return await self.purge(self.pages(selection), selection=selection)

    async def health(self, *, per_check: float = 5.0) -> HealthReport:
        """Run every registered health check and the ledger's concurrently; the report lists
        the runs the reaper gave up on."""

        async def stuck_runs() -> list[StuckRun]:
            found = await self.ledger.stuck_runs()
            return [StuckRun(r.run_id, r.reap_attempts, r.last_error) for r in found]

        shared = await self.session_clients()
        async with Clients(self.catalog, self.settings) as own:
            return await run_checks(
                self.catalog.checks, shared or own, per_check=per_check,
                ledger=str(self.ledger.path), stuck_runs=stuck_runs,
            )  # fmt: skip

    async def tracked(self, **filters: Any) -> list[TrackingRecord]:
        """Ledger records of the selected registries (filters as :meth:`Ledger.select`)."""
        return await self.ledger.select(registries=self.catalog.names, **filters)


_default: Manager | None = None


def default_manager() -> Manager:
    """The process-wide manager, built from the environment on first use and open
    (:meth:`Manager.open`): the sessions of ``tdm.session()`` share their clients; its
    ledger is closed as the process exits."""
    global _default
    if _default is None:
        _default = Manager().open()
        atexit.register(_default.ledger.close)
    return _default


def session(
    *,
    seed: int | None = None,
    test_id: str | None = None,
    keep: bool = False,
    run_id: str | None = None,
) -> Session:
    """A tracking session on the default manager: ``async with tdm.session() as s: ...``."""
    return default_manager().session(seed=seed, test_id=test_id, keep=keep, run_id=run_id)


async def cleanup(
    selection: Selection | None = None,
    *,
    tracking_ids: Sequence[str] | None = None,
    run_id: str | None = None,
    all: bool = False,
    older_than: str | timedelta | None = None,
) -> CleanupReport:
    """:meth:`Manager.cleanup` on the default manager."""
    return await default_manager().cleanup(
        selection, tracking_ids=tracking_ids, run_id=run_id, all=all, older_than=older_than
    )
