"""How a client of a tdm server holds its run and retries what may not have arrived.

A client that made up its run id holds the run while it is open: ``POST /api/runs`` before its
first create, ``PUT /api/runs/{id}/lease`` every ``heartbeatInterval`` (the server says how
often) from a thread or a task of its own, ``DELETE /api/runs/{id}`` when it closes. A client
that is killed stops renewing, and ``TDM_LEASE_TTL`` later the server's reaper removes what it
left. A client given a run id (``TDM_RUN_ID`` from ``tdm with-run``, say) leaves holding to
whoever made the run, unless told to hold it too.

Every create carries an ``Idempotency-Key`` of its own; when its answer is lost (the connection
drops, a proxy answers 502/503/504) it is sent again with the same key, so the server creates
once and answers the retry with the first answer. A retry that arrives while the first request
is still being served (409 ``idempotency_key_in_flight``) waits for it.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import threading
import uuid
from collections.abc import Awaitable, Callable, Iterator

import httpx2

__all__ = ["AsyncHeartbeat", "Heartbeat", "RetryPolicy", "Tries", "new_holder", "new_key"]

log = logging.getLogger("tdm.client")


def new_holder() -> str:
    """This client's name as a holder of leases: ``python:host:pid:8 hex``."""
    return f"python:{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def new_key() -> str:
    """A fresh ``Idempotency-Key``."""
    return uuid.uuid4().hex


_PROXY_STATUSES = frozenset({502, 503, 504})


class RetryPolicy:
    """When to send a request again, and after how long.

    A transport failure or a proxy's 502/503/504 (an answer that is not tdm's) is retried
    ``retries`` times with doubling delays; a 409 ``idempotency_key_in_flight`` is waited out
    for up to ``in_flight_wait`` seconds.
    """

    def __init__(self, retries: int = 3, *, first_delay: float = 0.25,
                 in_flight_wait: float = 60.0) -> None:  # fmt: skip
        self.retries, self.first_delay, self.in_flight_wait = retries, first_delay, in_flight_wait

    def start(self, *, retry: bool, keyed: bool) -> Tries:
        """The tries of one request (``retry``: it is safe to send again; ``keyed``: it has an
        ``Idempotency-Key``)."""
        return Tries(self, self.delays() if retry else iter(()), keyed=keyed)

    def delays(self) -> Iterator[float]:
        """The waits before each retry of transport failures."""
        delay = self.first_delay
        for _ in range(self.retries):
            yield delay
            delay = min(delay * 2, 5.0)

    @staticmethod
    def lost(response: httpx2.Response) -> bool:
        """Whether the answer is a proxy's (the request may or may not have arrived)."""
        if response.status_code not in _PROXY_STATUSES:
            return False
        try:
            body = response.json()
        except ValueError:
            return True
        return not (isinstance(body, dict) and "error" in body)

    @staticmethod
    def in_flight(response: httpx2.Response) -> bool:
        if response.status_code != 409:
            return False
        try:
            body = response.json()
        except ValueError:
            return False
        return isinstance(body, dict) and body.get("error") == "idempotency_key_in_flight"


class Tries:
    """One request's tries: after each outcome, how long to wait before the next one, or
    ``None`` when the outcome is final."""

    def __init__(self, policy: RetryPolicy, delays: Iterator[float], *, keyed: bool) -> None:
        self._policy, self._delays, self._keyed = policy, delays, keyed
        self._waited = 0.0

    def after_failure(self) -> float | None:
        """The request failed in transport: retry after the next delay, if any is left."""
        return next(self._delays, None)

    def after(self, response: httpx2.Response) -> float | None:
        if self._policy.lost(response):
            return next(self._delays, None)
        waiting = self._keyed and self._policy.in_flight(response)
        if waiting and self._waited < self._policy.in_flight_wait:
            self._waited += 0.5
            return 0.5
        return None


class Heartbeat:
    """Calls ``renew`` every ``interval`` seconds from a daemon thread until stopped."""

    def __init__(self, renew: Callable[[], object], interval: float) -> None:
        self._renew, self.interval = renew, interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="tdm-heartbeat", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self._renew()
            except Exception:  # the next beat tries again; the lease outlives a few misses
                log.warning("renewing the run's lease failed", exc_info=True)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not threading.current_thread():
            self._thread.join(timeout=10)


class AsyncHeartbeat:
    """Awaits ``renew`` every ``interval`` seconds in a task of the running loop until stopped."""

    def __init__(self, renew: Callable[[], Awaitable[object]], interval: float) -> None:
        self._renew, self.interval = renew, interval
        self._task = asyncio.get_running_loop().create_task(self._run(), name="tdm-heartbeat")

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                await self._renew()
            except Exception:
                log.warning("renewing the run's lease failed", exc_info=True)

    async def stop(self) -> None:
        self._task.cancel()
        try:
            await self._task
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if current is not None and current.cancelling():
                raise
