"""The usual Python Playwright set-up: pytest-playwright's sync ``page`` in Debian's Chromium,
beside tdm's sync fixtures, against a shop ``--tdm-demo`` started for the run."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from .conftest import CHROMIUM_ARGS

pytest_plugins = ["pytester"]

CONFTEST = f"""
import os

import pytest


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {{**browser_type_launch_args, "executable_path": {shutil.which("chromium")!r},
            "args": {CHROMIUM_ARGS!r}}}


@pytest.fixture(scope="session")
def base_url():
    return os.environ["BACKEND_URL"]  # the shop --tdm-demo started
"""

TESTS = """
import os
from pathlib import Path

from playwright.sync_api import Page, expect


def test_user_can_view_their_order_history(page: Page, tdm_sync_session):
    data = tdm_sync_session.run("user-with-orders", order_count=3)
    page.goto("/login")
    page.fill('[name="email"]', data.user.email)
    page.fill('[name="password"]', data.user.password)
    page.click('button[type="submit"]')
    page.goto("/orders")
    expect(page.locator(".order-card")).to_have_count(3)
    expect(page.locator(".order-card").first).to_contain_text(data.orders[-1].number)


def test_the_baseline_beside_a_page(page: Page, tdm_baseline):
    page.goto("/products")
    expect(page.locator(".product-card")).to_have_count(tdm_baseline.products)
"""


def test_sync_playwright_with_tdm_data(pytester: pytest.Pytester, tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    assert shutil.which("chromium"), "Chromium is missing: README's test command installs it"
    for key in ("AUTH_SERVICE_URL", "BACKEND_URL", "AUTH_DB_URL", "BACKEND_DB_URL", "TDM_LEDGER"):
        monkeypatch.delenv(key, raising=False)
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_pages=TESTS)
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "--tdm-demo", "--browser", "chromium"
    )
    result.assert_outcomes(passed=2)
