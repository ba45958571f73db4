"""Creating, inspecting and cleaning data through the tools, checked in the shop itself."""

from __future__ import annotations

import sqlite3
import uuid
from pathlib import Path

import pytest
from mcp import Client
from mcp.server import MCPServer

import tdm

from ..support import Inspector
from .support import call, fail

seeded = pytest.mark.usefixtures("seeded")


@seeded
async def test_scenario_data_is_in_the_shop_until_cleanup(
    server: MCPServer, shop: Inspector, run_id: str
) -> None:
    """A scenario tool's user and orders exist in the shop; cleanup_my_data removes them."""
    async with Client(server, raise_exceptions=True) as client:
        made = await call(
            client, "create_user_with_orders", {"orderCount": 3, "orderStatus": "shipped"}
        )
        user, orders = made["data"]["user"], made["data"]["orders"]
        assert made["runId"] == run_id
        products = {i["productId"] for o in orders for i in o["items"]}
        assert len(made["trackingIds"]) >= 1 + 3 + len(products)  # the orders' own products
        assert "cleanup_my_data" in made["next"]
        assert [u["id"] for u in shop.users(user["email"])] == [user["id"]]
        in_shop = shop.orders(user["id"])
        assert sorted(o["number"] for o in in_shop) == sorted(o["number"] for o in orders)
        assert {o["status"] for o in in_shop} == {"shipped"}
        login = {"email": user["email"], "password": user["password"]}
        assert shop.auth.post("/auth/login", json=login).status_code == 200

        cleaned = await call(client, "cleanup_my_data")
    assert cleaned["removed"] == len(made["trackingIds"])
    assert cleaned["deleted"]["orders"] == 3
    assert cleaned["failed"] == []
    assert shop.users(user["email"]) == []
    assert shop.orders(user["id"]) == []


@seeded
async def test_entity_tools_create_what_they_are_given(server: MCPServer, shop: Inspector) -> None:
    """create_user, create_product and create_order use the given fields; the shop has them."""
    email = f"ada.{uuid.uuid4().hex[:8]}@example.com"
    async with Client(server, raise_exceptions=True) as client:
        made = await call(client, "create_user", {"email": email, "fullName": "Ada L"})
        (user,) = made["entities"]
        made = await call(client, "create_product", {"price": 12.5, "stock": 7, "count": 2})
        products = made["entities"]
        order = await call(
            client,
            "create_order",
            {"userId": user["id"], "status": "confirmed",
             "items": [{"productId": products[0]["id"], "quantity": 2}]},
        )  # fmt: skip
        (placed,) = order["entities"]
        assert shop.users(email)[0]["fullName"] == "Ada L"
        assert [(p["price"], p["stock"]) for p in products] == [(12.5, 7)] * 2
        assert [float(shop.product(p["id"])["price"]) for p in products] == [12.5] * 2
        (in_shop,) = shop.orders(user["id"])
        assert (in_shop["number"], in_shop["status"]) == (placed["number"], "confirmed")
        assert [i["quantity"] for i in in_shop["items"]] == [2]
        assert placed["number"].startswith("ORD-")
        await call(client, "cleanup_my_data")
    assert shop.users(email) == []
    assert all(shop.product(p["id"]) is None for p in products)


@seeded
async def test_order_for_a_user_tdm_does_not_know(server: MCPServer, shop: Inspector) -> None:
    """An order for a user tdm did not create fails clearly and leaves nothing behind."""
    async with Client(server, raise_exceptions=True) as client:
        message = await fail(client, "create_order", {"userId": 987654})
        listed = await call(client, "list_created")
    assert "Invalid arguments: userId: expected a user tdm created in this process" in message
    assert "got 987654" in message
    assert listed["total"] == 0


async def test_data_is_kept_when_the_session_ends(server: MCPServer, shop: Inspector) -> None:
    """Ending the MCP session leaves the data; a later session of the server still cleans it."""
    async with Client(server, raise_exceptions=True) as client:
        made = await call(client, "create_admin_user")
    email = made["data"]["user"]["email"]
    assert shop.users(email)[0]["isAdmin"] is True
    async with Client(server, raise_exceptions=True) as client:
        listed = await call(client, "list_created")
        assert [r["label"] for r in listed["records"]] == [email]
        await call(client, "cleanup_my_data")
    assert shop.users(email) == []


