"""Sessions create entities in the library, track them, and remove them on exit."""

from __future__ import annotations

import uuid

import anyio
import pytest

import tdm

from .library import LibraryDB


async def test_exit_removes_everything_created(manager: tdm.Manager, library_db: LibraryDB) -> None:
    """Leaving the block deletes what the session made, checked in the library's own tables."""
    async with manager.session() as s:
        book = await s.create("book")
        assert library_db.exists("books", book.uuid)
        assert library_db.count("authors") == 1
    assert library_db.count("books") == 0
    assert library_db.count("authors") == 0
    assert await manager.ledger.count() == 0
    assert s.report is not None
    assert s.report.deleted == {"authors": 1, "books": 1}


async def test_exception_inside_block_still_cleans(
    manager: tdm.Manager, library_db: LibraryDB
) -> None:
    """An error in the test body does not leak data, and the error still propagates."""
    with pytest.raises(ZeroDivisionError):
        async with manager.session() as s:
            await s.create_many("book", 3)
            _ = 1 / 0
    assert library_db.count("books") == library_db.count("authors") == 0


async def test_cancellation_still_cleans(manager: tdm.Manager, library_db: LibraryDB) -> None:
    """A cancelled block (a test timeout) still removes what it created."""
    created = anyio.Event()
    with anyio.move_on_after(5):
        async with anyio.create_task_group() as tg:

            async def body() -> None:
                async with manager.session() as s:
                    await s.create_many("author", 4)
                    created.set()
                    await anyio.sleep_forever()

            tg.start_soon(body)
            await created.wait()
            assert library_db.count("authors") == 4
            tg.cancel_scope.cancel()
    assert library_db.count("authors") == 0
    assert await manager.ledger.count() == 0


async def test_children_are_deleted_before_parents(
    manager: tdm.Manager, library_db: LibraryDB
) -> None:
    """The library refuses to delete an author with books; cleanup orders deletes to suit."""
    async with manager.session() as s:
        author = await s.create("author")
        await s.create_many("book", 3, author_uuid=author.uuid)
    assert library_db.count("authors") == library_db.count("books") == 0


async def test_already_gone_counts_as_deleted(manager: tdm.Manager, library_db: LibraryDB) -> None:
    """An entity someone else removed is counted as gone and its record dropped."""
    async with manager.session() as s:
        author = await s.create("author")
        library_db.conn.execute("DELETE FROM authors WHERE id=?", (author.uuid,))
    assert s.report is not None
    assert s.report.deleted["authors"] == 1
    assert s.report.already_gone == 1
    assert await manager.ledger.count() == 0


async def test_failed_delete_stays_tracked_and_blocks_its_parent(
    manager: tdm.Manager, library_db: LibraryDB
) -> None:
    """A book that cannot be deleted keeps its record, and keeps its author too, with reasons."""
    with pytest.warns(tdm.LeakWarning, match="read-only"):
        async with manager.session() as s:
            book = await s.create("book")
            library_db.fail_deletes.add(book.uuid)
    assert library_db.exists("books", book.uuid)
    assert library_db.exists("authors", book.author_uuid)
    assert s.report is not None
    reasons = {f.kind: f.reason for f in s.report.failures}
    assert "read-only" in reasons["book"]
    assert "kept because book" in reasons["author"]
    left = await manager.tracked()
    assert {r.kind for r in left} == {"book", "author"}
    assert next(r for r in left if r.kind == "book").attempts == 1

    library_db.fail_deletes.clear()
    report = await manager.cleanup(run_id="run-test")
    assert report.complete
    assert report.deleted == {"authors": 1, "books": 1}
    assert library_db.count("books") == library_db.count("authors") == 0


async def test_keep_leaves_data_tracked(manager: tdm.Manager, library_db: LibraryDB) -> None:
    """keep=True leaves the data in place and in the ledger for a later cleanup."""
    async with manager.session(keep=True) as s:
        await s.create("book")
    assert library_db.count("books") == 1
    assert await manager.ledger.count() == 2
    report = await manager.cleanup(all=True)
    assert report.total_deleted == 2
    assert library_db.count("books") == library_db.count("authors") == 0


async def test_concurrent_sessions_do_not_touch_each_other(
    manager: tdm.Manager, library_db: LibraryDB
) -> None:
    """Two sessions at once: one leaving removes only its own entities."""
    first_done = anyio.Event()
    seen: dict[str, int] = {}

    async def first() -> None:
        async with manager.session() as s:
            await s.create_many("author", 3)
        first_done.set()

    async def second() -> None:
        async with manager.session() as s:
            authors = await s.create_many("author", 2)
            await first_done.wait()
            seen["remaining"] = sum(library_db.exists("authors", a.uuid) for a in authors)
            seen["total"] = library_db.count("authors")

    async with anyio.create_task_group() as tg:
        tg.start_soon(second)
        tg.start_soon(first)
    assert seen == {"remaining": 2, "total": 2}
    assert library_db.count("authors") == 0


