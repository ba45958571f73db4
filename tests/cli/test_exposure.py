"""``tdm serve`` where others can reach it: another address than loopback needs a token (or
``--insecure``), the address printed is the one really listened on, real curl needs the
token, and a system that is not loopback or allowed is refused before anything starts."""

from __future__ import annotations

import os
import socket
import subprocess
import uuid
from pathlib import Path

import pytest

from ..support import Inspector
from .serve_process import run_tdm, serving

TOKEN = f"cli-token-{uuid.uuid4().hex}"


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """An environment whose system is down, without a token, on a ledger of its own."""
    found = {**os.environ, "TDM_LEDGER": str(tmp_path / "ledger.sqlite3")}
    for key in ("AUTH_SERVICE_URL", "BACKEND_URL", "AUTH_DB_URL", "BACKEND_DB_URL", "PORT",
                "TDM_API_TOKEN", "TDM_ALLOWED_TARGETS"):  # fmt: skip
        found.pop(key, None)
    # Nothing listens there (the design's default ports may hold another test's demo shop).
    closed = f"http://127.0.0.1:{_closed_port()}"
    return {**found, "AUTH_SERVICE_URL": closed, "BACKEND_URL": closed}


def _closed_port() -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _curl(url: str, *headers: str) -> str:
    """The status real curl gets for ``url``."""
    options = [f"-H{h}" for h in headers]
    done = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", *options, url],
                          capture_output=True, text=True, timeout=60, check=True)  # fmt: skip
    return done.stdout


def test_every_interface_without_a_token_is_refused(env: dict[str, str], tmp_path: Path) -> None:
    done = run_tdm("serve", "--host", "0.0.0.0", "--port", "0", env=env, cwd=tmp_path)  # noqa: S104
    assert done.returncode == 2, done.stderr
    assert "refusing to listen on 0.0.0.0 without TDM_API_TOKEN" in done.stderr
    assert "--insecure" in done.stderr
    assert "listening on" not in done.stdout


def test_insecure_serves_every_interface_and_says_so(env: dict[str, str], tmp_path: Path) -> None:
    args = ["--host", "0.0.0.0", "--port", "0", "--insecure"]  # noqa: S104
    with serving(args, env, tmp_path, until="MCP endpoint") as served:
        shown = served.urls["tdm API"]
        real, _, local = shown.partition(" (every interface; from this machine: ")
        assert real.startswith("http://0.0.0.0:")
        assert local == real.replace("0.0.0.0", "127.0.0.1") + ")"  # noqa: S104
        assert _curl(f"{local[:-1]}/api/scenarios") == "200"
        assert served.urls["MCP endpoint"].startswith(f"{real}/mcp (every interface")
    assert "WARNING: listening on 0.0.0.0 without TDM_API_TOKEN (--insecure)" in served.stderr


def test_with_a_token_every_interface_is_served_and_curl_needs_it(
    env: dict[str, str], tmp_path: Path
) -> None:
    with serving(["--host", "0.0.0.0", "--port", "0"], {**env, "TDM_API_TOKEN": TOKEN},  # noqa: S104
                 tmp_path, until="MCP endpoint") as served:  # fmt: skip
        base = served.urls["tdm API"].rpartition("from this machine: ")[2].rstrip(")")
        assert _curl(f"{base}/api/health") == "503", "open, and unhealthy: no system is running"
        assert _curl(f"{base}/api/scenarios") == "401"
        assert _curl(f"{base}/api/scenarios", "Authorization: Bearer wrong") == "401"
        assert _curl(f"{base}/api/scenarios", f"Authorization: Bearer {TOKEN}") == "200"
        assert _curl(f"{base}/mcp", f"Authorization: Bearer {TOKEN}") != "401"
    assert TOKEN not in served.stdout + served.stderr


def test_a_loopback_address_is_printed_as_bound(env: dict[str, str], tmp_path: Path) -> None:
    """``--host localhost`` prints the address it really listens on, not the name."""
    with serving(["--host", "localhost", "--port", "0"], env, tmp_path,
                 until="MCP endpoint") as served:  # fmt: skip
        api = served.urls["tdm API"]
        assert api.startswith(("http://127.0.0.1:", "http://[::1]:")), api
        assert _curl(f"{api}/api/scenarios") == "200"


@pytest.mark.usefixtures("seeded")
def test_a_system_by_name_is_refused_at_start(
    env: dict[str, str], tmp_path: Path, shop: Inspector
) -> None:
    """``BACKEND_URL`` naming ``vm`` (which resolves to 127.0.0.1): serve, run, cleanup and
    health refuse at start (exit 2) naming the setting and TDM_ALLOWED_TARGETS, and nothing
    connected to it. Listing ``vm`` lets the same URLs work."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        sock.setblocking(False)
        named = {**env, **shop.env(), "BACKEND_URL": f"http://vm:{sock.getsockname()[1]}"}
        for args, status in (
            (("serve", "--port", "0"), 2),
            (("run", "user-with-orders"), 2),
            (("cleanup", "--all"), 2),
            (("health",), 2),
        ):
            done = run_tdm(*args, env=named, cwd=tmp_path)
            assert done.returncode == status, (args, done.stdout, done.stderr)
            said = done.stdout + done.stderr
            assert "TDM_ALLOWED_TARGETS" in said, (args, said)
            assert "'vm'" in said
        with pytest.raises(BlockingIOError):
            sock.accept()
    allowed = {k: v.replace("127.0.0.1", "vm") for k, v in shop.env(database=False).items()}
    allowed = {**env, **allowed, "TDM_ALLOWED_TARGETS": "vm", "TDM_RUN_ID": "allowed-by-name"}
    done = run_tdm("run", "empty-cart", "--json", env=allowed, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    done = run_tdm("cleanup", "--run", "allowed-by-name", env=allowed, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "removed 1 user" in done.stdout
