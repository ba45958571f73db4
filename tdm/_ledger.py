"""The ledger: a durable record of every entity tdm created and has not yet removed.

A record is written *before* the create call (state ``pending``, with the natural key that finds
the entity) and confirmed after it (state ``created``, with the entity's id). A crash between the
two leaves a pending record that cleanup reconciles by looking the entity up. A record is removed
only once its entity is gone.

The default store is a SQLite file in WAL mode: it survives crashes and restarts, and several
processes (pytest-xdist workers) share it safely. Calls run in a worker thread, one at a time.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import anyio
import anyio.to_thread
import attrs

__all__ = ["Ledger", "TrackingRecord"]

State = Literal["pending", "created"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS tracked (
    tracking_id  TEXT PRIMARY KEY,
    kind         TEXT NOT NULL,
    target       TEXT NOT NULL,
    state        TEXT NOT NULL CHECK (state IN ('pending', 'created')),
    entity_id    TEXT,
    label        TEXT,
    lookup       TEXT,
    refs         TEXT NOT NULL DEFAULT '[]',
    run_id       TEXT NOT NULL,
    session_id   TEXT NOT NULL,
    test_id      TEXT,
    scenario     TEXT,
    params       TEXT,
    seed         INTEGER,
    created_at   REAL NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    last_error   TEXT
);
CREATE INDEX IF NOT EXISTS tracked_run ON tracked (run_id);
CREATE INDEX IF NOT EXISTS tracked_session ON tracked (session_id);
CREATE INDEX IF NOT EXISTS tracked_created ON tracked (created_at);
"""

_COLUMNS = (
    "tracking_id", "kind", "target", "state", "entity_id", "label", "lookup", "refs",
    "run_id", "session_id", "test_id", "scenario", "params", "seed", "created_at",
    "attempts", "last_error",
)  # fmt: skip


_CHUNK = 500  # tracking ids per query, well under SQLite's limit on parameters


@attrs.frozen(kw_only=True)
class TrackingRecord:
    """One tracked entity: what it is, where it lives, who made it and how."""

    tracking_id: str
    kind: str
    target: str
    state: State
    entity_id: str | None
    label: str | None
    lookup: Mapping[str, Any] | None
    refs: tuple[tuple[str, str], ...]
    run_id: str
    session_id: str
    test_id: str | None
    scenario: str | None
    params: Mapping[str, Any] | None
    seed: int | None
    created_at: datetime
    attempts: int = 0
    last_error: str | None = None

    def _row(self) -> tuple[Any, ...]:
        return (
            self.tracking_id, self.kind, self.target, self.state, self.entity_id, self.label,
            None if self.lookup is None else json.dumps(self.lookup),
            json.dumps([list(r) for r in self.refs]),
            self.run_id, self.session_id, self.test_id, self.scenario,
            None if self.params is None else json.dumps(self.params, default=str),
            self.seed, self.created_at.timestamp(), self.attempts, self.last_error,
        )  # fmt: skip

    @classmethod
    def _from_row(cls, row: Sequence[Any]) -> TrackingRecord:
        values = dict(zip(_COLUMNS, row, strict=True))
        values["lookup"] = None if values["lookup"] is None else json.loads(values["lookup"])
        values["refs"] = tuple(tuple(r) for r in json.loads(values["refs"]))
        values["params"] = None if values["params"] is None else json.loads(values["params"])
        values["created_at"] = datetime.fromtimestamp(values["created_at"], UTC)
        return cls(**values)


@attrs.frozen(kw_only=True)
class _Filter:
    tracking_ids: Sequence[str] | None = None
    run_id: str | None = None
    session_id: str | None = None
    kind: str | None = None
    created_before: datetime | None = None
    exclude_runs: Sequence[str] = ()

    def where(self) -> tuple[str, list[Any]]:
        clauses: list[str] = []
        args: list[Any] = []
        if self.tracking_ids is not None:
            clauses.append(f"tracking_id IN ({','.join('?' * len(self.tracking_ids))})")
            args.extend(self.tracking_ids)
        for column in ("run_id", "session_id", "kind"):
            value = getattr(self, column)
            if value is not None:
                clauses.append(f"{column} = ?")
                args.append(value)
        if self.created_before is not None:
            clauses.append("created_at < ?")
            args.append(self.created_before.timestamp())
        if self.exclude_runs:
            clauses.append(f"run_id NOT IN ({','.join('?' * len(self.exclude_runs))})")
            args.extend(self.exclude_runs)
        return (" WHERE " + " AND ".join(clauses)) if clauses else "", args


