from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

import tdm

from .library import LibraryDB, add_scenarios, create_library_app, make_registry


@pytest.fixture
def library_db(tmp_path: Path) -> Iterator[LibraryDB]:
    db = LibraryDB(str(tmp_path / "library.db"))
    yield db
    db.conn.close()


@pytest.fixture
def registry(library_db: LibraryDB) -> tdm.Registry:
    registry = make_registry(create_library_app(library_db))
    add_scenarios(registry)
    return registry


@pytest.fixture
def settings(tmp_path: Path) -> tdm.Settings:
    return tdm.Settings(ledger_path=tmp_path / "ledger.sqlite3", run_id="run-test", env={})


@pytest.fixture
async def manager(settings: tdm.Settings, registry: tdm.Registry) -> AsyncIterator[tdm.Manager]:
    manager = tdm.Manager(settings, registry=registry)
    yield manager
    manager.ledger.close()
