"""Reading records: which (:class:`Filter`), all at once (:meth:`Queries.select`) or a page
at a time, newest first (:meth:`Queries.page`)."""

from __future__ import annotations

from collections.abc import Container, Sequence
from datetime import datetime

import attrs
import sqlalchemy as sa

from ._records import TrackingRecord
from ._rows import RECORD_COLUMNS, record_of
from ._schema import CHUNK, leases, tracked
from ._store_base import StoreBase

__all__ = ["Cursor", "Filter", "Queries"]

Cursor = tuple[float, str]
"""Where a page of records ends: its last record's creation time (as stored) and tracking
id; the next page is what comes after it in ``(created_at, tracking_id)`` order, newest
first."""


@attrs.frozen(kw_only=True)
class Filter:
    """Which records a query is about; every given condition must hold."""

    tracking_ids: Sequence[str] | None = None
    run_id: str | None = None
    session_id: str | None = None
    kind: str | None = None
    created_before: datetime | None = None
    exclude_runs: Sequence[str] = ()
    registries: Sequence[str] | None = None
    entity_ids: Sequence[str] | None = None
    spare_held_runs: bool = False
    """Leave out runs with a live lease (what age-based cleanup never touches)."""
    written_before: float | None = None
    """Only records the ledger wrote before this time (its clock): what a reaper's claim
    covers."""


class Queries(StoreBase):
    """What the ledger holds, filtered."""

    def _where(
        self, f: Filter, *, indexed: Container[str] = ("run_id", "session_id", "kind")
    ) -> list[sa.ColumnElement[bool]]:
        """The conditions of ``f``; its equalities on columns not ``indexed`` use no index (so
        the database walks the one the query is ordered by)."""
        clauses: list[sa.ColumnElement[bool]] = []
        if f.tracking_ids is not None:
            clauses.append(tracked.c.tracking_id.in_(list(f.tracking_ids)))
        if f.entity_ids is not None:
            clauses.append(tracked.c.entity_id.in_(list(f.entity_ids)))
        for column in ("run_id", "session_id", "kind"):
            value = getattr(f, column)
            if value is not None:
                column_value = tracked.c[column]
                clauses.append(
                    (column_value if column in indexed else column_value.concat("")) == value
                )
        if f.created_before is not None:
            clauses.append(tracked.c.created_at < f.created_before.timestamp())
        if f.exclude_runs:
            clauses.append(tracked.c.run_id.not_in(list(f.exclude_runs)))
        if f.registries is not None:
            # Records from before kinds had registries ('') belong to whichever defines them.
            clauses.append(tracked.c.registry.in_(["", *f.registries]))
        if f.spare_held_runs:
            held = sa.select(leases.c.run_id).where(leases.c.lease_until > self._now())
            clauses.append(tracked.c.run_id.not_in(held))
        if f.written_before is not None:
            clauses.append(sa.func.coalesce(tracked.c.written_at, 0) < f.written_before)
        return clauses

    def select(
        self, f: Filter, *, limit: int | None = None, offset: int = 0
    ) -> list[TrackingRecord]:
        if f.tracking_ids is not None and len(f.tracking_ids) > CHUNK:
            found: list[TrackingRecord] = []
            for start in range(0, len(f.tracking_ids), CHUNK):
                chunk = attrs.evolve(f, tracking_ids=f.tracking_ids[start : start + CHUNK])
                found += self.select(chunk)
            found.sort(key=lambda r: r.created_at)
            return found[offset:][:limit] if limit is not None else found[offset:]
        query = (
            sa.select(*RECORD_COLUMNS).where(*self._where(f))
            .order_by(tracked.c.created_at, tracked.c.tracking_id).offset(offset)
        )  # fmt: skip
        if limit is not None:
            query = query.limit(limit)
        with self.engine.connect() as conn:
            return [record_of(row) for row in conn.execute(query)]

    def page(
        self, f: Filter, *, before: Cursor | None, limit: int
    ) -> tuple[list[TrackingRecord], Cursor | None]:
        """Up to ``limit`` records, newest first (children before the parents they were made
        from), older than the cursor ``before``; and the cursor that continues after them
        (``None``: none are left). Keyset paging: each page costs the same however deep it is,
        and a record that stays (a failed delete) is never read twice."""
        # Each page walks an index in its own order from the cursor and stops at the limit
        # (no sort): a run's records ``(run_id, created_at, tracking_id)``, others
        # ``(created_at, tracking_id)``. Other equalities use no index: with a session's
        # index, every page would read all of the session's rows again to sort them.
        query = sa.select(*RECORD_COLUMNS).where(*self._where(f, indexed=("run_id",)))
        if before is not None:
            query = query.where(
                sa.tuple_(tracked.c.created_at, tracked.c.tracking_id) < sa.tuple_(*before)
            )
        order = (tracked.c.created_at.desc(), tracked.c.tracking_id.desc())
        query = query.order_by(*order).limit(limit)
        with self.engine.connect() as conn:
            if self.postgres:
                # Statistics lag behind a table that grew fast (a bulk of records just written):
                # the planner then guesses few rows and sorts all of a run's instead of reading
                # the index in order. This transaction sorts only if nothing else will do.
                conn.exec_driver_sql("SET LOCAL enable_sort = off")
            rows = conn.execute(query).all()
        records = [record_of(row) for row in rows]
        if len(rows) < limit:
            return records, None
        last = rows[-1]
        return records, (last.created_at, last.tracking_id)

    def count(self, f: Filter) -> int:
        query = sa.select(sa.func.count()).select_from(tracked).where(*self._where(f))
        with self.engine.connect() as conn:
            return int(conn.execute(query).scalar_one())

    def secret(self, registry: str, kind: str, entity_id: str) -> str | None:
        query = sa.select(tracked.c.secret).where(
            tracked.c.kind == kind, tracked.c.entity_id == entity_id,
            tracked.c.registry.in_(["", registry]), tracked.c.secret.is_not(None),
        ).limit(1)  # fmt: skip
        with self.engine.connect() as conn:
            found = conn.execute(query).scalar_one_or_none()
        return None if found is None else str(found)
