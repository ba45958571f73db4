"""The HTTP layer's cost: ``python -m bench.http``. Prints a table.

1. Latency the HTTP API adds per call: ``POST /api/scenarios/empty-cart`` against the same
   scenario run by the core in this process, on the same shop, interleaved round by round; the
   median of the rounds' differences. Twice: to ``tdm serve`` in a process of its own (as
   deployed), and to the same app served by uvicorn on a real socket in this process (the
   HTTP layer alone, target: at most 2 ms). A trivial request back to back and after 20 ms
   idle shows what waking the processes up costs on this machine: the difference between the
   two. Of the HTTP layer, the server's own share (uvicorn and the app, as ``tdm serve``
   configures them): the same request sent by a minimal HTTP/1.1 client on one kept-alive
   connection, so that the client library's cost (httpx2's, in the row above it) is left out.
2. p50 latency of the same with 8 and 32 callers at once, to ``tdm serve`` against the core
   with as many tasks (target: within 1.3x), in alternating turns of one call per caller.
3. Throughput of ``POST /api/users`` with 16 concurrent callers, next to the core creating
   users with 16 concurrent tasks in process.

The shop runs in a third process and hashes passwords with scrypt N=2**10 (as the tests do), so
that its hashing does not drown what is measured here.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path

import anyio
import httpx2

import tdm
import tdm_scenarios
from tdm_server import create_app
from tdm_server._serve import _Server, bind, server_config

from ._report import Row, render, verdict
from ._shop import Shop, _free_port

_SHOP = """
import asyncio, sys
from pathlib import Path
import tdm_sut
settings = tdm_sut.ShopSettings(auth_port=int(sys.argv[1]), backend_port=int(sys.argv[2]),
                                data_dir=Path(sys.argv[3]), scrypt_n=2**10)
asyncio.run(tdm_sut.serve(settings))
"""


def _wait(url: str, process: subprocess.Popen[bytes], what: str) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx2.get(url, trust_env=False).status_code == 200:
                return
        except httpx2.TransportError:
            pass
        if time.monotonic() > deadline or process.poll() is not None:
            raise RuntimeError(f"{what} did not start")
        time.sleep(0.05)


@contextmanager
def _process(args: list[str], health: str, what: str, env: dict[str, str]) -> Iterator[None]:
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               env={**os.environ, **env})  # fmt: skip
    try:
        _wait(health, process, what)
        yield
    finally:
        process.terminate()
        process.wait(timeout=30)


@contextmanager
def _shop(data_dir: Path) -> Iterator[Shop]:
    auth, backend = _free_port(), _free_port()
    shop = Shop(f"http://127.0.0.1:{auth}", f"http://127.0.0.1:{backend}", data_dir)
    args = [sys.executable, "-c", _SHOP, str(auth), str(backend), str(data_dir)]
    with _process(args, f"{shop.backend_url}/api/health", "the shop", {}):
        yield shop


@contextmanager
def _tdm_server(shop: Shop, ledger: Path) -> Iterator[str]:
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**shop.env(), "TDM_LEDGER": str(ledger), "LOG_LEVEL": "warning"}
    args = [sys.executable, "-m", "tdm_server", "serve", "--port", str(port)]
    with _process(args, f"{url}/api/health", "tdm serve", env):
        yield url


async def _timed(fn: Callable[[], Awaitable[object]]) -> float:
    start = time.perf_counter()
    await fn()
    return time.perf_counter() - start


class _MinimalClient:
    """POSTs of a JSON body on one kept-alive HTTP/1.1 connection, read back by
    ``Content-Length``: a client that costs next to nothing."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    @asynccontextmanager
    async def connect(cls, url: str) -> AsyncIterator[_MinimalClient]:
        host, _, port = url.removeprefix("http://").partition(":")
        reader, writer = await asyncio.open_connection(host, int(port))
        try:
            yield cls(reader, writer)
        finally:
            writer.close()

    async def post(self, path: str, body: bytes) -> tuple[int, bytes]:
        self.writer.write(
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body
        )
        head = await self.reader.readuntil(b"\r\n\r\n")
        length = next(
            int(line.partition(b":")[2])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length:")
        )
        return int(head.split(b" ", 2)[1]), await self.reader.readexactly(length)


