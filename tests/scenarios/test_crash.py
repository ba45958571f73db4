"""A run killed with SIGKILL mid-scenario leaves nothing behind once its run is cleaned."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

import tdm

from ..support import Inspector

pytestmark = pytest.mark.usefixtures("seeded")


async def test_sigkill_mid_scenario_then_cleanup(
    manager: tdm.Manager, shop: Inspector, ledger_path: Path
) -> None:
    """Confirmed and unconfirmed entities of the killed run are all removed from the shop."""
    run_id = "run-killed"
    script = Path(__file__).with_name("crashing_run.py")
    env = {**os.environ, **shop.env()}
    # Blocking on the child is the point here: the test waits for it to reach the window.
    child = subprocess.Popen(  # noqa: ASYNC220
        [sys.executable, str(script), str(ledger_path), run_id],
        stdout=subprocess.PIPE, env=env, text=True,
    )  # fmt: skip
    assert child.stdout is not None
    announced = []
    for line in child.stdout:
        announced.append(line.split()[1])
        if len(announced) == 4:  # the user and three orders exist; the fourth is unnoted
            child.send_signal(signal.SIGKILL)
            break
    assert child.wait(timeout=30) == -signal.SIGKILL
    child.stdout.close()

    records = await manager.tracked(run_id=run_id)
    pending = [r for r in records if r.state == "pending"]
    assert len(pending) == 1, "the kill did not land between create and confirm"
    users = [r for r in records if r.kind == "user"]
    (user_id,) = {r.entity_id for r in users}
    assert len(shop.orders(int(user_id))) == 3

    report = await manager.cleanup(run_id=run_id)

    assert report.complete, report.summary()
    assert report.deleted["orders"] == 3
    assert report.deleted["users"] == 1
    assert shop.orders(int(user_id)) == []
    assert not [u for u in shop.users() if str(u["id"]) == user_id]
    assert await manager.tracked(run_id=run_id) == []
