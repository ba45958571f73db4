"""How fast tdm starts where users run it: ``tdm --help`` against ``python -c pass``,
``import tdm`` against ``import httpx2`` (each a process of its own, the pair interleaved, the
medians and their ratio), and ``tdm serve --demo`` from launch to its first healthy answer.

Run alone: ``python -m bench.startup``.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import httpx2

from ._report import Row, render, verdict

__all__ = ["bench_startup"]

_TDM = shutil.which("tdm", path=str(Path(sys.executable).parent)) or "tdm"


def _run(argv: Sequence[str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def _pair(argv: Sequence[str], baseline: Sequence[str], rounds: int) -> tuple[float, float]:
    """Medians of ``argv`` and ``baseline`` run in turn, after one warm-up each."""
    _run(argv), _run(baseline)
    ours, theirs = [], []
    for _ in range(rounds):
        ours.append(_run(argv))
        theirs.append(_run(baseline))
    return statistics.median(ours), statistics.median(theirs)


def _ratio_rows(label: str, base: str, times: tuple[float, float], bound: float) -> list[Row]:
    ours, theirs = times
    return [
        (base, f"{theirs * 1000:.1f} ms", "1.00", ""),
        (label, f"{ours * 1000:.1f} ms", f"{ours / theirs:.2f}", verdict(ours / theirs, bound)),
    ]


def serve_demo_to_healthy() -> float:
    """Seconds from launching ``tdm serve --demo`` (free ports, a data folder, ledger and
    project of its own) to its first ``GET /api/health`` answered 200."""
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "TDM_LEDGER": f"{tmp}/ledger.sqlite3", "SUT_AUTH_PORT": "0",
               "SUT_BACKEND_PORT": "0", "TDM_DEMO_ENV": "off", "LOG_LEVEL": "warning"}  # fmt: skip
        start = time.perf_counter()
        process = subprocess.Popen(
            [_TDM, "serve", "--demo", "--port", "0", "--data-dir", f"{tmp}/demo"],
            cwd=tmp, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        )  # fmt: skip
        try:
            assert process.stdout is not None
            url = None
            for line in process.stdout:  # the API's address comes first
                found = re.search(r"tdm API listening on (\S+)", line)
                if found:
                    url = found.group(1).rstrip("/")
                    break
            if url is None:
                raise RuntimeError("tdm serve --demo did not start")
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                try:
                    if httpx2.get(f"{url}/api/health", timeout=10).status_code == 200:
                        return time.perf_counter() - start
                except httpx2.TransportError:
                    pass
                time.sleep(0.01)
            raise RuntimeError("tdm serve --demo did not become healthy within 60 s")
        finally:
            process.terminate()
            process.wait(timeout=30)


def bench_startup(rounds: int = 15, serve_rounds: int = 5) -> list[Row]:
    """The start-up rows: two ratios against this run's baselines, one time to healthy."""
    python = sys.executable
    rows = _ratio_rows(
        "tdm --help", "python -c pass", _pair([_TDM, "--help"], [python, "-c", "pass"], rounds), 3
    )
    rows += _ratio_rows(
        "import tdm", "import httpx2",
        _pair([python, "-c", "import tdm"], [python, "-c", "import httpx2"], rounds), 1.5,
    )  # fmt: skip
    serve_demo_to_healthy()  # warm the file caches
    healthy = statistics.median(serve_demo_to_healthy() for _ in range(serve_rounds))
    rows.append(
        ("tdm serve --demo, launch to healthy", f"{healthy * 1000:.0f} ms", "",
         verdict(healthy, 1.5, " s"))
    )  # fmt: skip
    return rows


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.startup", description=__doc__)
    parser.add_argument("--rounds", type=int, default=15, help="runs of each command")
    print(render(bench_startup(parser.parse_args().rounds)))
