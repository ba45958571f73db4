"""A progress line on stderr for work that takes a while (seeding, running, cleaning up).

Nothing is shown for work done within ``after`` seconds. Then, on a terminal, one line is
redrawn in place; elsewhere (CI logs) a line is printed every ``every`` seconds. A last line
says how it ended. How far the work has got comes from a ``count()`` the caller gives (tdm's
ledger grows while creating and shrinks while cleaning up). It waits with ``sleep``
(``anyio.sleep``; tests give a clock of their own, which they advance).
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import TextIO

import anyio

__all__ = ["progress"]


class _Line:
    def __init__(self, label: str, total: int | None, stream: TextIO) -> None:
        self.label, self.total, self.stream = label, total, stream
        self.start = time.monotonic()
        self.shown = False
        self.live = stream.isatty()

    def text(self, done: int) -> str:
        count = f"{done}/{self.total}" if self.total is not None else str(done)
        return f"{self.label}: {count} ({time.monotonic() - self.start:.1f} s)"

    def show(self, done: int) -> None:
        if self.live:
            self.stream.write(f"\r{self.text(done)}\x1b[K")
        else:
            self.stream.write(self.text(done) + "\n")
        self.stream.flush()
        self.shown = True

    def finish(self, done: int, outcome: str) -> None:
        if not self.shown:
            return
        start, end = ("\r", "\x1b[K") if self.live else ("", "")
        self.stream.write(f"{start}{self.text(done)} {outcome}{end}\n")
        self.stream.flush()


@asynccontextmanager
async def progress(
    label: str,
    count: Callable[[], Awaitable[int]],
    *,
    total: int | None = None,
    stream: TextIO | None = None,
    after: float = 1.0,
    every: float = 5.0,
    sleep: Callable[[float], Awaitable[None]] = anyio.sleep,
) -> AsyncIterator[None]:
    """Show ``label: done/total (elapsed)`` while the block runs, if it runs long enough."""
    line = _Line(label, total, stream or sys.stderr)
    done = 0

    async def watch() -> None:
        nonlocal done
        await sleep(after)
        interval = 0.2 if line.live else every
        while True:
            with contextlib.suppress(Exception):  # a progress line must never break the work
                done = await count()
            line.show(done)
            await sleep(interval)

    # The block's exception is caught inside the task group and raised again after it, so
    # that it does not come out wrapped in an exception group.
    error: Exception | None = None
    async with anyio.create_task_group() as tg:
        tg.start_soon(watch)
        try:
            yield
        except Exception as exc:  # noqa: BLE001 -- raised again below, outside the task group
            error = exc
        finally:
            tg.cancel_scope.cancel()
    if line.shown:
        with anyio.CancelScope(shield=True), contextlib.suppress(Exception):
            done = await count()
    line.finish(done, "failed" if error else "done")
    if error is not None:
        raise error
