"""Where one scenario's client CPU goes: ``python -m bench.profile``. Prints two tables.

user-with-orders(3) plus its cleanup, as :mod:`bench.scenario` measures it, by tdm, by the
serial hand-written script and by the script recording what it makes with Faker's values (the
floor of the same work, :meth:`~bench.baseline_script.ByHand.recorded`) in turn, many rounds
each. No targets: this says where the CPU time of ``bench.scenario``'s "client CPU" rows
goes, so that work on it starts from numbers.

1. **Buckets.** Each time this process has used 5 ms of CPU (``ITIMER_PROF``; at 1 ms the
   sampling itself weighs on what it measures) the main thread's stack is put in one bucket,
   the first that one of its frames belongs to: the HTTP client (httpx2, httpcore2, h11), SQL
   (tdm's ledger, SQLAlchemy, the drivers; the scripts' deletes and records are SQL too),
   data generation (Faker), the shop's kinds and scenarios, the rest of tdm, and the event
   loop with everything else. Each bucket's share of the main thread's CPU time, in ms per
   scenario, for each of the three, and tdm's difference from each script.
2. **Exact counts.** tdm's synchronous hot spots, timed with the thread's CPU clock by
   wrappers put around them for the run: the ledger's writes and its small reads and claims in
   the caller's thread, building an entity's values (Faker reseeded per entity included) and
   making its intent and row. Inside a scenario, between requests, each costs several times
   what it costs in a loop of its own: the caches are cold.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import functools
import signal
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from types import CodeType, FrameType
from typing import Any

import anyio

import tdm
from tdm import _datagen, _session, _writer, _writes

from ._shop import shop_process
from .baseline_script import contest

__all__ = ["profile"]

ORDERS = 3

BUCKETS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("HTTP client (httpx2, httpcore2, h11)", ("/httpx2/", "/httpcore2/", "/h11/")),
    ("SQL (the ledger's modules, SQLAlchemy, drivers)", (
        "/tdm/_writer.py", "/tdm/_writes.py", "/tdm/_store", "/tdm/_ledger.py", "/tdm/_rows.py",
        "/sqlalchemy/", "/aiosqlite/", "/psycopg/", "/bench/_records.py",
    )),
    ("data generation (Faker)", ("/faker/",)),
    ("the shop's kinds and scenarios", ("/tdm_scenarios/",)),
    ("the rest of tdm", ("/tdm/",)),
)  # fmt: skip
"""In order: a sample goes to the first bucket one of its stack's frames belongs to."""
REST = "the event loop and the rest"
SIDES = ("tdm", "script", "recorded")
"""tdm, the serial script and the script recording what it makes, in the tables' order."""

HOT_SPOTS: tuple[tuple[str, Any, str], ...] = (
    ("ledger writes in the caller's thread", _writer.Writer, "_direct_write"),
    ("ledger reads and claims in the caller's thread", _writer.Writer, "run_here"),
    ("building an entity's values (Session._build)", _session.Session, "_build"),
    ("  of which reseeding for it (DataGen.next)", _datagen.DataGen, "next"),
    ("making an intent's record (Session._intent)", _session.Session, "_intent"),
    ("making an intent's row (Write.add)", _writes.Write, "add"),
    ("making a confirm (Write.confirm)", _writes.Write, "confirm"),
)


class Sampler:
    """Main-thread stacks sampled every ``interval`` of process CPU, counted per bucket."""

    def __init__(self, interval: float = 0.005) -> None:
        self.interval = interval
        self.counts: collections.Counter[str] = collections.Counter()
        self._bucket_of: dict[CodeType, int] = {}

    def _rank(self, code: CodeType) -> int:
        rank = self._bucket_of.get(code)
        if rank is None:
            path = code.co_filename.replace("\\", "/")
            found = (i for i, (_, parts) in enumerate(BUCKETS) if any(p in path for p in parts))
            rank = self._bucket_of[code] = next(found, len(BUCKETS))
        return rank

    def _sample(self, signum: int, frame: FrameType | None) -> None:
        best = len(BUCKETS)
        while frame is not None:
            best = min(best, self._rank(frame.f_code))
            frame = frame.f_back
        self.counts[BUCKETS[best][0] if best < len(BUCKETS) else REST] += 1

    @contextlib.contextmanager
    def running(self) -> Iterator[None]:
        previous = signal.signal(signal.SIGPROF, self._sample)
        signal.setitimer(signal.ITIMER_PROF, self.interval, self.interval)
        try:
            yield
        finally:
            signal.setitimer(signal.ITIMER_PROF, 0, 0)
            signal.signal(signal.SIGPROF, previous)


