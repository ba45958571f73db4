"""``tdm serve`` as a real process: started, read until it says where it listens, stopped."""

from __future__ import annotations

import contextlib
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import attrs

from ..support import stop

TDM = str(Path(sys.executable).parent / "tdm")
START_TIMEOUT = 30.0


@attrs.define
class Served:
    """A running ``tdm serve``: what it printed so far; its output once stopped."""

    process: subprocess.Popen[str]
    printed: list[str]
    stdout: str = ""
    stderr: str = ""

    @property
    def urls(self) -> dict[str, str]:
        """``label -> what follows "listening on"`` of the lines printed at start."""
        return dict(line.strip().split(" listening on ", 1) for line in self.printed
                    if " listening on " in line)  # fmt: skip


def _pump(stream: object, into: queue.Queue[str | None]) -> None:
    with contextlib.suppress(ValueError, OSError):
        for line in stream:  # type: ignore[attr-defined]
            into.put(line)
    into.put(None)


@contextlib.contextmanager
def serving(args: list[str], env: dict[str, str], cwd: Path, *, until: str) -> Iterator[Served]:
    """Start ``tdm serve ARGS``; yield once it printed a line containing ``until``; stop it with
    SIGTERM after the block, keeping everything it printed."""
    process = subprocess.Popen(
        [TDM, "serve", *args], env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    lines: queue.Queue[str | None] = queue.Queue()
    errors: queue.Queue[str | None] = queue.Queue()
    threading.Thread(target=_pump, args=(process.stdout, lines), daemon=True).start()
    threading.Thread(target=_pump, args=(process.stderr, errors), daemon=True).start()
    served = Served(process, [])
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not any(until in line for line in served.printed):
            try:
                line = lines.get(timeout=max(deadline - time.monotonic(), 0))
            except queue.Empty:
                line = None
            if line is None:
                raise AssertionError(f"tdm serve printed {served.printed} "
                                     f"(status {process.poll()}): {_drain(errors)}")  # fmt: skip
            served.printed.append(line)
        yield served
    finally:
        stop(process, signal.SIGINT, timeout=20)
        served.stdout = "".join(served.printed) + _drain(lines)
        served.stderr = _drain(errors)
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()


def _drain(into: queue.Queue[str | None]) -> str:
    found = []
    with contextlib.suppress(queue.Empty):
        while (line := into.get(timeout=5)) is not None:
            found.append(line)
    return "".join(found)


def run_tdm(
    *args: str, env: dict[str, str], cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """``tdm ARGS`` to its end."""
    return subprocess.run([TDM, *args], env=env, cwd=cwd, capture_output=True, text=True,
                          timeout=120)  # fmt: skip
