"""Every endpoint over a real socket against the real shop; outcomes checked in the shop."""

from __future__ import annotations

import httpx2
import pytest

import tdm

from ..support import Inspector
from .conftest import assert_error_shape

JSON = {"Content-Type": "application/json"}


async def test_seed_is_idempotent(http: httpx2.AsyncClient, shop: Inspector) -> None:
    """The baseline lands in the shop once; seeding again creates nothing and says so."""
    first = await http.post("/api/seed")
    again = await http.post("/api/seed", json={})
    assert first.status_code == again.status_code == 200
    assert again.json() == {"seeded": False, "users": 2, "products": 14, "categories": 4}
    assert shop.users("user@example.com") != []
    assert {"Electronics", "Books"} <= {c["name"] for c in shop.categories()}


async def test_seed_tracks_the_baseline_under_its_own_run(
    http: httpx2.AsyncClient, test_manager: tdm.Manager
) -> None:
    """A forced seed answers seeded: true and its entities are in the run ``baseline``."""
    answer = await http.post("/api/seed", json={"force": True}, headers={"X-TDM-Run-Id": "mine"})
    assert answer.json()["seeded"] is True
    assert answer.headers["X-TDM-Run-Id"] == "baseline"
    assert await test_manager.ledger.count(run_id="mine") == 0


async def test_users_are_created_and_removed_by_tracking_id(
    http: httpx2.AsyncClient, shop: Inspector
) -> None:
    """count=3 makes three users in the Auth Service; cleanup by their ids removes them."""
    answer = await http.post("/api/users", json={"count": 3, "fullName": "Ada Tester"})
    assert answer.status_code == 201
    body = answer.json()
    assert len(body["users"]) == len(body["trackingIds"]) == 3
    for user in body["users"]:
        (found,) = shop.users(user["email"])
        assert found["fullName"] == "Ada Tester"
        assert (
            shop.auth.post(
                "/auth/login", json={"email": user["email"], "password": user["password"]}
            ).status_code
            == 200
        )
    removed = await http.request(
        "DELETE", "/api/cleanup", json={"trackingIds": body["trackingIds"]}
    )
    assert removed.status_code == 200
    assert removed.json()["deleted"]["users"] == 3
    assert all(shop.users(u["email"]) == [] for u in body["users"])


async def test_admin_user_fields(http: httpx2.AsyncClient, shop: Inspector) -> None:
    """Given fields arrive in the shop as given (email lower-cased by the shop)."""
    answer = await http.post(
        "/api/users",
        json={"email": "Pat.Admin.x1@example.com", "isAdmin": True, "password": "Secret-pw-1"},
    )
    (user,) = answer.json()["users"]
    assert user["isAdmin"] is True
    assert shop.users("pat.admin.x1@example.com")[0]["isAdmin"] is True
    await http.request("DELETE", "/api/cleanup", json={"trackingIds": answer.json()["trackingIds"]})
    assert shop.users("pat.admin.x1@example.com") == []


async def test_products_by_run(http: httpx2.AsyncClient, shop: Inspector) -> None:
    """Products get the given name, price and stock; a cleanup by run removes them."""
    run = {"X-TDM-Run-Id": "ci-products-1"}
    answer = await http.post(
        "/api/products",
        json={"count": 2, "name": "Test Lamp", "price": 12.5, "stock": 7},
        headers=run,
    )
    assert answer.status_code == 201
    assert answer.headers["X-TDM-Run-Id"] == "ci-products-1"
    products = answer.json()["products"]
    for product in products:
        in_shop = shop.product(product["id"])
        assert in_shop is not None
        assert (in_shop["name"], in_shop["price"], in_shop["stock"]) == ("Test Lamp", 12.5, 7)
    removed = await http.request("DELETE", "/api/cleanup", json={"runId": "ci-products-1"})
    assert removed.json()["deleted"]["products"] == 2
    assert all(shop.product(p["id"]) is None for p in products)


async def test_order_for_a_created_user(http: httpx2.AsyncClient, shop: Inspector) -> None:
    """The order is placed as the user, moved to its status; its trackingId removes it."""
    (user,) = (await http.post("/api/users", json={})).json()["users"]
    (product,) = (await http.post("/api/products", json={"stock": 5})).json()["products"]
    answer = await http.post(
        "/api/orders",
        json={
            "userId": user["id"],
            "status": "shipped",
            "items": [{"productId": product["id"], "quantity": 2}],
        },
    )
    assert answer.status_code == 201
    body = answer.json()
    (in_shop,) = shop.orders(user["id"])
    assert in_shop["id"] == body["order"]["id"]
    assert in_shop["status"] == "shipped"
    assert in_shop["items"][0]["quantity"] == 2
    assert body["trackingId"] in body["trackingIds"]
    removed = await http.request(
        "DELETE", "/api/cleanup", json={"trackingIds": [body["trackingId"]]}
    )
    assert removed.json()["deleted"]["orders"] == 1
    assert shop.orders(user["id"]) == []
    # Removing the order gave back the stock it had taken.
    assert shop.product(product["id"])["stock"] == 5  # type: ignore[index]


