"""A second system beside the reference shop: the stockroom, its registry, and tdm on both."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

import tdm
import tdm_scenarios

from ..stockroom import stockroom_tdm
from ..stockroom.stockroom_app import StockroomDB, create_stockroom_app
from ..support import Inspector, serving_in_thread

STOCKROOM_DIR = Path(stockroom_tdm.__file__).parent


@pytest.fixture
def shop(sqlite_shop: Inspector) -> Inspector:
    """Composition does not depend on the shop's database: SQLite only."""
    return sqlite_shop


@pytest.fixture(scope="session")
def stockroom_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StockroomDB]:
    db = StockroomDB(str(tmp_path_factory.mktemp("stockroom") / "stockroom.sqlite3"))
    yield db
    db.conn.close()


@pytest.fixture(scope="session")
def stockroom_url(stockroom_db: StockroomDB) -> Iterator[str]:
    """The stockroom's API, served on a real socket."""
    with serving_in_thread(create_stockroom_app(stockroom_db)) as url:
        yield url


@pytest.fixture
def env(shop: Inspector, stockroom_url: str) -> dict[str, str]:
    """What tdm reads to reach both systems."""
    return {**shop.env(), "STOCKROOM_URL": stockroom_url}


@pytest.fixture
async def both(env: dict[str, str], tmp_path: Path) -> AsyncIterator[tdm.Manager]:
    """tdm on the shop's and the stockroom's registries together."""
    settings = tdm.Settings(ledger_path=tmp_path / "ledger.sqlite3", run_id="both", env=env)
    manager = tdm.Manager(settings, registry=[tdm_scenarios.registry, stockroom_tdm.registry])
    yield manager
    manager.ledger.close()


@pytest.fixture
def installed(tmp_path: Path) -> dict[str, str]:
    """An environment in which the stockroom's registry is installed (a dist-info with its
    entry point, as pip would write it) beside the shop's."""
    site = tmp_path / "site"
    info = site / "stockroom_tdm-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: stockroom-tdm\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[tdm.registries]\nstockroom = stockroom_tdm:registry\n")
    return {"PYTHONPATH": f"{site}:{STOCKROOM_DIR}", "PATH": str(Path(sys.executable).parent)}
