"""Slots: the bound on concurrent creates and deletes."""

from __future__ import annotations

import anyio
import pytest

from tdm._slots import Slots


async def test_at_most_total_at_once() -> None:
    """Five tasks through two slots: never more than two inside, and all get through."""
    slots, inside, peak, done = Slots(2), 0, 0, 0

    async def one() -> None:
        nonlocal inside, peak, done
        async with slots:
            inside += 1
            peak = max(peak, inside)
            await anyio.sleep(0.01)
            inside -= 1
        done += 1

    async with anyio.create_task_group() as tg:
        for _ in range(5):
            tg.start_soon(one)
    assert (peak, done) == (2, 5)


async def test_a_cancelled_task_stops_at_the_door() -> None:
    """A task cancelled before it enters never runs the block, though a slot is free."""
    slots, entered = Slots(1), False
    with anyio.CancelScope() as scope:
        scope.cancel()
        async with slots:
            entered = True
    assert scope.cancelled_caught
    assert not entered
    async with slots:  # its slot was never taken
        pass


async def test_a_slot_is_given_back_when_the_block_fails() -> None:
    """An error inside frees the slot."""
    slots = Slots(1)
    with pytest.raises(ValueError, match="boom"):
        async with slots:
            raise ValueError("boom")
    with anyio.fail_after(1):
        async with slots:
            pass
