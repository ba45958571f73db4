"""Cleanup beyond a session: by tracking ids, by run, all, older than; reconciling intents."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import anyio
import attrs
import pytest

import tdm

from .library import LibraryDB


async def _keep(manager: tdm.Manager, run_id: str, authors: int) -> list[str]:
    async with manager.session(keep=True, run_id=run_id) as s:
        await s.create_many("author", authors)
    return s.tracking_ids


async def test_by_tracking_ids(manager: tdm.Manager, library_db: LibraryDB) -> None:
    """Only the named records are removed."""
    ids = await _keep(manager, "run-a", 3)
    report = await manager.cleanup(tracking_ids=ids[:2])
    assert report.deleted["authors"] == 2
    assert library_db.count("authors") == 1
    assert [r.tracking_id for r in await manager.tracked()] == ids[2:]


async def test_by_run(manager: tdm.Manager, library_db: LibraryDB) -> None:
    """A run's entities go; another run's stay."""
    await _keep(manager, "run-a", 2)
    other = await _keep(manager, "run-b", 1)
    report = await manager.cleanup(run_id="run-a")
    assert report.deleted == {"authors": 2, "books": 0}
    assert library_db.count("authors") == 1
    assert [r.tracking_id for r in await manager.tracked()] == other


async def test_all(manager: tdm.Manager, library_db: LibraryDB) -> None:
    """all=True removes every tracked entity, whatever its run."""
    await _keep(manager, "run-a", 2)
    await _keep(manager, "run-b", 2)
    assert (await manager.cleanup(all=True)).total_deleted == 4
    assert library_db.count("authors") == 0


async def test_older_than(manager: tdm.Manager, library_db: LibraryDB) -> None:
    """Only records created before now minus the duration are removed."""
    old = await _keep(manager, "run-a", 2)
    fresh = await _keep(manager, "run-a", 1)
    past = (datetime.now(UTC) - timedelta(hours=2)).timestamp()
    manager.ledger._db.execute(
        f"UPDATE tracked SET created_at=? WHERE tracking_id IN ({','.join('?' * len(old))})",  # noqa: S608
        (past, *old),
    )
    report = await manager.cleanup(older_than="1h")
    assert report.deleted["authors"] == 2
    assert [r.tracking_id for r in await manager.tracked()] == fresh
    assert library_db.count("authors") == 1


@pytest.mark.parametrize(
    ("options", "field", "expected"),
    [
        ({}, "trackingIds", "one of trackingIds, runId, olderThan, or all=true"),
        ({"older_than": "soon"}, "olderThan", "a duration such as '90s', '15m', '1h' or '2d'"),
        ({"tracking_ids": "abc"}, "trackingIds", "a list of tracking id strings"),
    ],
    ids=["nothing-selected", "bad-duration", "ids-not-a-list"],
)
async def test_bad_options_are_refused(
    manager: tdm.Manager, options: dict[str, object], field: str, expected: str
) -> None:
    """Cleanup needs an explicit selection; bad values name the field."""
    with pytest.raises(tdm.InvalidParameters) as info:
        await manager.cleanup(**options)  # type: ignore[arg-type]
    problem = info.value.problems[0]
    assert (problem.field, problem.expected) == (field, expected)


def _pending(kind: str, lookup: dict[str, str] | None) -> tdm.TrackingRecord:
    return tdm.TrackingRecord(
        tracking_id=str(uuid.uuid4()), kind=kind, target="library", state="pending",
        entity_id=None, label=None, lookup=lookup, refs=(), run_id="run-crashed",
        session_id="s", test_id=None, scenario=None, params=None, seed=1,
        created_at=datetime.now(UTC),
    )  # fmt: skip


async def test_pending_intent_is_reconciled(manager: tdm.Manager, library_db: LibraryDB) -> None:
    """A crash after the system created an entity, before tdm noted its id, orphans nothing."""
    library_db.conn.execute("INSERT INTO authors VALUES ('a-1', 'Ann')")
    library_db.conn.execute("INSERT INTO books VALUES ('b-1', 'isbn-x', 'T', 'a-1')")
    await manager.ledger.add(_pending("book", {"isbn": "isbn-x"}))
    never_created = _pending("book", {"isbn": "isbn-never"})
    await manager.ledger.add(never_created)
    report = await manager.cleanup(run_id="run-crashed")
    assert report.deleted["books"] == 1
    assert not library_db.exists("books", "b-1")
    assert await manager.ledger.count() == 0


async def test_pending_intent_of_a_kind_that_cannot_look_up_stays(
    manager: tdm.Manager, library_db: LibraryDB
) -> None:
    """Without a way to find the entity, the pending record stays and is reported."""
    record = _pending("author", {"name": "Ann"})
    await manager.ledger.add(record)
    report = await manager.cleanup(run_id="run-crashed")
    assert [(f.tracking_id, f.reason) for f in report.failures] == [
        (record.tracking_id, "kind 'author' cannot look entities up")
    ]
    assert await manager.ledger.count() == 1


async def test_unknown_kind_in_ledger_is_kept(manager: tdm.Manager) -> None:
    """A record of a kind no longer registered is never dropped."""
    record = attrs.evolve(_pending("dragon", None), state="created", entity_id="d1")
    await manager.ledger.add(record)
    report = await manager.cleanup(all=True)
    assert report.failures[0].reason == "no entity kind 'dragon' is registered"
    assert await manager.ledger.count() == 1


async def test_cleanup_is_idempotent(manager: tdm.Manager) -> None:
    """A second cleanup of the same selection finds nothing to do."""
    await _keep(manager, "run-a", 2)
    assert (await manager.cleanup(run_id="run-a")).total_deleted == 2
    second = await manager.cleanup(run_id="run-a")
    assert second.total_deleted == 0
    assert second.complete


async def test_confirm_after_a_concurrent_cleanup_keeps_the_record(
    manager: tdm.Manager, library_db: LibraryDB
) -> None:
    """A cleanup that drops an intent whose create is still in flight cannot orphan it."""
    slow = manager.registry.get_kind("book")
    entered, release = anyio.Event(), anyio.Event()
    original = slow.create

    async def create_slowly(client: object, spec: object) -> object:
        entered.set()
        await release.wait()
        return await original(client, spec)  # type: ignore[arg-type]

    slow.create = create_slowly  # type: ignore[method-assign]
    made: list[object] = []
    async with manager.session(keep=True) as s, anyio.create_task_group() as tg:

        async def create() -> None:
            made.append(await s.create("book", author_uuid=author.uuid))

        author = await s.create("author")
        tg.start_soon(create)
        await entered.wait()
        report = await manager.cleanup(tracking_ids=[s.tracking_ids[-1]])
        assert report.total_deleted == 0  # nothing to find yet: the intent was dropped
        release.set()
    (book,) = made
    records = {r.entity_id: r for r in await manager.tracked()}
    assert records[book.uuid].state == "created"  # type: ignore[attr-defined]
    await manager.cleanup(all=True)
    assert library_db.count("books") == 0


async def test_older_than_spares_the_baseline(manager: tdm.Manager, library_db: LibraryDB) -> None:
    """Reference data kept under run "baseline" survives an age-based cleanup, not "all"."""
    await _keep(manager, "baseline", 1)
    await _keep(manager, "run-a", 1)
    assert (await manager.cleanup(older_than="0s")).deleted["authors"] == 1
    assert [r.run_id for r in await manager.tracked()] == ["baseline"]
    assert (await manager.cleanup(older_than="0s", run_id="baseline")).deleted["authors"] == 1
    assert library_db.count("authors") == 0