@pytest.mark.usefixtures("seeded")
async def test_scenario_as_in_the_design(http: httpx2.AsyncClient, shop: Inspector) -> None:
    """user-with-orders with orderCount 3 puts three orders in the shop; cleanup of the run
    removes them and the user."""
    answer = await http.post(
        "/api/scenarios/user-with-orders",
        headers={**JSON, "X-TDM-Run-Id": "r1"},
        content=b'{"parameters": {"orderCount": 3, "orderStatus": "shipped"}}',
    )
    assert answer.status_code == 201
    data = answer.json()["data"]
    assert len(shop.orders(data["user"]["id"])) == 3
    assert {o["status"] for o in data["orders"]} == {"shipped"}
    removed = await http.request("DELETE", "/api/cleanup", json={"runId": "r1"})
    assert removed.json()["deleted"] | {"orders": 3, "users": 1} == removed.json()["deleted"]
    assert shop.orders(data["user"]["id"]) == []
    assert shop.users(data["user"]["email"]) == []


async def test_cleanup_all_sent_as_curl_does(http: httpx2.AsyncClient, shop: Inspector) -> None:
    """curl -d sends application/x-www-form-urlencoded; a JSON body is accepted anyway."""
    (user,) = (await http.post("/api/users", json={})).json()["users"]
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    removed = await http.request("DELETE", "/api/cleanup", content=b'{"all": true}', headers=form)
    assert removed.status_code == 200
    assert removed.json()["deleted"]["users"] >= 1
    assert shop.users(user["email"]) == []


async def test_cleanup_older_than(http: httpx2.AsyncClient, shop: Inspector) -> None:
    """olderThan 1h spares what was just made; 0s removes it."""
    (user,) = (await http.post("/api/users", json={})).json()["users"]
    spared = await http.request("DELETE", "/api/cleanup", json={"olderThan": "1h"})
    assert spared.json()["deleted"]["users"] == 0
    assert shop.users(user["email"]) != []
    removed = await http.request("DELETE", "/api/cleanup", json={"olderThan": "0s"})
    assert removed.json()["deleted"]["users"] == 1
    assert shop.users(user["email"]) == []


async def test_health_when_everything_is_up(http: httpx2.AsyncClient) -> None:
    """Every dependency up (tdm's ledger too): healthy, 200, no stuck runs."""
    answer = await http.get("/api/health")
    assert answer.status_code == 200
    body = answer.json()
    assert (body["status"], body["dependencies"]) == (
        "healthy",
        {"authService": "up", "backend": "up", "database": "up", "ledger": "up"},
    )
    assert {c["name"]: c["required"] for c in body["checks"]} == {
        "authService": True,
        "backend": True,
        "database": False,
        "ledger": True,
    }
    assert body["ledger"].endswith("ledger.sqlite3")
    assert (body["stuckRuns"], body["ready"]) == ([], True)


async def test_health_shows_the_runs_the_reaper_gave_up_on(
    http: httpx2.AsyncClient, test_manager: tdm.Manager
) -> None:
    """A run the reaper could not clean after its attempts makes health degraded (200: the
    shop works) and is listed with what it last failed with."""
    await http.post("/api/users", json={}, headers={"X-TDM-Run-Id": "run-stuck"})
    store = test_manager.ledger.store
    store.end("run-stuck", "api", 0)  # kept no longer
    assert store.claim_expired("sweeper-a", 60, 10) == ["run-stuck"]
    assert store.reap_failed("run-stuck", "sweeper-a", "the shop answered 500", 1, 1)
    answer = await http.get("/api/health")
    assert (answer.status_code, answer.json()["status"], answer.json()["ready"]) == (
        200,
        "degraded",
        True,
    )
    assert answer.json()["stuckRuns"] == [
        {"runId": "run-stuck", "reapAttempts": 1, "lastError": "the shop answered 500"}
    ]
    # Degraded only by another run's leftovers: a suite waiting for the server goes ahead.
    async with tdm.AsyncClient(str(http.base_url), run_id="waiting") as client:
        assert (await client.wait_for_healthy(30))["status"] == "degraded"


