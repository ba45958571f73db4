"""The ledger's cost: ``python -m bench.ledger``. Prints a table.

1. Per entity, what the ledger writes for it: an intent before the create, a confirm after it,
   the record's removal once the entity is gone. On a SQLite file and on PostgreSQL, through
   :class:`tdm.Ledger` (its writer thread, as tdm calls it; the target: within 2x of raw SQL)
   and :class:`~tdm._store.Store` (synchronous), against the same three writes in raw SQL with
   the driver alone (sqlite3, psycopg; one transaction each, as the ledger commits each).
   Interleaved, per round. Then the write path alone (intent and confirm, what a create waits
   for), timed in the same calls.
2. A scenario's overhead: ``user-with-orders(3)`` plus its cleanup on one shop with a
   PostgreSQL ledger and with a SQLite one, interleaved in the same run; the ratio is what a
   shared ledger costs a test.

PostgreSQL: a database of its own on ``TDM_BENCH_PG`` (default: the local server, user
postgres), dropped at the end.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import AsyncExitStack, contextmanager
from datetime import UTC, datetime
from pathlib import Path

import anyio
import psycopg

import tdm
import tdm_scenarios
from tdm._store import Store

from ._records import RawRecords
from ._report import Row, render, verdict
from ._shop import shop_process

SERVER = os.environ.get("TDM_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


@contextmanager
def _pg_database() -> Iterator[str]:
    """A fresh database on ``SERVER``; its URL."""
    name = f"tdm_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(SERVER, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield SERVER.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with psycopg.connect(SERVER, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _record(run_id: str) -> tdm.TrackingRecord:
    return tdm.TrackingRecord(
        tracking_id=uuid.uuid4().hex, registry="bench", kind="user", target="auth",
        state="pending", entity_id=None, label=None, lookup={"email": "a@example.com"}, refs=(),
        run_id=run_id, session_id="bench", test_id=None, scenario=None, params=None, seed=1,
        created_at=datetime.now(UTC),
    )  # fmt: skip


def _raw_entity(raw: RawRecords) -> float:
    """Intent, confirm, removal with the driver alone; the time the first two took."""
    start = time.perf_counter()
    tracking_id = raw.intent("user", "a@example.com")
    raw.confirm(tracking_id, "user-1", "a@example.com")
    written = time.perf_counter() - start
    raw.remove([tracking_id])
    return written


def _by_store(store: Store) -> Callable[[], float]:
    def entity() -> float:
        start = time.perf_counter()
        record = _record("store")
        store.add([record])
        store.confirm(record, "user-1", "a@example.com", None)
        written = time.perf_counter() - start
        store.remove([record.tracking_id])
        return written

    return entity


async def bench_entity(locations: dict[str, str], rounds: int) -> list[Row]:
    """Intent + confirm + remove of one entity, per store: raw SQL, Store, Ledger."""
    rows: list[Row] = []
    for name, location in locations.items():
        ledger = tdm.Ledger(location)
        raw = RawRecords(location)
        by_store = _by_store(ledger.store)

        async def by_ledger(ledger: tdm.Ledger = ledger) -> float:
            start = time.perf_counter()
            record = _record("ledger")
            await ledger.add(record)
            await ledger.confirm(record, "user-1", "a@example.com")
            written = time.perf_counter() - start
            await ledger.remove([record.tracking_id])
            return written

        times: dict[str, list[float]] = {"raw": [], "store": [], "ledger": []}
        writes: dict[str, list[float]] = {"raw": [], "store": [], "ledger": []}
        for _ in range(10):  # warm connections and statement caches
            _raw_entity(raw), by_store()
            await by_ledger()
        for _ in range(rounds):
            start = time.perf_counter()
            writes["raw"].append(_raw_entity(raw))
            times["raw"].append(time.perf_counter() - start)
            start = time.perf_counter()
            writes["store"].append(by_store())
            times["store"].append(time.perf_counter() - start)
            start = time.perf_counter()
            writes["ledger"].append(await by_ledger())
            times["ledger"].append(time.perf_counter() - start)
        raw.close()
        ledger.close()
        r, s, w = (statistics.median(times[k]) for k in ("raw", "store", "ledger"))
        rows += [
            (f"{name}: intent+confirm+remove, raw SQL", f"{r * 1000:.2f} ms", "1.00", ""),
            (f"{name}: the same, Store", f"{s * 1000:.2f} ms", f"{s / r:.2f}", ""),
            (f"{name}: the same, Ledger (writer thread)", f"{w * 1000:.2f} ms", f"{w / r:.2f}",
             verdict(w / r, 2)),
        ]  # fmt: skip
        r, s, w = (statistics.median(writes[k]) for k in ("raw", "store", "ledger"))
        rows += [
            (f"{name}: intent+confirm (the write path), raw SQL", f"{r * 1000:.2f} ms", "1.00", ""),
            (f"{name}: the same, Store", f"{s * 1000:.2f} ms", f"{s / r:.2f}", ""),
            (f"{name}: the same, Ledger (writer thread)", f"{w * 1000:.2f} ms", f"{w / r:.2f}",
             ""),
        ]  # fmt: skip
    return rows


async def bench_scenario(env: dict[str, str], locations: dict[str, str], rounds: int) -> list[Row]:
    """user-with-orders(3) + cleanup with each ledger, on one shop, interleaved."""
    settings = {name: tdm.Settings(ledger_path=location, env=env)
                for name, location in locations.items()}  # fmt: skip
    times: dict[str, list[float]] = {name: [] for name in settings}
    async with AsyncExitStack() as stack:
        managers = {
            name: await stack.enter_async_context(
                tdm.Manager(given, registry=tdm_scenarios.registry)
            )
            for name, given in settings.items()
        }
        for manager in managers.values():
            stack.callback(manager.ledger.close)
        await tdm_scenarios.seed(managers["SQLite"])
        for _ in range(2):  # warm every path
            for manager in managers.values():
                async with manager.session() as s:
                    await s.run("user-with-orders", order_count=3)
        for _ in range(rounds):
            for name, manager in managers.items():
                start = time.perf_counter()
                async with manager.session() as s:
                    await s.run("user-with-orders", order_count=3)
                times[name].append(time.perf_counter() - start)
        await managers["SQLite"].cleanup(all=True)
    lite, pg = statistics.median(times["SQLite"]), statistics.median(times["PostgreSQL"])
    return [
        ("user-with-orders(3) + cleanup, SQLite ledger", f"{lite * 1000:.1f} ms", "1.00", ""),
        ("user-with-orders(3) + cleanup, PostgreSQL ledger", f"{pg * 1000:.1f} ms",
         f"{pg / lite:.2f}", ""),
    ]  # fmt: skip


async def bench_ledger(rounds: int = 300, scenario_rounds: int = 20) -> list[Row]:
    """Every row of this module: per entity and per scenario, SQLite and PostgreSQL."""
    with (
        tempfile.TemporaryDirectory() as tmp,
        _pg_database() as pg_entities,
        _pg_database() as pg_scenario,
        shop_process(Path(tmp) / "shop") as shop,
    ):
        rows = await bench_entity(
            {"SQLite": str(Path(tmp) / "entities.sqlite3"), "PostgreSQL": pg_entities}, rounds
        )
        locations = {"SQLite": str(Path(tmp) / "scenario.sqlite3"), "PostgreSQL": pg_scenario}
        rows += await bench_scenario(shop.env(), locations, scenario_rounds)
    return rows


async def main(rounds: int, scenario_rounds: int) -> None:
    print(render(await bench_ledger(rounds, scenario_rounds)))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.ledger", description=__doc__)
    parser.add_argument("--rounds", type=int, default=300, help="entities per store")
    parser.add_argument("--scenario-rounds", type=int, default=20, help="scenarios per ledger")
    args = parser.parse_args()
    anyio.run(main, args.rounds, args.scenario_rounds)
