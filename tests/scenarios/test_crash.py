"""A run killed with SIGKILL mid-scenario leaves nothing behind once its run is cleaned."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

import anyio
import pytest

import tdm

from ..faults import fault_proxy
from ..support import Inspector

pytestmark = pytest.mark.usefixtures("seeded")


async def test_sigkill_mid_scenario_then_cleanup(
    manager: tdm.Manager, shop: Inspector, ledger_path: Path
) -> None:
    """Confirmed and unconfirmed entities of the killed run are all removed from the shop."""
    run_id = "run-killed"
    script = Path(__file__).with_name("crashing_run.py")
    # The child reaches the Backend through a proxy: once the child is dead and the proxy
    # drained, every create it sent has been answered by the shop, so what is not found then
    # never will be.
    with fault_proxy(shop.env()["BACKEND_URL"], rate=0.0, stall=0.0, seed=0) as proxy:
        env = {**os.environ, **shop.env(), "BACKEND_URL": proxy.url}
        # Blocking on the child is the point here: the test waits for it to reach the window.
        child = subprocess.Popen(  # noqa: ASYNC220
            [sys.executable, str(script), str(ledger_path), run_id],
            stdout=subprocess.PIPE, env=env, text=True,
        )  # fmt: skip
        assert child.stdout is not None
        orders = []
        for line in child.stdout:
            _, kind, _ = line.split()
            orders += [kind] if kind == "order" else []
            if len(orders) == 3:  # three orders exist in the shop; the third is not noted yet
                child.send_signal(signal.SIGKILL)
                break
        assert child.wait(timeout=30) == -signal.SIGKILL
        child.stdout.close()
        await anyio.to_thread.run_sync(proxy.drain)

    records = await manager.tracked(run_id=run_id)
    pending = [r for r in records if r.state == "pending"]
    # The orders go out at once: the announced one, and others still in flight, are unnoted.
    assert pending, "the kill did not land between create and confirm"
    assert {r.kind for r in pending} == {"order"}
    users = [r for r in records if r.kind == "user"]
    (user_id,) = {r.entity_id for r in users}
    placed = len(shop.orders(int(user_id)))
    assert placed >= 3

    # Intents whose request never reached the shop are not found: they settle once their
    # grace is over.
    short = tdm.Manager(manager.settings.evolve(pending_grace=1.0), registry=manager.catalog,
                        ledger=manager.ledger)  # fmt: skip
    deleted: Counter[str] = Counter()
    for _ in range(100):  # bounded: a generous deadline, never a timing assertion
        report = await short.cleanup(run_id=run_id)
        deleted.update(report.deleted)
        if report.complete:
            break
        await anyio.sleep(0.1)
    assert report.complete, report.summary()
    assert deleted["orders"] == placed  # the proxy is drained: none can land after the count
    assert deleted["users"] == 1
    assert shop.orders(int(user_id)) == []
    assert not [u for u in shop.users() if str(u["id"]) == user_id]
    assert await manager.tracked(run_id=run_id) == []
