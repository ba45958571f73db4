"""What every part of :class:`~tdm._store.Store` stands on: its engine, its transactions, its
clock, the hot path's write (:meth:`StoreBase.write`) and its named locks."""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine

from ._postgres import advisory_lock
from ._schema import leases
from ._sqlite import file_lock
from ._writes import HotSql, Write

__all__ = ["StoreBase", "is_busy"]

_BY_KEY = "SET enable_seqscan = off"
"""PostgreSQL: statements on records by id (removals, claims of a cleanup's page) read them
by key, never by reading the whole table. Statistics lag behind a table that grew fast (a
bulk of records just written): the planner then guesses a small table and scans all of it for
each few hundred ids, and a cleanup's cost grows with the ledger's size. A scan still happens
where nothing else will do."""


def is_busy(exc: BaseException) -> bool:
    """SQLite refused for now: another connection holds the lock (or one of its extended
    codes: a log in recovery, ...)."""
    return isinstance(exc, sqlite3.OperationalError) and (
        exc.sqlite_errorcode & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
    )


class StoreBase:
    """One database's engine and the means to use it."""

    def __init__(self, engine: Engine, *, location: str) -> None:
        self.engine, self.location = engine, location
        self.postgres = engine.dialect.name == "postgresql"
        self._sql = HotSql.of(self.postgres)
        self._file_locks: dict[str, threading.Lock] = {}

    def __repr__(self) -> str:
        return f"<tdm Store {self.location}>"

    def close(self) -> None:
        self.engine.dispose()

    @contextlib.contextmanager
    def _write(self, *, by_key: bool = False) -> Iterator[Connection]:
        """A write transaction (on SQLite, ``BEGIN IMMEDIATE``: writers queue up front);
        ``by_key``: its statements find records by id (see :data:`_BY_KEY`)."""
        with self.engine.connect() as conn:
            conn.info["write"] = True
            with conn.begin():
                if by_key and self.postgres:
                    conn.exec_driver_sql(_BY_KEY.replace("SET", "SET LOCAL", 1))
                yield conn

    # -- the clock ------------------------------------------------------------------------------

    def _now(self) -> sa.ColumnElement[float]:
        """Now, in epoch seconds, by the database's clock."""
        if self.postgres:
            return sa.cast(sa.func.extract("epoch", sa.func.clock_timestamp()), sa.Float)
        return sa.literal_column("((julianday('now') - 2440587.5) * 86400.0)", sa.Float)

    def now(self) -> float:
        with self.engine.connect() as conn:
            return float(conn.execute(sa.select(self._now())).scalar_one())

    def _insert(self, table: sa.Table) -> Any:
        return (postgresql if self.postgres else sqlite).insert(table)

    def _live(self, run_id: Any) -> sa.ColumnElement[bool]:
        """Some holder's lease on ``run_id`` (a value or a column) is alive."""
        return sa.exists().where(leases.c.run_id == run_id, leases.c.lease_until > self._now())

    # -- the hot path ------------------------------------------------------------------------------

    def write(self, writes: Sequence[Write]) -> list[BaseException | None]:
        """Apply ``writes`` (intents, confirms, removals, touches; any callers') in one
        transaction; if it fails, each again in a transaction of its own, so that one caller's
        fault is not another's. The outcome of each, in order: ``None`` (committed) or what it
        raised. Raises it directly when there is only one."""
        if len(writes) == 1:
            self.write_together(writes)
            return [None]
        try:
            self.write_together(writes)
            return [None] * len(writes)
        except Exception:  # noqa: BLE001 -- retried one by one, each outcome reported
            outcomes: list[BaseException | None] = []
            for each in writes:
                try:
                    self.write_together([each])
                    outcomes.append(None)
                except Exception as exc:  # noqa: BLE001 -- reported to its own caller
                    outcomes.append(exc)
            return outcomes

    def write_together(self, writes: Sequence[Write], connection: Any = None) -> None:
        """Apply ``writes`` in one transaction, on ``connection`` (one the caller keeps, from
        :meth:`own_connection`, as the writer thread does while it is busy) or on one of the
        pool's."""
        if connection is not None and self.postgres:
            self._write_autocommit(writes, connection)
            return
        with self._raw_write(connection) as cursor:
            for each in writes:
                each.apply(cursor, self._sql)

    def _write_autocommit(self, writes: Sequence[Write], connection: Any) -> None:
        """PostgreSQL, on a connection in autocommit mode: one write of one statement commits
        by itself (one round trip); anything else in ``BEGIN`` ... ``COMMIT``."""
        cursor = connection.cursor()
        if len(writes) == 1 and writes[0].single:
            writes[0].apply(cursor, self._sql)
            return
        cursor.execute("BEGIN")
        try:
            for each in writes:
                each.apply(cursor, self._sql)
            cursor.execute("COMMIT")
        except BaseException:
            with contextlib.suppress(Exception):  # a broken connection: given back broken
                cursor.execute("ROLLBACK")
            raise

    def own_connection(self) -> Any:
        """A connection of the pool for a writer to keep and pass to :meth:`write_together`
        (on PostgreSQL in autocommit mode, and finding records by key: see :data:`_BY_KEY`);
        :meth:`give_back` returns it."""
        connection: Any = self.engine.raw_connection()
        if self.postgres:
            connection.driver_connection.autocommit = True
            connection.cursor().execute(_BY_KEY)
        return connection

    def give_back(self, connection: Any) -> None:
        """Return a connection of :meth:`own_connection` to the pool as it came (one whose
        mode cannot be reset is dropped)."""
        if self.postgres:
            try:
                connection.cursor().execute("RESET enable_seqscan")
                connection.driver_connection.autocommit = False
            except Exception:  # noqa: BLE001 -- in a failed transaction, or broken: not reused
                connection.invalidate()
        connection.close()

    def write_unless_busy(self, write: Write, connection: Any) -> bool:
        """A SQLite file: apply ``write`` in a transaction of its own on ``connection`` (which
        does not wait for the file's lock), unless another writer holds the lock: then nothing
        is done (``False``). What the write raises is raised. A write of one statement
        (:attr:`Write.single`) commits by itself, in no transaction of its own: a third of the
        cost."""
        cursor = connection.cursor()
        if write.single:
            try:
                write.apply(cursor, self._sql)
            except sqlite3.OperationalError as exc:
                if is_busy(exc):  # nothing was written; the writer's thread writes it
                    return False
                raise
            return True
        try:
            cursor.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            if is_busy(exc):
                return False
            raise
        try:
            write.apply(cursor, self._sql)
            connection.commit()
        except BaseException:
            connection.rollback()
            raise
        return True

    def raw_connection(self) -> Any:
        """A DBAPI connection of the pool, for :meth:`write_together` (``close()`` returns
        it)."""
        return self.engine.raw_connection()

    @contextlib.contextmanager
    def _raw_write(self, held: Any = None, *, by_key: bool = False) -> Iterator[Any]:
        """A DBAPI cursor in a write transaction, committed when the block ends: the hot
        path's statements are plain SQL prepared once, not built and compiled per call;
        ``by_key`` as for :meth:`_write`."""
        raw = self.engine.raw_connection() if held is None else held
        try:
            cursor = raw.cursor()
            if not self.postgres:  # writers queue up front, as in ``_write``
                cursor.execute("BEGIN IMMEDIATE")
            elif by_key:
                cursor.execute(_BY_KEY.replace("SET", "SET LOCAL", 1))
            try:
                yield cursor
            except BaseException:
                raw.rollback()
                raise
            raw.commit()
        finally:
            if held is None:
                raw.close()

    # -- locks -------------------------------------------------------------------------------------

    @contextlib.contextmanager
    def lock(self, name: str) -> Iterator[None]:
        """Hold the named lock for the block, across processes (and machines on PostgreSQL)."""
        if self.postgres:
            with advisory_lock(self.engine, name):
                yield
            return
        local = self._file_locks.setdefault(name, threading.Lock())
        with file_lock(self.location, name, local):
            yield
