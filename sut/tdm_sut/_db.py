"""Async SQLAlchemy engines for the shop's two databases.

``sqlite:///path`` runs on aiosqlite with foreign keys on, WAL and ``BEGIN IMMEDIATE``
transactions (writers queue instead of failing); ``postgresql://`` runs on psycopg 3.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import AsyncAdaptedQueuePool

_ASYNC_DRIVERS = {
    "sqlite": "sqlite+aiosqlite",
    "postgresql": "postgresql+psycopg",
    "postgres": "postgresql+psycopg",
}


def async_url(url: str) -> URL:
    """``url`` with the async driver the shop uses for its kind of database."""
    parsed = make_url(url)
    driver = _ASYNC_DRIVERS.get(parsed.get_backend_name())
    if driver is None:
        raise ValueError(f"unsupported database URL {parsed!r}: use sqlite:/// or postgresql://")
    return parsed.set(drivername=driver)


def _sqlite_memory(url: URL) -> bool:
    return url.database in (None, "", ":memory:")


def create_engine(url: str) -> AsyncEngine:
    """An engine for ``url``; for a SQLite file, its folder is created."""
    parsed = async_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_async_engine(parsed)
    if _sqlite_memory(parsed):
        # One database per connection: keep exactly one, and let requests queue for it.
        engine = create_async_engine(
            parsed, poolclass=AsyncAdaptedQueuePool, pool_size=1, max_overflow=0
        )
    else:
        assert parsed.database is not None
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(parsed, connect_args={"timeout": 15})
    event.listen(engine.sync_engine, "connect", _on_sqlite_connect)
    event.listen(engine.sync_engine, "begin", _on_sqlite_begin)
    return engine


def _on_sqlite_connect(dbapi_connection: Any, connection_record: Any) -> None:
    # Leave transactions to the "begin" hook so they can start with BEGIN IMMEDIATE.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _on_sqlite_begin(connection: sa.Connection) -> None:
    connection.exec_driver_sql("BEGIN IMMEDIATE")


async def create_schema(engine: AsyncEngine, metadata: sa.MetaData) -> None:
    async with engine.begin() as connection:
        await connection.run_sync(metadata.create_all)


def utc_now() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    """ISO 8601 in UTC; a naive value (SQLite) is taken to be UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
