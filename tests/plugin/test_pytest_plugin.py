"""The pytest plugin, driven with pytester against the real shop."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import tdm
from tdm_server import create_app

from ..support import Inspector, serving_in_thread

pytest_plugins = ["pytester"]
pytestmark = pytest.mark.usefixtures("seeded")  # orders then use baseline products

INI = """
[pytest]
asyncio_mode = auto
asyncio_default_fixture_loop_scope = function
"""

CREATES = """
import json, os
from pathlib import Path

async def test_makes_orders(tdm_session):
    data = await tdm_session.run("user-with-orders", order_count=2)
    out = Path(os.environ["OUT_DIR"]) / (os.environ.get("PYTEST_XDIST_WORKER", "main") + ".json")
    seen = json.loads(out.read_text()) if out.exists() else []
    seen.append({"email": data.user.email, "user": data.user.id, "run": tdm_session.run_id,
                 "seed": tdm_session.seed})
    out.write_text(json.dumps(seen))
"""


@pytest.fixture
def env(pytester: pytest.Pytester, shop: Inspector, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> Path:  # fmt: skip
    """The inner pytest reaches the shop, keeps its ledger and reports in tmp_path."""
    for key, value in shop.env().items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("TDM_LEDGER", str(tmp_path / "ledger.sqlite3"))
    monkeypatch.delenv("TDM_RUN_ID", raising=False)
    out = tmp_path / "out"
    out.mkdir()
    monkeypatch.setenv("OUT_DIR", str(out))
    pytester.makeini(INI)
    return out


def _seen(out: Path) -> list[dict[str, object]]:
    return [row for f in sorted(out.glob("*.json")) for row in json.loads(f.read_text())]


def _ledger_rows(tmp_path: Path) -> int:
    import sqlite3

    with sqlite3.connect(tmp_path / "ledger.sqlite3") as db:
        return int(
            db.execute("SELECT COUNT(*) FROM tracked WHERE run_id != 'baseline'").fetchone()[0]
        )


def test_data_is_removed_after_each_test(
    pytester: pytest.Pytester, env: Path, shop: Inspector, tmp_path: Path
) -> None:
    """A test's users and orders exist during it and are gone from the shop afterwards."""
    pytester.makepyfile(test_inner=CREATES)
    pytester.runpytest_inprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)
    (row,) = _seen(env)
    assert shop.users(str(row["email"])) == []
    assert shop.orders(int(str(row["user"]))) == []
    assert _ledger_rows(tmp_path) == 0


FAILS = """
async def test_fails(tdm_session):
    data = await tdm_session.run("user-with-orders", order_count=1)
    assert data.user.email == "someone else"
"""


def test_failure_report_lists_entities_and_seed(
    pytester: pytest.Pytester, env: Path, shop: Inspector, tmp_path: Path
) -> None:
    """A failed test's report names what it created and the seed to replay it."""
    pytester.makepyfile(test_inner=FAILS)
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([
        "*- tdm -*",
        "seed *, run *; the same data again: pytest test_inner.py::test_fails --tdm-seed * "
        "(or tdm.session(seed=*))",
        "*user * *@example.com*",
        "*order * ORD-* [[]user-with-orders]*",
    ])  # fmt: skip
    assert _ledger_rows(tmp_path) == 0


def test_keep_failed_then_reap(
    pytester: pytest.Pytester, env: Path, shop: Inspector, tmp_path: Path
) -> None:
    """--tdm-keep-failed keeps a failed test's data, tracked; --tdm-reap removes it later."""
    pytester.makepyfile(test_inner=FAILS)
    pytester.runpytest_inprocess("-p", "no:cacheprovider", "--tdm-keep-failed").assert_outcomes(
        failed=1
    )
    import sqlite3

    with sqlite3.connect(tmp_path / "ledger.sqlite3") as db:
        # The failed test's records: the baseline may be tracked here too (seeded first).
        mine = "FROM tracked WHERE run_id != 'baseline'"
        kinds = sorted(k for (k,) in db.execute(f"SELECT kind {mine}"))
        (email,) = db.execute(f"SELECT label {mine} AND kind='user'").fetchone()
    assert kinds.count("user") == kinds.count("order") == 1
    assert set(kinds) <= {"user", "order", "product", "category"}
    assert len(shop.users(email)) == 1

    pytester.makepyfile(test_inner="def test_nothing(): pass")
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "--tdm-reap", "0s")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*tdm: reaped data older than 0s: removed 1 user, *1 order"])
    assert shop.users(email) == []
    assert _ledger_rows(tmp_path) == 0


