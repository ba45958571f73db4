"""Categories and products over HTTP."""

from __future__ import annotations

import re

import pytest


def test_backend_health(shop):
    """The Backend reports itself healthy."""
    answer = shop.api.get("/api/health")
    assert (answer.status_code, answer.json()) == (200, {"status": "ok"})


def test_create_category_then_list_it(shop):
    """An admin creates a category; it appears in the public list."""
    name = shop.unique("Books")
    answer = shop.api.post(
        "/api/categories", json={"name": name, "description": "Paper"}, headers=shop.admin.headers
    )
    assert answer.status_code == 201
    category = answer.json()
    assert category == {"id": category["id"], "name": name, "description": "Paper"}
    listed = shop.api.get("/api/categories", params={"limit": 100, "offset": 0}).json()
    assert listed["total"] >= 1
    total = listed["total"]
    tail = shop.api.get("/api/categories", params={"limit": 1, "offset": total - 1}).json()
    assert tail["items"] == [category]


def test_create_category_rejects_a_taken_name(shop):
    """A second category with the same name answers 409 and is not stored."""
    category = shop.new_category()
    answer = shop.api.post(
        "/api/categories", json={"name": category["name"]}, headers=shop.admin.headers
    )
    assert (answer.status_code, answer.json()["error"]) == (409, "conflict")
    rows = shop.sql(
        "backend", "SELECT count(*) FROM categories WHERE name = :n", n=category["name"]
    )
    assert rows[0][0] == 1


def test_category_writes_need_an_admin(shop, user):
    """Customers get 403 and anonymous callers 401 when creating or deleting categories."""
    category = shop.new_category()
    body = {"name": shop.unique()}
    assert shop.api.post("/api/categories", json=body, headers=user.headers).status_code == 403
    assert shop.api.post("/api/categories", json=body).status_code == 401
    path = f"/api/categories/{category['id']}"
    assert shop.api.delete(path, headers=user.headers).status_code == 403
    assert shop.api.delete(path).status_code == 401
    assert shop.sql("backend", "SELECT id FROM categories WHERE id = :id", id=category["id"])


def test_delete_category(shop):
    """Deleting an empty category answers 204 and removes it; again answers 404."""
    category = shop.new_category()
    path = f"/api/categories/{category['id']}"
    assert shop.api.delete(path, headers=shop.admin.headers).status_code == 204
    assert shop.sql("backend", "SELECT id FROM categories WHERE id = :id", id=category["id"]) == []
    assert shop.api.delete(path, headers=shop.admin.headers).status_code == 404


def test_delete_category_with_products_conflicts(shop):
    """A category that still has products cannot be deleted (409) and stays."""
    product = shop.new_product()
    path = f"/api/categories/{product['categoryId']}"
    answer = shop.api.delete(path, headers=shop.admin.headers)
    assert (answer.status_code, answer.json()["error"]) == (409, "conflict")
    rows = shop.sql("backend", "SELECT id FROM categories WHERE id = :id", id=product["categoryId"])
    assert len(rows) == 1


def test_create_product_and_get_it(shop):
    """An admin creates a product; it reads back by id with every field."""
    category = shop.new_category()
    body = {
        "name": "Blue Mug",
        "description": "Holds tea",
        "price": 12.5,
        "stock": 7,
        "categoryId": category["id"],
        "sku": shop.unique("MUG"),
    }
    answer = shop.api.post("/api/products", json=body, headers=shop.admin.headers)
    assert answer.status_code == 201
    product = answer.json()
    assert {key: product[key] for key in body} == body
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", product["createdAt"])
    fetched = shop.api.get(f"/api/products/{product['id']}")
    assert (fetched.status_code, fetched.json()) == (200, product)


def test_product_price_keeps_two_decimals(shop):
    """Prices come back exactly as sent with two decimals."""
    product = shop.new_product(price=19.99)
    assert shop.api.get(f"/api/products/{product['id']}").json()["price"] == 19.99


