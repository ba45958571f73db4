"""Leases per holder, on a SQLite file and on PostgreSQL: a run is alive while any holder's
lease is, one holder's end leaves the others' leases alone, and neither the reaper nor an
age-based cleanup touches a run with a live lease. Outcomes are checked in the things system
itself."""

from __future__ import annotations

import io
import json

import anyio

import tdm
from tdm._leases import LeaseKeeper
from tdm.boundary import sweep

from .things import Things, leave_a_thing


def _keeper(manager: tdm.Manager) -> LeaseKeeper:
    """Another holder of runs on the same ledger (another process, in effect)."""
    settings = manager.settings
    return LeaseKeeper(manager.ledger.store, ttl=60, interval=settings.heartbeat_interval)


async def test_a_run_lives_while_any_holder_holds_it(manager: tdm.Manager, things: Things) -> None:
    """Two holders (a pytest worker and a ``tdm with-run`` around it, say): the first one's
    end leaves the run alive, and the reaper leaves it alone; once the second ends, the next
    sweep removes what the run left, once."""
    worker, wrapper = _keeper(manager), _keeper(manager)
    worker.hold("run-shared")
    wrapper.hold("run-shared")
    thing = await leave_a_thing(manager, "run-shared")
    worker.release("run-shared")
    run = await manager.ledger.run("run-shared")
    assert run is not None
    assert run.holders(await manager.ledger.now()) == [wrapper.holder]
    assert (await sweep(manager)).reaped == []
    assert thing.id in things.ids()
    wrapper.release("run-shared")
    assert (await sweep(manager)).reaped == ["run-shared"]
    assert thing.id not in things.ids()
    assert [(i, gone) for i, _, gone in things.deletions()] == [(thing.id, True)]
    assert await manager.ledger.run("run-shared") is None


async def test_renewing_touches_only_the_holders_own_lease(manager: tdm.Manager) -> None:
    store = manager.ledger.store
    store.hold(["run-two"], 60, "job-a")
    store.hold(["run-two"], 0.0, "job-b")  # job-b's lease has run out
    store.hold(["run-two"], 120, "job-a")
    run = store.run("run-two")
    assert run is not None
    now = store.now()
    assert run.holders(now) == ["job-a"]
    assert [lease.holder for lease in run.leases] == ["job-a", "job-b"]
    assert run.to_json(now)["holders"][1] == {
        "holder": "job-b", "leaseUntil": run.to_json(now)["holders"][1]["leaseUntil"],
        "live": False,
    }  # fmt: skip
    store.end("run-two", "job-b", None)
    store.end("run-two", "job-c", None)  # never held it: nothing happens
    after = store.run("run-two")
    assert after is not None
    assert [lease.holder for lease in after.leases] == ["job-a"]
    assert after.alive(store.now())


async def test_ending_with_keep_keeps_the_run(manager: tdm.Manager, things: Things) -> None:
    store = manager.ledger.store
    store.hold(["run-kept"], 60, "job-a")
    thing = await leave_a_thing(manager, "run-kept")
    store.end("run-kept", "job-a", 3600)
    run = store.run("run-kept")
    assert run is not None
    assert (run.to_json(store.now())["state"], run.leases) == ("kept", ())
    assert (await sweep(manager)).reaped == []
    store.end("run-kept", "job-a", 0)  # kept no longer
    assert (await sweep(manager)).reaped == ["run-kept"]
    assert thing.id not in things.ids()


async def test_age_never_reaches_a_run_with_a_live_lease(
    manager: tdm.Manager, things: Things
) -> None:
    """``olderThan`` removes old data of dead runs only: one live lease of two spares a run."""
    store = manager.ledger.store
    store.hold(["run-live"], 60, "job-a")
    store.hold(["run-live"], 60, "job-b")
    live = await leave_a_thing(manager, "run-live")
    dead = await leave_a_thing(manager, "run-dead")
    store.end("run-live", "job-a", None)
    report = await manager.cleanup(older_than="0s")
    assert report.deleted == {"things": 1}
    assert live.id in things.ids()
    assert dead.id not in things.ids()
    store.end("run-live", "job-b", None)
    assert (await manager.cleanup(older_than="0s")).deleted == {"things": 1}
    assert things.ids() == set()


