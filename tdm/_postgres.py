"""The ledger in a PostgreSQL database: every machine and every replica shares it. Named locks
are advisory locks, and the clock is the server's (``clock_timestamp()``)."""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterator

import sqlalchemy as sa
from sqlalchemy.engine import URL, Engine

__all__ = ["NOW", "SCHEMES", "advisory_lock", "lock_id", "postgres_engine"]

NOW = "CAST(EXTRACT(EPOCH FROM clock_timestamp()) AS FLOAT)"
"""Now, in epoch seconds, in SQL."""

SCHEMES = ("postgresql", "postgres", "postgresql+psycopg")


def postgres_engine(url: URL) -> Engine:
    return sa.create_engine(url, pool_size=2, max_overflow=4, pool_pre_ping=True,
                            pool_recycle=300)  # fmt: skip


def lock_id(name: str) -> int:
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


@contextlib.contextmanager
def advisory_lock(engine: Engine, name: str) -> Iterator[None]:
    """Hold the named lock for the block, across machines."""
    with engine.connect() as conn:
        conn.execute(sa.select(sa.func.pg_advisory_lock(lock_id(name))))
        try:
            yield
        finally:
            conn.execute(sa.select(sa.func.pg_advisory_unlock(lock_id(name))))
            conn.commit()