def test_create_product_rejects_a_taken_sku(shop):
    """A second product with the same sku answers 409."""
    product = shop.new_product()
    body = {
        "name": "Other",
        "price": 1,
        "stock": 1,
        "categoryId": product["categoryId"],
        "sku": product["sku"],
    }
    answer = shop.api.post("/api/products", json=body, headers=shop.admin.headers)
    assert (answer.status_code, answer.json()["error"]) == (409, "conflict")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"categoryId": 2_000_000_000}, "categoryId"),
        ({"price": 0}, "price"),
        ({"price": -5}, "price"),
        ({"price": 1.234}, "price"),
        ({"price": "abc"}, "price"),
        ({"stock": -1}, "stock"),
        ({"stock": 1.5}, "stock"),
        ({"stock": True}, "stock"),
        ({"sku": ""}, "sku"),
    ],
    ids=[
        "unknown-category",
        "zero-price",
        "negative-price",
        "three-decimals",
        "text-price",
        "negative-stock",
        "fractional-stock",
        "boolean-stock",
        "empty-sku",
    ],
)
def test_create_product_validates(shop, changes, field):
    """Bad product fields answer 422 naming the field, and nothing is stored."""
    category = shop.new_category()
    sku = shop.unique("SKU")
    body = {
        "name": "X",
        "price": 2,
        "stock": 1,
        "categoryId": category["id"],
        "sku": sku,
        **changes,
    }
    answer = shop.api.post("/api/products", json=body, headers=shop.admin.headers)
    assert answer.status_code == 422
    error = answer.json()
    assert error["error"] == "validation_error"
    assert [f["field"] for f in error["fields"]] == [field]
    assert error["fields"][0]["message"].startswith(f"{field}: expected ")
    assert shop.sql("backend", "SELECT id FROM products WHERE sku = :s", s=sku) == []


def test_negative_price_message(shop):
    """The message says what was expected and what came."""
    category = shop.new_category()
    body = {
        "name": "X",
        "price": -5,
        "stock": 1,
        "categoryId": category["id"],
        "sku": shop.unique(),
    }
    [error] = shop.api.post("/api/products", json=body, headers=shop.admin.headers).json()["fields"]
    assert error["got"] == "-5"
    assert error["message"].startswith("price: expected a number greater than 0")
    assert error["message"].endswith("got -5")


def test_search_products_by_name_or_sku(shop):
    """search matches a part of the name or the sku, case-insensitively."""
    category = shop.new_category()
    marker = shop.unique("zebra")
    by_name = shop.new_product(category_id=category["id"], name=f"Striped {marker.upper()} mug")
    by_sku = shop.new_product(category_id=category["id"], sku=f"SKU-{marker}")
    shop.new_product(category_id=category["id"])
    answer = shop.api.get("/api/products", params={"search": marker})
    assert answer.status_code == 200
    assert [item["id"] for item in answer.json()["items"]] == [by_name["id"], by_sku["id"]]
    assert answer.json()["total"] == 2


def test_search_treats_wildcards_literally(shop):
    """A % in the search text matches only a literal %."""
    category = shop.new_category()
    marker = shop.unique("pct")
    percent = shop.new_product(category_id=category["id"], name=f"{marker} 100% cotton")
    shop.new_product(category_id=category["id"], name=f"{marker} 100 cotton")
    items = shop.api.get("/api/products", params={"search": f"{marker} 100%"}).json()["items"]
    assert [item["id"] for item in items] == [percent["id"]]


def test_filter_products_by_category_and_page(shop):
    """categoryId filters; limit and offset page in id order; total counts every match."""
    category = shop.new_category()
    made = [shop.new_product(category_id=category["id"])["id"] for _ in range(5)]
    shop.new_product()
    params = {"categoryId": category["id"], "limit": 2}
    pages = [
        shop.api.get("/api/products", params={**params, "offset": offset}).json()
        for offset in (0, 2, 4)
    ]
    assert [page["total"] for page in pages] == [5, 5, 5]
    assert [item["id"] for page in pages for item in page["items"]] == made
    assert [(page["limit"], page["offset"]) for page in pages] == [(2, 0), (2, 2), (2, 4)]


