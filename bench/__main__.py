"""tdm's benchmarks: ``python -m bench``. Prints a table of medians and ratios, a verdict per
target and a summary line.

Every comparison is measured side by side in the same run, interleaved, against the reference
shop in a process of its own; targets are ratios against that run's own baseline. It runs
every module below, with fewer rounds; each also runs alone: ``python -m bench.scenario``
(user-with-orders' wall and client CPU time against a hand-written script), ``python -m
bench.latency`` (20 ms per request), ``python -m bench.http`` (the HTTP layer), ``python -m
bench.ledger`` (the ledger's cost per entity and per scenario, SQLite and PostgreSQL),
``python -m bench.scale`` (cleanup's cost per entity and ``tdm serve``'s memory, 1,000 to
100,000 tracked entities), ``python -m bench.startup`` (start-up times). Not in the full run:
``python -m bench.profile`` says where a scenario's client CPU goes, tdm's against the scripts'.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import anyio

import tdm
import tdm_scenarios

from ._report import Row, render, verdict
from ._shop import Shop, shop_process
from .http import bench_http
from .latency import bench_depth
from .ledger import bench_ledger
from .scale import bench_scale
from .scenario import bench_scenario
from .startup import bench_startup


async def _timed(fn: Callable[[], Awaitable[object]]) -> float:
    start = time.perf_counter()
    await fn()
    return time.perf_counter() - start


async def bench_seed(manager: tdm.Manager, rounds: int) -> list[Row]:
    """The baseline seed into an empty shop, and again when it is already there."""
    fresh, again = [], []
    for _ in range(rounds):
        await manager.cleanup(all=True)
        fresh.append(await _timed(lambda: tdm_scenarios.seed(manager)))
        again.append(await _timed(lambda: tdm_scenarios.seed(manager)))
    f, a = statistics.median(fresh), statistics.median(again)
    return [
        ("baseline seed, empty shop (design: 2-3 s)", f"{f * 1000:.1f} ms", "",
         verdict(f, 0.5, " s")),
        ("baseline seed, already seeded", f"{a * 1000:.1f} ms", "", ""),
    ]  # fmt: skip


async def bench_bulk_cleanup(shop: Shop, ledger: Path, count: int) -> list[Row]:
    """Removing many users: one API call each, or one statement per batch with AUTH_DB_URL."""
    results = {}
    for label, env in (
        ("API", {k: v for k, v in shop.env().items() if not k.endswith("_DB_URL")}),
        ("database", shop.env()),
    ):
        settings = tdm.Settings(ledger_path=ledger, env=env, concurrency=8)
        manager = tdm.Manager(settings, registry=tdm_scenarios.registry)
        async with manager.session(keep=True) as s:
            await s.create_many("user", count)
        results[label] = await _timed(lambda m=manager: m.cleanup(run_id=m.settings.run_id))
        manager.ledger.close()
    api, db = results["API"], results["database"]
    return [
        (f"cleanup of {count} users, admin API", f"{api * 1000:.1f} ms", "1.00", ""),
        (f"cleanup of {count} users, AUTH_DB_URL batch", f"{db * 1000:.1f} ms", f"{db / api:.2f}",
         ""),
    ]  # fmt: skip


async def main(rounds: int) -> None:
    with tempfile.TemporaryDirectory() as tmp, shop_process(Path(tmp) / "shop") as shop:
        ledger = Path(tmp) / "ledger.sqlite3"
        settings = tdm.Settings(ledger_path=ledger, env=shop.env())
        # The hand-written side keeps its clients open, so tdm's manager does too.
        async with tdm.Manager(settings, registry=tdm_scenarios.registry) as manager:
            rows = await bench_seed(manager, rounds=5)
            rows += await bench_scenario(shop, manager, rounds)
        rows += await bench_bulk_cleanup(shop, Path(tmp) / "bulk.sqlite3", count=200)
        manager.ledger.close()
        rows += await bench_depth(Path(tmp), rounds)
    rows += await bench_ledger(rounds=200, scenario_rounds=rounds // 3)
    rows += await bench_http(rounds=100, users=400)
    rows += await bench_scale()
    rows += bench_startup()
    print(render(rows))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--rounds", type=int, default=30, help="rounds per comparison")
    anyio.run(main, parser.parse_args().rounds)
