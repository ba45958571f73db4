"""The manager: one registry, one ledger and one set of settings, and the sessions on them."""

from __future__ import annotations

import builtins
import logging
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import anyio

from ._cleanup import purge
from ._clients import Clients
from ._datagen import new_seed
from ._durations import DURATION_FORMAT, parse_duration
from ._errors import FieldProblem, InvalidParameters
from ._ledger import Ledger, TrackingRecord
from ._registry import Registry, default_registry
from ._report import CleanupReport
from ._session import Session
from ._settings import Settings

__all__ = ["PROTECTED_RUNS", "Manager", "cleanup", "default_manager", "session"]

PROTECTED_RUNS = ("baseline",)
"""Runs an age-based cleanup leaves alone; clean them by naming the run, or with ``all``."""

log = logging.getLogger("tdm")


class Manager:
    """Binds a :class:`Registry`, a :class:`Ledger` and :class:`Settings` together.

    Everything defaults to the process-wide defaults: settings from the environment, the
    default registry (with installed plugins) and the ledger file ``TDM_LEDGER``.

    Used as ``async with manager:``, it opens the targets' clients once and every session
    inside shares them (a server does this); otherwise each session opens its own.
    """

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        registry: Registry | None = None,
        ledger: Ledger | None = None,
    ) -> None:
        self.settings = settings if settings is not None else Settings.from_env()
        self.registry = registry if registry is not None else default_registry()
        self.ledger = ledger if ledger is not None else Ledger(self.settings.ledger_path)
        self.shared_clients: Clients | None = None

    async def __aenter__(self) -> Manager:
        if self.shared_clients is not None:
            raise RuntimeError("this Manager is already open")
        self.shared_clients = Clients(self.registry, self.settings)
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        clients, self.shared_clients = self.shared_clients, None
        if clients is not None:
            await clients.aclose()

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
        self, records: Sequence[TrackingRecord], *, clients: Clients | None = None
    ) -> CleanupReport:
        """Remove exactly these records' entities (children first); see :func:`cleanup`."""
        clients = clients or self.shared_clients
        if clients is not None:
            return await purge(
                records, registry=self.registry, clients=clients, ledger=self.ledger,
                concurrency=self.settings.concurrency,
            )  # fmt: skip
        async with Clients(self.registry, self.settings) as own:
            return await self.purge(records, clients=own)

    async def select(
        self,
        *,
        tracking_ids: Sequence[str] | None = None,
        run_id: str | None = None,
        all: bool = False,
        older_than: str | timedelta | None = None,
        kind: str | None = None,
    ) -> list[TrackingRecord]:
        """The records a cleanup with these options would remove."""
        problems = []
        if tracking_ids is None and run_id is None and older_than is None and not all:
            problems.append(
                FieldProblem(
                    "trackingIds",
                    "one of trackingIds, runId, olderThan, or all=true",
                    missing=True,
                )
            )
        if tracking_ids is not None and (
            isinstance(tracking_ids, str)
            or not builtins.all(isinstance(t, str) for t in tracking_ids)
        ):
            problems.append(
                FieldProblem("trackingIds", "a list of tracking id strings", tracking_ids)
            )
        before = None
        if older_than is not None:
            try:
                before = datetime.now(UTC) - parse_duration(older_than)
            except ValueError:
                problems.append(FieldProblem("olderThan", DURATION_FORMAT, older_than))
        if problems:
            raise InvalidParameters("cleanup", problems)
        # Age-based cleanup spares kept reference data (the baseline): name its run, or all.
        spared = () if run_id is not None or all else PROTECTED_RUNS
        return await self.ledger.select(
            tracking_ids=None if tracking_ids is None else list(tracking_ids),
            run_id=run_id,
            kind=kind,
            created_before=before,
            exclude_runs=spared if tracking_ids is None else (),
        )

    async def cleanup(
        self,
        *,
        tracking_ids: Sequence[str] | None = None,
        run_id: str | None = None,
        all: bool = False,
        older_than: str | timedelta | None = None,
        kind: str | None = None,
    ) -> CleanupReport:
        """Remove tracked entities: by tracking ids, by run, older than a duration, or ``all``.

        Options combine (a run's entities older than an hour). At least one must be given:
        removing everything needs ``all=True``. ``older_than`` alone spares the ``baseline``
        run (seed data meant to stay); name it with ``run_id`` to include it. Entities that
        cannot be removed stay tracked and are listed in the report's ``failures``.
        """
        records = await self.select(
            tracking_ids=tracking_ids, run_id=run_id, all=all, older_than=older_than, kind=kind
        )
        return await self.purge(records)

    async def health(self, *, per_check: float = 5.0) -> dict[str, bool]:
        """Run every registered health check concurrently: ``{name: up}``."""
        results: dict[str, bool] = {}

        async def check(name: str, target: str, probe: Any, clients: Clients) -> None:
            results[name] = False
            with anyio.move_on_after(per_check):
                try:
                    await probe(await clients.get(target))
                except Exception:  # any failure means "down"; logged with its traceback
                    log.info("health check %s failed", name, exc_info=True)
                else:
                    results[name] = True

        async with Clients(self.registry, self.settings) as own:
            clients = self.shared_clients or own
            async with anyio.create_task_group() as tg:
                for c in self.registry.checks.values():
                    tg.start_soon(check, c.name, c.target, c.probe, clients)
        return {name: results[name] for name in self.registry.checks}

    async def tracked(self, **filters: Any) -> list[TrackingRecord]:
        """Ledger records (filters as :meth:`Ledger.select`)."""
        return await self.ledger.select(**filters)


_default: Manager | None = None


def default_manager() -> Manager:
    """The process-wide manager, built from the environment on first use."""
    global _default
    if _default is None:
        _default = Manager()
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
    *,
    tracking_ids: Sequence[str] | None = None,
    run_id: str | None = None,
    all: bool = False,
    older_than: str | timedelta | None = None,
) -> CleanupReport:
    """:meth:`Manager.cleanup` on the default manager."""
    return await default_manager().cleanup(
        tracking_ids=tracking_ids, run_id=run_id, all=all, older_than=older_than
    )
