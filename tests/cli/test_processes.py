"""The ``tdm`` command as a real process: ``serve --demo`` with the design's curl session,
``run`` then ``cleanup``, ``scenarios --json``."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx2
import pytest

from ..support import Inspector, lines_until_blank

TDM = str(Path(sys.executable).parent / "tdm")
START_TIMEOUT = 20.0

# Section 7.4 of the design, verbatim (only the port differs: the test asks for a free one).
DESIGN_CURL_SESSION = """\
# Seed data for manual testing
curl -X POST http://localhost:3001/api/seed

# Create a specific scenario
curl -X POST http://localhost:3001/api/scenarios/user-with-orders \\
  -H "Content-Type: application/json" \\
  -d '{"parameters": {"orderCount": 5}}'

# Cleanup when done
curl -X DELETE http://localhost:3001/api/cleanup -d '{"all": true}'
"""

# Section 7.2's wait step, verbatim but for the port.
DESIGN_WAIT = (
    "timeout 60 bash -c 'until curl -s http://localhost:3001/api/health | grep -q healthy; "
    "do sleep 2; done'"
)


def _json_documents(text: str) -> list[Any]:
    decoder, found, at = json.JSONDecoder(), [], 0
    while at < len(text):
        if text[at].isspace():
            at += 1
            continue
        value, at = decoder.raw_decode(text, at)
        found.append(value)
    return found


def test_serve_demo_runs_the_design_session(tmp_path: Path) -> None:
    """``tdm serve --demo`` prints where everything listens, is healthy once it has, serves
    the design's CI wait and curl session as written, and stops on SIGTERM."""
    env = {**os.environ, "TDM_LEDGER": str(tmp_path / "ledger.sqlite3")}
    for key in ("AUTH_SERVICE_URL", "BACKEND_URL", "AUTH_DB_URL", "BACKEND_DB_URL", "PORT"):
        env.pop(key, None)
    args = [TDM, "serve", "--demo", "--port", "0", "--data-dir", str(tmp_path / "demo")]
    with subprocess.Popen(
        args, env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as process:
        try:
            printed = lines_until_blank(process)
            urls = dict(line.strip().split(" listening on ") for line in printed if line.strip())
            api = urls["tdm API"]
            assert httpx2.get(f"{api}/api/health", trust_env=False).json()["status"] == "healthy"
            port = api.rsplit(":", 1)[1]
            wait = subprocess.run(
                ["bash", "-c", DESIGN_WAIT.replace("3001", port)], capture_output=True, timeout=60
            )
            assert wait.returncode == 0
            session = subprocess.run(
                ["bash", "-euo", "pipefail", "-c", DESIGN_CURL_SESSION.replace("3001", port)],
                capture_output=True,
                text=True,
                timeout=60,
            )
            assert session.returncode == 0, session.stderr
            seeded, scenario, cleaned = _json_documents(session.stdout)
            assert seeded == {"seeded": True, "users": 2, "products": 14, "categories": 4}
            assert len(scenario["data"]["orders"]) == 5
            assert cleaned["deleted"]["orders"] == 5
            assert cleaned["failed"] == []
            _assert_shop_is_empty(urls["Backend (demo shop)"], urls["Auth Service (demo shop)"])
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=15)
            assert process.stderr is not None
            stderr = process.stderr.read()
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
    assert process.returncode == 0, stderr
    assert "tdm serve: stopped" in stderr
    assert {p.name for p in (tmp_path / "demo").glob("*.db")} == {"auth.db", "backend.db"}


def _assert_shop_is_empty(backend: str, auth: str) -> None:
    """Only the bootstrap admin is left in the demo shop, and no order or product."""
    login = {"email": "admin@shop.test", "password": "Admin-Passw0rd"}
    token = httpx2.post(f"{auth}/auth/login", json=login, trust_env=False).json()["accessToken"]
    admin = {"Authorization": f"Bearer {token}"}
    users = httpx2.get(f"{auth}/auth/users", headers=admin, trust_env=False).json()
    assert [u["email"] for u in users["items"]] == ["admin@shop.test"]
    orders = httpx2.get(f"{backend}/api/admin/orders", headers=admin, trust_env=False).json()
    products = httpx2.get(f"{backend}/api/products", trust_env=False).json()
    assert (orders["total"], products["total"]) == (0, 0)


def _tdm(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([TDM, *args], env=env, capture_output=True, text=True, timeout=60)


@pytest.mark.usefixtures("seeded")
def test_run_then_cleanup(shop: Inspector, tmp_path: Path) -> None:
    """``tdm run`` keeps what it made (in the shop, with tracking ids); ``tdm cleanup --run``
    removes it."""
    env = {
        **os.environ,
        **shop.env(),
        "TDM_LEDGER": str(tmp_path / "ledger.sqlite3"),
        "TDM_RUN_ID": "cli-run-1",
    }
    ran = _tdm(
        "run",
        "user-with-orders",
        "--order-count",
        "2",
        "--param",
        "orderStatus=shipped",
        "--json",
        env=env,
    )
    assert ran.returncode == 0, ran.stderr
    result = json.loads(ran.stdout)
    user = result["data"]["user"]
    assert result["runId"] == "cli-run-1"
    assert {o["status"] for o in shop.orders(user["id"])} == {"shipped"}
    assert sorted(e["trackingId"] for e in result["entities"]) == sorted(result["trackingIds"])
    assert "tdm cleanup --run cli-run-1" in ran.stderr
    cleaned = _tdm("cleanup", "--run", "cli-run-1", env=env)
    assert cleaned.returncode == 0, cleaned.stderr
    assert "removed 1 user, " in cleaned.stdout
    assert ", 2 orders" in cleaned.stdout
    assert shop.orders(user["id"]) == []
    assert shop.users(user["email"]) == []


def test_scenarios_json(tmp_path: Path) -> None:
    """``tdm scenarios --json`` prints the catalog the API serves."""
    listed = _tdm("scenarios", "--json", env={**os.environ, "TDM_LEDGER": str(tmp_path / "l")})
    assert listed.returncode == 0, listed.stderr
    by_name = {s["name"]: s for s in json.loads(listed.stdout)["scenarios"]}
    assert by_name["user-with-orders"]["parameters"]["properties"]["orderStatus"]["enum"] == [
        "pending",
        "confirmed",
        "shipped",
        "delivered",
    ]
    assert not (tmp_path / "l").exists(), "listing the catalog opens no ledger"