async def bench_latency(
    manager: tdm.Manager,
    remote: httpx2.AsyncClient,
    local: httpx2.AsyncClient,
    minimal: _MinimalClient,
    rounds: int,
) -> list[Row]:
    """empty-cart in process, over HTTP to ``tdm serve``, and over HTTP to the same app served
    in this process (by httpx2 and by a minimal client); interleaved."""
    scenario = manager.catalog.scenario("empty-cart")

    async def in_process() -> None:
        async with manager.session(keep=True) as s:
            tdm.to_json(await s.run_from(scenario, {}))

    def over(http: httpx2.AsyncClient) -> Callable[[], Awaitable[None]]:
        async def call() -> None:
            answer = await http.post("/api/scenarios/empty-cart", json={})
            answer.raise_for_status()
            answer.json()

        return call

    async def minimally() -> None:
        status, body = await minimal.post("/api/scenarios/empty-cart", b"{}")
        if status != 201:
            raise RuntimeError(f"POST /api/scenarios/empty-cart answered {status}: {body[:200]!r}")
        json.loads(body)

    variants = {
        "core": in_process, "process": over(remote), "local": over(local), "minimal": minimally,
    }  # fmt: skip
    times: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(5):  # warm every path: connections, tokens, caches
        for fn in variants.values():
            await fn()
    for _ in range(rounds):
        for name, fn in variants.items():
            times[name].append(await _timed(fn))
    c, p, loc = (statistics.median(times[n]) for n in ("core", "process", "local"))

    def added(name: str) -> float:
        """What ``name`` adds to the core, in ms: the median of the rounds' differences (each
        round's pair ran back to back, so the machine's speed drifting cancels out)."""
        return (
            statistics.median(t - core for core, t in zip(times["core"], times[name], strict=True))
            * 1000
        )

    layer = added("local")
    return [
        ("empty-cart, core in process", f"{c * 1000:.2f} ms", "1.00", ""),
        ("empty-cart, POST to tdm serve (own process)", f"{p * 1000:.2f} ms", f"{p / c:.2f}", ""),
        ("  added by HTTP and the process hop", f"{added('process'):.2f} ms", "", ""),
        ("empty-cart, POST to the app in this process", f"{loc * 1000:.2f} ms",
         f"{loc / c:.2f}", ""),
        ("  added by the HTTP layer (socket, uvicorn, app)", f"{layer:.2f} ms", "",
         verdict(layer, 2, " ms")),
        ("  of which the server's (a minimal client)", f"{added('minimal'):.2f} ms", "", ""),
    ]  # fmt: skip


async def bench_wakeup(remote: httpx2.AsyncClient, rounds: int) -> list[Row]:
    """A trivial request to ``tdm serve`` back to back, and after 20 ms idle (what a call that
    waits on the shop pays to wake two processes up on this machine)."""
    times: dict[float, list[float]] = {0.0: [], 0.02: []}
    for _ in range(rounds):
        for idle, found in times.items():
            await anyio.sleep(idle)
            found.append(await _timed(lambda: remote.get("/api/scenarios/empty-cart")))
    busy, idle = (statistics.median(times[k]) for k in (0.0, 0.02))
    return [
        ("GET /api/scenarios/empty-cart, back to back", f"{busy * 1000:.2f} ms", "1.00", ""),
        ("  the same after 20 ms idle", f"{idle * 1000:.2f} ms", f"{idle / busy:.2f}", ""),
    ]


async def _concurrently(callers: int, total: int, one: Callable[[], Awaitable[None]]) -> float:
    left = total

    async def caller() -> None:
        nonlocal left
        while left > 0:
            left -= 1
            await one()

    start = time.perf_counter()
    async with anyio.create_task_group() as tg:
        for _ in range(callers):
            tg.start_soon(caller)
    return time.perf_counter() - start


async def bench_throughput(
    manager: tdm.Manager, http: httpx2.AsyncClient, total: int, callers: int = 16
) -> list[Row]:
    """Users per second: POST /api/users by 16 callers, and the core by 16 tasks."""

    async def over_http() -> None:
        (await http.post("/api/users", json={})).raise_for_status()

    async def in_process() -> None:
        async with manager.session(keep=True) as s:
            await s.create("user")

    await _concurrently(callers, callers, over_http)  # warm
    await _concurrently(callers, callers, in_process)
    remote = total / await _concurrently(callers, total, over_http)
    core = total / await _concurrently(callers, total, in_process)
    return [
        (f"users created by the core, {callers} tasks", f"{core:.0f} users/s", "1.00", ""),
        (f"POST /api/users, {callers} concurrent callers", f"{remote:.0f} users/s",
         f"{remote / core:.2f}", ""),
    ]  # fmt: skip


