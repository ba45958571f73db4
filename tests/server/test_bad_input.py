"""No input makes the API answer 500: every bad input of the table gets a documented 4xx with
the JSON error shape, and leaves nothing tracked."""

from __future__ import annotations

import json
from typing import Any

import httpx2
import pytest
from starlette.routing import Route

import tdm
from tdm_server import openapi_document

from ..support import Inspector
from .conftest import assert_error_shape

JSON = "application/json"
HUGE = b'{"name": "' + b"x" * (1024 * 1024) + b'"}'
POSTS = [
    "/api/seed",
    "/api/users",
    "/api/products",
    "/api/orders",
    "/api/scenarios/user-with-orders",
]
WRITES = [*(("POST", p) for p in POSTS), ("DELETE", "/api/cleanup")]


@pytest.fixture
def shop(sqlite_shop: Inspector) -> Inspector:
    """Bad input does not depend on the shop's database: SQLite only."""
    return sqlite_shop


Case = tuple[str, str, Any, str | None, dict[str, str], int]


def _case(
    method: str,
    path: str,
    body: Any = None,
    *,
    status: int,
    ctype: str | None = JSON,
    headers: dict[str, str] | None = None,
    id: str,
) -> Any:
    raw = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
    return pytest.param(method, path, raw, ctype, headers or {}, status, id=id)


# Broken bodies, for every endpoint that reads one.
BODIES = [
    case
    for method, path in WRITES
    for case in (
        _case(method, path, b'{"count": ', status=400, id=f"{path}-truncated-json"),
        _case(method, path, b"[1, 2]", status=400, id=f"{path}-array"),
        _case(method, path, b'"text"', status=400, id=f"{path}-string"),
        _case(method, path, b"null", status=400, id=f"{path}-null"),
        _case(method, path, b'{"count": NaN}', status=400, id=f"{path}-nan"),
        _case(method, path, b'{"count": 1e999}', status=400, id=f"{path}-infinite-number"),
        _case(method, path, b"[" * 100_000, status=422, id=f"{path}-deep-nesting"),
        _case(method, path, b"[" * 65 + b"]" * 65, status=422, id=f"{path}-nested-65"),
        _case(method, path, b'\xff\xfe{"a"', status=400, id=f"{path}-not-utf8"),
        _case(method, path, b"<a/>", ctype="text/xml", status=415, id=f"{path}-xml"),
        _case(
            method,
            path,
            b"all=true",
            ctype="application/x-www-form-urlencoded",
            status=415,
            id=f"{path}-form",
        ),
        _case(method, path, b"{", ctype=None, status=400, id=f"{path}-no-type-broken"),
        _case(method, path, HUGE, status=413, id=f"{path}-over-1MiB"),
        _case(method, path, {"bogus": 1}, status=422, id=f"{path}-unknown-field"),
    )
]