def test_same_base_seed_replays_the_same_data(pytester: pytest.Pytester, env: Path) -> None:
    """--tdm-seed gives each test the same seed, and so the same data, run after run."""
    pytester.makepyfile(test_inner=CREATES)
    for _ in range(2):
        pytester.runpytest_inprocess("-p", "no:cacheprovider", "--tdm-seed", "42").assert_outcomes(
            passed=1
        )
    first, second = _seen(env)
    assert first["seed"] == second["seed"]
    assert first["email"] == second["email"]


def test_xdist_workers_get_their_own_runs(
    pytester: pytest.Pytester, env: Path, shop: Inspector, tmp_path: Path
) -> None:
    """Under xdist each worker has its own run id (one prefix per run); nothing is left."""
    pytester.makepyfile(
        test_inner=CREATES + "\n".join(
            f"\nasync def test_more_{n}(tdm_session):\n    await test_makes_orders(tdm_session)\n"
            for n in range(3)
        )
    )  # fmt: skip
    pytester.runpytest_subprocess("-p", "no:cacheprovider", "-n", "2").assert_outcomes(passed=4)
    seen = _seen(env)
    runs = {str(row["run"]) for row in seen}
    assert len(seen) == 4
    assert len(runs) == 2
    assert {r.rsplit("-", 1)[1] for r in runs} == {"gw0", "gw1"}
    assert len({r.rsplit("-", 1)[0] for r in runs}) == 1
    assert all(shop.users(str(row["email"])) == [] for row in seen)
    assert _ledger_rows(tmp_path) == 0


def test_baseline_fixture_seeds_once(pytester: pytest.Pytester, env: Path) -> None:
    """tdm_baseline runs the baseline scenario once per session, and the data stays."""
    pytester.makepyfile(
        test_inner="""
        def test_a(tdm_baseline):
            assert (tdm_baseline.users, tdm_baseline.products) == (2, 14)

        def test_b(tdm_baseline, tdm_run_id):
            assert tdm_run_id.startswith("run-")
        """
    )
    pytester.runpytest_inprocess("-p", "no:cacheprovider").assert_outcomes(passed=2)


def test_fail_on_leak_errors_the_test(
    pytester: pytest.Pytester, env: Path, shop: Inspector, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    """Without database access orders cannot go; --tdm-fail-on-leak turns that into an error."""
    monkeypatch.delenv("BACKEND_DB_URL")
    pytester.makepyfile(test_inner=CREATES)
    result = pytester.runpytest_inprocess(
        "-p", "no:cacheprovider", "--tdm-fail-on-leak", "-W", "ignore::tdm.LeakWarning"
    )
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*CleanupIncomplete*cannot delete orders*"])
    (row,) = _seen(env)
    assert len(shop.orders(int(str(row["user"])))) == 2

    monkeypatch.setenv("BACKEND_DB_URL", shop.env()["BACKEND_DB_URL"])
    pytester.makepyfile(test_inner="def test_nothing(): pass")
    pytester.runpytest_inprocess("-p", "no:cacheprovider", "--tdm-reap", "0s")
    assert shop.orders(int(str(row["user"]))) == []


REMOTE = """
import os
from pathlib import Path

async def test_over_http(tdm_client):
    made = await tdm_client.scenario("user-with-orders", order_count=2)
    (Path(os.environ["OUT_DIR"]) / "email").write_text(made["data"]["user"]["email"])
    assert made["data"]["user"]["email"] == "not this one"
"""


@pytest.mark.parametrize("token", [None, "plugin-token-0123456789"])
def test_tdm_client_cleans_up_over_http(
    pytester: pytest.Pytester, env: Path, shop: Inspector, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch, token: str | None,
) -> None:  # fmt: skip
    """tdm_client uses a tdm server by URL (with the token of TDM_API_TOKEN, when the server
    needs one); its data goes after the test, failed or not."""
    server_env = {**shop.env(), **({"TDM_API_TOKEN": token} if token else {})}
    if token:
        monkeypatch.setenv("TDM_API_TOKEN", token)
    server = tdm.Manager(tdm.Settings(ledger_path=tmp_path / "server.sqlite3", env=server_env))
    with serving_in_thread(create_app(server)) as url:
        pytester.makepyfile(test_inner=REMOTE)
        result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "--tdm-url", url)
    server.ledger.close()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*- tdm -*", "run * at http://127.0.0.1:*", "  user-with-orders: tracking *, *, *"]
    )
    email = (env / "email").read_text()
    assert email.endswith("@example.com")
    assert shop.users(email) == []
