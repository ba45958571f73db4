"""Where the ledger lives: a SQLite file (one machine, :mod:`tdm._sqlite`) or a PostgreSQL
database (many, :mod:`tdm._postgres`), one schema for both (:mod:`tdm._schema`), with
migrations (:mod:`tdm._migrations`).

:class:`Store` speaks SQL through SQLAlchemy Core and is synchronous: :class:`~tdm.Ledger`
calls it from worker threads (intents, confirms and touches from its writer thread), and lease
keepers from their own threads. The hot path (a record's intent and confirm, a session's and a
request's run writes) is plain SQL made once per dialect and run on the driver's cursor
(:mod:`tdm._writes`). Every time it stores comes from the database's clock
(``clock_timestamp()`` on PostgreSQL; the OS clock of the one machine a SQLite file lives
on), never a client's.

Its parts, one concept each: records written (:mod:`tdm._store_records`) and read
(:mod:`tdm._store_queries`, rows converted by :mod:`tdm._rows`), runs and their leases
(:mod:`tdm._store_runs`, :mod:`tdm._run_rows`), idempotency keys
(:mod:`tdm._store_idempotency`).
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from ._errors import ConfigError
from ._migrations import Migrations
from ._postgres import SCHEMES, postgres_engine
from ._run_rows import Lease, RunRow
from ._schema import SCHEMA_VERSION
from ._sqlite import memory_engine, sqlite_engine
from ._store_idempotency import Idempotency
from ._store_queries import Cursor, Filter, Queries
from ._store_records import RecordWrites
from ._store_runs import Runs
from ._writes import Write

__all__ = [
    "SCHEMA_VERSION", "Cursor", "Filter", "Lease", "RunRow", "Store", "Write", "is_url",
    "open_store",
]  # fmt: skip


class Store(Migrations, RecordWrites, Queries, Runs, Idempotency):
    """The ledger's tables in one database, and the operations tdm needs on them."""


def is_url(location: str) -> bool:
    return "://" in location


def open_store(location: str | Path) -> Store:
    """The store at ``location``: a file path (SQLite), ``sqlite:///path`` or
    ``postgresql://...``. Anything else is a :class:`ConfigError`, never a file named like a
    URL."""
    text = str(location)
    if text == ":memory:":
        return Store(memory_engine(), location=text)
    if is_url(text):
        scheme = text.split("://", 1)[0].lower()
        if scheme in SCHEMES:
            url = sa.engine.make_url(text).set(drivername="postgresql+psycopg")
            return Store(postgres_engine(url), location=url.render_as_string(hide_password=True))
        if scheme == "sqlite":
            return open_store(sa.engine.make_url(text).database or ":memory:")
        raise ConfigError("TDM_LEDGER", text, "a file path, sqlite:///PATH or "
                          "postgresql://USER@HOST/DATABASE")  # fmt: skip
    path = Path(text)
    return Store(sqlite_engine(path), location=str(path))
