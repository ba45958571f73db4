"""Orders over HTTP."""

from __future__ import annotations

import asyncio

import httpx2
import pytest


def _stock(shop, product_id):
    return shop.api.get(f"/api/products/{product_id}").json()["stock"]


def test_order_items_decrements_stock(shop, user):
    """An order from items answers 201, pending, with its number and total; stock drops."""
    mug, tea = shop.new_product(price=4.25, stock=5), shop.new_product(price=1.1, stock=9)
    order = shop.new_order(user, (mug["id"], 2), (tea["id"], 3))
    assert order["number"] == f"ORD-{order['id']:06d}"
    assert (order["status"], order["userId"], order["shippingAddress"]) == (
        "pending",
        user.id,
        "1 Test Road",
    )
    assert order["total"] == 11.8
    assert order["createdAt"].endswith("Z")
    lines = [
        (item["productId"], item["productName"], item["quantity"], item["unitPrice"])
        for item in order["items"]
    ]
    assert lines == [(mug["id"], mug["name"], 2, 4.25), (tea["id"], tea["name"], 3, 1.1)]
    assert (_stock(shop, mug["id"]), _stock(shop, tea["id"])) == (3, 6)


def test_order_merges_lines_of_one_product(shop, user):
    """Two lines for one product become one item with the summed quantity."""
    product = shop.new_product(stock=5)
    order = shop.new_order(user, (product["id"], 1), (product["id"], 2))
    assert [(item["productId"], item["quantity"]) for item in order["items"]] == [
        (product["id"], 3)
    ]
    assert _stock(shop, product["id"]) == 2


def test_order_beyond_stock_conflicts_and_changes_nothing(shop, user):
    """Ordering more than the stock answers 409; no stock moves and no order is stored."""
    plenty, scarce = shop.new_product(stock=10), shop.new_product(stock=1)
    body = {
        "items": [
            {"productId": plenty["id"], "quantity": 2},
            {"productId": scarce["id"], "quantity": 2},
        ],
        "shippingAddress": "1 Test Road",
    }
    answer = shop.api.post("/api/orders", json=body, headers=user.headers)
    assert (answer.status_code, answer.json()["error"]) == (409, "conflict")
    assert (_stock(shop, plenty["id"]), _stock(shop, scarce["id"])) == (10, 1)
    assert shop.sql("backend", "SELECT id FROM orders WHERE user_id = :u", u=user.id) == []


def test_order_rejects_unknown_products_by_position(shop, user):
    """An unknown product answers 422 naming items[i].productId."""
    product = shop.new_product()
    body = {
        "items": [
            {"productId": product["id"], "quantity": 1},
            {"productId": 2_000_000_000, "quantity": 1},
        ],
        "shippingAddress": "1 Test Road",
    }
    answer = shop.api.post("/api/orders", json=body, headers=user.headers)
    assert answer.status_code == 422
    assert [f["field"] for f in answer.json()["fields"]] == ["items[1].productId"]
    assert _stock(shop, product["id"]) == 10


def test_order_from_cart_empties_the_cart(shop, user):
    """Without items the cart is ordered: same lines, stock drops, the cart is empty."""
    first, second = shop.new_product(stock=4), shop.new_product(stock=4)
    for product, quantity in ((first, 1), (second, 3)):
        body = {"productId": product["id"], "quantity": quantity}
        assert shop.api.post("/api/cart", json=body, headers=user.headers).status_code == 201
    answer = shop.api.post(
        "/api/orders", json={"shippingAddress": "2 Cart Lane"}, headers=user.headers
    )
    assert answer.status_code == 201
    order = answer.json()
    assert sorted((i["productId"], i["quantity"]) for i in order["items"]) == [
        (first["id"], 1),
        (second["id"], 3),
    ]
    assert shop.api.get("/api/cart", headers=user.headers).json() == {"items": [], "total": 0.0}
    assert shop.sql("backend", "SELECT id FROM cart_items WHERE user_id = :u", u=user.id) == []
    assert (_stock(shop, first["id"]), _stock(shop, second["id"])) == (3, 1)


def test_order_from_an_empty_cart_is_invalid(shop, user):
    """Ordering an empty cart answers 422 naming items."""
    answer = shop.api.post("/api/orders", json={"shippingAddress": "x"}, headers=user.headers)
    assert answer.status_code == 422
    assert [f["field"] for f in answer.json()["fields"]] == ["items"]


def test_list_my_orders_newest_first(shop, user, other_user):
    """A customer lists only their own orders, newest first, in pages."""
    product = shop.new_product(stock=20)
    made = [shop.new_order(user, (product["id"], 1))["id"] for _ in range(3)]
    shop.new_order(other_user, (product["id"], 1))
    answer = shop.api.get("/api/orders", headers=user.headers)
    assert answer.status_code == 200
    assert [order["id"] for order in answer.json()["items"]] == made[::-1]
    page = shop.api.get(
        "/api/orders", params={"limit": 1, "offset": 1}, headers=user.headers
    ).json()
    assert ([order["id"] for order in page["items"]], page["total"]) == ([made[1]], 3)