@seeded
async def test_list_created_pages_through_the_run(server: MCPServer, run_id: str) -> None:
    """list_created pages oldest first and filters by kind; the resource shows the whole run."""
    async with Client(server, raise_exceptions=True) as client:
        made = await call(client, "create_user_with_orders", {"orderCount": 3})
        first = await call(client, "list_created", {"limit": 3})
        rest = await call(client, "list_created", {"limit": 200, "offset": first["nextOffset"]})
        orders = await call(client, "list_created", {"kind": "order"})
        other = await call(client, "list_created", {"runId": "no-such-run"})
        (content,) = (await client.read_resource("tdm://runs/current")).contents
        (by_id,) = (await client.read_resource(f"tdm://runs/{run_id}")).contents
        await call(client, "cleanup_my_data")
    ids = [r["trackingId"] for r in first["records"] + rest["records"]]
    assert ids == made["trackingIds"]
    total = len(made["trackingIds"])
    assert (first["total"], first["nextOffset"], rest["nextOffset"]) == (total, 3, None)
    assert first["myRunId"] == run_id
    assert "offset=3" in first["next"]
    assert first["records"][0]["entityType"] == "user"
    assert first["records"][0]["parameters"] == {"orderCount": 3, "orderStatus": "delivered"}
    # the orders are placed at once: the ledger's order of intents is not the shop's numbering
    labels = sorted(r["label"] for r in orders["records"])
    assert labels == [o["number"] for o in made["data"]["orders"]]
    assert other["total"] == 0
    assert content.text == by_id.text
    assert f'"runId": "{run_id}"' in content.text
    assert made["trackingIds"][0] in content.text


async def test_cleanup_by_tracking_ids_removes_only_those(
    server: MCPServer, shop: Inspector
) -> None:
    """Only the named entities go; unknown ids are reported as not tracked."""
    async with Client(server, raise_exceptions=True) as client:
        first = await call(client, "create_empty_cart")
        second = await call(client, "create_empty_cart")
        gone = str(uuid.uuid4())
        cleaned = await call(
            client, "cleanup_by_tracking_ids", {"trackingIds": [*first["trackingIds"], gone]}
        )
        assert cleaned["deleted"]["users"] == 1
        assert cleaned["notTracked"] == [gone]
        assert shop.users(first["data"]["user"]["email"]) == []
        assert shop.users(second["data"]["user"]["email"]) != []
        again = await call(client, "cleanup_by_tracking_ids", {"trackingIds": first["trackingIds"]})
        assert (again["removed"], again["notTracked"]) == (0, first["trackingIds"])
        await call(client, "cleanup_my_data")
    assert shop.users(second["data"]["user"]["email"]) == []


def _age(ledger: Path, tracking_ids: list[str], seconds: float) -> None:
    """Make records look older, as if created ``seconds`` earlier."""
    with sqlite3.connect(ledger) as db:
        db.executemany(
            "UPDATE tracked SET created_at = created_at - ? WHERE tracking_id = ?",
            [(seconds, t) for t in tracking_ids],
        )


async def test_cleanup_older_than_spans_runs(
    server: MCPServer, open_manager: tdm.Manager, shop: Inspector, ledger_path: Path
) -> None:
    """Data of any run older than the age goes; younger data stays."""
    async with open_manager.session(keep=True, run_id="someone-else") as s:
        theirs = await s.create("user")
    async with Client(server, raise_exceptions=True) as client:
        mine = await call(client, "create_user")
        young = await call(client, "create_user")
        old = [*mine["trackingIds"], *(r.tracking_id for r in await s.records())]
        _age(ledger_path, old, 3 * 3600)
        cleaned = await call(client, "cleanup_older_than", {"olderThan": "2h"})
        assert cleaned["deleted"]["users"] == 2
        assert shop.users(theirs.email) == []
        assert shop.users(mine["entities"][0]["email"]) == []
        assert shop.users(young["entities"][0]["email"]) != []
        await call(client, "cleanup_my_data")


async def test_cleanup_all_data_needs_confirmation(
    server: MCPServer, open_manager: tdm.Manager, shop: Inspector
) -> None:
    """Without the confirmation nothing is removed; with it, every run's data goes."""
    async with open_manager.session(keep=True, run_id="someone-else") as s:
        theirs = await s.create("user")
    async with Client(server, raise_exceptions=True) as client:
        mine = (await call(client, "create_user"))["entities"][0]
        refusal = await fail(client, "cleanup_all_data")
        assert "ALL 2 entities" in refusal
        assert shop.users(theirs.email) != []
        cleaned = await call(client, "cleanup_all_data", {"confirm": "delete everything"})
    assert cleaned["deleted"]["users"] == 2
    assert shop.users(theirs.email) == []
    assert shop.users(mine["email"]) == []
    assert await open_manager.ledger.count() == 0


async def test_health_with_a_stuck_run_is_ready(
    server: MCPServer, open_manager: tdm.Manager
) -> None:
    """Another run the reaper gave up on: not healthy, but ready, and the hint says so rather
    than blaming the dependencies."""
    store = open_manager.ledger.store
    stuck = f"run-stuck-{uuid.uuid4().hex[:6]}"
    async with open_manager.session(run_id=stuck, keep=True) as s:
        await s.create("category")
    store.end(stuck, "mcp-test", 0)  # kept no longer
    assert stuck in store.claim_expired("sweeper-mcp", 60, 10)
    assert store.reap_failed(stuck, "sweeper-mcp", "the shop answered 500", 1, 1)
    try:
        async with Client(server, raise_exceptions=True) as client:
            health = await call(client, "check_health")
        assert (health["status"], health["ready"], health["healthy"]) == ("degraded", True, False)
        assert stuck in [r["runId"] for r in health["stuckRuns"]]
        assert health["next"].startswith("Everything tdm needs is reachable. Some other runs")
    finally:
        await open_manager.cleanup(run_id=stuck)
