"""Clients shared by the sessions of an opened manager, one set per event loop.

Building a target's clients (HTTP connection pools, SQLAlchemy engines and their first
connections) costs more than many a scenario; the sessions of one process share them. They
are bound to the event loop they were opened on (httpx2's connections and the async engines'
pooled connections are), and pytest-asyncio may run each test in a loop of its own, so each
loop gets its own set, closed as that loop ends: a task of the loop holds it open, and
``asyncio.run``, ``asyncio.Runner``, ``anyio.run`` and pytest-asyncio cancel the tasks still
running when their main coroutine returns, before they close the loop's async generators
(the targets' own context managers among them) and the loop. A loop closed by hand without
cancelling its tasks leaves its set to the garbage collector.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from ._clients import Clients

if TYPE_CHECKING:
    from ._catalog import Catalog
    from ._settings import Settings

__all__ = ["LoopClients"]

_CLOSING: set[asyncio.Task[None]] = set()
"""Keepers told to close their set: held here until they have (a loop holds its tasks weakly)."""


class LoopClients:
    """The clients of a catalog's targets, one :class:`Clients` per running event loop."""

    def __init__(self, catalog: Catalog, settings: Settings) -> None:
        self._catalog, self._settings = catalog, settings
        # The loop keeps only a weak reference to a task: the set holds its keeper.
        self._sets: dict[asyncio.AbstractEventLoop, tuple[Clients, asyncio.Task[None]]] = {}

    async def get(self) -> Clients | None:
        """The current loop's set, opened on first use; None outside asyncio (under trio each
        session opens its own)."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return None
        found = self._sets.get(loop)
        if found is None:
            # Loops of other threads use this too: copy before looking, pop what is there.
            for stale in [old for old in list(self._sets) if old.is_closed()]:
                self._sets.pop(stale, None)
            clients = Clients(self._catalog, self._settings)
            keeper = loop.create_task(self._keep_open(loop, clients), name="tdm shared clients")
            found = self._sets[loop] = (clients, keeper)
        return found[0]

    def close(self) -> None:
        """Close every loop's set (from any thread): each keeper is cancelled on its own loop
        and closes its set there. Without this, a set whose owner is dropped while its loop
        still runs would be left to the garbage collector, connections open."""
        sets, self._sets = self._sets, {}
        for loop, (_, keeper) in sets.items():
            if loop.is_closed() or keeper.done():
                continue
            _CLOSING.add(keeper)
            keeper.add_done_callback(_CLOSING.discard)
            loop.call_soon_threadsafe(keeper.cancel)

    async def _keep_open(self, loop: asyncio.AbstractEventLoop, clients: Clients) -> None:
        try:
            await loop.create_future()  # until the loop's runner cancels what still runs
        finally:
            self._sets.pop(loop, None)
            # The runner cancelled this task: closing must not be cut short by that cancel
            # (anyio's scopes inside would see the task still cancelling).
            task = asyncio.current_task()
            if task is not None:
                while task.uncancel():
                    pass
            await clients.aclose()