class HotSpots:
    """The thread CPU time spent in each of :data:`HOT_SPOTS` while :meth:`counting`."""

    def __init__(self) -> None:
        self.seconds: collections.Counter[str] = collections.Counter()
        self.calls: collections.Counter[str] = collections.Counter()

    def _wrapped(self, name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.thread_time()
            try:
                return fn(*args, **kwargs)
            finally:
                self.seconds[name] += time.thread_time() - start
                self.calls[name] += 1

        return timed

    @contextlib.contextmanager
    def counting(self) -> Iterator[None]:
        originals = [(owner, attr, owner.__dict__[attr]) for _, owner, attr in HOT_SPOTS]
        try:
            for (name, owner, attr), (_, _, found) in zip(HOT_SPOTS, originals, strict=True):
                if isinstance(found, classmethod):
                    setattr(owner, attr, classmethod(self._wrapped(name, found.__func__)))
                else:
                    setattr(owner, attr, self._wrapped(name, found))
            yield
        finally:
            for owner, attr, found in originals:
                setattr(owner, attr, found)


async def _rounds(fn: Callable[[], Awaitable[object]], rounds: int) -> tuple[float, float]:
    """Run ``fn`` ``rounds`` times: the main thread's and the process's CPU time per round."""
    thread, process = time.thread_time(), time.process_time()
    for _ in range(rounds):
        await fn()
    return (time.thread_time() - thread) / rounds, (time.process_time() - process) / rounds


async def profile(rounds: int) -> str:
    """Both tables, for ``rounds`` scenarios of each of :data:`SIDES`."""
    with tempfile.TemporaryDirectory() as tmp, shop_process(Path(tmp) / "shop") as shop:
        settings = tdm.Settings(ledger_path=Path(tmp) / "ledger.sqlite3", env=shop.env())
        async with contest(settings, ORDERS) as (script, by_tdm):
            sides = dict(zip(SIDES, (by_tdm, script.serial, script.recorded), strict=True))
            samplers = {name: Sampler() for name in sides}
            cpu: dict[str, tuple[float, float]] = {}
            for _ in range(5):  # warm every path (connections, tokens, caches)
                for fn in sides.values():
                    await fn()
            for name, fn in sides.items():
                with samplers[name].running():
                    cpu[name] = await _rounds(fn, rounds)
            spots = HotSpots()
            with spots.counting():
                counted = await _rounds(by_tdm, rounds)
    return _tables(samplers, cpu, spots, counted[0], rounds)


def _tables(
    samplers: dict[str, Sampler], cpu: dict[str, tuple[float, float]], spots: HotSpots,
    counted: float, rounds: int,
) -> str:  # fmt: skip
    def per_round(name: str, bucket: str) -> float:
        counts = samplers[name].counts
        return cpu[name][0] * counts[bucket] / max(sum(counts.values()), 1) * 1000

    def row(label: str, ms: dict[str, float]) -> tuple[str, ...]:
        gaps = (f"{ms['tdm'] - ms[name]:+.2f}" for name in SIDES[1:])
        return (label, *(f"{ms[name]:.2f}" for name in SIDES), *gaps)

    rows = [row(bucket, {name: per_round(name, bucket) for name in SIDES})
            for bucket in [name for name, _ in BUCKETS] + [REST]]  # fmt: skip
    rows += [
        row("main thread, in all", {name: cpu[name][0] * 1000 for name in SIDES}),
        row("the process (every thread)", {name: cpu[name][1] * 1000 for name in SIDES}),
    ]
    buckets = tdm.Table(("main thread's CPU, ms per scenario", *SIDES, "tdm - script",
                         "tdm - recorded"), tuple(rows))  # fmt: skip
    spot_rows = [
        (name, f"{spots.seconds[name] / rounds * 1000:.2f}", f"{spots.calls[name] / rounds:.1f}",
         f"{spots.seconds[name] / max(spots.calls[name], 1) * 1e6:.0f}")
        for name, _, _ in HOT_SPOTS
    ]  # fmt: skip
    spot_rows.append(("main thread, in all (these rounds)", f"{counted * 1000:.2f}", "", ""))
    exact = tdm.Table(
        ("tdm's hot spots", "ms per scenario", "calls", "us per call"), tuple(spot_rows)
    )
    return f"{buckets}\n\n{exact}"


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__)
    parser.add_argument("--rounds", type=int, default=200, help="scenarios of each")
    print(anyio.run(profile, parser.parse_args().rounds))
