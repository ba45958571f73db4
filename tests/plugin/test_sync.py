"""The sync fixtures return what the async ones do; a test reads the same whichever of a
session and a client it is given."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

import tdm
from tdm_server import create_app

from ..support import Inspector, serving_in_thread
from .test_pytest_plugin import _ledger_rows, env

pytest_plugins = ["pytester"]
pytestmark = pytest.mark.usefixtures("seeded")
__all__ = ["env"]

SYNC = """
import json, os
from pathlib import Path

def test_sync(tdm_sync_session):
    data = tdm_sync_session.run("user-with-orders", order_count=2)
    assert type(data).__name__ == "UserWithOrders"  # the objects tdm_session returns
    assert [o.status for o in data.orders] == ["delivered"] * 2
    ada = tdm_sync_session.create("user", full_name="Ada Lovelace")
    products = tdm_sync_session.create_many("product", 2, stock=3)
    assert (ada.full_name, [p.stock for p in products]) == ("Ada Lovelace", [3, 3])
    assert len(tdm_sync_session.records()) == len(tdm_sync_session.created)
    (Path(os.environ["OUT_DIR"]) / "sync.json").write_text(json.dumps(
        {"emails": [data.user.email, ada.email], "seed": tdm_sync_session.seed}))

def test_sync_fails(tdm_sync_session):
    tdm_sync_session.create("user")
    assert False
"""


def test_the_sync_session(pytester: pytest.Pytester, env: Path, shop: Inspector) -> None:
    """Sync tests need no event loop of their own; what they make goes after them, and a
    failure's report has the replay line."""
    pytester.makepyfile(test_inner=SYNC)
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        ["*the same data again: pytest test_inner.py::test_sync_fails --tdm-seed *"]
    )
    seen = json.loads((env / "sync.json").read_text())
    assert all(shop.users(email) == [] for email in seen["emails"])


BODY = """
{sync}def test_orders(FIXTURE):
    data = {wait}FIXTURE.run("user-with-orders", order_count=2, order_status="shipped")
    assert data.user.email.endswith("@example.com")
    assert [o.status for o in data.orders] == ["shipped", "shipped"]
    assert data.orders[0].items[0].quantity >= 1
    assert data.orders[0].shipping_address
    assert len(data.orders[0].items) == len(data.orders[0].items[:])
"""


@pytest.fixture
def server(shop: Inspector, tmp_path: Path) -> Iterator[str]:
    manager = tdm.Manager(tdm.Settings(ledger_path=tmp_path / "server.sqlite3", env=shop.env()))
    with serving_in_thread(create_app(manager)) as url:
        yield url
    manager.ledger.close()


def test_one_test_body_for_every_fixture(
    pytester: pytest.Pytester, env: Path, server: str, tmp_path: Path
) -> None:
    """The same lines run with tdm_session and tdm_client (awaited), and with
    tdm_sync_session and tdm_sync_client: only the fixture's name differs."""
    files = {}
    for fixture, is_async in (("tdm_session", True), ("tdm_client", True),
                              ("tdm_sync_session", False), ("tdm_sync_client", False)):  # fmt: skip
        body = BODY.format(sync="async " if is_async else "", wait="await " if is_async else "")
        files[f"test_{fixture}"] = body.replace("FIXTURE", fixture)
    pytester.makepyfile(**files)
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "--tdm-url", server)
    result.assert_outcomes(passed=4)
    assert _ledger_rows(tmp_path) == 0, "the sessions' data is gone"
    with sqlite3.connect(tmp_path / "server.sqlite3") as db:
        assert db.execute("SELECT COUNT(*) FROM tracked").fetchone() == (0,), "and the clients'"
