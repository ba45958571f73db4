"""SIGTERM is what CI runners and ``timeout`` send: ``tdm run`` and a pytest run using tdm
treat it like Ctrl-C, so nothing a run made stays in the shop once the process has exited."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ..support import Inspector
from .conftest import made_by_tdm

TDM = str(Path(sys.executable).parent / "tdm")
TRIALS = 3

TEST_FILE = """\
import anyio


async def test_interrupted(tdm_session):
    await tdm_session.run("cart-with-products", item_count=10)
    await tdm_session.run("user-with-orders", order_count=10)
    await anyio.sleep(60)
"""


def _tracked(ledger: Path) -> int:
    if not ledger.exists():
        return 0
    with sqlite3.connect(ledger, timeout=30) as db:
        try:
            return int(db.execute("SELECT COUNT(*) FROM tracked").fetchone()[0])
        except sqlite3.OperationalError:  # the table is not there yet
            return 0


def _started(process: subprocess.Popen[str], ledger: Path) -> bool:
    """Wait (bounded) until the process has created something; False if it ended first."""
    deadline = time.monotonic() + 60
    while _tracked(ledger) == 0:
        if process.poll() is not None:
            return False
        assert time.monotonic() < deadline, "nothing was created within a minute"
        time.sleep(0.02)
    return True


def _empty(shop: Inspector) -> dict[str, list[object]]:
    return {"users": [], "products": [], "categories": [], "orders": [], "cartItems": []}


def _only_unseen_intents(ledger: Path) -> bool:
    """What the ledger still holds is at most intents of creates cut off before any entity
    was seen (the shop is empty): kept until they can no longer land, never lost."""
    if not ledger.exists():
        return True
    with sqlite3.connect(ledger, timeout=30) as db:
        rows = db.execute("SELECT state, lookup FROM tracked").fetchall()
    return all(state == "pending" and lookup for state, lookup in rows)


def _rows(ledger: Path) -> list[tuple[object, ...]]:
    with sqlite3.connect(ledger, timeout=30) as db:
        return db.execute("SELECT kind, entity_id, state, claimed_by FROM tracked").fetchall()


def _stopped_run(env: dict[str, str], ledger: Path, delay: float) -> tuple[int, str]:
    """``tdm run`` of a long scenario, sent SIGTERM ``delay`` after its first intent."""
    with subprocess.Popen(
        [TDM, "run", "user-with-orders", "--order-count", "10"], env=env, text=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    ) as process:  # fmt: skip
        assert _started(process, ledger), "tdm run finished before it could be stopped"
        time.sleep(delay)
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=120)
    return process.returncode, err


@pytest.mark.parametrize("trial", range(TRIALS))
def test_sigterm_to_tdm_run_mid_scenario(own_shop: Inspector, tmp_path: Path, trial: int) -> None:
    """Stopped at a random point of its scenario, ``tdm run`` removes what it had made and
    exits 143. (A trial whose scenario finished before the signal keeps its data, as
    ``tdm run`` does: it is cleaned and tried again, sooner.)"""
    ledger = tmp_path / "ledger.sqlite3"
    env = {**os.environ, **own_shop.env(), "TDM_LEDGER": str(ledger), "TDM_RUN_ID": "run-term"}
    delays = random.Random(trial)
    for attempt in range(5):
        status, err = _stopped_run(env, ledger, delays.uniform(0, 0.3) / (attempt + 1))
        if "The data stays" not in err:
            break
        subprocess.run([TDM, "cleanup", "--run", "run-term"], env=env, check=True,
                       capture_output=True)  # fmt: skip
    assert status == 128 + signal.SIGTERM, err
    assert "stopped by SIGTERM" in err
    assert made_by_tdm(own_shop) == _empty(own_shop), (attempt, err, _rows(ledger))
    assert _only_unseen_intents(ledger)


@pytest.mark.parametrize("trial", range(TRIALS))
def test_sigterm_to_pytest_mid_test(own_shop: Inspector, tmp_path: Path, trial: int) -> None:
    """A pytest run using ``tdm_session``, stopped mid-test: the fixture's cleanup runs, the
    shop holds none of the run's data, and the process ends by SIGTERM."""
    ledger = tmp_path / "ledger.sqlite3"
    (tmp_path / "test_interrupted.py").write_text(TEST_FILE)
    env = {**os.environ, **own_shop.env(), "TDM_LEDGER": str(ledger)}
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
               "-o", "asyncio_mode=auto", "test_interrupted.py"]  # fmt: skip
    with subprocess.Popen(
        command, env=env, cwd=tmp_path, text=True, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    ) as process:  # fmt: skip
        assert _started(process, ledger), "the test run finished before it could be stopped"
        time.sleep(random.Random(trial).uniform(0, 0.5))
        process.send_signal(signal.SIGTERM)
        out, _ = process.communicate(timeout=120)
    assert process.returncode == -signal.SIGTERM, out
    assert made_by_tdm(own_shop) == _empty(own_shop), out
    assert _only_unseen_intents(ledger), out
