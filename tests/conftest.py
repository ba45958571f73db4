"""Fixtures that run tdm against the real reference shop, on SQLite and on PostgreSQL.

Outcomes are checked through the shop itself (its admin API and its database) by
:class:`Inspector`, never through tdm's own memory.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpcore2  # noqa: F401 -- see below
import psycopg
import pytest

import tdm
import tdm_scenarios
from tdm_sut import ShopSettings, ShopThread

from .support import Inspector

# The suite decides what every tdm it runs reaches: a `tdm serve --demo` someone runs in this
# checkout is not picked up through .tdm/demo.env (tests of that file set their own
# environment), and the demo shops tests start take free ports, never the design's 8000/8001.
os.environ["TDM_DEMO_ENV"] = "off"
os.environ["SUT_AUTH_PORT"] = os.environ["SUT_BACKEND_PORT"] = "0"

# httpx2 imports httpcore2 on first use and maps its exceptions by class from then on. Were
# that first use inside an in-process pytester run, the run's end would drop the module and
# later connection errors would escape unmapped: import it once, for the whole session.

PG_SERVER = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"
PG_URL = "postgresql://postgres@127.0.0.1:5432/{name}"


@pytest.fixture(scope="session")
def pg_shop_databases() -> Iterator[Callable[[], tuple[str, str]]]:
    """Makes fresh PostgreSQL databases for a shop's two services, ``(auth_url, backend_url)``,
    a new pair on each call (no two shops share one), and drops them all after the session."""
    names: list[str] = []

    def make() -> tuple[str, str]:
        base = f"tdm_shop_{uuid.uuid4().hex[:10]}"
        pair = (f"{base}_auth", f"{base}_backend")
        with psycopg.connect(PG_SERVER, autocommit=True) as connection:
            for name in pair:
                connection.execute(f'CREATE DATABASE "{name}"')
                names.append(name)
        return PG_URL.format(name=pair[0]), PG_URL.format(name=pair[1])

    try:
        yield make
    finally:
        if names:
            with psycopg.connect(PG_SERVER, autocommit=True) as connection:
                for name in names:
                    connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def pg_ledger() -> Iterator[str]:
    """A fresh PostgreSQL database's URL, dropped after the test."""
    name = f"tdm_ledger_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_SERVER, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield PG_URL.format(name=name)
    finally:
        with psycopg.connect(PG_SERVER, autocommit=True) as connection:
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
    tmp_path_factory: pytest.TempPathFactory, pg_shop_databases: Callable[[], tuple[str, str]]
) -> Iterator[Inspector]:
    """The running shop on PostgreSQL databases, and an inspector for it."""
    auth_url, backend_url = pg_shop_databases()
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
