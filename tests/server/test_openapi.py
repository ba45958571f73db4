"""The OpenAPI document describes exactly the routes the app has, and real answers fit it."""

from __future__ import annotations

from typing import Any

import httpx2
import jsonschema
import pytest
from mcp.server import MCPServer
from starlette.routing import Route

import tdm
from tdm_server import create_app, openapi_document

from ..support import Inspector


@pytest.fixture
def shop(sqlite_shop: Inspector) -> Inspector:
    return sqlite_shop


def _operations(app: Any) -> set[tuple[str, str]]:
    return {
        (route.path, method.lower())
        for route in app.routes
        if isinstance(route, Route)
        for method in (route.methods or {"GET", "POST", "DELETE"})
        if method != "HEAD"
    }


def _documented(document: dict[str, Any]) -> set[tuple[str, str]]:
    return {
        (path, method)
        for path, item in document["paths"].items()
        for method in item
        if method != "parameters"
    }


@pytest.mark.parametrize("with_mcp", [False, True], ids=["api", "api-and-mcp"])
def test_every_route_is_described_and_nothing_else(
    test_manager: tdm.Manager, with_mcp: bool
) -> None:
    """The paths and methods of the document are those of the app's routes."""
    app = create_app(test_manager, mcp_server=MCPServer("x") if with_mcp else None)
    document = openapi_document(test_manager.registry, mcp=with_mcp)
    assert _operations(app) == _documented(document)
    assert ("/mcp", "post") in _documented(document) or not with_mcp


def test_every_reference_resolves(test_manager: tdm.Manager) -> None:
    """Each $ref points at a component that exists; the document is OpenAPI 3.1."""
    document = openapi_document(test_manager.registry)
    assert document["openapi"] == "3.1.0"

    def refs(node: Any) -> list[str]:
        if isinstance(node, dict):
            own = [node["$ref"]] if "$ref" in node else []
            return own + [r for v in node.values() for r in refs(v)]
        if isinstance(node, list):
            return [r for v in node for r in refs(v)]
        return []

    for ref in refs(document):
        section, name = ref.removeprefix("#/components/").split("/")
        assert name in document["components"][section], ref


def _check(document: dict[str, Any], path: str, method: str, answer: httpx2.Response) -> None:
    """``answer``'s body fits the schema the document gives for its status."""
    responses = document["paths"][path][method]["responses"]
    response = responses[str(answer.status_code)]
    if "$ref" in response:
        response = document["components"]["responses"][response["$ref"].split("/")[-1]]
    schema = response["content"]["application/json"]["schema"]
    jsonschema.Draft202012Validator({**schema, "components": document["components"]}).validate(
        answer.json()
    )


@pytest.mark.usefixtures("seeded")
async def test_answers_fit_the_document(client: httpx2.AsyncClient) -> None:
    """Successes and errors of each endpoint validate against the documented schemas."""
    document = (await client.get("/api/openapi.json")).json()
    users = await client.post("/api/users", json={"count": 2})
    user_id = users.json()["users"][0]["id"]
    calls = [
        ("/api/seed", "post", await client.post("/api/seed")),
        ("/api/users", "post", users),
        ("/api/users", "post", await client.post("/api/users", json={"count": 0})),
        ("/api/products", "post", await client.post("/api/products", json={"price": 5})),
        ("/api/orders", "post", await client.post("/api/orders", json={"userId": user_id})),
        ("/api/scenarios", "get", await client.get("/api/scenarios")),
        ("/api/scenarios/{name}", "get", await client.get("/api/scenarios/empty-cart")),
        ("/api/scenarios/{name}", "post", await client.post("/api/scenarios/cart-with-products")),
        ("/api/scenarios/{name}", "post", await client.post("/api/scenarios/nope")),
        ("/api/scenarios/{name}", "post", await client.post("/api/scenarios/same-email-twice")),
        ("/api/tracked", "get", await client.get("/api/tracked?limit=5")),
        ("/api/health", "get", await client.get("/api/health")),
        (
            "/api/cleanup",
            "delete",
            await client.request("DELETE", "/api/cleanup", json={"all": True}),
        ),
        ("/api/cleanup", "delete", await client.request("DELETE", "/api/cleanup", json={})),
    ]
    for path, method, answer in calls:
        _check(document, path, method, answer)
    assert {a.status_code for _, _, a in calls} == {200, 201, 404, 409, 422}
