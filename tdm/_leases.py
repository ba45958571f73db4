"""Holding runs: leases renewed from a thread of their own, whatever the event loops are doing.

A run is alive while any of its holders' leases has not run out (or its data is kept on
purpose); the reaper removes what dead runs left. Each holder has a lease of its own: one that
ends touches no other (an xdist worker's, another replica's client's, the ``tdm with-run``
around a pytest run). A :class:`LeaseKeeper` holds runs for one process: sessions that
clean up after themselves hold their run while they are open, and the pytest plugin, ``tdm run``
and ``tdm with-run`` hold theirs for as long as they run. The keeper renews every lease every
``TDM_HEARTBEAT_INTERVAL``; a process that dies stops renewing, and ``TDM_LEASE_TTL`` later its
runs are dead. Times are the ledger's.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable

import anyio.to_thread

from ._store import Store

__all__ = ["LeaseKeeper", "holder_name"]

log = logging.getLogger("tdm.leases")


def holder_name() -> str:
    """Who holds a lease, for people reading the runs: ``host:pid``."""
    return f"{socket.gethostname()}:{os.getpid()}"


class LeaseKeeper:
    """Renews the leases of the runs this process holds."""

    def __init__(self, store: Store, *, ttl: float, interval: float) -> None:
        self.store, self.ttl, self.interval = store, ttl, interval
        self.holder = f"{holder_name()}:{uuid.uuid4().hex[:6]}"
        """Its name as a holder (two keepers in one process hold apart, as two processes do)."""
        self._held: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._renewing = threading.Lock()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._stopping = False

    def __repr__(self) -> str:
        return f"<tdm LeaseKeeper {sorted(self._held)} every {self.interval:g}s>"

    @property
    def held(self) -> list[str]:
        with self._lock:
            return sorted(self._held)

    def hold(self, run_id: str, *, taken: bool = False) -> None:
        """Hold ``run_id`` (once more): its lease is taken now (``taken``: the caller took it
        already, in a transaction of its own) and renewed until released."""
        if not taken:
            self.store.hold([run_id], self.ttl, self.holder)
        with self._lock:
            self._held[run_id] += 1
            if self._thread is None or not self._thread.is_alive():
                self._stopping = False
                self._thread = threading.Thread(target=self._run, name="tdm-leases",
                                                daemon=True)  # fmt: skip
                self._thread.start()

    def release(self, run_id: str, *, end: bool = True, keep_for: float | None = None) -> None:
        """Hold ``run_id`` once less. The last release ends this process's lease (``end``;
        other holders' leases are theirs): what the run left is then kept ``keep_for`` or,
        once nobody holds it, reaped at the next sweep."""
        with self._renewing:  # a renewal in flight would take the lease again after its end
            if self._let_go(run_id) and end:
                self.store.end(run_id, self.holder, keep_for)

    async def release_async(
        self, run_id: str, ending: Callable[[str, str, float | None], Awaitable[None]]
    ) -> None:
        """:meth:`release` (ending the lease) from an event loop: unless a renewal is in
        flight, the lease's end is written by ``ending(run_id, holder, keep_for)`` (the
        ledger's, in the caller's thread or its writer's), no worker thread of its own;
        otherwise as :meth:`release` in a worker thread, once the renewal is done."""
        if not self._renewing.acquire(blocking=False):
            await anyio.to_thread.run_sync(self.release, run_id)
            return
        try:  # (a renewal that starts meanwhile waits, as it would for release)
            if self._let_go(run_id):
                await ending(run_id, self.holder, None)
        finally:
            self._renewing.release()

    def _let_go(self, run_id: str) -> bool:
        """Hold ``run_id`` once less; ``True`` when that was this process's last hold."""
        with self._lock:
            self._held[run_id] -= 1
            last = self._held[run_id] <= 0
            if last:
                del self._held[run_id]
        return last

    def _run(self) -> None:
        while True:
            self._wake.wait(self.interval)
            self._wake.clear()
            with self._renewing:
                with self._lock:
                    if self._stopping or not self._held:
                        self._thread = None
                        return
                    run_ids = list(self._held)
                try:
                    self.store.hold(run_ids, self.ttl, self.holder)
                except Exception:
                    log.warning("renewing the leases of %s failed", run_ids, exc_info=True)

    def stop(self) -> None:
        """Stop renewing (the process is ending; its runs were ended or will run out)."""
        with self._lock:
            self._stopping = True
        self._wake.set()
