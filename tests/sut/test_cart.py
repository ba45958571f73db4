"""Carts over HTTP."""

from __future__ import annotations


def _add(shop, user, product_id, quantity):
    return shop.api.post(
        "/api/cart", json={"productId": product_id, "quantity": quantity}, headers=user.headers
    )


def test_add_to_cart_and_read_it(shop, user):
    """Adding answers 201 with the cart item; the cart lists it and its value."""
    product = shop.new_product(price=2.5, stock=5)
    answer = _add(shop, user, product["id"], 2)
    assert answer.status_code == 201
    item = answer.json()
    assert item == {
        "id": item["id"],
        "userId": user.id,
        "productId": product["id"],
        "productName": product["name"],
        "quantity": 2,
        "unitPrice": 2.5,
    }
    cart = shop.api.get("/api/cart", headers=user.headers).json()
    assert cart == {"items": [item], "total": 5.0}


def test_adding_again_raises_the_quantity(shop, user):
    """Adding a product already in the cart raises the quantity of the same item."""
    product = shop.new_product(stock=5)
    first = _add(shop, user, product["id"], 1).json()
    second = _add(shop, user, product["id"], 3)
    assert second.status_code == 201
    assert (second.json()["id"], second.json()["quantity"]) == (first["id"], 4)
    rows = shop.sql("backend", "SELECT quantity FROM cart_items WHERE user_id = :u", u=user.id)
    assert [row[0] for row in rows] == [4]


def test_cart_respects_stock(shop, user):
    """A quantity beyond the stock, alone or with what is in the cart, answers 409."""
    product = shop.new_product(stock=3)
    assert _add(shop, user, product["id"], 4).status_code == 409
    assert _add(shop, user, product["id"], 2).status_code == 201
    beyond = _add(shop, user, product["id"], 2)
    assert (beyond.status_code, beyond.json()["error"]) == (409, "conflict")
    assert shop.api.get("/api/cart", headers=user.headers).json()["items"][0]["quantity"] == 2


def test_cart_rejects_an_unknown_product(shop, user):
    """An unknown product answers 422 naming productId."""
    answer = _add(shop, user, 2_000_000_000, 1)
    assert answer.status_code == 422
    assert [f["field"] for f in answer.json()["fields"]] == ["productId"]


def test_cart_needs_a_user(shop):
    """Reading or filling a cart without a token answers 401."""
    assert shop.api.get("/api/cart").status_code == 401
    assert shop.api.post("/api/cart", json={"productId": 1, "quantity": 1}).status_code == 401
    assert shop.api.delete("/api/cart/1").status_code == 401


def test_remove_own_cart_item(shop, user):
    """The owner removes an item (204); it is gone, and removing it again answers 404."""
    product = shop.new_product()
    item = _add(shop, user, product["id"], 1).json()
    assert shop.api.delete(f"/api/cart/{item['id']}", headers=user.headers).status_code == 204
    assert shop.sql("backend", "SELECT id FROM cart_items WHERE id = :id", id=item["id"]) == []
    assert shop.api.delete(f"/api/cart/{item['id']}", headers=user.headers).status_code == 404


def test_someone_elses_cart_item_is_not_found(shop, user, other_user):
    """Another customer's item answers 404 and stays; an admin may remove it."""
    product = shop.new_product()
    item = _add(shop, user, product["id"], 1).json()
    path = f"/api/cart/{item['id']}"
    assert shop.api.delete(path, headers=other_user.headers).status_code == 404
    assert shop.sql("backend", "SELECT id FROM cart_items WHERE id = :id", id=item["id"])
    assert shop.api.delete(path, headers=shop.admin.headers).status_code == 204
    assert shop.api.get("/api/cart", headers=user.headers).json()["items"] == []


def test_admin_lists_cart_items_by_user(shop, user, other_user):
    """The admin list filters by userId; customers get 403."""
    product = shop.new_product()
    mine = _add(shop, user, product["id"], 1).json()
    _add(shop, other_user, product["id"], 1)
    answer = shop.api.get(
        "/api/admin/cart-items", params={"userId": user.id}, headers=shop.admin.headers
    )
    assert answer.status_code == 200
    assert (answer.json()["items"], answer.json()["total"]) == ([mine], 1)
    everyone = shop.api.get("/api/admin/cart-items", headers=shop.admin.headers).json()
    assert everyone["total"] >= 2
    assert shop.api.get("/api/admin/cart-items", headers=user.headers).status_code == 403
