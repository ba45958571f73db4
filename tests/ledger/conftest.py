"""Ledgers for the store's own tests: a SQLite file and a fresh PostgreSQL database, each test
on both; and the manager of the :mod:`things` system on such a ledger."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

import tdm

from .things import Things, registry, things_settings


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def ledger_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Where the ledger is: a SQLite file, then a PostgreSQL database."""
    if request.param == "sqlite":
        return str(tmp_path / "ledger.sqlite3")
    return str(request.getfixturevalue("pg_ledger"))


@pytest.fixture
def things(tmp_path: Path) -> Iterator[Things]:
    found = Things(tmp_path / "things.sqlite3")
    yield found
    found.close()


@pytest.fixture
async def manager(ledger_url: str, things: Things) -> AsyncIterator[tdm.Manager]:
    manager = tdm.Manager(things_settings(ledger_url, things), registry=registry)
    yield manager
    manager.leases.stop()
    manager.ledger.close()
