"""Runs in the ledger: leases taken, renewed and ended; runs kept; dead runs claimed, reaped
or marked stuck by sweepers."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ._run_rows import Lease, RunRow
from ._schema import CHUNK, leases, runs, tracked
from ._store_base import StoreBase
from ._writes import Write

__all__ = ["Runs"]


class Runs(StoreBase):
    """A run's holders, keep time and reaping."""

    def hold(self, run_ids: Sequence[str], seconds: float, holder: str) -> None:
        """``holder`` is alive: its leases on the runs run ``seconds`` from now (other
        holders' leases are theirs)."""
        runs_ = [{"run_id": run_id} for run_id in dict.fromkeys(run_ids)]
        if not runs_:
            return
        sql = self._sql
        with self._raw_write() as cursor:
            cursor.executemany(sql.ensure_run, runs_)
            cursor.executemany(sql.hold, [r | {"holder": holder, "seconds": seconds}
                                          for r in runs_])  # fmt: skip
            cursor.executemany(sql.unstick, runs_)

    def touch(
        self,
        run_id: str,
        keep_for: float | None,
        renew_for: float | None = None,
        holder: str | None = None,
    ) -> None:
        """A session starts in ``run_id``, or a replica serves a request in it: the run
        exists; ``holder``'s live lease (without ``holder``: every live lease, a request in
        flight being proof its caller is alive) is renewed for ``renew_for``; a lease that ran
        out stays so. If no holder has the run and its data is kept (``keep_for``), it is kept
        that long from now."""
        self.write([Write.touch(run_id, keep_for, renew_for, holder)])

    def end(self, run_id: str, holder: str, keep_for: float | None) -> None:
        """``holder`` is done: its lease ends (other holders' leases stay); with ``keep_for``
        what the run left is kept that long from now (``0``: no longer), else it is reaped
        once nobody holds or keeps the run."""
        self.write([Write.end(run_id, holder, keep_for)])

    def _leases_of(self, conn: Connection, run_ids: Sequence[str]) -> dict[str, list[Lease]]:
        found: dict[str, list[Lease]] = {}
        query = (
            sa.select(leases).where(leases.c.run_id.in_(list(run_ids)))
            .order_by(leases.c.lease_until.desc(), leases.c.holder)
        )  # fmt: skip
        for row in conn.execute(query):
            found.setdefault(row.run_id, []).append(Lease(row.holder, row.lease_until))
        return found

    def _run_rows(self, conn: Connection, rows: Sequence[Mapping[Any, Any]]) -> list[RunRow]:
        held = self._leases_of(conn, [row["run_id"] for row in rows])
        return [RunRow(**row, leases=tuple(held.get(row["run_id"], ()))) for row in rows]

    def run(self, run_id: str) -> RunRow | None:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(runs).where(runs.c.run_id == run_id)).first()
            return None if row is None else self._run_rows(conn, [row._mapping])[0]

    def runs(self, *, limit: int = 100, offset: int = 0) -> list[tuple[RunRow, int]]:
        """Runs, newest first, each with its leases and how many records it still has."""
        counted = (
            sa.select(tracked.c.run_id, sa.func.count().label("n"))
            .group_by(tracked.c.run_id).subquery()
        )  # fmt: skip
        query = (
            sa.select(runs, sa.func.coalesce(counted.c.n, 0).label("records"))
            .outerjoin(counted, counted.c.run_id == runs.c.run_id)
            .order_by(runs.c.created_at.desc()).limit(limit).offset(offset)
        )  # fmt: skip
        with self.engine.connect() as conn:
            values = [dict(row._mapping) for row in conn.execute(query)]
            counts = [int(v.pop("records")) for v in values]
            return list(zip(self._run_rows(conn, values), counts, strict=True))

    def claim_expired(self, sweeper: str, seconds: float, limit: int) -> list[str]:
        """Claim up to ``limit`` runs that nobody holds or keeps and that still have records,
        for one sweeper (``FOR UPDATE SKIP LOCKED`` where the database has it; a SQLite file
        has one writer at a time anyway). A claim runs out after ``seconds``; its time
        (``claimed_at``) bounds what the sweeper may clean: records written later are a
        revived run's."""
        now = self._now()
        has_records = sa.exists().where(tracked.c.run_id == runs.c.run_id)
        due = sa.and_(
            ~self._live(runs.c.run_id),
            sa.func.coalesce(runs.c.keep_until, 0) <= now,
            runs.c.stuck.is_(False),
            sa.or_(runs.c.claim_until.is_(None), runs.c.claim_until < now),
            sa.or_(runs.c.next_reap_at.is_(None), runs.c.next_reap_at <= now),
        )
        with self._write() as conn:
            self._adopt_orphans(conn)
            query = (
                sa.select(runs.c.run_id).where(due, has_records).order_by(runs.c.created_at)
                .limit(limit).with_for_update(skip_locked=True)
            )  # fmt: skip
            ids = list(conn.execute(query).scalars().all())
            if ids:
                conn.execute(runs.update().where(runs.c.run_id.in_(ids))
                             .values(claimed_by=sweeper, claim_until=now + seconds,
                                     claimed_at=now))  # fmt: skip
            # Runs with nothing left and nobody holding them are done: forget them.
            empty = (
                sa.select(runs.c.run_id)
                .where(~has_records, ~self._live(runs.c.run_id),
                       sa.func.coalesce(runs.c.keep_until, 0) <= now, runs.c.claimed_by.is_(None))
                .with_for_update(skip_locked=True)
            )  # fmt: skip
            self._forget(conn, list(conn.execute(empty).scalars().all()))
        return ids

    def _forget(self, conn: Connection, run_ids: Sequence[str]) -> None:
        """Drop runs and their (run out) leases."""
        for start in range(0, len(run_ids), CHUNK):
            chunk = list(run_ids[start : start + CHUNK])
            conn.execute(leases.delete().where(leases.c.run_id.in_(chunk),
                                               leases.c.lease_until <= self._now()))  # fmt: skip
            conn.execute(runs.delete().where(runs.c.run_id.in_(chunk), ~self._live(runs.c.run_id)))

    def _adopt_orphans(self, conn: Connection) -> None:
        """Records whose run has no row (written by code older than leases) get one, kept a
        day: age-based cleanup and the keep time decide about them, never a guess."""
        orphans = sa.select(tracked.c.run_id).distinct().where(
            ~sa.exists().where(runs.c.run_id == tracked.c.run_id))  # fmt: skip
        for run_id in conn.execute(orphans).scalars().all():
            statement = self._insert(runs).values(run_id=run_id, created_at=self._now(),
                                                  keep_until=self._now() + 86400.0)  # fmt: skip
            conn.execute(statement.on_conflict_do_nothing(index_elements=["run_id"]))

    def renew_claim(self, run_id: str, sweeper: str, seconds: float) -> bool:
        with self._write() as conn:
            done = conn.execute(
                runs.update().where(runs.c.run_id == run_id, runs.c.claimed_by == sweeper)
                .values(claim_until=self._now() + seconds)
            ).rowcount  # fmt: skip
        return bool(done)

    def claimed_at(self, run_id: str, sweeper: str) -> float | None:
        """When ``sweeper`` claimed the run (``None``: it has no claim on it)."""
        query = sa.select(runs.c.claimed_at).where(runs.c.run_id == run_id,
                                                   runs.c.claimed_by == sweeper)  # fmt: skip
        with self.engine.connect() as conn:
            found = conn.execute(query).scalar_one_or_none()
        return None if found is None else float(found)

    def reaped(self, run_id: str, sweeper: str) -> bool:
        """The sweeper removed everything of the run it claimed: the run is gone, unless it
        came back meanwhile (a holder renewed its lease, or a session wrote new records):
        then only the claim ends. True when the run is gone."""
        with self._write() as conn:
            mine = sa.and_(runs.c.run_id == run_id, runs.c.claimed_by == sweeper)
            left = sa.exists().where(tracked.c.run_id == run_id)
            gone = conn.execute(
                runs.delete().where(mine, ~left, ~self._live(run_id))
                .returning(runs.c.run_id)
            ).first() is not None  # fmt: skip
            if gone:
                conn.execute(leases.delete().where(leases.c.run_id == run_id))
            else:
                conn.execute(runs.update().where(mine).values(
                    claimed_by=None, claim_until=None, claimed_at=None, reap_attempts=0,
                    next_reap_at=None, last_error=None))  # fmt: skip
        return gone

    def reap_failed(
        self, run_id: str, sweeper: str, error: str, backoff: float, max_attempts: int
    ) -> bool:
        """Cleaning the run left something: try again after ``backoff`` doubled per attempt
        (at most an hour); after ``max_attempts`` the run is stuck (shown in health). True when
        it became stuck."""
        with self._write() as conn:
            row = conn.execute(sa.select(runs.c.reap_attempts).where(runs.c.run_id == run_id)
                               ).scalar_one_or_none()  # fmt: skip
            attempts = int(row or 0) + 1
            stuck = attempts >= max_attempts
            backoff = min(backoff * 2 ** min(attempts - 1, 12), 3600.0)
            conn.execute(
                runs.update().where(runs.c.run_id == run_id, runs.c.claimed_by == sweeper)
                .values(reap_attempts=attempts, last_error=error, stuck=stuck,
                        next_reap_at=self._now() + backoff, claimed_by=None, claim_until=None,
                        claimed_at=None)
            )  # fmt: skip
        return stuck

    def stuck_runs(self) -> list[RunRow]:
        with self.engine.connect() as conn:
            rows = [row._mapping for row in conn.execute(sa.select(runs).where(runs.c.stuck))]
            return self._run_rows(conn, rows)