def test_update_product(shop):
    """PATCH changes only the fields sent and answers the product."""
    product = shop.new_product(stock=3)
    answer = shop.api.patch(
        f"/api/products/{product['id']}",
        json={"price": 5.5, "stock": 9},
        headers=shop.admin.headers,
    )
    assert answer.status_code == 200
    assert answer.json() == {**product, "price": 5.5, "stock": 9}
    assert shop.api.get(f"/api/products/{product['id']}").json()["stock"] == 9


def test_update_product_checks_sku_and_category(shop):
    """PATCH answers 409 for another product's sku and 422 for an unknown category."""
    first, second = shop.new_product(), shop.new_product()
    path = f"/api/products/{second['id']}"
    taken = shop.api.patch(path, json={"sku": first["sku"]}, headers=shop.admin.headers)
    assert taken.status_code == 409
    same = shop.api.patch(path, json={"sku": second["sku"]}, headers=shop.admin.headers)
    assert same.status_code == 200
    unknown = shop.api.patch(path, json={"categoryId": 2_000_000_000}, headers=shop.admin.headers)
    assert unknown.status_code == 422
    assert unknown.json()["fields"][0]["field"] == "categoryId"
    assert shop.api.get(path).json() == second


def test_update_missing_product(shop, user):
    """PATCH on a missing product answers 404; a customer gets 403."""
    assert (
        shop.api.patch(
            "/api/products/2000000000", json={"stock": 1}, headers=shop.admin.headers
        ).status_code
        == 404
    )
    product = shop.new_product()
    path = f"/api/products/{product['id']}"
    assert shop.api.patch(path, json={"stock": 1}, headers=user.headers).status_code == 403


def test_delete_product_takes_its_cart_items(shop, user):
    """Deleting a product answers 204, then GET answers 404 and its cart items are gone."""
    product = shop.new_product()
    added = shop.api.post(
        "/api/cart", json={"productId": product["id"], "quantity": 1}, headers=user.headers
    )
    assert added.status_code == 201
    path = f"/api/products/{product['id']}"
    assert shop.api.delete(path, headers=shop.admin.headers).status_code == 204
    assert shop.api.get(path).status_code == 404
    rows = shop.sql("backend", "SELECT id FROM cart_items WHERE product_id = :p", p=product["id"])
    assert rows == []
    assert shop.api.get("/api/cart", headers=user.headers).json()["items"] == []
    assert shop.api.delete(path, headers=shop.admin.headers).status_code == 404


def test_delete_ordered_product_conflicts(shop, user):
    """A product that order items refer to cannot be deleted (409) and stays."""
    product = shop.new_product()
    shop.new_order(user, (product["id"], 1))
    path = f"/api/products/{product['id']}"
    answer = shop.api.delete(path, headers=shop.admin.headers)
    assert (answer.status_code, answer.json()["error"]) == (409, "conflict")
    assert shop.api.get(path).status_code == 200


def test_product_writes_need_an_admin(shop, user):
    """Customers get 403 and anonymous callers 401 when creating or deleting products."""
    product = shop.new_product()
    body = {
        "name": "X",
        "price": 1,
        "stock": 1,
        "categoryId": product["categoryId"],
        "sku": shop.unique(),
    }
    assert shop.api.post("/api/products", json=body, headers=user.headers).status_code == 403
    assert shop.api.post("/api/products", json=body).status_code == 401
    path = f"/api/products/{product['id']}"
    assert shop.api.delete(path, headers=user.headers).status_code == 403
    assert shop.api.get(path).status_code == 200


@pytest.mark.parametrize("product_id", ["2000000000", "abc", "99999999999999999999", "0", "-1"])
def test_missing_product_answers_404(shop, product_id):
    """Unknown, non-integer and out-of-range product ids answer 404 JSON."""
    answer = shop.api.get(f"/api/products/{product_id}")
    assert (answer.status_code, answer.json()["error"]) == (404, "not_found")