def test_get_order_owner_or_admin(shop, user, other_user):
    """The owner and an admin read an order; another customer gets 404."""
    product = shop.new_product()
    order = shop.new_order(user, (product["id"], 1))
    path = f"/api/orders/{order['id']}"
    assert shop.api.get(path, headers=user.headers).json() == order
    assert shop.api.get(path, headers=shop.admin.headers).json() == order
    assert shop.api.get(path, headers=other_user.headers).status_code == 404
    assert shop.api.get(path).status_code == 401
    assert shop.api.get("/api/orders/2000000000", headers=user.headers).status_code == 404


def test_admin_changes_order_status(shop, user):
    """An admin sets a known status (200); unknown statuses answer 422."""
    product = shop.new_product()
    order = shop.new_order(user, (product["id"], 1))
    path = f"/api/orders/{order['id']}"
    answer = shop.api.patch(path, json={"status": "shipped"}, headers=shop.admin.headers)
    assert (answer.status_code, answer.json()) == (200, {**order, "status": "shipped"})
    bad = shop.api.patch(path, json={"status": "lost"}, headers=shop.admin.headers)
    assert bad.status_code == 422
    assert bad.json()["fields"][0]["field"] == "status"
    assert (
        shop.sql("backend", "SELECT status FROM orders WHERE id = :id", id=order["id"])[0][0]
        == "shipped"
    )


def test_order_status_needs_an_admin(shop, user):
    """Customers get 403 changing a status; a missing order answers 404."""
    product = shop.new_product()
    order = shop.new_order(user, (product["id"], 1))
    path = f"/api/orders/{order['id']}"
    assert shop.api.patch(path, json={"status": "shipped"}, headers=user.headers).status_code == 403
    missing = shop.api.patch(
        "/api/orders/2000000000", json={"status": "shipped"}, headers=shop.admin.headers
    )
    assert missing.status_code == 404


@pytest.mark.parametrize("who", ["anonymous", "owner", "admin"])
def test_orders_cannot_be_deleted(shop, user, who):
    """DELETE on an order answers 405 for everyone, and the order stays."""
    product = shop.new_product()
    order = shop.new_order(user, (product["id"], 1))
    headers = {"anonymous": {}, "owner": user.headers, "admin": shop.admin.headers}[who]
    answer = shop.api.delete(f"/api/orders/{order['id']}", headers=headers)
    assert (answer.status_code, answer.json()["error"]) == (405, "method_not_allowed")
    assert "PATCH" in answer.headers["allow"]
    assert shop.sql("backend", "SELECT id FROM orders WHERE id = :id", id=order["id"])


def test_admin_lists_orders_by_user(shop, user, other_user):
    """The admin list filters by userId; customers get 403."""
    product = shop.new_product(stock=20)
    mine = [shop.new_order(user, (product["id"], 1)) for _ in range(2)]
    shop.new_order(other_user, (product["id"], 1))
    answer = shop.api.get(
        "/api/admin/orders", params={"userId": user.id}, headers=shop.admin.headers
    )
    assert answer.status_code == 200
    assert answer.json()["items"] == mine[::-1]
    assert answer.json()["total"] == 2
    everyone = shop.api.get(
        "/api/admin/orders", params={"limit": 100}, headers=shop.admin.headers
    ).json()
    assert everyone["total"] >= 3
    assert shop.api.get("/api/admin/orders", headers=user.headers).status_code == 403


async def test_concurrent_orders_never_oversell(shop, user):
    """Twenty simultaneous orders for a stock of ten: ten succeed, ten conflict, none fail."""
    product = shop.new_product(stock=10)
    body = {"items": [{"productId": product["id"], "quantity": 1}], "shippingAddress": "x"}
    async with httpx2.AsyncClient(
        base_url=shop.thread.backend_url, trust_env=False, timeout=30
    ) as client:
        answers = await asyncio.gather(
            *(client.post("/api/orders", json=body, headers=user.headers) for _ in range(20))
        )
    assert sorted(answer.status_code for answer in answers) == [201] * 10 + [409] * 10
    assert _stock(shop, product["id"]) == 0
    rows = shop.sql("backend", "SELECT count(*) FROM orders WHERE user_id = :u", u=user.id)
    assert rows[0][0] == 10


def test_the_largest_order_fits(shop, user):
    """An order at the price and quantity limits is stored with its exact total."""
    product = shop.new_product(price=1_000_000, stock=1_000_000)
    order = shop.new_order(user, (product["id"], 10_000))
    assert order["total"] == 10_000_000_000
    assert shop.api.get(f"/api/orders/{order['id']}", headers=user.headers).json()["total"] == 1e10
