"""Round trips by dependency depth: ``python -m bench.latency``. Prints a table.

A proxy of bench's own adds 20 ms to every request to both of the shop's services (a staging
shop across a network). user-with-orders(5) plus its cleanup, interleaved round by round:

- tdm: ``s.run("user-with-orders", order_count=5)`` in a session, removed on leaving it;
- the serial script: the same requests written by hand, one after another;
- the concurrent script: the same requests, each as soon as what it needs is there;
- the dependency-depth floor: the longest chain of requests that need one another's answers
  (register -> log in, beside list categories -> create the products; then place an order ->
  set its status, all orders at once; then delete the user) times the latency.

The scripts make the data tdm makes: a user, one to three products of their own in baseline
categories, the orders; cleanup deletes the orders and products in the Backend's database (as
tdm does with BACKEND_DB_URL) and the user through the admin API (no AUTH_DB_URL here).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path

import anyio

import tdm

from ._latency_proxy import LatencyProxy, latency_proxy
from ._report import Row, render, verdict
from .baseline_script import contest
from .http import _shop as cheap_hashing_shop

__all__ = ["bench_depth"]

LATENCY, ORDERS, DEPTH, TARGET = 0.020, 5, 5, 1.3


async def _timed(fn: Callable[[], Awaitable[object]]) -> float:
    start = time.perf_counter()
    await fn()
    return time.perf_counter() - start


async def bench_depth(tmp: Path, rounds: int) -> list[Row]:
    """user-with-orders(5) + cleanup with 20 ms per request: tdm, the scripts, the floor.

    The shop hashes passwords cheaply (scrypt N=2**10, as the tests do): with the design's
    cost, registering and logging in would drown the round trips measured here."""
    with (
        cheap_hashing_shop(tmp / "latency-shop") as shop,
        latency_proxy(shop.auth_url, LATENCY) as auth_proxy,
        latency_proxy(shop.backend_url, LATENCY) as backend_proxy,
    ):
        env = {k: v for k, v in shop.env().items() if k != "AUTH_DB_URL"}
        env |= {"AUTH_SERVICE_URL": auth_proxy.url, "BACKEND_URL": backend_proxy.url}
        settings = tdm.Settings(ledger_path=tmp / "latency.sqlite3", env=env)
        async with contest(settings, ORDERS) as (script, by_tdm):
            variants = {"tdm": by_tdm, "serial": script.serial, "concurrent": script.concurrent}
            times, sent = await _interleaved(variants, rounds, (auth_proxy, backend_proxy))
    t, s, c = (statistics.median(times[name]) for name in ("tdm", "serial", "concurrent"))
    floor = DEPTH * LATENCY
    name = f"user-with-orders({ORDERS}) + cleanup, +{LATENCY * 1000:.0f} ms per request"
    return [
        (f"{name}: concurrent script ({sent['concurrent']} requests)", f"{c * 1000:.1f} ms",
         "1.00", ""),
        (f"  serial script ({sent['serial']} requests)", f"{s * 1000:.1f} ms", f"{s / c:.2f}",
         ""),
        (f"  tdm ({sent['tdm']} requests)", f"{t * 1000:.1f} ms", f"{t / c:.2f}",
         verdict(t / c, TARGET)),
        (f"  dependency-depth floor ({DEPTH} x {LATENCY * 1000:.0f} ms)", f"{floor * 1000:.1f} ms",
         f"{floor / c:.2f}", ""),
        ("  tdm / serial script (well under 1)", "", f"{t / s:.2f}", verdict(t / s, 0.9)),
        ("  tdm / dependency-depth floor", "", f"{t / floor:.2f}", ""),
    ]  # fmt: skip


async def _interleaved(
    variants: Mapping[str, Callable[[], Awaitable[None]]], rounds: int,
    proxies: tuple[LatencyProxy, ...],
) -> tuple[dict[str, list[float]], dict[str, str]]:  # fmt: skip
    """Each variant once to warm it, then round by round; the requests each sent per run."""
    for fn in variants.values():
        await fn()
    times: dict[str, list[float]] = {name: [] for name in variants}
    counts: dict[str, list[int]] = {name: [] for name in variants}
    for _ in range(rounds):
        for name, fn in variants.items():
            before = sum(len(p.requests) for p in proxies)
            times[name].append(await _timed(fn))
            counts[name].append(sum(len(p.requests) for p in proxies) - before)
    sent = {name: f"{min(n)}-{max(n)}" if min(n) < max(n) else str(n[0])
            for name, n in counts.items()}  # fmt: skip
    return times, sent


async def main(rounds: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        rows = await bench_depth(Path(tmp), rounds)
    print(render(rows))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.latency", description=__doc__)
    parser.add_argument("--rounds", type=int, default=20, help="interleaved rounds")
    anyio.run(main, parser.parse_args().rounds)
