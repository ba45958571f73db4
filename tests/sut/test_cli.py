"""``python -m sut`` as a real process from the repository root."""

from __future__ import annotations

import contextlib
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx2
import pytest

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT = 15.0


def _first_lines(process: subprocess.Popen[str], count: int) -> list[str]:
    """The first ``count`` lines the process prints, read on a thread so a hang cannot block."""
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        assert process.stdout is not None
        with contextlib.suppress(ValueError, OSError):  # closed when the test ends
            for line in process.stdout:
                lines.put(line)

    threading.Thread(target=pump, daemon=True).start()
    deadline = time.monotonic() + START_TIMEOUT
    try:
        return [lines.get(timeout=max(deadline - time.monotonic(), 0)) for _ in range(count)]
    except queue.Empty:
        raise AssertionError(
            f"the shop printed too little in time (exit status {process.poll()})"
        ) from None


@pytest.mark.parametrize(
    ("how", "stop_signal"),
    [("flags", signal.SIGTERM), ("environment", signal.SIGINT)],
    ids=["flags-sigterm", "environment-sigint"],
)
def test_python_m_sut_serves_and_stops_cleanly(tmp_path, how, stop_signal):
    """The process prints both URLs, answers health on each, and exits 0 on SIGTERM or SIGINT."""
    env = {**os.environ, "SUT_SECRET": "cli-secret"}
    args = [sys.executable, "-m", "sut"]
    if how == "flags":
        args += ["--auth-port", "0", "--backend-port", "0", "--data-dir", str(tmp_path)]
    else:
        env.update(SUT_AUTH_PORT="0", SUT_BACKEND_PORT="0", SUT_DATA_DIR=str(tmp_path))
    with subprocess.Popen(
        args, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as process:
        try:
            lines = _first_lines(process, 2)
            urls = dict(line.strip().rsplit(" listening on ", 1) for line in lines)
            assert set(urls) == {"Auth Service", "Backend"}
            auth = httpx2.get(f"{urls['Auth Service']}/auth/health", trust_env=False)
            api = httpx2.get(f"{urls['Backend']}/api/health", trust_env=False)
            assert (auth.json(), api.json()) == ({"status": "ok"}, {"status": "ok"})
            process.send_signal(stop_signal)
            process.wait(timeout=15)
            assert process.stderr is not None
            stderr = process.stderr.read()
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
    assert process.returncode == 0, stderr
    assert "the shop stopped" in stderr
    assert {path.name for path in tmp_path.glob("*.db")} == {"auth.db", "backend.db"}


@pytest.mark.parametrize("module", ["sut", "tdm_sut"])
def test_help_names_the_flags(module):
    """--help works for both module names and lists the flags with their variables."""
    result = subprocess.run(
        [sys.executable, "-m", module, "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "--backend-db-url" in result.stdout
    assert "BACKEND_DB_URL" in result.stdout


def test_a_bad_flag_value_exits_with_usage(tmp_path):
    """An unusable port is reported as a usage error (exit status 2), not a traceback."""
    result = subprocess.run(
        [sys.executable, "-m", "sut", "--auth-port", "70000", "--data-dir", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 2
    assert "auth_port must be a port" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_port_in_use_exits_1(tmp_path):
    """When a port is taken the process says so and exits 1."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "sut",
                "--auth-port",
                str(port),
                "--backend-port",
                "0",
                "--data-dir",
                str(tmp_path),
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    assert result.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
