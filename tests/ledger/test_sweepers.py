"""Sweepers racing on one PostgreSQL ledger, each a process of its own (``sweeper.py``): four
over 100 dead runs reap each exactly once and delete each thing once; a sweeper SIGKILLed in
the middle of a reap is replaced by another once its claim runs out (``TDM_CLAIM_TTL``, 1 s
here), and its thing is deleted once, by the other."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

import tdm

from .things import Things, eventually, leave_a_thing, registry, things_settings

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parents[2]


@contextmanager
def _sweepers(
    ledger: str, things: Things, go: Path, count: int
) -> Iterator[list[subprocess.Popen[str]]]:
    command = [sys.executable, "-m", "tests.ledger.sweeper", ledger, str(things.path), str(go)]
    processes = [subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
                 for _ in range(count)]  # fmt: skip
    try:
        yield processes
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
            process.wait()
            if process.stdout is not None:
                process.stdout.close()


def _reaped(process: subprocess.Popen[str]) -> list[str]:
    out, _ = process.communicate(timeout=120)
    assert process.returncode == 0, out
    found: list[str] = json.loads(out)["reaped"]
    return found


@pytest.fixture
async def manager(pg_ledger: str, things: Things) -> AsyncIterator[tdm.Manager]:
    manager = tdm.Manager(things_settings(pg_ledger, things), registry=registry)
    yield manager
    manager.ledger.close()


async def test_four_sweepers_reap_each_run_once(
    manager: tdm.Manager, pg_ledger: str, things: Things, tmp_path: Path
) -> None:
    runs = [f"run-{i:03}" for i in range(100)]
    made = [(await leave_a_thing(manager, run_id)).id for run_id in runs]
    go = tmp_path / "go"
    with _sweepers(pg_ledger, things, go, 4) as processes:
        go.touch()
        reaped = [_reaped(p) for p in processes]
    assert sorted(r for found in reaped for r in found) == runs  # each run exactly once
    deletions = things.deletions()
    assert sorted(i for i, _, _ in deletions) == sorted(made)  # each thing deleted once
    assert all(gone for _, _, gone in deletions)
    assert things.ids() == set()
    assert await manager.ledger.runs() == []
    # How the runs fell to the sweepers (for the curious; any split is right).
    print("runs reaped per sweeper:", [len(found) for found in reaped])


async def test_a_killed_sweeper_is_replaced_when_its_claim_runs_out(
    manager: tdm.Manager, pg_ledger: str, things: Things, tmp_path: Path
) -> None:
    thing = await leave_a_thing(manager, "run-stalled")
    unblock = things.block(thing.id)
    go = tmp_path / "go"
    go.touch()
    with _sweepers(pg_ledger, things, go, 1) as (first,):
        await eventually(lambda: things.blocked(thing.id) == [first.pid])  # mid-reap
        claimed = await manager.ledger.run("run-stalled")
        assert claimed is not None
        assert claimed.claimed_by == f"sweeper-{first.pid}"
        first.kill()  # SIGKILL: no cleanup of its own, its claim simply stops being renewed
        first.wait()
    unblock.unlink()
    with _sweepers(pg_ledger, things, go, 1) as (second,):
        assert _reaped(second) == ["run-stalled"]
    assert things.deletions() == [(thing.id, second.pid, True)]
    assert things.ids() == set()
    assert await manager.ledger.run("run-stalled") is None
