"""The ledger's writer: one thread that writes what the ledger writes per entity (intents,
confirms, settling, failures, reopening, removal) and runs' touches for every caller of a
ledger, those that arrive together in one transaction.

A create may not be sent before its intent is durable, so each caller waits for the commit
that holds its own write; it never waits for a thread of a pool and a limiter of its own, and
callers of one moment (a server's concurrent requests, ``create_many``'s siblings) share one
commit instead of queueing for one each. A write that fails is tried again on its own, so its
error is its caller's alone. While writes keep coming the thread keeps its connection (no
checkout and reset per transaction); idle for :data:`_LINGER`, or after a failure, it gives
it back to the pool.

On a SQLite file a caller whose write of a few records (:data:`SMALL_ROWS`) finds the writer
idle makes it itself, on a connection of the writer's that never waits for the file's lock: a
commit there takes a fraction of the two thread switches it would otherwise cost. If another
writer holds the lock (the writer's thread, another process) the write goes to the thread as
any other. That connection never checkpoints the file's log (which would sync the disk in the
caller's event loop): every :data:`_CHECKPOINT_EVERY` commits the thread is asked to.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import queue
import sqlite3
import threading
from collections.abc import Callable, Sequence
from typing import Any, Literal, TypeVar

import anyio

from ._store import Store, Write
from ._store_base import is_busy

__all__ = ["SMALL_ROWS", "NotHere", "Writer"]

log = logging.getLogger("tdm.ledger")

_BATCH = 256
"""Writes per transaction at most."""

_LINGER = 0.5
"""Seconds the writer keeps its connection once nothing is left to write."""

SMALL_ROWS = 16
"""Records a write, a claim or a read may touch to be made in its caller's thread: a bulk
removal (a cleanup's page) would hold up the caller's event loop, it goes to a thread."""

_CHECKPOINT_EVERY = 256
"""Commits in callers' threads between two checkpoints by the writer's thread."""

T = TypeVar("T")

_Pending = tuple[Write, asyncio.AbstractEventLoop, "asyncio.Future[None]"]
_CHECKPOINT: Literal["checkpoint"] = "checkpoint"
"""Asks the thread to checkpoint a SQLite file's log."""
_Item = _Pending | Literal["checkpoint"] | None


class NotHere(Exception):
    """:meth:`Writer.run_here` could not do it in the caller's thread."""


class Writer:
    """Applies :class:`~tdm._store.Write` s to ``store`` in a thread of its own, started on
    first use and stopped by :meth:`close`."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._queue: queue.SimpleQueue[_Item] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._start = threading.Lock()
        self._pid = os.getpid()
        self._applying = False
        self._direct = threading.Lock()
        """Held by the caller writing on :attr:`_connection` (one at a time)."""
        self._connection: Any = None
        self._commits = 0
        """Commits in callers' threads (counted holding :attr:`_direct`); every
        :data:`_CHECKPOINT_EVERY` th asks the thread to checkpoint."""
        self._checkpoints_taken = 0
        """Checkpoint requests the thread took from the queue (counted by the thread)."""

    async def write(self, write: Write) -> None:
        """Return once ``write`` is committed (or raise what it raised). Like a worker
        thread's call, it is not abandoned when the caller is cancelled: the caller learns how
        it ended first."""
        if self._direct_write(write):
            return
        loop = asyncio.get_running_loop()
        done: asyncio.Future[None] = loop.create_future()
        self._running().put((write, loop, done))
        with anyio.CancelScope(shield=True):
            await done

    def _direct_write(self, write: Write) -> bool:
        """On a SQLite file, with the writer idle: make ``write`` here (``True``: committed;
        an error is raised). ``False``: someone else writes, the thread is to do it."""
        if self._store.postgres or write.rows > SMALL_ROWS:
            return False
        if self._applying or self._writes_queued():
            return False
        if self._pid != os.getpid() or not self._direct.acquire(blocking=False):
            return False
        try:
            if not self._store.write_unless_busy(write, self._here()):
                return False
            self._committed()
            return True
        except BaseException:  # its caller's error; the connection may be broken: a new one
            self._drop_here()
            raise
        finally:
            self._direct.release()

    def run_here(self, use: Callable[[Any], T], *, writes: bool) -> T:
        """On a SQLite file, a small read or claim (``writes``) in the caller's thread, on the
        connection of :meth:`_direct_write` (which never waits for the file's lock): what
        ``use(connection)`` returns. Raises :class:`NotHere` when it is not to be done here
        (on PostgreSQL, the connection in use, a claim while the thread writes) or ``use``
        found the file locked: the caller then goes to a thread of the pool, as it would
        have. A read here saves the two thread switches of a worker thread's call, most of
        its cost: a session's records are a few rows."""
        if self._store.postgres or (writes and (self._applying or self._writes_queued())):
            raise NotHere
        if self._pid != os.getpid() or not self._direct.acquire(blocking=False):
            raise NotHere
        try:
            result = use(self._here())
            if writes:
                self._committed()
            return result
        except sqlite3.OperationalError as exc:
            if is_busy(exc):
                raise NotHere from exc
            self._drop_here()
            raise
        except BaseException:
            self._drop_here()
            raise
        finally:
            self._direct.release()

    def _here(self) -> Any:
        """The connection for writes and reads in callers' threads (made on first use): the
        driver's own, not the pool's proxy of it, which costs a third more per transaction."""
        if self._connection is None:
            self._connection = self._store.raw_connection()
            cursor = self._connection.cursor()
            cursor.execute("PRAGMA busy_timeout=0")  # never wait for the lock: the thread will
            cursor.execute("PRAGMA wal_autocheckpoint=0")  # the thread checkpoints
        return self._connection.driver_connection

    def _drop_here(self) -> None:
        """After an error the connection of callers' threads may be broken: a new one next."""
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.invalidate()

    def _committed(self) -> None:
        """A commit in a caller's thread (holding :attr:`_direct`): now and then the thread is
        asked to checkpoint."""
        self._commits += 1
        if self._commits % _CHECKPOINT_EVERY == 0:
            self._running().put(_CHECKPOINT)

    def _writes_queued(self) -> bool:
        """Writes wait for the thread. A request to checkpoint does not count: the write that
        follows it would otherwise wait for the thread to sync the file (tens of ms)."""
        asked = self._commits // _CHECKPOINT_EVERY
        return self._queue.qsize() > asked - self._checkpoints_taken

    def close(self) -> None:
        """Finish what was handed in, then stop the thread."""
        with self._start:
            thread, self._thread = self._thread, None
        if thread is not None:
            self._queue.put(None)
            thread.join()
        with self._direct:
            connection, self._connection = self._connection, None
        if connection is not None and self._pid == os.getpid():
            connection.invalidate()  # its settings are the writer's: not for the pool

    def _running(self) -> queue.SimpleQueue[_Item]:
        if self._pid != os.getpid():  # a forked child: its parent's thread is not its own
            self._queue, self._thread, self._pid = queue.SimpleQueue(), None, os.getpid()
            self._commits = self._checkpoints_taken = 0
            self._connection, self._applying = None, False
        if self._thread is None:
            with self._start:
                if self._thread is None:
                    self._thread = threading.Thread(target=self._run, name="tdm ledger writer",
                                                    daemon=True)  # fmt: skip
                    self._thread.start()
        return self._queue

    def _run(self) -> None:
        held: Any = None
        try:
            while True:
                try:
                    first = self._queue.get() if held is None else self._queue.get(timeout=_LINGER)
                except queue.Empty:  # idle: the connection goes back to the pool
                    self._store.give_back(held)
                    held = None
                    continue
                if first is None:
                    return
                batch: list[_Pending] = []
                checkpoint = stop = False
                item: _Item = first
                while True:
                    if item is None:
                        stop = True
                        break
                    if isinstance(item, tuple):
                        batch.append(item)
                    else:
                        checkpoint = True
                        self._checkpoints_taken += 1
                    if len(batch) >= _BATCH:
                        break
                    try:
                        item = self._queue.get_nowait()
                    except queue.Empty:
                        break
                if batch:
                    self._applying = True
                    try:
                        held = self._apply(batch, held)
                    finally:
                        self._applying = False
                if checkpoint:
                    held = self._checkpoint(held)
                if stop:
                    return
        finally:
            if held is not None:
                self._store.give_back(held)

    def _checkpoint(self, held: Any) -> Any:
        """Checkpoint a SQLite file's log (as SQLite would itself, every 1,000 pages)."""
        try:
            if held is None:
                held = self._store.own_connection()
            held.cursor().execute("PRAGMA wal_checkpoint(PASSIVE)")
        except Exception:
            log.warning("checkpointing the ledger's log failed", exc_info=True)
        return held

    def _apply(self, batch: Sequence[_Pending], held: Any) -> Any:
        """Write ``batch``, tell each caller how its write ended; the connection to go on with
        (``None``: the next batch takes one from the pool)."""
        writes = [w for w, _, _ in batch]
        outcomes: list[BaseException | None]
        try:
            if held is None:
                held = self._store.own_connection()
            self._store.write_together(writes, held)
            outcomes = [None] * len(batch)
        except BaseException:  # noqa: BLE001 -- again on the pool's connections, one by one
            if held is not None:  # it may be broken: the pool checks it, or drops it
                self._store.give_back(held)
                held = None
            try:
                outcomes = self._store.write(writes)
            except BaseException as exc:  # noqa: BLE001 -- one write alone: its caller's error
                outcomes = [exc] * len(batch)
        by_loop: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future[None], Any]]] = {}
        for (_, loop, done), outcome in zip(batch, outcomes, strict=True):
            by_loop.setdefault(loop, []).append((done, outcome))
        for loop, settled in by_loop.items():  # one wake-up per loop, not one per caller
            with contextlib.suppress(RuntimeError):  # a closed loop: nobody waits any more
                loop.call_soon_threadsafe(_settle, settled)
        return held


def _settle(settled: list[tuple[asyncio.Future[None], BaseException | None]]) -> None:
    for done, outcome in settled:
        if done.done():
            continue
        if outcome is None:
            done.set_result(None)
        else:
            done.set_exception(outcome)