async def bench_concurrent_latency(
    manager: tdm.Manager, remote: httpx2.AsyncClient, rounds: int, levels: tuple[int, ...] = (8, 32)
) -> list[Row]:
    """p50 of empty-cart with ``n`` callers at once: POST to ``tdm serve`` against the core with
    ``n`` tasks in this process. Interleaved per level in ``2 * rounds`` turns of one call per
    caller each, so that this machine's speed drifting over the run weighs on both alike."""
    scenario = manager.catalog.scenario("empty-cart")

    async def core() -> None:
        async with manager.session(keep=True) as s:
            tdm.to_json(await s.run_from(scenario, {}))

    async def http() -> None:
        answer = await remote.post("/api/scenarios/empty-cart", json={})
        answer.raise_for_status()
        answer.json()

    async def each_timed(callers: int, one: Callable[[], Awaitable[None]]) -> list[float]:
        found: list[float] = []

        async def caller() -> None:
            found.append(await _timed(one))

        async with anyio.create_task_group() as tg:
            for _ in range(callers):
                tg.start_soon(caller)
        return found

    rows: list[Row] = []
    for callers in levels:
        await each_timed(callers, core), await each_timed(callers, http)  # warm
        times: dict[str, list[float]] = {"core": [], "http": []}
        for _ in range(rounds):  # each twice a turn, alternating which goes first
            for name in ("core", "http", "http", "core"):
                times[name] += await each_timed(callers, core if name == "core" else http)
        c, h = statistics.median(times["core"]), statistics.median(times["http"])
        rows += [
            (f"empty-cart p50, {callers} at once, core", f"{c * 1000:.2f} ms", "1.00", ""),
            (f"empty-cart p50, {callers} at once, tdm serve", f"{h * 1000:.2f} ms",
             f"{h / c:.2f}", verdict(h / c, 1.3)),
        ]  # fmt: skip
    return rows


@asynccontextmanager
async def _served_here(manager: tdm.Manager) -> AsyncIterator[str]:
    """The app served by uvicorn on a real socket in this process and event loop."""
    sock = bind("127.0.0.1", 0)
    server = _Server(server_config(create_app(manager)))  # as tdm serve has it
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        if task.done():
            raise RuntimeError("the app did not start")
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        await task


async def bench_http(rounds: int = 200, users: int = 800) -> list[Row]:
    """Every row of this module: latency at 1, 8 and 32 callers, throughput."""
    with (
        tempfile.TemporaryDirectory() as tmp,
        _shop(Path(tmp) / "shop") as shop,
        _tdm_server(shop, Path(tmp) / "server-ledger.sqlite3") as url,
    ):
        settings = tdm.Settings(ledger_path=Path(tmp) / "ledger.sqlite3", env=shop.env())
        here = tdm.Manager(settings.evolve(ledger_path=Path(tmp) / "here.sqlite3"))
        async with (
            tdm.Manager(settings, registry=tdm_scenarios.registry) as manager,
            _served_here(here) as local_url,
            httpx2.AsyncClient(base_url=url, trust_env=False, timeout=60) as remote,
            httpx2.AsyncClient(base_url=local_url, trust_env=False, timeout=60) as local,
            _MinimalClient.connect(local_url) as minimal,
        ):
            await tdm_scenarios.seed(manager)
            rows = await bench_latency(manager, remote, local, minimal, rounds)
            rows += await bench_wakeup(remote, rounds)
            rows += await bench_concurrent_latency(manager, remote, max(rounds // 20, 3))
            rows += await bench_throughput(manager, remote, users)
            await remote.request("DELETE", "/api/cleanup", json={"all": True})
            await local.request("DELETE", "/api/cleanup", json={"all": True})
            await manager.cleanup(all=True)
        for ledger in (manager.ledger, here.ledger):
            ledger.close()
    return rows


async def main(rounds: int, users: int) -> None:
    print(render(await bench_http(rounds, users)))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.http", description=__doc__)
    parser.add_argument("--rounds", type=int, default=200, help="rounds of the latency test")
    parser.add_argument("--users", type=int, default=800, help="users per throughput test")
    args = parser.parse_args()
    anyio.run(main, args.rounds, args.users)
