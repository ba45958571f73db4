"""The TypeScript client's package, installed once per test session, and a real
``tdm serve --demo`` for its tests to run against, with a token (``TDM_API_TOKEN``): every
call of the client's tests and of tdm's own tools must send it."""

from __future__ import annotations

import fcntl
import os
import secrets
import shutil
import signal
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import attrs
import pytest

from ..support import Inspector, stop

PACKAGE = Path(__file__).parents[2] / "clients" / "typescript"
TDM = str(Path(sys.executable).parent / "tdm")
NPM_TIMEOUT = 600
START_TIMEOUT = 60
_STAMP = PACKAGE / "node_modules" / ".installed-by-test-run"
_SHOP_SETTINGS = ("AUTH_SERVICE_URL", "BACKEND_URL", "AUTH_DB_URL", "BACKEND_DB_URL", "PORT")


def run(
    args: list[str],
    *,
    timeout: float,
    cwd: Path = PACKAGE,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """``args`` in ``cwd`` (the package's folder), its output captured as text."""
    return subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


def _test_run_id(config: pytest.Config) -> str:
    """One id for the whole test run, shared by every xdist worker."""
    worker_input = getattr(config, "workerinput", None)
    if worker_input is not None:
        return str(worker_input["testrunuid"])
    return str(config.stash.setdefault(_RUN_KEY, uuid.uuid4().hex))


_RUN_KEY = pytest.StashKey[str]()


@pytest.fixture(scope="session")
def npm_package(pytestconfig: pytest.Config) -> Path:
    """``npm ci`` in clients/typescript, once per test run (xdist workers take turns on a
    lock; the first one installs, which also builds dist/ through the package's prepare)."""
    for tool in ("node", "npm"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} is missing: the TypeScript client's tests need Node 20 and npm")
    run_id = _test_run_id(pytestconfig)
    lock_path = PACKAGE / ".tmp" / "npm-ci.lock"
    lock_path.parent.mkdir(exist_ok=True)
    with lock_path.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (_STAMP.is_file() and _STAMP.read_text() == run_id):
            env = {**os.environ, "PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD": "1"}
            done = run(["npm", "ci", "--no-audit", "--no-fund"], timeout=NPM_TIMEOUT, env=env)
            assert done.returncode == 0, f"npm ci failed:\n{done.stdout}\n{done.stderr}"
            _STAMP.write_text(run_id)
    return PACKAGE


@attrs.frozen
class Demo:
    """A running ``tdm serve --demo``: its URLs, its token, and the shop's admin view."""

    api: str
    auth: str
    backend: str
    shop: Inspector
    token: str = attrs.field(repr=False)


class _Printed:
    """Collects what a process prints, on a thread, until it has said where it listens."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.lines: list[str] = []
        self.urls: dict[str, str] = {}
        self.ready = threading.Event()
        threading.Thread(target=self._read, args=(process,), daemon=True).start()

    def _read(self, process: subprocess.Popen[str]) -> None:
        assert process.stdout is not None
        for line in process.stdout:
            self.lines.append(line)
            label, found, url = line.strip().partition(" listening on ")
            if found:
                self.urls[label] = url
            elif not line.strip() and self.urls:
                self.ready.set()
        self.ready.set()


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """``tdm serve --demo`` on free ports, with its own data folder, ledger and token; its
    clients renew their runs' leases every second."""
    where = tmp_path_factory.mktemp("ts-demo")
    env = {k: v for k, v in os.environ.items()
           if k not in _SHOP_SETTINGS and not k.startswith("TDM_")}  # fmt: skip
    env["TDM_LEDGER"] = str(where / "ledger.sqlite3")
    env["TDM_HEARTBEAT_INTERVAL"] = "1"  # clients renew their leases often enough to be seen
    token = env["TDM_API_TOKEN"] = secrets.token_urlsafe(32)
    args = [TDM, "serve", "--demo", "--port", "0", "--data-dir", str(where / "demo")]
    log = where / "serve.log"
    with (
        log.open("w") as err,
        subprocess.Popen(
            args, env=env, cwd=where, stdout=subprocess.PIPE, stderr=err, text=True
        ) as process,
    ):
        try:
            printed = _Printed(process)
            printed.ready.wait(START_TIMEOUT)
            urls = printed.urls
            assert {"tdm API", "Backend (demo shop)"} <= urls.keys(), (
                printed.lines,
                log.read_text(),
            )
            auth, backend = urls["Auth Service (demo shop)"], urls["Backend (demo shop)"]
            assert not any(token in line for line in printed.lines), "the token is printed"
            shop = Inspector(SimpleNamespace(auth_url=auth, backend_url=backend))  # type: ignore[arg-type]
            yield Demo(urls["tdm API"], auth, backend, shop, token)
            shop.close()
        finally:
            stop(process, signal.SIGTERM, timeout=30)
