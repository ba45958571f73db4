"""``pytest --tdm-demo``: the plugin starts the reference shop for the run (once, shared by
xdist workers), points tdm and the tests at it, and stops it at the end."""

from __future__ import annotations

import json
from pathlib import Path

import httpx2
import pytest

from .test_pytest_plugin import INI

pytest_plugins = ["pytester"]

SHOP_SETTINGS = ("AUTH_SERVICE_URL", "BACKEND_URL", "AUTH_DB_URL", "BACKEND_DB_URL",
                 "TDM_LEDGER", "TDM_RUN_ID", "TEST_DATA_MANAGER_URL")  # fmt: skip

USES_THE_SHOP = """
import json, os
from pathlib import Path

import httpx2


async def _check(tdm_session, name):
    data = await tdm_session.run("user-with-orders", order_count=1)
    backend = os.environ["BACKEND_URL"]  # set by --tdm-demo, for a browser's base URL too
    order = data.orders[0]
    page = httpx2.get(f"{backend}/api/products/{order.items[0].product_id}")
    assert page.status_code == 200
    (Path(os.environ["OUT_DIR"]) / f"{name}.json").write_text(json.dumps({
        "backend": backend, "ledger": os.environ["TDM_LEDGER"],
        "worker": os.environ.get("PYTEST_XDIST_WORKER", "main")}))
""" + "".join(
    f"\nasync def test_{n}(tdm_session):\n    await _check(tdm_session, '{n}')\n"
    for n in ("a", "b", "c", "d")
)


@pytest.fixture
def out(pytester: pytest.Pytester, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Nothing points tdm at any shop: the demo must."""
    for key in SHOP_SETTINGS:
        monkeypatch.delenv(key, raising=False)
    where = tmp_path / "out"
    where.mkdir()
    monkeypatch.setenv("OUT_DIR", str(where))
    pytester.makeini(INI)
    return where


def test_the_run_gets_a_shop_of_its_own(pytester: pytest.Pytester, out: Path) -> None:
    pytester.makepyfile(test_inner=USES_THE_SHOP)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-n", "2", "--tdm-demo")
    result.assert_outcomes(passed=4)
    result.stdout.fnmatch_lines(["tdm: started for this run (--tdm-demo):",
                                 "  Backend (demo shop): http://127.0.0.1:*"])  # fmt: skip
    seen = [json.loads(p.read_text()) for p in sorted(out.glob("*.json"))]
    assert len({s["worker"] for s in seen}) == 2
    assert len({s["backend"] for s in seen}) == 1, "one shop, shared by the workers"
    assert len({s["ledger"] for s in seen}) == 1
    backend = seen[0]["backend"]
    with pytest.raises(httpx2.ConnectError):
        httpx2.get(f"{backend}/api/health", trust_env=False)  # stopped with the run
    assert not Path(seen[0]["ledger"]).exists(), "its data went with it"


def test_the_ini_key_does_the_same(pytester: pytest.Pytester, out: Path) -> None:
    pytester.makeini(INI + "tdm_demo = true\n")
    pytester.makepyfile(test_inner=USES_THE_SHOP)
    pytester.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(passed=4)
    assert len({json.loads(p.read_text())["backend"] for p in out.glob("*.json")}) == 1


def test_without_it_nothing_is_started(pytester: pytest.Pytester, out: Path) -> None:
    pytester.makepyfile(test_inner="def test_nothing(): pass")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    assert "--tdm-demo):" not in result.stdout.str()
