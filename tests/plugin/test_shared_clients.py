"""The plugin's manager is open for the test session: tests whose sessions run on one event
loop share the shop's clients (the sync fixtures' background loop, or pytest-asyncio's
session loop), instead of each opening its own."""

from __future__ import annotations

from pathlib import Path

import pytest

from .test_pytest_plugin import env

pytest_plugins = ["pytester"]
pytestmark = pytest.mark.usefixtures("seeded")  # orders then use baseline products
__all__ = ["env"]

SHARED = """
SEEN = []

async def test_a(tdm_session):
    await tdm_session.run("user-with-orders", order_count=1)
    SEEN.append(await tdm_session.client("shop"))

async def test_b(tdm_session):
    await tdm_session.run("user-with-orders", order_count=1)
    assert await tdm_session.client("shop") is SEEN[0]

def test_sync_a(tdm_sync_session):
    tdm_sync_session.run("user-with-orders", order_count=1)
    SEEN.append(tdm_sync_session.client("shop"))
    assert SEEN[1] is not SEEN[0]  # another loop: clients of its own

def test_sync_b(tdm_sync_session):
    assert tdm_sync_session.client("shop") is SEEN[1]
"""


def test_sessions_on_one_loop_share_clients(pytester: pytest.Pytester, env: Path) -> None:
    pytester.makeini(
        "[pytest]\nasyncio_mode = auto\nasyncio_default_fixture_loop_scope = session\n"
        "asyncio_default_test_loop_scope = session\n"
    )
    pytester.makepyfile(test_inner=SHARED)
    pytester.runpytest_inprocess("-p", "no:cacheprovider").assert_outcomes(passed=4)
