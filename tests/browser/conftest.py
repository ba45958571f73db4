"""A real headless Chromium (Debian's package) driven by Playwright, and tdm's plugin pointed
at the test shop."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Iterator

import pytest
from playwright.async_api import Browser, async_playwright

import tdm

from ..support import Inspector

CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


@pytest.fixture(scope="session")
def shop(sqlite_shop: Inspector) -> Inspector:
    """The browser test needs one shop: SQLite."""
    return sqlite_shop


@pytest.fixture(scope="session")
def tdm_manager(shop: Inspector, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tdm.Manager]:
    """Point the plugin's fixtures at the test shop (a project would set AUTH_SERVICE_URL etc.)."""
    ledger = tmp_path_factory.mktemp("browser") / "ledger.sqlite3"
    manager = tdm.Manager(tdm.Settings(ledger_path=ledger, env=shop.env(), run_id="run-browser"))
    yield manager
    manager.ledger.close()


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    """Headless Chromium from /usr/bin/chromium (installed by README's test command)."""
    executable = shutil.which("chromium")
    assert executable, "Chromium is missing: README's test command installs it (apt-get)"
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        await browser.close()
