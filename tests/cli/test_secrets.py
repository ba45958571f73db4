"""A planted password appears nowhere: a database URL with a password that fails in every way
tdm reports (health, cleanup, the ledger, creates, the HTTP API, MCP, logs at debug, the
command line, the demo's printout), and every output, answer, log and ledger row is searched.

Each leak path is also shown to have been taken: the redacted URL (``dbuser:***@``) is there.
"""

from __future__ import annotations

import json
import os
import sqlite3
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from ..support import Inspector
from .serve_process import run_tdm, serving

PLANTED = f"Sup3rS3cret{uuid.uuid4().hex[:10]}"
TOKEN = f"Planted-token-{uuid.uuid4().hex}"
MASKED = "dbuser:***@127.0.0.1"


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, default=str)


async def _over_http(url: str) -> dict[str, Any]:
    """Every HTTP and MCP answer that can carry the failure, by name."""
    auth = {"Authorization": f"Bearer {TOKEN}"}
    async with httpx2.AsyncClient(base_url=url, trust_env=False, timeout=60, headers=auth) as c:
        answers: dict[str, Any] = {
            "health": (await c.get("/api/health")).json(),
            "create": (await c.post("/api/users", json={})).json(),
            "scenario": (await c.post("/api/scenarios/user-with-orders", json={})).json(),
            "cleanup": (await c.request("DELETE", "/api/cleanup", json={"all": True})).json(),
            "tracked": (await c.get("/api/tracked")).json(),
        }
        async with Client(streamable_http_client(f"{url}/mcp", http_client=c)) as mcp:
            for tool, arguments in (
                ("check_health", {}),
                ("create_user", {}),
                ("list_created", {"allRuns": True}),
                ("cleanup_all_data", {"confirm": "delete everything"}),
            ):
                result = await mcp.call_tool(tool, arguments)
                texts = [getattr(b, "text", "") for b in result.content]
                answers[f"mcp {tool}"] = [result.structured_content, texts]
    return answers


