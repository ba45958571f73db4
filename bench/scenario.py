"""One scenario, tdm against the same requests by hand: ``python -m bench.scenario``.

user-with-orders(3) plus its cleanup, interleaved round by round on the reference shop in a
process of its own: tdm in a session (removed on leaving it) against the serial hand-written
script of :mod:`bench.baseline_script`. Two measures of each: the wall time, and this
process's CPU time (``time.process_time``: every thread of the client, the ledger's writer
included; none of the shop's), whose target is tdm within 1.15x of the script. The script
with its requests at once (as tdm sends them) is measured too, for its CPU, and the script
recording what it makes with values from Faker (:meth:`~bench.baseline_script.ByHand.recorded`):
the floor of the same work, what tdm's guarantees and realistic data cost before any of
tdm's own code runs.
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
from .baseline_script import script_on, tdm_side

__all__ = ["bench_scenario"]

ORDERS, CPU_TARGET = 3, 1.15


async def _measured(fn: Callable[[], Awaitable[object]]) -> tuple[float, float]:
    """The wall time and this process's CPU time ``fn`` takes."""
    wall, cpu = time.perf_counter(), time.process_time()
    await fn()
    return time.perf_counter() - wall, time.process_time() - cpu


async def bench_scenario(shop: Shop, manager: tdm.Manager, rounds: int) -> list[Row]:
    """user-with-orders(3) plus cleanup: tdm against the same calls written by hand."""
    async with script_on(shop.env(), ORDERS) as script:
        # A manager that is not open: every session opens (and closes) its own clients.
        unopened = tdm.Manager(manager.settings, registry=manager.catalog, ledger=manager.ledger)
        variants = {"hand": script.serial, "tdm": tdm_side(manager, ORDERS),
                    "own": tdm_side(unopened, ORDERS), "at once": script.concurrent,
                    "recorded": script.recorded}  # fmt: skip
        walls: dict[str, list[float]] = {name: [] for name in variants}
        cpus: dict[str, list[float]] = {name: [] for name in variants}
        for fn in variants.values():
            await fn()  # warm every path (connections, tokens, caches)
        for _ in range(rounds):
            for name, fn in variants.items():
                wall, cpu = await _measured(fn)
                walls[name].append(wall)
                cpus[name].append(cpu)
    h, t, o, _, _ = (statistics.median(walls[name]) for name in variants)
    ch, ct, co, cc, cr = (statistics.median(cpus[name]) for name in variants)
    name = f"user-with-orders({ORDERS}) + cleanup"
    return [
        (f"{name}, by hand", f"{h * 1000:.1f} ms", "1.00", ""),
        (f"{name}, tdm", f"{t * 1000:.1f} ms", f"{t / h:.2f}", ""),
        ("  the same, each session opening clients", f"{o * 1000:.1f} ms", f"{o / h:.2f}", ""),
        ("  client CPU, by hand", f"{ch * 1000:.1f} ms", "1.00", ""),
        ("  client CPU, tdm", f"{ct * 1000:.1f} ms", f"{ct / ch:.2f}",
         verdict(ct / ch, CPU_TARGET)),
        ("  client CPU, each session opening clients", f"{co * 1000:.1f} ms", f"{co / ch:.2f}", ""),
        ("  client CPU, by hand with its requests at once", f"{cc * 1000:.1f} ms",
         f"{cc / ch:.2f}", ""),
        ("  client CPU, tdm against that", "", f"{ct / cc:.2f}", ""),
        ("  client CPU, by hand recording what it makes", f"{cr * 1000:.1f} ms",
         f"{cr / ch:.2f}", ""),
        ("  client CPU, tdm against that", "", f"{ct / cr:.2f}", ""),
    ]  # fmt: skip


async def main(rounds: int) -> None:
    with tempfile.TemporaryDirectory() as tmp, shop_process(Path(tmp) / "shop") as shop:
        settings = tdm.Settings(ledger_path=Path(tmp) / "ledger.sqlite3", env=shop.env())
        async with tdm.Manager(settings, registry=tdm_scenarios.registry) as manager:
            await tdm_scenarios.seed(manager)
            rows = await bench_scenario(shop, manager, rounds)
        manager.ledger.close()
    print(render(rows))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.scenario", description=__doc__)
    parser.add_argument("--rounds", type=int, default=60, help="interleaved rounds")
    anyio.run(main, parser.parse_args().rounds)
