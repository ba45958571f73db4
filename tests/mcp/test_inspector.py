"""A third-party client: the MCP Inspector CLI from the npm registry, against the stdio server.

It needs Node.js and npm (``npx``) and the npm registry, as CI has; a missing ``npx`` fails the
test. The version is pinned: on Node 20 npm would otherwise pick 0.15, the last release without
an engines constraint, which has neither ``--format json`` nor its exit codes. npm's own cache
(``~/.npm``) keeps the package, so only the first run downloads it (about 10 s); the Inspector's
state goes to a temporary HOME.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from ..support import Inspector

INSPECTOR = "@modelcontextprotocol/inspector@2.12.0"
TOOL_ERROR = 5  # the Inspector's exit code for a tool that returned isError


def _npx() -> str:
    found = shutil.which("npx")
    if found is None:
        pytest.fail("npx is not on PATH: this test needs Node.js 20+ with npm (as CI has)")
    return found


def inspector(
    home: Path, env: dict[str, str], method: str, *options: str
) -> tuple[int, dict[str, Any]]:
    """Run the Inspector CLI once against ``python -m tdm_server.mcp``; its exit code and JSON."""
    command = [_npx(), "--yes", INSPECTOR, "--cli", "--format", "json", "--method", method,
               "--connect-timeout", "120000"]  # a busy CI machine starts Python slowly  # fmt: skip
    command += [*options, *(f"-e{k}={v}" for k, v in env.items())]
    command += ["--", sys.executable, "-m", "tdm_server.mcp", "--run-id", "inspector-run"]
    process_env = {
        **os.environ,
        "HOME": str(home),
        # npm reads its settings from lower-case variables; keep its cache where it was
        "npm_config_cache": os.environ.get("npm_config_cache", str(Path.home() / ".npm")),  # noqa: SIM112
        "npm_config_update_notifier": "false",
        "npm_config_fund": "false",
    }
    done = subprocess.run(
        command, capture_output=True, text=True, env=process_env, timeout=180, check=False
    )
    assert done.stdout, f"no output (exit {done.returncode}): {done.stderr[-2000:]}"
    return done.returncode, json.loads(done.stdout)


@pytest.mark.parametrize("shop", ["sqlite"], indirect=True)
@pytest.mark.usefixtures("seeded")
def test_inspector_cli(shop: Inspector, tmp_path: Path) -> None:
    """The Inspector lists portable schemas, runs a scenario and a cleanup, sees a tool error."""
    env = {**shop.env(), "TDM_LEDGER": str(tmp_path / "ledger.sqlite3")}
    home = tmp_path / "home"
    home.mkdir()

    code, listed = inspector(home, env, "tools/list", "--strict")
    assert code == 0, listed
    assert "create_user_with_orders" in {t["name"] for t in listed["result"]["tools"]}

    code, made = inspector(
        home, env, "tools/call", "--tool-name", "create_user_with_orders",
        "--tool-arg", "orderCount=2", "--tool-arg", "orderStatus=pending",
    )  # fmt: skip
    assert code == 0, made
    user = made["result"]["structuredContent"]["data"]["user"]
    assert [o["status"] for o in shop.orders(user["id"])] == ["pending", "pending"]

    code, refused = inspector(
        home, env, "tools/call", "--tool-name", "create_user_with_orders",
        "--tool-arg", "orderStatus=lost",
    )  # fmt: skip
    assert code == TOOL_ERROR
    assert "orderStatus" in refused["result"]["content"][0]["text"]

    code, cleaned = inspector(home, env, "tools/call", "--tool-name", "cleanup_my_data")
    assert code == 0, cleaned
    assert cleaned["result"]["structuredContent"]["deleted"]["orders"] == 2
    assert shop.users(user["email"]) == []
    assert shop.orders(user["id"]) == []