@pytest.mark.usefixtures("seeded")
async def test_a_planted_password_appears_nowhere(shop: Inspector, tmp_path: Path) -> None:
    ledger = tmp_path / "ledger.sqlite3"
    good = {
        **os.environ, **shop.env(), "TDM_LEDGER": str(ledger), "TDM_RUN_ID": "planted-run",
        "LOG_LEVEL": "debug", "TDM_API_TOKEN": TOKEN,
    }  # fmt: skip
    outputs: dict[str, str] = {}

    def run(name: str, env: dict[str, str], *args: str) -> int:
        done = run_tdm(*args, env=env, cwd=tmp_path)
        outputs[name] = done.stdout + done.stderr
        return done.returncode

    # Something tracked that cleanup must fail to remove: orders are deleted through the DB.
    assert run("kept", good, "run", "user-with-orders", "--order-count", "1") == 0
    refused = {**good, "BACKEND_DB_URL": f"postgresql://dbuser:{PLANTED}@127.0.0.1:5432/nodb"}
    unusable = {**good, "BACKEND_DB_URL": f"mysql://dbuser:{PLANTED}@127.0.0.1:3306/shop"}
    commands = [
        ("health",), ("health", "--json"), ("cleanup", "--all"), ("cleanup", "--all", "--json"),
        ("run", "user-with-orders"), ("registries",),
    ]  # fmt: skip
    statuses = {}
    for label, env in (("refused", refused), ("unusable", unusable)):
        for args in commands:
            name = f"{label}: tdm {' '.join(args)}"
            statuses[name] = run(name, env, *args)
    assert statuses == {
        **dict.fromkeys(statuses, 1),
        "refused: tdm health": 0,  # the database is optional: degraded
        "refused: tdm health --json": 0,
        "refused: tdm run user-with-orders": 0,  # creating needs no database
        "refused: tdm registries": 0,
        "unusable: tdm registries": 0,
    }, outputs

    with serving(["--port", "0"], unusable, tmp_path, until="MCP endpoint") as served:
        answers = await _over_http(served.urls["tdm API"])
    outputs["serve"] = served.stdout + served.stderr
    rows = sqlite3.connect(ledger)
    ledger_text = "\n".join(rows.iterdump())
    last_errors = [r[0] for r in rows.execute("SELECT last_error FROM tracked")]
    rows.close()

    everything = {**outputs, **{k: _text(v) for k, v in answers.items()}, "ledger": ledger_text}
    leaked = [name for name, text in everything.items() if PLANTED in text or TOKEN in text]
    assert leaked == [], {name: everything[name][:3000] for name in leaked}

    # The failures really happened, and said what failed (without the password).
    has_mask: Callable[[str], bool] = lambda name: MASKED in everything[name]  # noqa: E731
    failing = ("health", "health --json", "cleanup --all", "cleanup --all --json",
               "run user-with-orders")  # fmt: skip
    assert all(has_mask(f"unusable: tdm {c}") for c in failing), outputs
    assert 'role "dbuser" does not exist' in everything["refused: tdm health"]
    assert 'role "dbuser" does not exist' in everything["refused: tdm cleanup --all"]
    assert answers["health"]["status"] == "unhealthy"
    assert MASKED in _text(answers["health"]["checks"])
    assert answers["create"]["error"] == "misconfigured"
    assert MASKED in answers["create"]["detail"]
    assert answers["cleanup"]["failed"]
    assert any(MASKED in f["reason"] for f in answers["cleanup"]["failed"])
    assert any(MASKED in (r["lastError"] or "") for r in answers["tracked"]["items"])
    assert all(has_mask(f"mcp {tool}") for tool in ("check_health", "create_user",
               "list_created", "cleanup_all_data")), answers  # fmt: skip
    attempted = [e for e in last_errors if e]
    assert attempted
    assert all(MASKED in e for e in attempted), attempted
    assert MASKED in outputs["serve"], "the server logged the failures"
    assert "DEBUG" in outputs["serve"]
    assert "DEBUG" in outputs["unusable: tdm health"]


@pytest.mark.postgres
def test_the_demo_prints_database_urls_without_passwords(
    tmp_path: Path, pg_shop_databases: Callable[[], tuple[str, str]]
) -> None:
    """``tdm serve --demo`` on PostgreSQL URLs with a password (the server trusts any): the
    shop runs on them, and its printout and log name them with ``***``."""
    auth_url, backend_url = (
        u.replace("postgres@", f"postgres:{PLANTED}@") for u in pg_shop_databases()
    )
    env = {**os.environ, "TDM_LEDGER": str(tmp_path / "ledger.sqlite3"), "LOG_LEVEL": "debug",
           "AUTH_DB_URL": auth_url, "BACKEND_DB_URL": backend_url}  # fmt: skip
    for key in ("AUTH_SERVICE_URL", "BACKEND_URL", "PORT", "TDM_API_TOKEN"):
        env.pop(key, None)
    args = ["--demo", "--port", "0", "--data-dir", str(tmp_path / "demo")]
    with serving(args, env, tmp_path, until="Stop with Ctrl-C") as served:
        api = served.urls["tdm API"]
        seeded = httpx2.post(f"{api}/api/seed", trust_env=False, timeout=60)
        assert seeded.status_code == 200, seeded.text
        cleaned = httpx2.request("DELETE", f"{api}/api/cleanup", json={"all": True},
                                 trust_env=False, timeout=60)  # fmt: skip
        assert cleaned.status_code == 200
    printed = served.stdout + served.stderr
    assert PLANTED not in printed
    assert f"AUTH_DB_URL={auth_url.replace(PLANTED, '***')}" in served.stdout
    assert f"BACKEND_DB_URL={backend_url.replace(PLANTED, '***')}" in served.stdout
