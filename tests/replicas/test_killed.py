"""Killed holders: a pytest run and a ``tdm with-run`` child, SIGKILLed mid-test, stop renewing
their runs; once the lease runs out their data is removed, by a replica's reaper or by one
``tdm reap``, while a live run of the same age (held by a client in this process) keeps its
data. Deadlines are generous and never asserted on: the outcome is polled in the shop."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

import httpx2

import tdm

from ..cli.serve_process import TDM, run_tdm
from ..support import Inspector
from .conftest import Replicas

DEADLINE = 90.0
"""Seconds to wait for what should take ``TTL + SWEEP`` (a loaded CI machine is slow)."""

BLOCKED_TEST = """\
import json, os, anyio


async def test_blocked(tdm_session, tdm_client):
    mine = await tdm_session.create("user")
    theirs = (await tdm_client.create("user"))["entities"][0]
    with open(os.environ["MARK"] + ".tmp", "w") as out:
        json.dump([mine.email, theirs["email"]], out)
    os.rename(os.environ["MARK"] + ".tmp", os.environ["MARK"])
    await anyio.sleep(600)
"""

BLOCKED_SCRIPT = """\
import json, os, sys, time
import tdm

url = sys.argv[1] if len(sys.argv) > 1 else os.environ["TEST_DATA_MANAGER_URL"]
with tdm.Client(url, run_id=os.environ["TDM_RUN_ID"]) as client:
    assert client.run_id == os.environ["TDM_RUN_ID"]
    user = client.create("user")["entities"][0]
    with open(os.environ["MARK"] + ".tmp", "w") as out:
        json.dump([user["email"]], out)
    os.rename(os.environ["MARK"] + ".tmp", os.environ["MARK"])
    time.sleep(600)
"""


def _start(command: list[str], env: dict[str, str], cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(command, env=env, cwd=cwd, stdout=subprocess.PIPE,  # a group
                            stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)  # fmt: skip


def _made(process: subprocess.Popen[str], mark: Path) -> list[str]:
    """The emails a blocked process wrote once it had created its users."""
    deadline = time.monotonic() + DEADLINE
    while not mark.exists():
        if process.poll() is not None:
            out = process.stdout.read() if process.stdout else ""
            raise AssertionError(f"it ended ({process.returncode}) before blocking: {out}")
        assert time.monotonic() < deadline, "it created nothing in time"
        time.sleep(0.05)
    return list(json.loads(mark.read_text()))


def _kill(process: subprocess.Popen[str]) -> None:
    """SIGKILL to its whole process group: nothing of it gets to clean up."""
    with contextlib.suppress(ProcessLookupError):  # it ended by itself (the test says why)
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    if process.stdout is not None:
        process.stdout.close()


def _present(shop: Inspector, emails: list[str]) -> list[str]:
    return [e for e in emails if shop.users(e)]


def _wait(what: Callable[[], bool], message: Callable[[], str]) -> None:
    deadline = time.monotonic() + DEADLINE
    while not what():
        assert time.monotonic() < deadline, message()
        time.sleep(0.2)


def _runs(url: str) -> dict[str, str]:
    answer = httpx2.get(f"{url}/api/runs", params={"limit": 1000}, trust_env=False, timeout=30)
    assert answer.status_code == 200, answer.text
    return {r["runId"]: r["state"] for r in answer.json()["items"]}


def _kill_two_holders(
    replicas: Replicas, shop: Inspector, tmp_path: Path, *, with_run_url: str | None
) -> tuple[list[str], dict[str, str], tdm.Client, str]:
    """Start a blocked pytest run and a ``tdm with-run`` child (holding its run through
    ``with_run_url`` or, without one, in the ledger) beside a live client; kill both once
    they have created. What they made, their run ids, the live client and its user."""
    suffix = uuid.uuid4().hex[:6]
    runs = {"pytest": f"run-killed-pytest-{suffix}", "with-run": f"run-killed-with-{suffix}"}
    (tmp_path / "test_blocked.py").write_text(BLOCKED_TEST)
    (tmp_path / "blocked.py").write_text(BLOCKED_SCRIPT)
    base = {**replicas.env, "TEST_DATA_MANAGER_URL": replicas.url}
    pytest_env = {**base, "TDM_RUN_ID": runs["pytest"], "MARK": str(tmp_path / "pytest.json")}
    with_env = {**base, "MARK": str(tmp_path / "with-run.json")}
    script = [sys.executable, "blocked.py"]
    if with_run_url is None:
        del with_env["TEST_DATA_MANAGER_URL"]
        script.append(replicas.url)
    processes = {
        "pytest": _start([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                          "-o", "asyncio_mode=auto", "test_blocked.py"], pytest_env, tmp_path),
        "with-run": _start([TDM, "with-run", "--run-id", runs["with-run"], "--", *script],
                           with_env, tmp_path),
    }  # fmt: skip
    live = tdm.Client(replicas.url)
    made: list[str] = []
    try:
        live_email = str(live.create("user")["entities"][0]["email"])
        for name, process in processes.items():
            made += _made(process, tmp_path / f"{name}.json")
    except BaseException:
        live.close()
        raise
    finally:
        for process in processes.values():
            _kill(process)
    assert len(_present(shop, made)) == 3
    return made, runs, live, live_email


def _live_untouched(live: tdm.Client, email: str, shop: Inspector, url: str) -> None:
    try:
        assert _present(shop, [email]) == [email]
        assert _runs(url)[live.run_id] == "held"
        report = live.cleanup_run()
        assert (report.complete, report.deleted["users"]) == (True, 1)
    finally:
        live.close()


def test_killed_holders_are_reaped_by_a_replica(
    pair: Replicas, shop: Inspector, tmp_path: Path
) -> None:
    """Reapers on: the killed runs' users leave the shop once their leases run out (about
    TTL + one sweep later); the live client's user stays."""
    made, runs, live, email = _kill_two_holders(pair, shop, tmp_path, with_run_url=pair.url)
    _wait(lambda: not _present(shop, made), lambda: f"still there: {_present(shop, made)}")
    states = _runs(pair.url)
    assert [states.get(r, "gone") for r in runs.values()] != ["held", "held"]
    _live_untouched(live, email, shop, pair.url)


def test_killed_holders_are_reaped_by_tdm_reap(
    replicas: Callable[..., AbstractContextManager[Replicas]], shop: Inspector, tmp_path: Path
) -> None:
    """No replica sweeps (``TDM_REAPER=off``): the killed runs' data stays until their leases
    have run out and ``tdm reap`` is run once; it removes theirs, not the live run's."""
    with replicas(1, TDM_REAPER="off") as found:
        made, runs, live, email = _kill_two_holders(found, shop, tmp_path, with_run_url=None)
        _wait(lambda: all(_runs(found.url)[r] != "held" for r in runs.values()),
              lambda: f"still held: {_runs(found.url)}")  # fmt: skip
        assert len(_present(shop, made)) == 3  # nobody reaps on their own
        reaped = run_tdm("reap", "--json", env=found.env, cwd=tmp_path)
        assert reaped.returncode == 0, reaped.stderr
        assert sorted(json.loads(reaped.stdout)["reaped"]) == sorted(runs.values())
        assert _present(shop, made) == []
        _live_untouched(live, email, shop, found.url)
