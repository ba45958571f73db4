"""SIGTERM is Ctrl-C: what CI runners and ``timeout`` send must not skip cleanup.

:func:`run_until_signalled` runs a command's work in an event loop and cancels it on SIGINT or
SIGTERM: sessions see the cancellation, a scenario cut off removes what it had made, and each
session's exit cleanup runs (shielded, bounded by ``TDM_CLEANUP_TIMEOUT``). The caller then
exits with the conventional status, 128 plus the signal's number.
"""

from __future__ import annotations

import signal
from collections.abc import Awaitable, Callable

import anyio
import attrs

__all__ = ["Signalled", "run_until_signalled"]

SIGNALS = (signal.SIGINT, signal.SIGTERM)


@attrs.frozen
class Signalled:
    """The work was cancelled by ``signum``; ``status`` is the exit status to use."""

    signum: int

    @property
    def status(self) -> int:
        return 128 + self.signum

    @property
    def name(self) -> str:
        return signal.Signals(self.signum).name


def run_until_signalled(work: Callable[[], Awaitable[int]]) -> int | Signalled:
    """``work()``'s exit status, or :class:`Signalled` if a signal cancelled it."""

    async def main() -> int | Signalled:
        received: list[int] = []
        status = 0
        async with anyio.create_task_group() as tg:

            async def watch() -> None:
                with anyio.open_signal_receiver(*SIGNALS) as signals:
                    async for signum in signals:
                        received.append(signum)
                        tg.cancel_scope.cancel()
                        return

            tg.start_soon(watch)
            status = await work()
            tg.cancel_scope.cancel()
        return Signalled(received[0]) if received else status

    return anyio.run(main)