FIELDS = [
    # users
    _case("POST", "/api/users", {"count": 0}, status=422, id="users-count-0"),
    _case("POST", "/api/users", {"count": 101}, status=422, id="users-count-101"),
    _case("POST", "/api/users", {"count": "3"}, status=422, id="users-count-text"),
    _case("POST", "/api/users", {"count": True}, status=422, id="users-count-bool"),
    _case("POST", "/api/users", {"count": 2.5}, status=422, id="users-count-fraction"),
    _case("POST", "/api/users", {"count": None}, status=422, id="users-count-null"),
    _case("POST", "/api/users", {"count": 2**80}, status=422, id="users-count-huge"),
    _case("POST", "/api/users", {"email": 123}, status=422, id="users-email-number"),
    _case("POST", "/api/users", {"isAdmin": "yes"}, status=422, id="users-isadmin-text"),
    _case("POST", "/api/users", {"fullName": []}, status=422, id="users-name-list"),
    _case("POST", "/api/users", {"full_name": "A"}, status=422, id="users-snake-case"),
    _case("POST", "/api/users", {"email": "not-an-email"}, status=422, id="users-email-refused"),
    _case("POST", "/api/users", {"password": "short"}, status=422, id="users-password-weak"),
    _case("POST", "/api/users", {"fullName": "a\u0000b"}, status=422, id="users-nul"),
    _case("POST", "/api/users", {"fullName": "x" * 300}, status=422, id="users-name-too-long"),
    # products
    _case("POST", "/api/products", {"price": "cheap"}, status=422, id="products-price-text"),
    _case("POST", "/api/products", {"price": -5}, status=422, id="products-price-negative"),
    _case("POST", "/api/products", {"price": 1e300}, status=422, id="products-price-huge"),
    _case("POST", "/api/products", {"stock": 1.5}, status=422, id="products-stock-fraction"),
    _case("POST", "/api/products", {"stock": -1}, status=422, id="products-stock-negative"),
    _case("POST", "/api/products", {"categoryId": 999_999}, status=422, id="products-no-category"),
    _case("POST", "/api/products", {"categoryId": 2**40}, status=422, id="products-category-huge"),
    _case("POST", "/api/products", {"name": ""}, status=422, id="products-name-empty"),
    _case("POST", "/api/products", {"sku": "x" * 100}, status=422, id="products-sku-too-long"),
    _case("POST", "/api/products", {"count": 1, "nme": "x"}, status=422, id="products-typo"),
    # orders
    _case("POST", "/api/orders", {}, status=422, id="orders-no-user"),
    _case("POST", "/api/orders", {"userId": None}, status=422, id="orders-user-null"),
    _case("POST", "/api/orders", {"userId": "1"}, status=422, id="orders-user-text"),
    _case("POST", "/api/orders", {"userId": 999_999}, status=422, id="orders-user-unknown"),
    _case("POST", "/api/orders", {"userId": 1, "items": "x"}, status=422, id="orders-items-text"),
    _case(
        "POST",
        "/api/orders",
        {"userId": 1, "items": [{"productId": "a"}]},
        status=422,
        id="orders-item-product-text",
    ),
    _case("POST", "/api/orders", {"userId": 1, "items": [{}]}, status=422, id="orders-item-empty"),
    _case("POST", "/api/orders", {"userId": 1, "status": "lost"}, status=422, id="orders-status"),
    _case("POST", "/api/orders", {"userId": 1, "count": 2}, status=422, id="orders-count"),
    # scenarios
    _case("POST", "/api/scenarios/nope", {}, status=404, id="scenario-unknown"),
    _case("POST", "/api/scenarios/%00", {}, status=404, id="scenario-nul-name"),
    _case("POST", "/api/scenarios/" + "x" * 2000, {}, status=404, id="scenario-long-name"),
    _case("GET", "/api/scenarios/nope", status=404, id="scenario-unknown-get"),
    *(
        _case("POST", "/api/scenarios/user-with-orders", body, status=422, id=f"scenario-{name}")
        for name, body in {
            "parameters-text": {"parameters": "x"},
            "parameters-list": {"parameters": []},
            "count-0": {"parameters": {"orderCount": 0}},
            "count-11": {"parameters": {"orderCount": 11}},
            "count-text": {"parameters": {"orderCount": "3"}},
            "count-bool": {"parameters": {"orderCount": True}},
            "status-unknown": {"parameters": {"orderStatus": "lost"}},
            "param-unknown": {"parameters": {"nope": 1}},
            "param-snake-case": {"parameters": {"order_count": 2}},
            "flat-parameters": {"orderCount": 2},
        }.items()
    ),
    # cleanup
    *(
        _case("DELETE", "/api/cleanup", body, status=422, id=f"cleanup-{name}")
        for name, body in {
            "nothing-selected": {},
            "all-false": {"all": False},
            "all-text": {"all": "yes"},
            "all-number": {"all": 1},
            "ids-text": {"trackingIds": "abc"},
            "ids-numbers": {"trackingIds": [1, 2]},
            "ids-too-many": {"trackingIds": ["t"] * 10_001},
            "older-than-words": {"olderThan": "yesterday"},
            "older-than-number": {"olderThan": 5},
            "older-than-negative": {"olderThan": "-1h"},
            "run-empty": {"runId": ""},
            "run-number": {"runId": 5},
        }.items()
    ),
    _case("DELETE", "/api/cleanup", status=422, ctype=None, id="cleanup-no-body"),
    _case("POST", "/api/seed", {"force": "yes"}, status=422, id="seed-force-text"),
    # the ledger's query
    *(
        _case("GET", f"/api/tracked?{query}", status=422, id=f"tracked-{query}")
        for query in (
            "limit=0",
            "limit=abc",
            "limit=1001",
            "offset=-1",
            "limit=%D9%A3",
            "entityType=dragon",
            "bogus=1",
            "limit=1&limit=2",
            "runId=",
        )
    ),
    # headers
    _case(
        "POST",
        "/api/users",
        {},
        headers={"X-TDM-Run-Id": "has space"},
        status=422,
        id="header-run-id-space",
    ),
    _case(
        "POST",
        "/api/users",
        {},
        headers={"X-TDM-Run-Id": "r" * 129},
        status=422,
        id="header-run-id-long",
    ),
    _case(
        "POST", "/api/users", {}, headers={"X-TDM-Seed": "abc"}, status=422, id="header-seed-text"
    ),
    _case(
        "POST",
        "/api/users",
        {},
        headers={"X-TDM-Seed": "-1"},
        status=422,
        id="header-seed-negative",
    ),
    _case(
        "POST",
        "/api/users",
        {},
        headers={"X-TDM-Seed": "9" * 30},
        status=422,
        id="header-seed-huge",
    ),
    _case(
        "POST",
        "/api/scenarios/empty-cart",
        {},
        headers={"X-TDM-Test-Id": ""},
        status=422,
        id="header-test-id-empty",
    ),
    # routes and methods
    _case("GET", "/api/nope", status=404, id="route-unknown"),
    _case("GET", "/", status=404, id="route-root"),
    _case("POST", "/api/users/1", {}, status=404, id="route-user-id"),
    _case("GET", "/api/users", status=405, id="method-get-users"),
    _case("PUT", "/api/cleanup", {"all": True}, status=405, id="method-put-cleanup"),
    _case("POST", "/api/health", {}, status=405, id="method-post-health"),
    _case("DELETE", "/api/scenarios/empty-cart", status=405, id="method-delete-scenario"),
    _case("PATCH", "/api/orders", {}, status=405, id="method-patch-orders"),
]


