"""The ledger's writer: many callers' intents and confirms at once, each durable when its call
returns (another connection sees it), and a write that fails fails its own caller only."""

from __future__ import annotations

import sqlite3
import uuid
from datetime import UTC, datetime
from pathlib import Path

import anyio

import tdm


def _intent(run_id: str, tracking_id: str | None = None) -> tdm.TrackingRecord:
    return tdm.TrackingRecord(
        tracking_id=tracking_id or uuid.uuid4().hex, kind="thing", target="things",
        state="pending", entity_id=None, label=None, lookup={"name": "x"}, refs=(),
        run_id=run_id, session_id="s", test_id=None, scenario=None, params=None, seed=1,
        created_at=datetime.now(UTC),
    )  # fmt: skip


async def _release_later(other: sqlite3.Connection, released: list[bool]) -> None:
    """Free the write lock ``other`` holds, a moment from now, noting that it did."""
    await anyio.sleep(0.2)
    released.append(True)
    other.execute("COMMIT")


async def test_callers_at_once_each_durable_and_a_fault_is_its_callers_alone(
    ledger_url: str,
) -> None:
    ledger = tdm.Ledger(ledger_url)
    other = tdm.Ledger(ledger_url)  # another connection: sees only what was committed
    run_id = f"run-{uuid.uuid4().hex[:8]}"
    taken = _intent(run_id)
    await ledger.add(taken)
    intents = [_intent(run_id) for _ in range(30)]
    to_confirm = intents[:10]
    await ledger.add_many(to_confirm)
    failed: list[BaseException] = []
    seen_after_return: list[bool] = []

    async def add(record: tdm.TrackingRecord) -> None:
        await ledger.add(record)
        found = await other.select(tracking_ids=[record.tracking_id])
        seen_after_return.append(len(found) == 1)

    async def add_taken_again() -> None:
        try:
            await ledger.add(_intent(run_id, taken.tracking_id))
        except Exception as exc:  # noqa: BLE001 -- what the caller sees, checked below
            failed.append(exc)

    async def confirm(record: tdm.TrackingRecord) -> None:
        await ledger.confirm(record, f"id-{record.tracking_id[:6]}", "a thing")

    try:
        async with anyio.create_task_group() as tg:
            for record in intents[10:]:
                tg.start_soon(add, record)
            tg.start_soon(add_taken_again)
            for record in to_confirm:
                tg.start_soon(confirm, record)
        assert len(failed) == 1, failed
        assert "unique" in str(failed[0]).lower() or "duplicate" in str(failed[0]).lower()
        assert seen_after_return == [True] * 20
        found = {r.tracking_id: r for r in await other.select(run_id=run_id)}
        assert set(found) == {taken.tracking_id, *(r.tracking_id for r in intents)}
        assert {found[r.tracking_id].state for r in to_confirm} == {"created"}
        assert {found[r.tracking_id].label for r in to_confirm} == {"a thing"}
        assert {found[r.tracking_id].state for r in intents[10:]} == {"pending"}
    finally:
        ledger.close()
        other.close()


async def test_a_confirm_whose_intent_is_gone_writes_the_record_again(ledger_url: str) -> None:
    ledger = tdm.Ledger(ledger_url)
    try:
        record = _intent(f"run-{uuid.uuid4().hex[:8]}")
        await ledger.add(record)
        await ledger.remove([record.tracking_id])  # a cleanup elsewhere dropped the intent
        await ledger.confirm(record, "id-1", None, secret={"password": "pw"})
        (found,) = await ledger.select(tracking_ids=[record.tracking_id])
        assert (found.state, found.entity_id, found.label) == ("created", "id-1", None)
        assert await ledger.secret("", "thing", "id-1") == {"password": "pw"}
    finally:
        ledger.close()


def test_one_writer_serves_every_event_loop(ledger_url: str) -> None:
    """Sync code runs a loop per call (``anyio.run``): the writer answers each on its own."""
    ledger = tdm.Ledger(ledger_url)
    try:
        record = _intent(f"run-{uuid.uuid4().hex[:8]}")
        anyio.run(ledger.add, record)
        anyio.run(lambda: ledger.confirm(record, "id-2", "second loop"))
        (found,) = anyio.run(lambda: ledger.select(tracking_ids=[record.tracking_id]))
        assert (found.state, found.label) == ("created", "second loop")
    finally:
        ledger.close()


async def test_a_write_that_finds_the_file_locked_waits_without_holding_up_the_loop(
    tmp_path: Path,
) -> None:
    """SQLite: a write made while another process holds the file's write lock is made once the
    lock is free, by the writer's thread; the caller's event loop runs on meanwhile (it frees
    the lock here)."""
    location = str(tmp_path / "ledger.sqlite3")
    ledger = tdm.Ledger(location)
    other = sqlite3.connect(location, isolation_level=None)
    released: list[bool] = []
    try:
        record = _intent("run-locked")
        await ledger.add(_intent("run-locked"))  # the writer's own connection is open
        other.execute("BEGIN IMMEDIATE")

        async with anyio.create_task_group() as tg:
            tg.start_soon(_release_later, other, released)
            await ledger.add(record)
            assert released == [True]
        (found,) = await ledger.select(tracking_ids=[record.tracking_id])
        assert found.state == "pending"
    finally:
        other.close()
        ledger.close()


async def test_small_reads_and_claims_while_the_file_is_locked(tmp_path: Path) -> None:
    """SQLite: a session's few records are read and claimed in the caller's thread. While
    another process holds the file's write lock, a read still sees what was committed, and a
    claim waits for the lock in a worker thread (the caller's loop runs on and frees it),
    then claims; a second cleanup's claim of the same records gets none."""
    location = str(tmp_path / "ledger.sqlite3")
    ledger = tdm.Ledger(location)
    other = sqlite3.connect(location, isolation_level=None)
    released: list[bool] = []
    try:
        records = [_intent("run-locked") for _ in range(3)]
        await ledger.add_many(records)
        ids = [r.tracking_id for r in records]
        other.execute("BEGIN IMMEDIATE")
        assert {r.tracking_id for r in await ledger.select(tracking_ids=ids)} == set(ids)

        async with anyio.create_task_group() as tg:
            tg.start_soon(_release_later, other, released)
            assert await ledger.claim(ids, "cleanup-a", 60.0) == set(ids)
            assert released == [True]
        assert await ledger.claim(ids, "cleanup-b", 60.0) == set()
        assert await ledger.claim(ids, "cleanup-a", 60.0) == set(ids)  # its own claim again
    finally:
        other.close()
        ledger.close()
