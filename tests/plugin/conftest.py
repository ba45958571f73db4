from __future__ import annotations

import pytest

from ..support import Inspector


@pytest.fixture(scope="session")
def shop(sqlite_shop: Inspector) -> Inspector:
    """The plugin does not care which database the shop uses: SQLite is enough here."""
    return sqlite_shop
