"""Cleanup at scale: ``python -m bench.scale``. Prints a table.

1. Per entity, what a bulk cleanup through the databases costs (the shop's rows deleted by
   ``delete_many``, the ledger's records removed) with 1,000 tracked entities and with N
   (default 100,000), on SQLite (shop and ledger) and on PostgreSQL (shop and ledger); the
   target is linear: N's cost per entity within 1.2x of 1,000's.
2. ``tdm serve``'s memory (VmRSS of its process) with 1,000 tracked, with N tracked and after
   ``DELETE /api/cleanup {"all": true}`` removed them all: within 10 MiB of the first.

The entities are categories (no children, one row each), seeded straight into the shop's
database and the ledger in bulk: the figure is cleanup's, not creation's. PostgreSQL:
databases of their own on ``TDM_BENCH_PG``, dropped at the end.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx2
import sqlalchemy as sa

import tdm
import tdm_scenarios
from tdm._records import new_tracking_id
from tdm._store import open_store

from ._report import Row, render, verdict
from ._shop import Shop, shop_process
from .http import _wait
from .ledger import _pg_database

_SEED_SQLITE = (
    "WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < :n) "
    "INSERT INTO categories (name, description) SELECT :tag || '-' || i, '' FROM g "
    "WHERE true RETURNING id"
)
_SEED_PG = (
    "INSERT INTO categories (name, description) "
    "SELECT :tag || '-' || g, '' FROM generate_series(1, :n) g RETURNING id"
)


def _sync_url(url: str) -> str:
    return url.replace("postgresql://", "postgresql+psycopg://", 1)


def seed(shop: Shop, ledger: str, run_id: str, count: int) -> None:
    """``count`` categories in the shop's database and a created record of each in the
    ledger, in bulk."""
    engine = sa.create_engine(_sync_url(shop.databases[1]))
    tag = f"scale-{uuid.uuid4().hex[:8]}"
    statement = _SEED_PG if engine.dialect.name == "postgresql" else _SEED_SQLITE
    with engine.begin() as conn:
        ids = [str(i) for i in conn.execute(sa.text(statement), {"n": count, "tag": tag}).scalars()]
    engine.dispose()
    store = open_store(ledger)
    store.migrate()
    now = datetime.now(UTC)
    for start in range(0, len(ids), 10_000):
        store.add([
            tdm.TrackingRecord(
                tracking_id=new_tracking_id(), registry="shop", kind="category", target="shop",
                state="created", entity_id=entity_id, label=None, lookup=None, refs=(),
                run_id=run_id, session_id="scale", test_id=None, scenario=None, params=None,
                seed=1, created_at=now + timedelta(microseconds=start + n),
            )
            for n, entity_id in enumerate(ids[start : start + 10_000])
        ])  # fmt: skip
    store.close()


async def cleanup_cost(shop: Shop, ledger: str, count: int) -> float:
    """Seconds per entity of one cleanup of ``count`` entities."""
    settings = tdm.Settings(
        ledger_path=ledger, env=shop.env(), run_id=f"scale-{uuid.uuid4().hex[:8]}"
    )
    seed(shop, ledger, settings.run_id, count)
    manager = tdm.Manager(settings, registry=tdm_scenarios.registry)
    try:
        start = time.perf_counter()
        report = await manager.cleanup(run_id=settings.run_id)
        elapsed = time.perf_counter() - start
    finally:
        manager.ledger.close()
    if report.deleted.get("categories") != count or not report.complete:
        raise RuntimeError(f"cleanup of {count} went wrong: {report.summary()}")
    return elapsed / count


async def bench_cleanup(stores: dict[str, tuple[Shop, str]], large: int) -> list[Row]:
    rows: list[Row] = []
    for name, (shop, ledger) in stores.items():
        await cleanup_cost(shop, ledger, 200)  # warm connections and caches
        small = min([await cleanup_cost(shop, ledger, 1000) for _ in range(3)])
        big = await cleanup_cost(shop, ledger, large)
        ratio = big / small
        rows += [
            (f"cleanup per entity, 1,000, {name}", f"{small * 1e6:.0f} us", "1.00", ""),
            (f"cleanup per entity, {large:,}, {name}", f"{big * 1e6:.0f} us", f"{ratio:.2f}",
             verdict(ratio, 1.2)),
        ]  # fmt: skip
    return rows


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _rss_kib(pid: int) -> tuple[int, int]:
    """(VmRSS, VmHWM) of a process, in KiB."""
    fields = dict(
        line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
    )
    return int(fields["VmRSS"].split()[0]), int(fields["VmHWM"].split()[0])


@contextmanager
def _tdm_serve(shop: Shop, ledger: str) -> Iterator[tuple[str, int]]:
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, **shop.env(), "TDM_LEDGER": ledger, "TDM_REAPER": "off",
           "LOG_LEVEL": "warning", "TDM_RUN_ID": "scale-server"}  # fmt: skip
    args = [sys.executable, "-m", "tdm_server", "serve", "--port", str(port)]
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    try:
        _wait(f"{url}/api/health", process, "tdm serve")
        yield url, process.pid
    finally:
        process.terminate()
        process.wait(timeout=30)


def bench_memory(shop: Shop, ledger: str, large: int) -> list[Row]:
    """``tdm serve``'s RSS with 1,000 tracked, with ``large`` tracked, after cleaning all."""
    with (
        _tdm_serve(shop, ledger) as (url, pid),
        httpx2.Client(base_url=url, timeout=600, trust_env=False) as http,
    ):

        def touch() -> None:  # what a server does with its ledger besides writing to it
            assert http.get("/api/runs").status_code == 200
            assert http.get("/api/tracked", params={"limit": 100}).status_code == 200

        def clean_all() -> None:
            answer = http.request("DELETE", "/api/cleanup", json={"all": True})
            if answer.status_code != 200 or not answer.json()["complete"]:
                raise RuntimeError(f"cleanup through tdm serve failed: {answer.text}")

        http.get("/mcp")  # the MCP server is built on first use (or after a second): now
        seed(shop, ledger, "scale-warm", 1000)
        touch()
        clean_all()  # every code path loaded once
        seed(shop, ledger, "scale-1", 1000)
        touch()
        base, _ = _rss_kib(pid)
        seed(shop, ledger, "scale-n", large - 1000)
        touch()
        full, _ = _rss_kib(pid)
        clean_all()
        touch()
        after, peak = _rss_kib(pid)

    def line(label: str, kib: int, target: str = "") -> Row:
        return (label, f"{kib / 1024:.1f} MiB", f"{(kib - base) / 1024:+.1f} MiB", target)

    worst = max(full, after) - base
    return [
        line("tdm serve RSS, 1,000 tracked", base),
        line(f"tdm serve RSS, {large:,} tracked", full),
        line(f"tdm serve RSS, after cleaning {large:,} (one DELETE all)", after,
             verdict(worst / 1024, 10, " MiB")),
        line("  its peak (VmHWM) over the whole run", peak),
    ]  # fmt: skip


async def bench_scale(large: int = 100_000) -> list[Row]:
    """Both parts, on shops and ledgers of their own."""
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        root = Path(tmp)
        sqlite_shop = stack.enter_context(shop_process(root / "shop"))
        databases = (stack.enter_context(_pg_database()), stack.enter_context(_pg_database()))
        pg_shop = stack.enter_context(shop_process(root / "pg-shop", databases))
        stores = {
            "SQLite": (sqlite_shop, str(root / "ledger.sqlite3")),
            "PostgreSQL": (pg_shop, stack.enter_context(_pg_database())),
        }
        rows = await bench_cleanup(stores, large)
        rows += bench_memory(sqlite_shop, str(root / "served.sqlite3"), large)
    return rows


async def main(large: int) -> None:
    print(render(await bench_scale(large)))


if __name__ == "__main__":
    import anyio

    parser = argparse.ArgumentParser(prog="python -m bench.scale", description=__doc__)
    parser.add_argument("--n", type=int, default=100_000, help="the larger number of entities")
    anyio.run(main, parser.parse_args().n)
