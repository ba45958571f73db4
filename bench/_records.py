"""What a hand-written script that removes exactly what it made must record: for
:meth:`bench.baseline_script.ByHand.recorded`. A module of its own, so that
:mod:`bench.profile` counts its time as SQL."""

from __future__ import annotations

import json
import sqlite3
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from tdm._rows import INTENT_COLUMNS
from tdm._schema import metadata
from tdm._writes import HotSql

__all__ = ["Records"]


class Records:
    """A hand-written script's records of what it made, in a SQLite file with the ledger's
    schema: an intent before each create, its confirm after it, their removal at the end."""

    def __init__(self, path: Path) -> None:
        engine = sa.create_engine(f"sqlite:///{path}")
        metadata.create_all(engine)
        engine.dispose()
        self.conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=NORMAL")
        self.sql = HotSql.of(postgres=False)
        self.run_id = uuid.uuid4().hex

    @classmethod
    @contextmanager
    def in_temporary_file(cls) -> Iterator[Records]:
        with tempfile.TemporaryDirectory() as tmp:
            records = cls(Path(tmp) / "records.sqlite3")
            try:
                yield records
            finally:
                records.conn.close()

    def intent(self, kind: str, key: str) -> str:
        """The record of a create about to be sent, found again by ``key``; its id."""
        row: dict[str, Any] = dict.fromkeys(INTENT_COLUMNS)
        row.update(tracking_id=uuid.uuid4().hex, registry="bench", kind=kind, target="shop",
                   state="pending", lookup=json.dumps({"key": key}), refs="[]", run_id=self.run_id,
                   session_id=self.run_id, created_at=time.time(), attempts=0)  # fmt: skip
        self.conn.execute(self.sql.insert, row)
        return str(row["tracking_id"])

    def confirm(self, tracking_id: str, entity_id: int) -> None:
        self.conn.execute(self.sql.confirm, {"tracking_id": tracking_id,
                          "entity_id": str(entity_id), "label": None, "secret": None})  # fmt: skip

    def remove(self, tracking_ids: list[str]) -> None:
        self.conn.execute(self.sql.by_ids("remove", len(tracking_ids)), tracking_ids)