async def test_same_seed_builds_the_same_data(manager: tdm.Manager) -> None:
    """A session replayed with the same seed produces the same values, in any concurrency."""
    names = []
    for _ in range(2):
        async with manager.session(seed=1234) as s:
            authors = await s.create_many("author", 5)
            names.append(sorted(a.name for a in authors))
    assert names[0] == names[1]
    async with manager.session(seed=4321) as s:
        other = sorted(a.name for a in await s.create_many("author", 5))
    assert other != names[0]


async def test_unique_values_carry_the_namespace(manager: tdm.Manager) -> None:
    """Unique values contain the session's namespace, so parallel runs never collide."""
    async with manager.session() as s:
        author = await s.create("author")
    assert s.namespace in author.name


async def test_records_say_who_made_what(manager: tdm.Manager) -> None:
    """Each record has kind, entity id, run, session, test, scenario, params and seed."""
    async with manager.session(test_id="tests/x.py::t", keep=True, seed=99) as s:
        data = await s.run("author-with-books", book_count=2, shelf="poetry")
    records = await manager.tracked(session_id=s.session_id)
    assert len(records) == 3
    books = [r for r in records if r.kind == "book"]
    assert {r.entity_id for r in books} == {b.uuid for b in data["books"]}
    for r in records:
        assert (r.run_id, r.test_id, r.seed, r.state) == (
            "run-test",
            "tests/x.py::t",
            99,
            "created",
        )
        assert r.scenario == "author-with-books"
        assert r.params == {"bookCount": 2, "shelf": "poetry", "note": None}
    assert books[0].refs == (("author", data["author"].uuid),)
    assert books[0].label == data["books"][0].isbn


async def test_tracking_ids_are_ordered_by_time(manager: tdm.Manager) -> None:
    """Version 7 UUIDs, their milliseconds first: records made later never sort before ones
    made earlier (the ledger's index of ids keeps a cleanup's page of records together)."""
    async with manager.session(keep=True) as s:
        for _ in range(5):
            await s.create("author")
            await anyio.sleep(0.002)  # apart by more than the ids' millisecond (not a timing check)
    records = sorted(await manager.tracked(session_id=s.session_id), key=lambda r: r.created_at)
    ids = [uuid.UUID(r.tracking_id) for r in records]
    assert {i.version for i in ids} == {7}
    assert sorted(ids) == ids


async def test_overrides_are_checked(manager: tdm.Manager) -> None:
    """Unknown or wrongly typed overrides fail before anything is created, naming the field."""
    async with manager.session() as s:
        with pytest.raises(tdm.InvalidParameters) as info:
            await s.create("author", name=5, nickname="x")
    fields = {p.field: p for p in info.value.problems}
    assert fields["name"].expected == "a string"
    assert fields["name"].got == 5
    assert fields["nickname"].unknown
    assert "nickname: not a known field; expected one of name" in str(info.value)
    assert await manager.ledger.count() == 0


async def test_create_from_takes_camel_case(manager: tdm.Manager, library_db: LibraryDB) -> None:
    """Fields arriving as JSON use camelCase names."""
    async with manager.session() as s:
        author = await s.create("author")
        book = await s.create_from("book", {"authorUuid": author.uuid, "title": "Dune"})
        assert (book.title, book.author_uuid) == ("Dune", author.uuid)
        assert library_db.count("authors") == 1


async def test_open_manager_shares_clients(settings: tdm.Settings, registry: tdm.Registry) -> None:
    """Inside ``async with manager`` sessions share one client per target; it closes after."""
    seen = []
    async with tdm.Manager(settings, registry=registry) as manager:
        for _ in range(2):
            async with manager.session() as s:
                seen.append(await s.client("library"))
                await s.create("author")
        assert seen[0] is seen[1]
        assert not seen[0].client.is_closed
    assert seen[0].client.is_closed
    async with manager.session() as s:
        assert await s.client("library") is not seen[0]
    manager.ledger.close()


async def test_refused_create_leaves_no_intent(manager: tdm.Manager, library_db: LibraryDB) -> None:
    """A 409 means nothing was made: the intent goes, and the holder of the name is untouched."""
    library_db.conn.execute("INSERT INTO authors VALUES ('someone-else', 'Taken Name')")
    async with manager.session() as s:
        with pytest.raises(tdm.TargetError) as info:
            await s.create("author", name="Taken Name")
        assert info.value.status == 409
        assert await s.records() == []
    assert library_db.exists("authors", "someone-else")
