"""Bad input of every kind answers a documented 4xx, never a 500."""

from __future__ import annotations

import base64
import json
import logging

import pytest

MIB = 1024 * 1024
JSON = {"Content-Type": "application/json"}
PRODUCT = {"name": "X", "price": 1, "stock": 1, "categoryId": 1, "sku": "S"}


def _json(value):
    return json.dumps(value).encode()


def _segment(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


UNSIGNED = "Bearer " + _segment(b'{"alg":"none"}') + "." + _segment(b'{"sub":"1"}') + "."
LONG_TOKEN = "Bearer " + "a" * 5000
NON_ASCII = "Bearer \xe4.b.c".encode("latin-1")
LINE = [{"productId": 1, "quantity": 1}]
LOGIN_NUMBER = b'{"email": "a@b.cd", "password": 5}'
GARBAGE_FORM = b"&".join(b"f%d=%%ZZ" % i for i in range(50))


def product(**changes):
    return _json({**PRODUCT, **changes})


def cart(**changes):
    return _json({"productId": 1, "quantity": 1, **changes})


def order(items, **changes):
    return _json({"items": items, "shippingAddress": "1 Road", **changes})


def register(**changes):
    return _json({"email": "a@b.cd", "password": "abc12345", "fullName": "A", **changes})


FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def case(name, route, status, body=None, *, field=None, who="admin", headers=None):
    """One bad request; ``route`` is "METHOD /path", ``body`` bytes sent as JSON by default."""
    method, path = route.split(" ")
    service = "auth" if path.startswith("/auth/") else "api"
    sent = dict(JSON if body is not None and headers is None else headers or {})
    return pytest.param(service, who, method, path, body, sent, status, field, id=name)


ADMIN_PATCH_ORDER = "PATCH /api/orders/1"
CASES = [
    # bodies that are not JSON objects
    case("invalid-json", "POST /api/products", 400, b"{"),
    case("empty-body", "POST /api/products", 400, b""),
    case("nan-literal", "POST /api/products", 400, b'{"price": NaN}'),
    case("invalid-utf8", "POST /api/products", 400, b"\xff\xfe\xfa"),
    case("deep-nesting", "POST /api/products", 400, b"[" * 100_000 + b"]" * 100_000),
    case("huge-int-literal", "POST /api/cart", 400, b'{"quantity": ' + b"9" * 5000 + b"}"),
    case("array-body", "POST /api/products", 422, b"[]", field="body"),
    case("null-body", "POST /api/products", 422, b"null", field="body"),
    case("string-body", "POST /api/orders", 422, b'"x"', field="body", who="user"),
    # content types and sizes
    case("text-plain", "POST /api/products", 415, b"{}", headers={"Content-Type": "text/plain"}),
    case("no-content-type", "POST /api/products", 415, b"{}", headers={}),
    case("form-to-api", "POST /api/categories", 415, b"name=x", headers=FORM),
    case("too-large", "POST /api/products", 413, b" " * MIB + b"{}"),
    case("too-large-auth", "POST /auth/register", 413, b" " * (MIB + 1), who=None),
    # wrong field types and values
    case("price-text", "POST /api/products", 422, product(price="abc"), field="price"),
    case("price-bool", "POST /api/products", 422, product(price=True), field="price"),
    case("price-infinite", "POST /api/products", 422, b'{"price": 1e400}', field="price"),
    case("price-huge", "POST /api/products", 422, product(price=1e12), field="price"),
    case("price-huge-int", "POST /api/products", 422, product(price=10**400), field="price"),
    case("stock-float", "POST /api/products", 422, product(stock=1.5), field="stock"),
    case("stock-bool", "POST /api/products", 422, product(stock=True), field="stock"),
    case("stock-huge", "POST /api/products", 422, product(stock=10**30), field="stock"),
    case("category-huge", "POST /api/products", 422, product(categoryId=2**63), field="categoryId"),
    case("category-text", "POST /api/products", 422, product(categoryId="1"), field="categoryId"),
    case("name-object", "POST /api/products", 422, product(name={"a": 1}), field="name"),
    case("name-too-long", "POST /api/products", 422, product(name="x" * 201), field="name"),
    case("name-nul", "POST /api/products", 422, product(name="a\x00b"), field="name"),
    case("name-surrogate", "POST /api/products", 422, b'{"name": "\\ud800"}', field="name"),
    case(
        "description-number", "POST /api/products", 422, product(description=5), field="description"
    ),
    case("missing-fields", "POST /api/products", 422, b"{}", field="sku"),
    case("unknown-field", "POST /api/products", 422, product(colour="red"), field="colour"),
    case("patch-bad-stock", "PATCH /api/products/1", 422, b'{"stock": -1}', field="stock"),
    case("category-name-null", "POST /api/categories", 422, b'{"name": null}', field="name"),
    # cart and orders
    case("quantity-float", "POST /api/cart", 422, cart(quantity=1.5), field="quantity", who="user"),
    case("quantity-bool", "POST /api/cart", 422, cart(quantity=True), field="quantity", who="user"),
    case("quantity-zero", "POST /api/cart", 422, cart(quantity=0), field="quantity", who="user"),
    case(
        "quantity-huge", "POST /api/cart", 422, cart(quantity=10001), field="quantity", who="user"
    ),
    case("product-id-text", "POST /api/cart", 422, cart(productId="1"), field="productId"),
    case("product-id-negative", "POST /api/cart", 422, cart(productId=-1), field="productId"),
    case("items-text", "POST /api/orders", 422, order("x"), field="items", who="user"),
    case("items-empty", "POST /api/orders", 422, order([]), field="items", who="user"),
    case("items-number", "POST /api/orders", 422, order([1]), field="items[0]", who="user"),
    case("item-empty", "POST /api/orders", 422, order([{}]), field="items[0].quantity"),
    case(
        "item-extra", "POST /api/orders", 422, order([{"productId": 1, "x": 1}]), field="items[0].x"
    ),
    case("address-missing", "POST /api/orders", 422, b"{}", field="shippingAddress", who="user"),
    case(
        "address-blank",
        "POST /api/orders",
        422,
        order(LINE, shippingAddress=" "),
        field="shippingAddress",
    ),
    case("status-number", ADMIN_PATCH_ORDER, 422, b'{"status": 1}', field="status"),
    case("status-case", ADMIN_PATCH_ORDER, 422, b'{"status": "SHIPPED"}', field="status"),
    # auth bodies
    case("email-number", "POST /auth/register", 422, register(email=123), field="email", who=None),
    case("password-null", "POST /auth/register", 422, register(password=None), field="password"),
    case("login-password-number", "POST /auth/login", 422, LOGIN_NUMBER, field="password"),
    case("login-invalid-json", "POST /auth/login", 400, b"{'email': 1}", who=None),
    case("admin-flag-text", "POST /auth/users", 422, register(isAdmin="yes"), field="isAdmin"),
    # query parameters
    case("limit-text", "GET /api/products?limit=abc", 422, field="limit", who=None),
    case("limit-zero", "GET /api/products?limit=0", 422, field="limit", who=None),
    case("limit-too-big", "GET /api/categories?limit=101", 422, field="limit", who=None),
    case("limit-huge", "GET /api/products?limit=99999999999999999999999", 422, field="limit"),
    case("offset-negative", "GET /api/products?offset=-1", 422, field="offset", who=None),
    case("offset-float", "GET /api/products?offset=1.5", 422, field="offset", who=None),
    case("category-filter-text", "GET /api/products?categoryId=x", 422, field="categoryId"),
    case("search-nul", "GET /api/products?search=a%00b", 422, field="search", who=None),
    case("user-filter-text", "GET /api/admin/orders?userId=abc", 422, field="userId"),
    case("cart-user-filter-float", "GET /api/admin/cart-items?userId=1.5", 422, field="userId"),
    case("users-limit-text", "GET /auth/users?limit=abc", 422, field="limit"),
    case("users-email-nul", "GET /auth/users?email=%00", 422, field="email"),
    # paths and methods
    case("unknown-path", "GET /api/nothing-here", 404, who=None),
    case("text-id", "GET /api/products/abc", 404, who=None),
    case("float-id", "GET /api/orders/1e3", 404),
    case("huge-id", "DELETE /api/cart/99999999999999999999", 404, who="user"),
    case("huge-user-id", "DELETE /auth/users/99999999999999999999", 404),
    case("zero-id", "GET /api/products/0", 404, who=None),
    case("wrong-method", "PUT /api/products", 405, who=None),
    case("delete-order", "DELETE /api/orders/1", 405),
    # credentials
    case("bearer-only", "GET /api/cart", 401, who=None, headers={"Authorization": "Bearer"}),
    case("token-too-long", "GET /api/cart", 401, who=None, headers={"Authorization": LONG_TOKEN}),
    case("token-non-ascii", "GET /auth/me", 401, who=None, headers={"Authorization": NON_ASCII}),
    case("token-unsigned", "GET /api/cart", 401, who=None, headers={"Authorization": UNSIGNED}),
    case(
        "token-two-parts", "GET /api/orders", 401, who=None, headers={"Authorization": "Bearer a.b"}
    ),
    # pages
    case("login-page-json", "POST /login", 415, b"{}", who=None),
    case("login-page-garbage-form", "POST /login", 422, GARBAGE_FORM, who=None, headers=FORM),
]


@pytest.mark.parametrize(
    ("service", "who", "method", "path", "body", "headers", "status", "field"), CASES
)
def test_bad_input_answers_a_documented_error(
    shop, user, caplog, service, who, method, path, body, headers, status, field
):
    """The answer has the expected 4xx status; JSON errors have the documented shape."""
    client = shop.auth if service == "auth" else shop.api
    tokens = {"admin": shop.admin.token, "user": user.token}
    if who is not None:
        headers = {**headers, "Authorization": f"Bearer {tokens[who]}"}
    with caplog.at_level(logging.ERROR):
        answer = client.request(method, path, content=body, headers=headers)
    assert answer.status_code == status, answer.text[:500]
    assert not [record for record in caplog.records if record.name.startswith("tdm_sut")]
    if answer.headers["content-type"].startswith("text/html"):
        return
    error = answer.json()
    assert set(error) == {"error", "detail", "fields"}
    assert error["detail"]
    for bad in error["fields"]:
        assert set(bad) == {"field", "expected", "got", "message"}
        assert bad["message"].startswith(bad["field"] + ": ")
    if field is not None:
        assert field in [bad["field"] for bad in error["fields"]]


def test_missing_fields_are_all_named(shop):
    """An empty product names every required field as missing."""
    answer = shop.api.post("/api/products", json={}, headers=shop.admin.headers)
    fields = {bad["field"]: bad["got"] for bad in answer.json()["fields"]}
    assert fields == dict.fromkeys(["name", "price", "stock", "categoryId", "sku"], "nothing")


def test_products_page_ignores_a_nul_in_the_search(shop):
    """The catalogue page drops NUL characters from its search instead of failing."""
    answer = shop.api.get("/products", params={"search": "a\x00"})
    assert answer.status_code == 200
