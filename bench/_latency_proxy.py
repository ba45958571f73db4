"""A proxy that adds a fixed latency to every request: a staging shop across a network.

It forwards HTTP/1.1 over asyncio streams (keep-alive kept, so the added time is the latency
alone, not new connections) on a thread and event loop of its own, and notes each request it
forwarded (for counting what a variant sends).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager

import httpx2
from anyio.from_thread import start_blocking_portal

__all__ = ["LatencyProxy", "latency_proxy"]

_HOP = {"host", "content-length", "connection", "keep-alive", "transfer-encoding"}


class LatencyProxy:
    def __init__(self, upstream: str, delay: float) -> None:
        self.upstream, self.delay = upstream.rstrip("/"), delay
        self.requests: list[tuple[str, str]] = []
        self.url = ""

    async def _read(
        self, reader: asyncio.StreamReader
    ) -> tuple[str, str, list[tuple[str, str]], bytes]:
        head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
        request_line, *lines = head.split("\r\n")
        method, target, _ = request_line.split(" ", 2)
        pairs = [(k.strip(), v.strip()) for k, v in (h.split(":", 1) for h in lines if h)]
        length = next((int(v) for k, v in pairs if k.lower() == "content-length"), 0)
        return method, target, pairs, await reader.readexactly(length) if length else b""

    async def _handle(
        self, client: httpx2.AsyncClient, reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> None:  # fmt: skip
        try:
            while True:
                try:
                    method, target, headers, body = await self._read(reader)
                except (asyncio.IncompleteReadError, ConnectionError, ValueError):
                    return
                await asyncio.sleep(self.delay)
                self.requests.append((method, target.split("?")[0]))
                kept = [(k, v) for k, v in headers if k.lower() not in _HOP]
                answer = await client.request(method, self.upstream + target, headers=kept,
                                              content=body)  # fmt: skip
                out = [(k, v) for k, v in answer.headers.items()
                       if k.lower() not in _HOP and k.lower() != "content-encoding"]  # fmt: skip
                head = f"HTTP/1.1 {answer.status_code} X\r\n" + "".join(
                    f"{k}: {v}\r\n" for k, v in out
                )
                head += f"Content-Length: {len(answer.content)}\r\n\r\n"
                writer.write(head.encode("latin-1") + answer.content)
                await writer.drain()
        finally:
            writer.close()

    async def start(self) -> None:
        limits = httpx2.Limits(max_connections=200, max_keepalive_connections=200)
        self._client = httpx2.AsyncClient(timeout=60, trust_env=False, limits=limits)
        self._connections: set[asyncio.Task[None]] = set()

        async def connected(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            task = asyncio.current_task()
            assert task is not None
            self._connections.add(task)
            try:
                await self._handle(self._client, reader, writer)
            finally:
                self._connections.discard(task)

        self._server = await asyncio.start_server(connected, "127.0.0.1", 0)
        self.url = f"http://127.0.0.1:{self._server.sockets[0].getsockname()[1]}"

    async def stop(self) -> None:
        self._server.close()
        for task in list(self._connections):  # idle keep-alive connections
            task.cancel()
        await asyncio.gather(*self._connections, return_exceptions=True)
        await self._client.aclose()


@contextmanager
def latency_proxy(upstream: str, delay: float) -> Iterator[LatencyProxy]:
    """A :class:`LatencyProxy` in front of ``upstream``, on a thread and loop of its own."""
    proxy = LatencyProxy(upstream, delay)
    with start_blocking_portal() as portal:
        portal.call(proxy.start)
        try:
            yield proxy
        finally:
            portal.call(proxy.stop)
