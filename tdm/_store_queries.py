"""Reading records: which (:class:`Filter`), all at once (:meth:`Queries.select`) or a page
at a time, newest first (:meth:`Queries.page`)."""

from __future__ import annotations

from collections.abc import Container, Sequence
from datetime import datetime
from typing import Any

import attrs
import sqlalchemy as sa

from ._records import TrackingRecord
from ._rows import RECORD_COLUMNS, record_of
from ._schema import CHUNK, tracked
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
    """What the ledger holds, filtered: plain SQL made from the filter (the hot path reads a
    session's records per scenario; SQLAlchemy would build, key and compile a statement and
    process its rows on every call, ten times the cost of the query)."""

    def _where(
        self, f: Filter, *, indexed: Container[str] = ("run_id", "session_id", "kind")
    ) -> tuple[str, list[Any]]:
        """The conditions of ``f`` in SQL, and their parameters in order; its equalities on
        columns not ``indexed`` use no index (so the database walks the one the query is
        ordered by)."""
        mark = self._sql.mark
        clauses: list[str] = []
        params: list[Any] = []

        def among(column: str, values: Sequence[Any], *, negated: bool = False) -> None:
            if not values:  # nothing is among none; everything is outside none
                clauses.append("1 = 1" if negated else "1 = 0")
                return
            clauses.append(f"{column} {'NOT IN' if negated else 'IN'} "
                           f"({', '.join([mark] * len(values))})")  # fmt: skip
            params.extend(values)

        if f.tracking_ids is not None:
            among("tracking_id", list(f.tracking_ids))
        if f.entity_ids is not None:
            among("entity_id", list(f.entity_ids))
        for column in ("run_id", "session_id", "kind"):
            value = getattr(f, column)
            if value is not None:
                clauses.append(f"{column if column in indexed else f'({column} || {_EMPTY})'}"
                               f" = {mark}")  # fmt: skip
                params.append(value)
        if f.created_before is not None:
            clauses.append(f"created_at < {mark}")
            params.append(f.created_before.timestamp())
        if f.exclude_runs:
            among("run_id", list(f.exclude_runs), negated=True)
        if f.registries is not None:
            # Records from before kinds had registries ('') belong to whichever defines them.
            among("registry", ["", *f.registries])
        if f.spare_held_runs:
            held = f"SELECT run_id FROM tdm_leases WHERE lease_until > {self._sql.now}"  # noqa: S608
            clauses.append(f"run_id NOT IN ({held})")
        if f.written_before is not None:
            clauses.append(f"COALESCE(written_at, 0) < {mark}")
            params.append(f.written_before)
        return " AND ".join(clauses) or "1 = 1", params

    def _read(
        self, sql: str, params: Sequence[Any], *, setting: str | None = None,
        connection: Any = None,
    ) -> list[Any]:  # fmt: skip
        """The rows of one query, on ``connection`` or one of the pool's (``setting``: a
        PostgreSQL setting for this query's transaction)."""
        if connection is not None:
            cursor = connection.cursor()
            cursor.execute(sql, params)
            return list(cursor.fetchall())
        raw = self.engine.raw_connection()
        try:
            cursor = raw.cursor()
            if setting is not None and self.postgres:
                cursor.execute(f"SET LOCAL {setting}")
            cursor.execute(sql, params)
            return list(cursor.fetchall())
        finally:
            raw.close()  # back to the pool, its transaction (if any) rolled back

    def select(
        self, f: Filter, *, limit: int | None = None, offset: int = 0, connection: Any = None
    ) -> list[TrackingRecord]:
        """Records of ``f``, oldest first (on ``connection``, a SQLite connection of the
        caller's, or one of the pool's)."""
        if f.tracking_ids is not None and len(f.tracking_ids) > CHUNK:
            found: list[TrackingRecord] = []
            for start in range(0, len(f.tracking_ids), CHUNK):
                chunk = attrs.evolve(f, tracking_ids=f.tracking_ids[start : start + CHUNK])
                found += self.select(chunk)
            found.sort(key=lambda r: r.created_at)
            return found[offset:][:limit] if limit is not None else found[offset:]
        where, params = self._where(f)
        sql = f"SELECT {_COLUMNS} FROM tracked WHERE {where} ORDER BY created_at, tracking_id"  # noqa: S608 -- names
        if limit is not None or offset:
            mark = self._sql.mark
            sql += f" LIMIT {mark} OFFSET {mark}"
            params += [limit if limit is not None else _NO_LIMIT, offset]
        return [record_of(row) for row in self._read(sql, params, connection=connection)]

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
        where, params = self._where(f, indexed=("run_id",))
        mark = self._sql.mark
        if before is not None:
            where += f" AND (created_at, tracking_id) < ({mark}, {mark})"
            params += list(before)
        sql = (
            f"SELECT {_COLUMNS} FROM tracked WHERE {where} "  # noqa: S608 -- names
            f"ORDER BY created_at DESC, tracking_id DESC LIMIT {mark}"
        )
        # Statistics lag behind a table that grew fast (a bulk of records just written): the
        # planner then guesses few rows and sorts all of a run's instead of reading the index
        # in order. This transaction sorts only if nothing else will do.
        rows = self._read(sql, [*params, limit], setting="enable_sort = off")
        records = [record_of(row) for row in rows]
        if len(rows) < limit:
            return records, None
        last = records[-1]
        return records, (rows[-1][_CREATED_AT], last.tracking_id)

    def count(self, f: Filter) -> int:
        where, params = self._where(f)
        (row,) = self._read(f"SELECT COUNT(*) FROM tracked WHERE {where}", params)  # noqa: S608
        return int(row[0])

    def secret(self, registry: str, kind: str, entity_id: str) -> str | None:
        query = sa.select(tracked.c.secret).where(
            tracked.c.kind == kind, tracked.c.entity_id == entity_id,
            tracked.c.registry.in_(["", registry]), tracked.c.secret.is_not(None),
        ).limit(1)  # fmt: skip
        with self.engine.connect() as conn:
            found = conn.execute(query).scalar_one_or_none()
        return None if found is None else str(found)


_COLUMNS = ", ".join(column.name for column in RECORD_COLUMNS)
_CREATED_AT = [column.name for column in RECORD_COLUMNS].index("created_at")
_EMPTY = "''"
_NO_LIMIT = 2**62
"""A limit that is none (SQLite takes an offset only after a limit)."""
