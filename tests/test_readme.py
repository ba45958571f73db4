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

from .conftest import start_shop
from .support import Inspector

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
        yield inspector
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
