"""``tdm serve`` with a team's own registry installed beside the shop's, as real processes:
selected alone it serves only that system (healthy without the shop); with both, qualified
names work and ambiguous ones are refused clearly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from ..stockroom.stockroom_app import StockroomDB
from ..support import lines_until, listening

TDM = str(Path(sys.executable).parent / "tdm")


@contextmanager
def tdm_serve(env: dict[str, str], tmp_path: Path, *args: str) -> Iterator[str]:
    """``tdm serve --port 0`` in a process of its own; yields its base URL."""
    full = {**os.environ, **env, "TDM_LEDGER": str(tmp_path / "ledger.sqlite3")}
    full.pop("TDM_REGISTRIES", None)
    full.update({k: v for k, v in env.items() if k == "TDM_REGISTRIES"})
    with subprocess.Popen(
        [TDM, "serve", "--port", "0", *args], env=full, cwd=tmp_path, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
    ) as process:  # fmt: skip
        try:
            printed = lines_until(process, lambda found: found[-1].startswith("MCP endpoint"))
            yield listening(printed, "tdm API")
        finally:
            process.send_signal(signal.SIGINT)
            process.wait(timeout=30)


async def _tools(url: str) -> list[str]:
    async with (
        httpx2.AsyncClient(timeout=30) as http,
        Client(streamable_http_client(f"{url}/mcp", http_client=http)) as client,
    ):
        return sorted(t.name for t in (await client.list_tools()).tools)


def _plain(env: dict[str, str], installed: dict[str, str]) -> dict[str, str]:
    # The stockroom's settings only: the shop stays unconfigured (and unreachable).
    return {"STOCKROOM_URL": env["STOCKROOM_URL"], **installed}


async def test_a_teams_registry_alone(
    env: dict[str, str], installed: dict[str, str], tmp_path: Path, stockroom_db: StockroomDB
) -> None:
    """TDM_REGISTRIES=stockroom: healthy (no shop checks), only its scenarios, kinds and tools,
    its kinds created by their plain names, cleanup counted in its plurals."""
    selected = {**_plain(env, installed), "TDM_REGISTRIES": "stockroom"}
    with tdm_serve(selected, tmp_path) as url:
        async with httpx2.AsyncClient(base_url=url, timeout=30) as http:
            health = await http.get("/api/health")
            assert (health.status_code, health.json()["dependencies"]) == (
                200, {"stockroom": "up", "ledger": "up"}
            )  # fmt: skip
            catalog = (await http.get("/api/scenarios")).json()
            assert catalog["registries"] == ["default", "stockroom"]
            assert [s["name"] for s in catalog["scenarios"]] == ["stocked-order"]
            assert {k["name"] for k in catalog["entityKinds"]} == {
                "category", "product", "order", "line"
            }  # fmt: skip
            made = await http.post("/api/entities/category", json={"title": "Tools"})
            assert made.status_code == 201, made.text
            (category,) = made.json()["entities"]
            assert stockroom_db.rows("SELECT * FROM categories WHERE id = ?", category["id"])
            assert (await http.post("/api/users", json={})).status_code == 404
            report = (await http.request("DELETE", "/api/cleanup", json={"all": True})).json()
            assert report["deleted"] == {"categories": 1, "products": 0, "orders": 0, "lines": 0}
            assert not stockroom_db.rows("SELECT * FROM categories WHERE id = ?", category["id"])
        tools = await _tools(url)
    assert "create_stocked_order" in tools
    assert "create_category" in tools
    assert not {"create_user", "create_user_with_orders", "create_cart_item"} & set(tools)


async def test_both_registries_qualified_and_ambiguous(
    env: dict[str, str], installed: dict[str, str], tmp_path: Path
) -> None:
    """Both installed and selected (the default): qualification works over HTTP and MCP; an
    ambiguous name is a 422 naming both registries."""
    with tdm_serve({**env, **installed}, tmp_path) as url:
        async with httpx2.AsyncClient(base_url=url, timeout=30) as http:
            assert (await http.get("/api/health")).status_code == 200
            ambiguous = await http.post("/api/entities/category", json={})
            body: dict[str, Any] = ambiguous.json()
            assert (ambiguous.status_code, body["error"]) == (422, "ambiguous_name")
            assert body["registries"] == ["shop", "stockroom"]
            assert "shop:category or stockroom:category" in body["detail"]
            theirs = await http.post("/api/entities/stockroom:category", json={})
            assert theirs.status_code == 201, theirs.text
            assert theirs.json()["entityType"] == "stockroom:category"
            ours = await http.post("/api/entities/shop:category", json={})
            assert ours.status_code == 201, ours.text
            report = (await http.request("DELETE", "/api/cleanup", json={"all": True})).json()
            assert report["deleted"]["shop:categories"] == 1
            assert report["deleted"]["stockroom:categories"] == 1
        tools = await _tools(url)
    assert {"create_shop_category", "create_stockroom_category", "create_user"} <= set(tools)
    assert "create_category" not in tools