async def test_tracked_filters_and_pages(http: httpx2.AsyncClient) -> None:
    """The ledger by run and entity type, in pages, with the total."""
    run = {"X-TDM-Run-Id": "paged", "X-TDM-Test-Id": "test_tracked"}
    made = (await http.post("/api/users", json={"count": 3}, headers=run)).json()
    first = (await http.get("/api/tracked", params={"runId": "paged", "limit": 2})).json()
    second = (await http.get("/api/tracked?runId=paged&limit=2&offset=2")).json()
    assert first["total"] == 3
    assert (first["limit"], first["offset"]) == (2, 0)
    ids = [r["trackingId"] for r in first["items"] + second["items"]]
    assert sorted(ids) == sorted(made["trackingIds"])
    record = first["items"][0]
    assert (record["entityType"], record["state"], record["testId"]) == (
        "user",
        "created",
        "test_tracked",
    )
    none = (await http.get("/api/tracked?runId=paged&entityType=order")).json()
    assert (none["items"], none["total"]) == ([], 0)


async def test_catalog(http: httpx2.AsyncClient) -> None:
    """The catalog lists each scenario with its parameters' JSON Schema; one can be fetched."""
    catalog = (await http.get("/api/scenarios")).json()["scenarios"]
    by_name = {s["name"]: s for s in catalog}
    assert {"user-with-orders", "empty-cart", "cart-with-products"} <= set(by_name)
    count = by_name["user-with-orders"]["parameters"]["properties"]["orderCount"]
    assert (count["minimum"], count["maximum"], count["default"]) == (1, 10, 2)
    one = await http.get("/api/scenarios/user-with-orders")
    assert one.json() == by_name["user-with-orders"]


async def test_the_same_seed_makes_the_same_data(http: httpx2.AsyncClient) -> None:
    """X-TDM-Seed replays generated values; the answer says which seed was used."""
    first = await http.post("/api/users", json={}, headers={"X-TDM-Seed": "4242"})
    assert first.headers["X-TDM-Seed"] == "4242"
    await http.request("DELETE", "/api/cleanup", json={"trackingIds": first.json()["trackingIds"]})
    again = await http.post("/api/users", json={}, headers={"X-TDM-Seed": "4242"})
    assert again.json()["users"][0]["email"] == first.json()["users"][0]["email"]
    other = await http.post("/api/users", json={})
    assert other.headers["X-TDM-Seed"] != "4242"


async def test_scenario_failing_halfway(
    http: httpx2.AsyncClient, shop: Inspector, test_manager: tdm.Manager
) -> None:
    """The shop refusing step 2 answers 409 naming the step; step 1's user is gone."""
    before = {u["email"] for u in shop.users()}
    answer = await http.post("/api/scenarios/same-email-twice", json={})
    assert answer.status_code == 409
    body = answer.json()
    assert_error_shape(body)
    assert body["error"] == "scenario_failed"
    assert body["step"] == "step 2 (create user)"
    assert body["cause"]["error"] == "conflict"
    assert body["cleanup"]["deleted"]["users"] == 1
    assert body["cleanup"]["failed"] == []
    assert "removed the 1 entity it had created" in body["detail"]
    assert await test_manager.ledger.count() == 0
    assert {u["email"] for u in shop.users()} == before


async def test_scenario_bug_is_a_500_that_still_cleans_up(
    http: httpx2.AsyncClient, test_manager: tdm.Manager
) -> None:
    """A bug in scenario code (not input) answers 500 with the step; its user was removed."""
    answer = await http.post("/api/scenarios/broken-after-a-user")
    assert answer.status_code == 500
    body = answer.json()
    assert (body["error"], body["cause"]["error"]) == ("scenario_failed", "internal_error")
    assert body["cleanup"]["deleted"]["users"] == 1
    assert await test_manager.ledger.count() == 0


async def test_partial_batch_is_rolled_back(
    http: httpx2.AsyncClient, shop: Inspector, test_manager: tdm.Manager
) -> None:
    """count=3 with one email: the shop takes the first and refuses the others (409); the one
    created is removed and the answer says so."""
    answer = await http.post("/api/users", json={"count": 3, "email": "dup.x7@example.com"})
    assert answer.status_code == 409
    body = answer.json()
    assert_error_shape(body)
    assert (body["error"], body["target"], body["targetStatus"]) == (
        "conflict",
        "auth service",
        409,
    )
    assert "removed the 1 entity it had created" in body["detail"]
    assert body["cleanup"]["deleted"]["users"] == 1
    assert shop.users("dup.x7@example.com") == []
    assert await test_manager.ledger.count() == 0


@pytest.mark.usefixtures("seeded")
async def test_a_taken_email_never_costs_its_owner(
    http: httpx2.AsyncClient, shop: Inspector, test_manager: tdm.Manager
) -> None:
    """409 for the baseline user's email, alone or three at once; the baseline user stays and
    nothing is tracked."""
    for count in (1, 3):
        answer = await http.post("/api/users", json={"email": "user@example.com", "count": count})
        assert answer.status_code == 409
        assert "cleanup" not in answer.json()
    assert shop.users("user@example.com") != []
    assert await test_manager.ledger.count(run_id=test_manager.settings.run_id) == 0
