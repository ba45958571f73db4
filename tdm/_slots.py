"""A bound on concurrent calls that costs nothing while a slot is free."""

from __future__ import annotations

import anyio
import anyio.lowlevel

__all__ = ["Slots"]


class Slots:
    """At most ``total`` tasks inside ``async with slots:`` at once.

    Like ``async with anyio.CapacityLimiter(total)``, and like it a cancelled task stops at
    the door; but a free slot is taken without a round trip through the event loop (the
    limiter's own ``acquire`` always yields once), which every create and delete would pay.
    """

    def __init__(self, total: int) -> None:
        self._limiter = anyio.CapacityLimiter(total)

    def __repr__(self) -> str:
        limiter = self._limiter
        return f"<tdm Slots {limiter.borrowed_tokens}/{limiter.total_tokens} taken>"

    async def __aenter__(self) -> None:
        await anyio.lowlevel.checkpoint_if_cancelled()
        try:
            self._limiter.acquire_nowait()
        except anyio.WouldBlock:
            await self._limiter.acquire()

    async def __aexit__(self, *exc_info: object) -> None:
        self._limiter.release()
