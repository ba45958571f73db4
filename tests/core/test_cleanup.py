"""Cleanup beyond a session: by tracking ids, by run, all, older than; reconciling intents."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import anyio
import attrs
import pytest
import sqlalchemy as sa

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
    backdate = sa.text("UPDATE tracked SET created_at = :t WHERE tracking_id IN :ids")
    with manager.ledger.store.engine.begin() as conn:
        conn.execute(backdate.bindparams(sa.bindparam("ids", expanding=True)),
                     {"t": past, "ids": old})  # fmt: skip
    report = await manager.cleanup(older_than="1h")
    assert report.deleted["authors"] == 2
    assert [r.tracking_id for r in await manager.tracked()] == fresh
    assert library_db.count("authors") == 1


@pytest.mark.parametrize(
    ("options", "field", "expected"),
    [
        ({}, "tracking_ids", "one of tracking_ids, run_id, older_than, or all: true"),
        ({"older_than": "soon"}, "older_than", "a duration such as '90s', '15m', '1h' or '2d'"),
        ({"tracking_ids": "abc"}, "tracking_ids", "a list of strings of at most 10000 items"),
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


def _pending(
    kind: str, lookup: dict[str, str] | None, *, age: timedelta = timedelta()
) -> tdm.TrackingRecord:
    return tdm.TrackingRecord(
        tracking_id=str(uuid.uuid4()), kind=kind, target="library", state="pending",
        entity_id=None, label=None, lookup=lookup, refs=(), run_id="run-crashed",
        session_id="s", test_id=None, scenario=None, params=None, seed=1,
        created_at=datetime.now(UTC) - age,
    )  # fmt: skip


async def test_pending_intent_is_reconciled(manager: tdm.Manager, library_db: LibraryDB) -> None:
    """A crash after the system created an entity, before tdm noted its id, orphans nothing."""
    library_db.conn.execute("INSERT INTO authors VALUES ('a-1', 'Ann')")
    library_db.conn.execute("INSERT INTO books VALUES ('b-1', 'isbn-x', 'T', 'a-1')")
    await manager.ledger.add(_pending("book", {"isbn": "isbn-x"}))
    report = await manager.cleanup(run_id="run-crashed")
    assert report.deleted["books"] == 1
    assert report.complete
    assert not library_db.exists("books", "b-1")
    assert await manager.ledger.count() == 0


async def test_a_create_not_found_yet_is_kept_until_it_cannot_land(
    manager: tdm.Manager, library_db: LibraryDB
) -> None:
    """A pending record whose natural key finds nothing is not counted as done: it is kept
    (and reported unverified) while its create may still land, and forgotten only after the
    grace period, reported too."""
    recent = _pending("book", {"isbn": "isbn-late"})
    old = _pending("book", {"isbn": "isbn-never"}, age=manager.settings.grace * 2)
    for record in (recent, old):
        await manager.ledger.add(record)
    report = await manager.cleanup(run_id="run-crashed")
    assert not report.complete
    assert {(u.tracking_id, u.kept) for u in report.unverified} == {
        (recent.tracking_id, True),
        (old.tracking_id, False),
    }
    assert [r.tracking_id for r in await manager.tracked()] == [recent.tracking_id]
    library_db.conn.execute("INSERT INTO authors VALUES ('a-2', 'Bo')")
    library_db.conn.execute("INSERT INTO books VALUES ('b-2', 'isbn-late', 'T', 'a-2')")
    later = await manager.cleanup(run_id="run-crashed")
    assert (later.deleted["books"], later.complete) == (1, True)
    assert not library_db.exists("books", "b-2")
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
    assert report.failures[0].reason == "no entity kind 'dragon' is selected here"
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
    slow = manager.catalog.kind("book")
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


async def test_what_stays_on_one_page_keeps_its_parents_on_later_ones(
    manager: tdm.Manager, library_db: LibraryDB, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Records come two at a time, newest first: a book that cannot go (first page) keeps
    its author (last page) without a delete attempt; everything else goes."""
    monkeypatch.setattr("tdm._cleanup.BATCH", 2)
    async with manager.session(keep=True, run_id="run-p") as s:
        authors = await s.create_many("author", 3)
        books = [await s.create("book", author_uuid=a.uuid) for a in authors]
    library_db.fail_deletes.add(books[2].uuid)
    report = await manager.cleanup(run_id="run-p")
    assert report.deleted == {"authors": 2, "books": 2}
    assert report.matched == 6
    failed = {f.entity_id: f.reason for f in report.failures}
    assert set(failed) == {books[2].uuid, authors[2].uuid}
    assert failed[authors[2].uuid].startswith(f"kept because book {books[2].uuid}")
    assert library_db.exists("authors", authors[2].uuid)
    assert library_db.exists("books", books[2].uuid)
    assert (library_db.count("authors"), library_db.count("books")) == (1, 1)
    left = {r.entity_id: r.attempts for r in await manager.tracked(run_id="run-p")}
    assert left == {books[2].uuid: 1, authors[2].uuid: 0}
