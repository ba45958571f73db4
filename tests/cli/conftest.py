from __future__ import annotations

import pytest

from ..support import Inspector


@pytest.fixture
def shop(sqlite_shop: Inspector) -> Inspector:
    """The command line does not depend on the shop's database: SQLite only."""
    return sqlite_shop
