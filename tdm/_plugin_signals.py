"""SIGTERM in a pytest run that uses tdm: the tests stop, tdm's cleanups run, then the
process ends by SIGTERM as expected of it."""

from __future__ import annotations

import asyncio
import atexit
import functools
import os
import signal
import threading

import pytest

__all__ = ["interrupt_on_sigterm", "started"]


def started(session: pytest.Session) -> None:
    """The test session that a SIGTERM stops."""
    _SESSION[:] = [session]


def _terminated(signum: int, frame: object) -> None:
    """SIGTERM, as CI runners and ``timeout`` send it: the running test is stopped, every
    fixture's teardown (tdm's cleanup) runs, no further test starts, and once pytest is done
    the process ends by SIGTERM, as expected of it. A second SIGTERM is ignored meanwhile.

    Inside a running event loop (an async test), the loop's main task is cancelled, as
    ``asyncio.Runner`` does on Ctrl-C: the cancellation flows through the test's task groups
    and cancel scopes, so a create already sent still finishes (shielded) and is recorded
    before the cleanup runs (cancelling every task would cut through those shields). Raising
    in the middle of the loop's own machinery could leave it unable to finish. Elsewhere the
    test is interrupted the way Ctrl-C interrupts it."""
    if _TERMINATED:
        return
    _TERMINATED.append(signum)
    atexit.register(_end_by, signum)
    if _SESSION:
        _SESSION[0].shouldstop = f"stopped by {signal.Signals(signum).name}"
    loop = asyncio._get_running_loop()
    if loop is None:
        raise KeyboardInterrupt(f"stopped by {signal.Signals(signum).name}")
    reason = f"stopped by {signal.Signals(signum).name}"
    main = _main_task()
    if main is not None and main.get_loop() is loop:
        main.cancel(reason)
        return
    for task in asyncio.all_tasks(loop):  # a loop run some other way: stop all it runs
        task.cancel(reason)


def _main_task() -> asyncio.Task[object] | None:
    """The task ``asyncio.Runner`` (``asyncio.run``, pytest-asyncio) runs, which it cancels
    itself on Ctrl-C: its SIGINT handler is bound to it."""
    handler = signal.getsignal(signal.SIGINT)
    if isinstance(handler, functools.partial):
        main = handler.keywords.get("main_task")
        if isinstance(main, asyncio.Task) and not main.done():
            return main
    return None


_SESSION: list[pytest.Session] = []


def _end_by(signum: int) -> None:
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)


_TERMINATED: list[int] = []


def interrupt_on_sigterm() -> None:
    """Once a test run uses tdm, SIGTERM interrupts it like Ctrl-C (unless something else
    already handles SIGTERM)."""
    in_main = threading.current_thread() is threading.main_thread()
    if in_main and signal.getsignal(signal.SIGTERM) in (signal.SIG_DFL, None):
        signal.signal(signal.SIGTERM, _terminated)
