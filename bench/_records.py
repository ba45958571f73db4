"""What a hand-written script that removes exactly what it made writes, in raw SQL with the
driver alone (``sqlite3``, ``psycopg``): an intent before each create, its confirm after it,
the records' removal once the entities are gone, each statement its own transaction. The
baseline of :mod:`bench.ledger`'s raw rows and what
:meth:`bench.baseline_script.ByHand.recorded` records. A module of its own, so that
:mod:`bench.profile` counts its time as SQL."""

from __future__ import annotations

import json
import sqlite3
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg

import tdm

__all__ = ["RawRecords"]

_INSERT = (
    "INSERT INTO tracked (tracking_id, registry, kind, target, state, lookup, refs, run_id,"
    " session_id, seed, created_at, attempts, written_at) VALUES ({})"
)
_CONFIRM = (
    "UPDATE tracked SET state = 'created', entity_id = {0}, label = {0} WHERE tracking_id = {0}"
)
_REMOVE = "DELETE FROM tracked WHERE tracking_id IN ({})"


class RawRecords:
    """The three writes on the ledger at ``location`` (a SQLite file or a ``postgresql://``
    URL whose schema :class:`tdm.Ledger` made), with the driver alone."""

    def __init__(self, location: str) -> None:
        self.postgres = "://" in location
        self.mark = "%s" if self.postgres else "?"
        self.insert = _INSERT.format(", ".join([self.mark] * 13))
        self.confirm_sql = _CONFIRM.format(self.mark)
        self.run_id = uuid.uuid4().hex
        if self.postgres:
            self.conn: Any = psycopg.connect(location, autocommit=True)
        else:
            self.conn = sqlite3.connect(location, isolation_level=None)
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=NORMAL")

    @classmethod
    @contextmanager
    def in_temporary_file(cls) -> Iterator[RawRecords]:
        """On a SQLite ledger of its own, removed afterwards."""
        with tempfile.TemporaryDirectory() as tmp:
            path = str(Path(tmp) / "records.sqlite3")
            tdm.Ledger(path).close()  # the ledger's schema
            records = cls(path)
            try:
                yield records
            finally:
                records.close()

    def intent(self, kind: str, key: str) -> str:
        """The record of a create about to be sent, found again by ``key``; its id."""
        tracking_id, now = uuid.uuid4().hex, time.time()
        self.conn.execute(self.insert, (
            tracking_id, "bench", kind, "shop", "pending", json.dumps({"key": key}), "[]",
            self.run_id, self.run_id, 1, now, 0, now,
        ))  # fmt: skip
        return tracking_id

    def confirm(self, tracking_id: str, entity_id: str, label: str | None = None) -> None:
        self.conn.execute(self.confirm_sql, (entity_id, label, tracking_id))

    def remove(self, tracking_ids: Sequence[str]) -> None:
        marks = ", ".join([self.mark] * len(tracking_ids))
        self.conn.execute(_REMOVE.format(marks), list(tracking_ids))

    def close(self) -> None:
        self.conn.close()
