"""README's Python examples run, in order, against a shop of their own."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import anyio
import pytest

import tdm
from tdm import _manager
from tdm_server import create_app

from .conftest import start_shop
from .support import Inspector, serving_in_thread

pytest_plugins = ["pytester"]

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCK = re.compile(r"^```python\n(.*?)^```", re.DOTALL | re.MULTILINE)


def python_blocks() -> list[str]:
    return BLOCK.findall(README.read_text())


@pytest.fixture
def readme_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Inspector]:
    """A fresh shop, and tdm's process-wide defaults pointed at it (then restored)."""
    with start_shop(tmp_path / "shop") as thread:
        inspector = Inspector(thread)
        for key, value in inspector.env().items():
            monkeypatch.setenv(key, value)
        monkeypatch.setenv("TDM_LEDGER", str(tmp_path / "ledger.sqlite3"))
        monkeypatch.setattr(_manager, "_default", None)
        # A tdm server for the client examples, on the same ledger and shop.
        server = tdm.Manager(tdm.Settings.from_env())
        with serving_in_thread(create_app(server)) as url:
            monkeypatch.setenv("TEST_DATA_MANAGER_URL", url)
            yield inspector
        server.ledger.close()
        if _manager._default is not None:
            _manager._default.ledger.close()
        inspector.close()


def test_readme_has_examples() -> None:
    assert len(python_blocks()) >= 5


def test_readme_python_examples_run_as_files(readme_env: Inspector, tmp_path: Path) -> None:
    """Each ```python block, pasted into a file of its own, runs with ``python FILE``, one
    after another (against the shop the environment names)."""
    for number, source in enumerate(python_blocks(), 1):
        script = tmp_path / f"readme_block_{number}.py"
        script.write_text(source)
        done = subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=dict(os.environ),
                              capture_output=True, text=True, timeout=300)  # fmt: skip
        assert done.returncode == 0, f"README python block {number}:\n{source}\n{done.stderr}"
        if number == 1:
            assert "@example.com" in done.stdout, "the first example shows what it made"
    assert (tmp_path / "user-with-orders.svg").read_text().startswith("<svg")
    # Sessions cleaned up after themselves; only the seeded baseline stays, tracked as such.
    manager = tdm.Manager(tdm.Settings.from_env())
    left = anyio.run(manager.tracked)
    manager.ledger.close()
    assert {r.run_id for r in left} == {"baseline"}
    assert readme_env.orders() == []
    assert readme_env.cart_items() == []


PYTEST_EXAMPLE = re.compile(
    r"<!-- pytest-example (\S+) -->\n```python\n(.*?)^```", re.DOTALL | re.MULTILINE
)
# pytest-asyncio's default (strict) mode: the examples run without asyncio_mode = auto.
INI = "[pytest]\nasyncio_default_fixture_loop_scope = function\n"


def test_readme_pytest_examples_pass(pytester: pytest.Pytester, readme_env: Inspector) -> None:
    """README's pytest examples pass and leave nothing behind: the pytest section's (async
    and sync tests), then the Playwright section's (pytest-playwright's sync page in
    Chromium), each a suite of its own, as README says."""
    files = dict(PYTEST_EXAMPLE.findall(README.read_text()))
    assert set(files) == {"conftest.py", "test_order_history.py", "test_browser.py"}
    pytester.makeini(INI)
    suites = ([("test_order_history.py", 2)], [("conftest.py", 0), ("test_browser.py", 1)])
    for suite in suites:
        for name, _ in suite:
            pytester.makepyfile(**{name.removesuffix(".py"): files[name]})
        tests = [name for name, _ in suite if name.startswith("test_")]
        result = pytester.runpytest_inprocess("-p", "no:cacheprovider", *tests)
        result.assert_outcomes(passed=sum(n for _, n in suite))
    assert readme_env.orders() == []
    baseline = {"admin@example.com", "user@example.com", "admin@shop.test"}
    assert {u["email"] for u in readme_env.users()} == baseline