async def test_a_session_holds_its_run_beside_other_holders(
    manager: tdm.Manager, things: Things
) -> None:
    """A session that cleans up after itself holds its run with its manager's keeper; when it
    ends, another holder's lease on the run is still there."""
    store = manager.ledger.store
    store.hold(["run-mixed"], 60, "with-run")
    async with manager.session(run_id="run-mixed") as s:
        await s.create("thing")
        run = store.run("run-mixed")
        assert run is not None
        assert sorted(run.holders(store.now())) == sorted(["with-run", manager.leases.holder])
    run = store.run("run-mixed")
    assert run is not None
    assert run.holders(store.now()) == ["with-run"]
    assert things.ids() == set()


async def test_a_session_ending_during_a_renewal_ends_its_lease_after_it(
    manager: tdm.Manager,
) -> None:
    """A session ends while its keeper renews its leases: the end waits for the renewal (in a
    worker thread; the event loop runs on), so the renewal cannot take the lease again after
    it; then the session's lease is gone."""
    keeper, store = manager.leases, manager.ledger.store
    session = manager.session(run_id="run-renewing")
    await session.__aenter__()
    ended = anyio.Event()

    async def end_session() -> None:
        await session.__aexit__(None, None, None)
        ended.set()

    with keeper._renewing:  # a renewal in flight
        async with anyio.create_task_group() as tg:
            tg.start_soon(end_session)
            await anyio.sleep(0.2)  # a chance to end too early (it must not)
            assert not ended.is_set()
            run = store.run("run-renewing")
            assert run is not None
            assert run.holders(store.now()) == [keeper.holder]
            keeper._renewing.release()  # the renewal is done: the end goes on
            await ended.wait()
            keeper._renewing.acquire()  # (for the ``with`` to release)
    run = store.run("run-renewing")
    assert run is None or run.holders(store.now()) == []


async def test_tdm_runs_shows_the_live_holders(manager: tdm.Manager) -> None:
    from tdm_server._run_commands import runs_command

    store = manager.ledger.store
    store.hold(["run-listed"], 60, "worker-gw0")
    store.hold(["run-listed"], 61, "worker-gw1")  # longer, whatever the clock's resolution
    store.hold(["run-listed"], 0.0, "worker-gone")
    out = io.StringIO()
    assert await runs_command(manager, limit=10, as_json=False, out=out) == 0
    (line,) = [row for row in out.getvalue().splitlines() if "run-listed" in row]
    assert "worker-gw1, worker-gw0" in line  # the longest lease first
    assert "worker-gone" not in line
    out = io.StringIO()
    await runs_command(manager, limit=10, as_json=True, out=out)
    (item,) = json.loads(out.getvalue())["items"]
    assert [(h["holder"], h["live"]) for h in item["holders"]] == [
        ("worker-gw1", True), ("worker-gw0", True), ("worker-gone", False)
    ]  # fmt: skip


async def test_a_request_in_flight_renews_the_live_leases_only(manager: tdm.Manager) -> None:
    """A replica serving a request in a run renews its holders' live leases (it does not know
    which holder sent it); a lease that ran out stays so: the reaper may be at that run."""
    store = manager.ledger.store
    store.hold(["run-busy"], 5, "client-a")
    store.hold(["run-busy"], 0.0, "client-gone")
    before = store.run("run-busy")
    store.touch("run-busy", None, 120)
    after = store.run("run-busy")
    assert before is not None
    assert after is not None
    until = {lease.holder: lease.lease_until for lease in after.leases}
    assert until["client-a"] > (before.lease_until or 0) + 60
    assert until["client-gone"] <= store.now()
