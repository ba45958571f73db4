"""The progress line of long work: silent when quick, periodic lines in logs, one redrawn line
on a terminal, and the block's own exception passed through unwrapped."""

from __future__ import annotations

import io
from collections.abc import Awaitable, Callable

import anyio
import pytest

from tdm_server._progress import progress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def counter() -> tuple[list[int], Callable[[], Awaitable[int]]]:
    done = [0]

    async def count() -> int:
        return done[0]

    return done, count


async def test_quick_work_prints_nothing() -> None:
    """Work done before ``after`` leaves no trace."""
    stream = io.StringIO()
    _, count = counter()
    async with progress("working", count, stream=stream, after=10):
        pass
    assert stream.getvalue() == ""


async def test_log_lines_then_done() -> None:
    """Not a terminal: a line per period with done/total, then one saying it is done."""
    stream = io.StringIO()
    done, count = counter()
    async with progress("cleaning", count, total=3, stream=stream, after=0, every=0.02):
        for n in range(1, 4):
            done[0] = n
            await anyio.sleep(0.05)
    lines = stream.getvalue().splitlines()
    assert len(lines) >= 3
    assert lines[0].startswith("cleaning: ")
    assert "/3 (" in lines[0]
    assert lines[-1].startswith("cleaning: 3/3 (")
    assert lines[-1].endswith(" done")


async def test_terminal_redraws_one_line() -> None:
    """On a terminal the line is redrawn in place and ended once."""
    stream = Terminal()
    done, count = counter()
    async with progress("seeding", count, stream=stream, after=0):
        done[0] = 5
        await anyio.sleep(0.3)
    text = stream.getvalue()
    assert text.count("\n") == 1
    assert text.count("\r") >= 2
    assert text.rstrip("\n").endswith("done\x1b[K")


async def test_the_block_error_comes_through() -> None:
    """An error in the block is raised as itself (not in a group); the line says failed."""
    stream = io.StringIO()
    _, count = counter()
    with pytest.raises(ValueError, match="boom"):
        async with progress("running", count, stream=stream, after=0):
            await anyio.sleep(0.05)
            raise ValueError("boom")
    assert stream.getvalue().splitlines()[-1].endswith(" failed")
