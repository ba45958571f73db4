"""The ledger in a SQLite file: one machine's processes share it. Writers take the file's lock
up front (``BEGIN IMMEDIATE``), named locks are files beside it, and the clock is the OS clock
of the one machine the file lives on."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

__all__ = ["NOW", "file_lock", "memory_engine", "sqlite_engine"]

NOW = "((julianday('now') - 2440587.5) * 86400.0)"
"""Now, in epoch seconds, in SQL."""


def memory_engine() -> Engine:
    """An in-memory database: one connection, shared by every thread."""
    engine = sa.create_engine("sqlite://", poolclass=sa.pool.StaticPool,
                              connect_args={"check_same_thread": False})  # fmt: skip
    return _ready(engine)


def sqlite_engine(path: Path) -> Engine:
    path.parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(f"sqlite:///{path}", connect_args={"timeout": 30,
                              "check_same_thread": False, "isolation_level": None})  # fmt: skip
    return _ready(engine)


def _ready(engine: Engine) -> Engine:
    @sa.event.listens_for(engine, "connect")
    def _pragmas(connection: Any, _: Any) -> None:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")
        connection.execute("PRAGMA busy_timeout=30000")

    @sa.event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        # Writers queue up front instead of failing with "database is locked" mid-transaction.
        write = connection.info.get("write")
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine


@contextlib.contextmanager
def file_lock(location: str, name: str, local: threading.Lock) -> Iterator[None]:
    """Hold the named lock beside the file at ``location`` (``local``: this process's threads
    queue on it first)."""
    path = Path(f"{location}.{hashlib.sha256(name.encode()).hexdigest()[:12]}.lock")
    with local, path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
