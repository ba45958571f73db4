"""``tdm with-run -- COMMAND``: a run held for as long as a command (a Playwright suite, any
script) runs.

The run's id is exported to the command as ``TDM_RUN_ID`` (with ``TDM_LEDGER``), so every tdm
client in it (the TypeScript client and its fixtures, ``tdm.Client``, the pytest plugin) tracks
what it creates under that run. While the command runs its lease is renewed every
``TDM_HEARTBEAT_INTERVAL`` from a thread: through the tdm server's ``/api/runs`` when
``TEST_DATA_MANAGER_URL`` (or ``--url``) names one, in the ledger otherwise. When the command
exits, what the run still has is removed (``--keep D``: kept for ``D``, then reaped) and the run
ends. If ``tdm with-run`` itself is killed, the lease runs out and the reaper removes the data
``TDM_LEASE_TTL`` later. The exit status is the command's (128 + N when signal N ended it); 1 when
the command succeeded but its data could not all be removed.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
from collections.abc import Sequence
from types import FrameType
from typing import Protocol, TextIO

import anyio

import tdm
from tdm.boundary import parse_keep

__all__ = ["with_run_command"]


class _Holder(Protocol):
    def open(self) -> None: ...
    def clean(self) -> tdm.CleanupReport: ...
    def end(self, keep_for: float | None) -> None: ...


class _LedgerHolder:
    """Holds the run in the ledger (the lease keeper's thread); cleans in process."""

    def __init__(self, manager: tdm.Manager) -> None:
        self.manager, self.run_id = manager, manager.settings.run_id

    def open(self) -> None:
        self.manager.leases.hold(self.run_id)

    def clean(self) -> tdm.CleanupReport:
        return anyio.run(lambda: self.manager.cleanup(run_id=self.run_id))

    def end(self, keep_for: float | None) -> None:
        self.manager.leases.release(self.run_id, keep_for=keep_for)
        self.manager.ledger.close()


class _ServerHolder:
    """Holds the run through a tdm server (``/api/runs``, a heartbeat thread)."""

    def __init__(self, client: tdm.Client) -> None:
        self.client = client

    def open(self) -> None:
        self.client.hold()

    def clean(self) -> tdm.CleanupReport:
        return self.client.cleanup_run()

    def end(self, keep_for: float | None) -> None:
        self.client.release(keep_for)
        self.client.close()


def with_run_command(
    settings: tdm.Settings,
    argv: Sequence[str],
    *,
    keep: str | None,
    url: str | None,
    err: TextIO,
) -> int:
    """Run ``argv`` in a held run; the exit status as the module says."""
    if not argv:
        raise tdm.InvalidParameters("tdm with-run", [tdm.FieldProblem(
            ("command",), "a command after --, e.g. tdm with-run -- npx playwright test", None,
        )])  # fmt: skip
    keep_for = _keep(keep)
    run_id = settings.run_id
    env = {**os.environ, "TDM_RUN_ID": run_id}
    holder: _Holder
    if url:
        holder = _ServerHolder(tdm.Client(url, run_id=run_id, token=tdm.boundary.env_token()))
        env["TEST_DATA_MANAGER_URL"] = url
    else:
        holder = _LedgerHolder(tdm.Manager(settings))
        env["TDM_LEDGER"] = str(settings.ledger_path)
    holder.open()
    err.write(f"tdm with-run: run {run_id}\n")
    try:
        status = _run_child(argv, env)
    except OSError as exc:
        holder.end(None)
        expected = f"a command that can be started ({exc.strerror or exc})"
        problem = tdm.FieldProblem(("command",), expected, " ".join(argv))
        raise tdm.InvalidParameters("tdm with-run", [problem]) from None
    code = 128 - status if status < 0 else status
    try:
        if keep_for is None:
            report = holder.clean()
            err.write(f"tdm with-run: run {run_id}: {report.summary()}\n")
            if not report.complete and code == 0:
                code = 1
        else:
            err.write(f"tdm with-run: run {run_id}: what it left is kept for {keep}\n")
    except tdm.TdmError as exc:
        err.write(f"tdm with-run: cleaning run {run_id} failed ({exc}); the reaper removes "
                  "what it left\n")  # fmt: skip
        code = code or 1
    finally:
        holder.end(keep_for)
    return code


def _keep(keep: str | None) -> float | None:
    if keep is None:
        return None
    try:
        return parse_keep(keep)
    except ValueError:
        problem = tdm.FieldProblem(("keep",), tdm.boundary.KEEP_FORMAT, keep)
        raise tdm.InvalidParameters("tdm with-run", [problem]) from None


def _run_child(argv: Sequence[str], env: dict[str, str]) -> int:
    """Run the command to its end; SIGTERM and SIGHUP sent to this process are passed on to
    it (Ctrl-C reaches it from the terminal by itself)."""
    child = subprocess.Popen(list(argv), env=env)  # noqa: S603 -- the command asked for

    def forward(signum: int, frame: FrameType | None) -> None:
        child.send_signal(signum)

    previous = {}
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGTERM, signal.SIGHUP):
            previous[signum] = signal.signal(signum, forward)
        previous[signal.SIGINT] = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        return child.wait()
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
