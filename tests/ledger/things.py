"""A system whose entities cost nothing to create or delete, for tests of the ledger's runs and
the reaper: ``things`` in a SQLite file shared by every process of a test.

Each delete is logged in ``deletions`` with the deleting process's pid and whether the thing
was still there, so a thing deleted twice (by two sweepers) is counted, never hidden. A delete
waits while a file named ``block-<id>`` exists beside the database, and says so in
``blocked-<id>-<pid>``: a test holds a sweeper in the middle of a reap for as long as it likes,
and kills it there.
"""

from __future__ import annotations

import os
import sqlite3
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
import attrs

import tdm


class Things:
    """The system's storage, opened by the kind in each process and by tests to check it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.conn = sqlite3.connect(path, timeout=30, isolation_level=None,
                                    check_same_thread=False)  # fmt: skip
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.executescript(
            """
            CREATE TABLE IF NOT EXISTS things (id TEXT PRIMARY KEY);
            CREATE TABLE IF NOT EXISTS deletions (
                id TEXT NOT NULL, pid INTEGER NOT NULL, gone INTEGER NOT NULL);
            """
        )

    def ids(self) -> set[str]:
        return {row[0] for row in self.conn.execute("SELECT id FROM things")}

    def deletions(self) -> list[tuple[str, int, bool]]:
        """Every delete: the thing's id, the deleting pid, whether the thing was there."""
        rows = self.conn.execute("SELECT id, pid, gone FROM deletions ORDER BY rowid")
        return [(r[0], int(r[1]), bool(r[2])) for r in rows]

    def block(self, thing_id: str) -> Path:
        path = self.path.parent / f"block-{thing_id}"
        path.touch()
        return path

    def blocked(self, thing_id: str) -> list[int]:
        """The pids of processes waiting in the delete of ``thing_id``."""
        found = self.path.parent.glob(f"blocked-{thing_id}-*")
        return sorted(int(p.name.rsplit("-", 1)[1]) for p in found)

    def close(self) -> None:
        self.conn.close()


@attrs.frozen
class ThingSpec:
    id: str = ""


@attrs.frozen
class Thing:
    id: str


registry = tdm.Registry("things")


@registry.target("things")
@asynccontextmanager
async def things_client(settings: tdm.Settings) -> AsyncIterator[Things]:
    things = Things(Path(settings.get("THINGS_DB", "things.sqlite3")))
    try:
        yield things
    finally:
        things.close()


@registry.kind
class ThingKind(tdm.Kind[Things, ThingSpec, Thing]):
    name, plural, target, spec = "thing", "things", "things", ThingSpec

    def build(self, gen: tdm.DataGen) -> ThingSpec:
        return ThingSpec(id=uuid.uuid4().hex)

    async def create(self, client: Things, spec: ThingSpec) -> Thing:
        client.conn.execute("INSERT INTO things VALUES (?)", (spec.id,))
        return Thing(spec.id)

    def entity_id(self, entity: Thing) -> str:
        return entity.id

    async def delete(self, client: Things, record: tdm.TrackingRecord) -> bool:
        thing_id = str(record.entity_id)
        block = client.path.parent / f"block-{thing_id}"
        if block.exists():
            (client.path.parent / f"blocked-{thing_id}-{os.getpid()}").touch()
            while block.exists():  # noqa: ASYNC110 -- another process removes the file
                await anyio.sleep(0.02)
        gone = client.conn.execute("DELETE FROM things WHERE id=?", (thing_id,)).rowcount
        client.conn.execute("INSERT INTO deletions VALUES (?, ?, ?)",
                            (thing_id, os.getpid(), gone))  # fmt: skip
        return bool(gone)


def things_settings(ledger: str, things: Things | Path, **changes: object) -> tdm.Settings:
    """Settings for the things system on ``ledger``, with short leases and claims."""
    path = things.path if isinstance(things, Things) else things
    settings = tdm.Settings(
        ledger_path=ledger, run_id=f"run-{uuid.uuid4().hex[:8]}", env={"THINGS_DB": str(path)},
        lease_ttl=1.0, heartbeat_interval=0.2, keep_for=0.0, claim_ttl=1.0, cleanup_timeout=1.0,
        reaper_interval=0.1,
    )  # fmt: skip
    return settings.evolve(**changes) if changes else settings


async def leave_a_thing(manager: tdm.Manager, run_id: str) -> Thing:
    """A thing in ``run_id`` that its session leaves to the run (kept ``keep_for``: with the
    tests' settings, not at all, so the run is dead once nobody holds it)."""
    async with manager.session(run_id=run_id, keep=True) as s:
        made: Thing = await s.create("thing")
    return made


async def eventually(condition: Callable[[], object]) -> None:
    """Until ``condition()`` holds: polled, with a generous deadline (never a timing test)."""
    with anyio.fail_after(60):
        while not condition():  # noqa: ASYNC110 -- the ledger and files change, not an event
            await anyio.sleep(0.02)
