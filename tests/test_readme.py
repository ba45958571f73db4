"""README's Python examples run, in order, against a shop of their own."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

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


async def test_readme_python_examples_run(readme_env: Inspector) -> None:
    """Each ```python block runs (top-level await allowed), sharing one namespace."""
    namespace: dict[str, Any] = {"__name__": "readme"}
    for number, source in enumerate(python_blocks(), 1):
        code = compile(source, f"README.md python block {number}", "exec",
                       flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)  # fmt: skip
        result = eval(code, namespace)  # noqa: S307 - our own README, run on purpose
        if result is not None:
            await result
    # Sessions cleaned up after themselves; only the seeded baseline stays, tracked as such.
    left = await tdm.default_manager().tracked()
    assert {r.run_id for r in left} == {"baseline"}
    assert readme_env.orders() == []
    assert readme_env.cart_items() == []


PYTEST_EXAMPLE = re.compile(
    r"<!-- pytest-example (\S+) -->\n```python\n(.*?)^```", re.DOTALL | re.MULTILINE
)
INI = "[pytest]\nasyncio_mode = auto\nasyncio_default_fixture_loop_scope = function\n"


def test_readme_pytest_examples_pass(pytester: pytest.Pytester, readme_env: Inspector) -> None:
    """README's pytest examples (the browser one included) pass and leave nothing behind."""
    files = dict(PYTEST_EXAMPLE.findall(README.read_text()))
    assert set(files) == {"conftest.py", "test_order_history.py", "test_browser.py"}
    pytester.makeini(INI)
    for name, source in files.items():
        pytester.makepyfile(**{name.removesuffix(".py"): source})
    pytester.runpytest_inprocess("-p", "no:cacheprovider").assert_outcomes(passed=3)
    assert readme_env.orders() == []
    baseline = {"admin@example.com", "user@example.com", "admin@shop.test"}
    assert {u["email"] for u in readme_env.users()} == baseline
