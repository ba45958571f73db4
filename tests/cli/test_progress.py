"""The progress line of long work: silent when quick, periodic lines in logs, one redrawn line
on a terminal, and the block's own exception passed through unwrapped.

Time is a :class:`Clock` the tests advance, so what is drawn when never depends on real time.
"""

from __future__ import annotations

import io
import re
from collections.abc import Awaitable, Callable

import anyio
import pytest

from tdm_server._progress import progress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


class Clock:
    """``progress(sleep=clock.sleep)`` waits on this clock, which moves only by ``tick()``.

    Waiting for progress() is bounded only so that a broken one fails the test, not hangs it.
    """

    def __init__(self) -> None:
        self.waits: list[float] = []  # the seconds progress() asked to wait, in order
        self._waiting = anyio.Event()
        self._wake = anyio.Event()

    async def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self._waiting.set()
        await self._wake.wait()
        self._wake = anyio.Event()

    async def asleep(self) -> None:
        """Returns once progress() is waiting on the clock."""
        with anyio.fail_after(10):
            await self._waiting.wait()

    async def tick(self) -> None:
        """Ends the wait; returns once progress() has drawn its line and waits again."""
        await self.asleep()
        self._waiting = anyio.Event()
        self._wake.set()
        await self.asleep()


def counter() -> tuple[list[int], Callable[[], Awaitable[int]]]:
    done = [0]

    async def count() -> int:
        return done[0]

    return done, count


def timeless(text: str) -> str:
    """The output with each elapsed time, ``(1.2 s)``, as ``(t)``."""
    return re.sub(r"\(\d+\.\d s\)", "(t)", text)


async def test_quick_work_prints_nothing() -> None:
    """Work done before ``after`` has passed leaves no trace."""
    stream, clock = io.StringIO(), Clock()
    _, count = counter()
    async with progress("working", count, stream=stream, after=10, sleep=clock.sleep):
        await clock.asleep()
    assert clock.waits == [10]
    assert stream.getvalue() == ""


async def test_log_lines_then_done() -> None:
    """Not a terminal: after ``after``, a line per ``every`` with done/total, then one saying
    it is done."""
    stream, clock = io.StringIO(), Clock()
    done, count = counter()
    async with progress(
        "cleaning", count, total=3, stream=stream, after=1, every=5, sleep=clock.sleep
    ):
        for n in range(1, 4):
            done[0] = n
            await clock.tick()
    assert clock.waits == [1, 5, 5, 5]
    assert timeless(stream.getvalue()).splitlines() == [
        "cleaning: 1/3 (t)",
        "cleaning: 2/3 (t)",
        "cleaning: 3/3 (t)",
        "cleaning: 3/3 (t) done",
    ]


async def test_terminal_redraws_one_line() -> None:
    """On a terminal the line is redrawn in place, often, and ended once."""
    stream, clock = Terminal(), Clock()
    done, count = counter()
    async with progress("seeding", count, stream=stream, after=1, sleep=clock.sleep):
        for n in (2, 5):
            done[0] = n
            await clock.tick()
    assert clock.waits == [1, 0.2, 0.2]
    assert timeless(stream.getvalue()) == (
        "\rseeding: 2 (t)\x1b[K\rseeding: 5 (t)\x1b[K\rseeding: 5 (t) done\x1b[K\n"
    )


async def test_the_block_error_comes_through() -> None:
    """An error in the block is raised as itself (not in a group); the line says failed."""
    stream, clock = io.StringIO(), Clock()
    _, count = counter()
    with pytest.raises(ValueError, match="boom"):
        async with progress("running", count, stream=stream, sleep=clock.sleep):
            await clock.tick()
            raise ValueError("boom")
    assert timeless(stream.getvalue()).splitlines() == ["running: 0 (t)", "running: 0 (t) failed"]
