"""tdm's benchmarks: ``python -m bench``. Prints a table of medians and ratios.

Every comparison is measured side by side in the same run, interleaved, against the reference
shop in a process of its own; targets are ratios against that run's own baseline.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import anyio
import httpx2

import tdm
import tdm_scenarios
from tdm_scenarios._sql import open_engine

from ._report import Row, render
from ._shop import Shop, shop_process
from .baseline_script import user_with_orders_by_hand


async def _timed(fn: Callable[[], Awaitable[object]]) -> float:
    start = time.perf_counter()
    await fn()
    return time.perf_counter() - start


async def bench_scenario(shop: Shop, manager: tdm.Manager, rounds: int) -> list[Row]:
    """user-with-orders(3) plus cleanup: tdm against the same calls written by hand."""
    admin_login = {"email": "admin@shop.test", "password": "Admin-Passw0rd"}
    db = open_engine("BACKEND_DB_URL", shop.env()["BACKEND_DB_URL"])
    async with (
        httpx2.AsyncClient(base_url=shop.auth_url) as auth,
        httpx2.AsyncClient(base_url=shop.backend_url) as backend,
    ):
        token = (await auth.post("/auth/login", json=admin_login)).json()["accessToken"]
        admin = {"Authorization": f"Bearer {token}"}

        async def by_tdm() -> None:
            async with manager.session() as s:
                await s.run("user-with-orders", order_count=3)

        # A manager that is not open: every session opens (and closes) its own clients.
        unopened = tdm.Manager(manager.settings, registry=manager.registry, ledger=manager.ledger)

        async def by_tdm_own_clients() -> None:
            async with unopened.session() as s:
                await s.run("user-with-orders", order_count=3)

        async def by_hand() -> None:
            await user_with_orders_by_hand(auth, backend, admin, db)

        variants = {"hand": by_hand, "tdm": by_tdm, "own": by_tdm_own_clients}
        times: dict[str, list[float]] = {name: [] for name in variants}
        for fn in variants.values():
            await fn()  # warm every path (connections, tokens, caches)
        for _ in range(rounds):
            for name, fn in variants.items():
                times[name].append(await _timed(fn))
    await db.dispose()
    h, t, o = (statistics.median(times[name]) for name in ("hand", "tdm", "own"))
    return [
        ("user-with-orders(3) + cleanup, by hand", f"{h * 1000:.1f} ms", "1.00", ""),
        ("user-with-orders(3) + cleanup, tdm", f"{t * 1000:.1f} ms", f"{t / h:.2f}", "<= 1.15"),
        ("  the same, each session opening clients", f"{o * 1000:.1f} ms", f"{o / h:.2f}", ""),
    ]


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
         "<= 0.5 s"),
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
    print(render(rows))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--rounds", type=int, default=30, help="rounds per comparison")
    anyio.run(main, parser.parse_args().rounds)
