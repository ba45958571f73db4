"""A fault-injecting HTTP proxy, for tests of what tdm does when the network drops answers.

It sits in front of one service and forwards each request, except that a share of them (by a
seeded random source) fail in one of the ways real networks and gateways fail:

- ``before``: a 502 or 503 before the service saw the request;
- ``after``: the service processed the request, the client gets a 502 or 503;
- ``reset``: the service processed the request, the connection is reset (no answer at all);
- ``stall``: the request is held longer than the client waits, then forwarded: it lands late.

Given several upstreams it is also a load balancer that picks one at random for each request
(as a round-robin balancer in front of replicas looks to any one client).

It speaks HTTP/1.1 over asyncio streams (one request per connection, ``Connection: close``),
so it can reset a connection the way a dying proxy does. ``faults`` may be changed while it
runs (``proxy.rate = 0`` turns faults off).
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import select
import socket
import struct
import threading
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TypeVar

import httpx2

__all__ = ["FaultProxy", "fault_proxy", "serving"]

KINDS = ("before", "after", "reset", "stall")


class FaultProxy:
    def __init__(
        self, upstream: str | Sequence[str], *, rate: float, stall: float, seed: int
    ) -> None:
        given = [upstream] if isinstance(upstream, str) else list(upstream)
        self.upstreams = [u.rstrip("/") for u in given]
        self.served: Counter[str] = Counter()
        self.rate, self.stall = rate, stall
        self.random = random.Random(seed)
        self.injected: Counter[str] = Counter()
        self.late: list[asyncio.Task[None]] = []
        self.handlers: set[asyncio.Task[None]] = set()
        self.url = ""
        self._loop: asyncio.AbstractEventLoop | None = None
        self._listening: socket.socket | None = None

    def _fault(self) -> str | None:
        if self.rate and self.random.random() < self.rate:
            return self.random.choice(KINDS)
        return None

    async def _read(self, reader: asyncio.StreamReader) -> tuple[str, str, list[tuple[str, str]],
                                                                bytes]:  # fmt: skip
        head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
        request_line, *header_lines = head.split("\r\n")
        method, target, _ = request_line.split(" ", 2)
        headers = [tuple(h.split(":", 1)) for h in header_lines if h]
        pairs = [(k.strip(), v.strip()) for k, v in headers]
        length = next((int(v) for k, v in pairs if k.lower() == "content-length"), 0)
        body = await reader.readexactly(length) if length else b""
        return method, target, pairs, body

    async def _forward(self, client: httpx2.AsyncClient, method: str, target: str,
                       headers: list[tuple[str, str]], body: bytes) -> httpx2.Response:  # fmt: skip
        kept = [(k, v) for k, v in headers if k.lower() not in ("host", "content-length",
                                                                 "connection")]  # fmt: skip
        upstream = self.random.choice(self.upstreams)
        self.served[upstream] += 1
        return await client.request(method, upstream + target, headers=kept, content=body)

    async def _handle(
        self, client: httpx2.AsyncClient, reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> None:  # fmt: skip
        try:
            method, target, headers, body = await self._read(reader)
        except (asyncio.IncompleteReadError, ValueError):
            writer.close()
            return
        fault = self._fault()
        if fault is not None:
            self.injected[fault] += 1
        if fault == "before":
            await self._answer(writer, self.random.choice((502, 503)), b'{"detail": "gateway"}')
            return
        if fault == "stall":
            # The client gives up; the request still reaches the service later.
            self.late.append(asyncio.create_task(self._late(client, method, target, headers,
                                                            body)))  # fmt: skip
            await asyncio.sleep(self.stall * 3)
            writer.close()
            return
        try:
            response = await self._forward(client, method, target, headers, body)
        except httpx2.HTTPError:
            await self._answer(writer, 502, b'{"detail": "upstream unreachable"}')
            return
        if fault == "after":
            await self._answer(writer, self.random.choice((502, 503)), b'{"detail": "gateway"}')
            return
        if fault == "reset":
            sock = writer.get_extra_info("socket")
            if sock is not None:  # RST instead of FIN: the client sees a reset
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            writer.transport.abort()
            return
        await self._answer(writer, response.status_code, response.content,
                           response.headers.get("content-type", "application/json"))  # fmt: skip

    async def _late(self, client: httpx2.AsyncClient, method: str, target: str,
                    headers: list[tuple[str, str]], body: bytes) -> None:  # fmt: skip
        await asyncio.sleep(self.stall)
        with contextlib.suppress(httpx2.HTTPError):
            await self._forward(client, method, target, headers, body)

    @staticmethod
    async def _answer(
        writer: asyncio.StreamWriter, status: int, body: bytes,
        content_type: str = "application/json",
    ) -> None:  # fmt: skip
        head = (
            f"HTTP/1.1 {status} X\r\nContent-Type: {content_type}\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        )
        writer.write(head.encode("latin-1") + body)
        try:
            await writer.drain()
        finally:
            writer.close()

    async def serve(self, ready: threading.Event, stop: asyncio.Event) -> None:
        async with httpx2.AsyncClient(timeout=60, trust_env=False) as client:
            handlers = self.handlers

            async def on_connect(reader: asyncio.StreamReader,
                                 writer: asyncio.StreamWriter) -> None:  # fmt: skip
                task = asyncio.current_task()
                assert task is not None
                handlers.add(task)
                try:
                    await self._handle(client, reader, writer)
                finally:
                    handlers.discard(task)
                    writer.close()

            server = await asyncio.start_server(on_connect, "127.0.0.1", 0)
            self._loop, self._listening = asyncio.get_running_loop(), server.sockets[0]
            port = server.sockets[0].getsockname()[1]
            self.url = f"http://127.0.0.1:{port}"
            ready.set()
            async with server:
                await stop.wait()
            for task in self.late:
                await task
            for task in list(handlers):  # a stalled answer nobody waits for any more
                task.cancel()
            await asyncio.gather(*handlers, return_exceptions=True)

    def drain(self) -> None:
        """Wait until every request that reached the proxy has had the service's answer:
        nothing waiting to be accepted, no connection being served (called from another
        thread once the clients are gone, say killed: what they sent is in the proxy's
        socket buffers by then, so once drained nothing more can reach the service)."""
        assert self._loop is not None
        asyncio.run_coroutine_threadsafe(self._drained(), self._loop).result(timeout=120)

    async def _drained(self) -> None:
        assert self._listening is not None
        quiet = 0
        while quiet < 2:  # twice: a connection just accepted has its handler by the second look
            await asyncio.sleep(0.05)
            waiting, _, _ = select.select([self._listening.fileno()], [], [], 0)
            quiet = quiet + 1 if not waiting and not self.handlers else 0

    def settle(self) -> None:
        """Wait until every stalled request has landed (called from another thread)."""
        while any(not t.done() for t in self.late):
            threading.Event().wait(0.05)


@contextmanager
def fault_proxy(
    upstream: str | Sequence[str], *, rate: float, stall: float, seed: int
) -> Iterator[FaultProxy]:
    """A :class:`FaultProxy` in front of ``upstream`` (or several), on a thread of its own."""
    with serving(FaultProxy(upstream, rate=rate, stall=stall, seed=seed)) as proxy:
        yield proxy


P = TypeVar("P", bound=FaultProxy)


@contextmanager
def serving(proxy: P) -> Iterator[P]:
    """``proxy`` (a :class:`FaultProxy` or one of its own making) on a thread of its own."""
    ready = threading.Event()
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()

    def run() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(proxy.serve(ready, stop))

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    assert ready.wait(30), "the proxy did not start"
    try:
        yield proxy
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(timeout=60)
        loop.close()
