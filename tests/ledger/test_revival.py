"""A dead run comes back while a sweeper reaps it, on both stores. The sweeper claims two dead
runs and, one run at a time, is held in the delete of the first run's thing; meanwhile the
second run's holder renews its lease, or a new session writes into it, before the sweeper has
even looked at its records. The sweeper removes what was written before its claim, nothing
written after it, and the run stays while it has records or a live lease."""

from __future__ import annotations

import anyio
import pytest

import tdm
from tdm._store import Store
from tdm.boundary import Sweep, sweep

from .things import Things, eventually, leave_a_thing


def _dead(store: Store, run_id: str) -> bool:
    run = store.run(run_id)
    return run is not None and not run.alive(store.now())


@pytest.mark.parametrize("revival", ["lease", "session"])
async def test_what_a_revived_run_writes_survives_its_reaping(
    manager: tdm.Manager, things: Things, revival: str
) -> None:
    store = manager.ledger.store
    store.hold(["run-first", "run-back"], 0.3, "ci-job-7")
    first = await leave_a_thing(manager, "run-first")
    old = await leave_a_thing(manager, "run-back")
    await eventually(lambda: _dead(store, "run-back"))  # its holder went quiet
    unblock = things.block(first.id)
    found: list[Sweep] = []

    async def reap() -> None:
        found.append(await sweep(manager, concurrency=1))

    async with anyio.create_task_group() as tg:
        tg.start_soon(reap)
        await eventually(lambda: things.blocked(first.id))  # the sweeper is in the first run
        claimed = store.run("run-back")
        assert claimed is not None
        assert (claimed.claimed_by, claimed.claimed_at) != (None, None)
        if revival == "lease":  # the holder was only paused: it renews and goes on
            store.hold(["run-back"], 60, "ci-job-7")
        # A new session writes into the run (kept for an hour, as `tdm run` keeps its data).
        kept = tdm.Manager(manager.settings.evolve(keep_for=3600), registry=manager.catalog,
                           ledger=manager.ledger)  # fmt: skip
        new = await leave_a_thing(kept, "run-back")
        unblock.unlink()
    (done,) = found
    assert (done.reaped, done.revived) == (["run-first"], ["run-back"])
    assert old.id not in things.ids()
    assert first.id not in things.ids()
    assert new.id in things.ids()
    assert [r.entity_id for r in await manager.ledger.select(run_id="run-back")] == [new.id]
    run = store.run("run-back")
    assert run is not None
    assert run.claimed_by is None
    assert run.alive(store.now())
    assert (await sweep(manager)).reaped == []  # held or kept again: not the reaper's
    store.end("run-back", "ci-job-7", 0)
    assert (await sweep(manager)).reaped == ["run-back"]
    assert things.ids() == set()
    assert sorted(i for i, _, _ in things.deletions()) == sorted([first.id, old.id, new.id])


async def test_a_record_confirmed_again_after_it_was_read_is_not_reaped(
    manager: tdm.Manager, things: Things
) -> None:
    """The window between a reaper reading a page and claiming its records: a holder that came
    back confirms one of them meanwhile. The purge leaves it (and its entity) alone, unreported;
    what was not written again goes."""
    revived = await leave_a_thing(manager, "run-late")
    dead = await leave_a_thing(manager, "run-late")
    read = await manager.ledger.select(run_id="run-late")  # the reaper's page
    store = manager.ledger.store
    claimed_at = store.now()
    await eventually(lambda: store.now() > claimed_at)
    (again,) = [r for r in read if r.entity_id == revived.id]
    await manager.ledger.confirm(again, revived.id, None)  # the holder, back, confirms it
    report = await manager.purge(read, written_before=claimed_at)
    assert (report.complete, report.matched, report.failures) == (True, 1, [])
    assert things.ids() == {revived.id}
    assert [r.entity_id for r in await manager.ledger.select(run_id="run-late")] == [revived.id]
    assert dead.id not in things.ids()
