"""Fixtures that run tdm against the real reference shop, on SQLite and on PostgreSQL.

Outcomes are checked through the shop itself (its admin API and its database) by
:class:`Inspector`, never through tdm's own memory.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
import pytest

import tdm
import tdm_scenarios
from tdm_sut import ShopSettings, ShopThread

from .support import Inspector

PG_SERVER = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"


@pytest.fixture(scope="session")
def pg_backend_urls() -> Iterator[tuple[str, str]]:
    """Fresh PostgreSQL databases for the shop's two services, dropped afterwards."""
    base = f"tdm_shop_{uuid.uuid4().hex[:10]}"
    names = (f"{base}_auth", f"{base}_backend")
    with psycopg.connect(PG_SERVER, autocommit=True) as connection:
        for name in names:
            connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield tuple(f"postgresql://postgres@127.0.0.1:5432/{n}" for n in names)  # type: ignore[misc]
    finally:
        with psycopg.connect(PG_SERVER, autocommit=True) as connection:
            for name in names:
                connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def start_shop(data_dir: Path, **changes: Any) -> ShopThread:
    settings = ShopSettings(
        auth_port=0, backend_port=0, data_dir=data_dir, scrypt_n=2**10, **changes
    )
    return ShopThread(settings)


@contextmanager
def _inspected(data_dir: Path, **changes: Any) -> Iterator[Inspector]:
    with start_shop(data_dir, **changes) as thread:
        inspector = Inspector(thread)
        yield inspector
        inspector.close()


@pytest.fixture(scope="session")
def sqlite_shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Inspector]:
    """The running shop on SQLite files, and an inspector for it."""
    with _inspected(tmp_path_factory.mktemp("shop-sqlite")) as inspector:
        yield inspector


@pytest.fixture(scope="session")
def postgres_shop(
    tmp_path_factory: pytest.TempPathFactory, pg_backend_urls: tuple[str, str]
) -> Iterator[Inspector]:
    """The running shop on PostgreSQL databases, and an inspector for it."""
    auth_url, backend_url = pg_backend_urls
    data_dir = tmp_path_factory.mktemp("shop-postgres")
    with _inspected(data_dir, auth_db_url=auth_url, backend_db_url=backend_url) as inspector:
        yield inspector


@pytest.fixture(
    scope="session", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def shop(request: pytest.FixtureRequest) -> Inspector:
    """The running shop, once on SQLite and once on PostgreSQL (folders that need only one
    override this fixture with ``sqlite_shop``)."""
    inspector: Inspector = request.getfixturevalue(f"{request.param}_shop")
    return inspector


@pytest.fixture
def ledger_path(tmp_path: Path) -> Path:
    return tmp_path / "ledger.sqlite3"


@pytest.fixture
async def manager(shop: Inspector, ledger_path: Path) -> AsyncIterator[tdm.Manager]:
    """tdm on the shop's catalog, with database access for orders, on a ledger of its own."""
    settings = tdm.Settings(
        ledger_path=ledger_path, run_id=f"run-{uuid.uuid4().hex[:8]}", env=shop.env()
    )
    manager = tdm.Manager(settings, registry=tdm_scenarios.registry)
    yield manager
    manager.ledger.close()


@pytest.fixture
async def seeded(manager: tdm.Manager) -> tdm_scenarios.SeedResult:
    """The baseline is in the shop (idempotent, kept across tests)."""
    return await tdm_scenarios.seed(manager)