class Ledger:
    """The tracking records, stored in a SQLite file (``":memory:"`` keeps them in memory)."""

    def __init__(self, path: str | Path) -> None:
        self.path = path
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(
            str(path), timeout=30.0, isolation_level=None, check_same_thread=False
        )
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        self._lock = threading.Lock()
        self._limiter = anyio.CapacityLimiter(1)

    def __repr__(self) -> str:
        return f"<tdm.Ledger path={str(self.path)!r}>"

    def close(self) -> None:
        self._db.close()

    async def _call(self, sql: str, args: Sequence[Any] = (), *, many: bool = False) -> list[Any]:
        def work() -> list[Any]:
            with self._lock:
                if many:
                    self._db.executemany(sql, args)
                    return []
                return self._db.execute(sql, args).fetchall()

        return await anyio.to_thread.run_sync(work, limiter=self._limiter)

    async def add(self, record: TrackingRecord) -> None:
        """Write a record (normally ``pending``, before the entity is created)."""
        marks = ",".join("?" * len(_COLUMNS))
        sql = f"INSERT INTO tracked ({','.join(_COLUMNS)}) VALUES ({marks})"  # noqa: S608
        await self._call(sql, record._row())

    async def confirm(self, record: TrackingRecord, entity_id: str, label: str | None) -> None:
        """The entity exists: note its id and mark the record ``created``.

        If the record is gone (a cleanup elsewhere looked for the entity while its create was
        still in flight, found nothing and dropped the intent), it is written again: an entity
        never exists without its record.
        """
        confirmed = attrs.evolve(
            record, state="created", entity_id=entity_id, label=label or record.label
        )
        columns = ",".join(_COLUMNS)
        marks = ",".join("?" * len(_COLUMNS))
        sql = (
            f"INSERT INTO tracked ({columns}) VALUES ({marks}) ON CONFLICT (tracking_id) "  # noqa: S608
            "DO UPDATE SET state='created', entity_id=excluded.entity_id, "
            "label=COALESCE(excluded.label, tracked.label)"
        )
        await self._call(sql, confirmed._row())

    async def remove(self, tracking_ids: Iterable[str]) -> None:
        """Forget records whose entities are gone."""
        await self._call(
            "DELETE FROM tracked WHERE tracking_id=?", [(t,) for t in tracking_ids], many=True
        )

    async def note_failure(self, tracking_id: str, error: str) -> None:
        """A delete failed: count the attempt and keep the reason."""
        await self._call(
            "UPDATE tracked SET attempts=attempts+1, last_error=? WHERE tracking_id=?",
            (error, tracking_id),
        )

    async def select(
        self,
        *,
        tracking_ids: Sequence[str] | None = None,
        run_id: str | None = None,
        session_id: str | None = None,
        kind: str | None = None,
        created_before: datetime | None = None,
        exclude_runs: Sequence[str] = (),
        limit: int | None = None,
        offset: int = 0,
    ) -> list[TrackingRecord]:
        """Records matching every given filter, oldest first."""
        if tracking_ids is not None and len(tracking_ids) > _CHUNK:
            found: list[TrackingRecord] = []
            for start in range(0, len(tracking_ids), _CHUNK):
                found += await self.select(
                    tracking_ids=tracking_ids[start : start + _CHUNK], run_id=run_id,
                    session_id=session_id, kind=kind, created_before=created_before,
                    exclude_runs=exclude_runs,
                )  # fmt: skip
            found.sort(key=lambda r: r.created_at)
            return found[offset:][:limit] if limit is not None else found[offset:]
        where, args = _Filter(
            tracking_ids=tracking_ids, run_id=run_id, session_id=session_id, kind=kind,
            created_before=created_before, exclude_runs=exclude_runs,
        ).where()  # fmt: skip
        page = f" LIMIT {int(limit)} OFFSET {int(offset)}" if limit is not None else ""
        rows = await self._call(
            f"SELECT {','.join(_COLUMNS)} FROM tracked{where} ORDER BY created_at, rowid{page}",  # noqa: S608
            args,
        )
        return [TrackingRecord._from_row(r) for r in rows]

    async def count(self, *, run_id: str | None = None, kind: str | None = None) -> int:
        where, args = _Filter(run_id=run_id, kind=kind).where()
        rows = await self._call(f"SELECT COUNT(*) FROM tracked{where}", args)  # noqa: S608
        return int(rows[0][0])