def _template(app_routes: list[Any], method: str, path: str) -> str | None:
    """The documented path of the route serving ``method path`` (None when none does)."""
    scope = {"type": "http", "method": method, "path": path.split("?")[0]}
    for route in app_routes:
        if isinstance(route, Route):
            match, _ = route.matches(scope)
            if match.name == "FULL":
                return route.path
    return None


@pytest.mark.parametrize(
    ("method", "path", "body", "ctype", "headers", "status"), [*BODIES, *FIELDS]
)
async def test_bad_input_gets_a_documented_4xx(
    client: httpx2.AsyncClient,
    test_manager: tdm.Manager,
    method: str,
    path: str,
    body: bytes | None,
    ctype: str | None,
    headers: dict[str, str],
    status: int,
) -> None:
    """The expected 4xx with the error shape, documented for that operation; nothing tracked."""
    sent = dict(headers)
    if ctype is not None:
        sent["Content-Type"] = ctype
    answer = await client.request(method, path, content=body, headers=sent)
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/json"
    assert_error_shape(answer.json())
    if status == 404 and "scenarios" in path:
        assert "user-with-orders" in answer.json()["known"]
    if status == 422 and answer.json()["error"] == "validation_error":
        assert answer.json()["fields"], "a validation error names its fields"
    routes = client._transport.app.routes  # type: ignore[attr-defined]
    template = _template(routes, method, path)
    if template is not None:
        documented = openapi_document(test_manager.catalog)["paths"][template][method.lower()]
        assert str(status) in documented["responses"]
    assert await test_manager.ledger.count() == 0


async def test_bad_order_lines_for_a_real_user(
    client: httpx2.AsyncClient, test_manager: tdm.Manager
) -> None:
    """Order lines the shop refuses answer 422 (no such product, zero quantity) or 409 (more
    than in stock); nothing of the refused orders stays tracked."""
    (user,) = (await client.post("/api/users", json={})).json()["users"]
    (product,) = (await client.post("/api/products", json={"stock": 5})).json()["products"]
    made = await test_manager.ledger.count()
    for items, status in (
        ([{"productId": 999_999}], 422),
        ([{"productId": product["id"], "quantity": 0}], 422),
        ([{"productId": product["id"], "quantity": 6}], 409),
    ):
        answer = await client.post("/api/orders", json={"userId": user["id"], "items": items})
        assert answer.status_code == status, answer.text
        assert_error_shape(answer.json())
    assert await test_manager.ledger.count() == made


async def test_405_names_the_allowed_method(client: httpx2.AsyncClient) -> None:
    """A wrong method says which one is allowed, in the text and the Allow header."""
    answer = await client.get("/api/cleanup")
    assert answer.status_code == 405
    assert answer.headers["allow"] == "DELETE"
    assert "allowed: DELETE" in answer.json()["detail"]


async def test_a_validation_error_names_every_field(client: httpx2.AsyncClient) -> None:
    """All bad fields at once, each with what was expected and what arrived."""
    answer = await client.post(
        "/api/scenarios/user-with-orders",
        json={"parameters": {"orderCount": 0, "orderStatus": "lost", "extra": True}},
    )
    fields = {f["field"]: f for f in answer.json()["fields"]}
    assert set(fields) == {"orderCount", "orderStatus", "extra"}
    assert fields["orderCount"]["expected"] == "an integer from 1 to 10"
    assert fields["orderCount"]["got"] == 0
    assert fields["orderStatus"]["got"] == "lost"


async def test_got_is_shortened(client: httpx2.AsyncClient) -> None:
    """A huge bad value is not echoed back whole."""
    answer = await client.post("/api/users", json={"isAdmin": "y" * 100_000})
    (field,) = answer.json()["fields"]
    assert len(json.dumps(field["got"])) < 600
