"""The OpenAPI document describes exactly the routes the app has, and real answers fit it."""

from __future__ import annotations

import re
from typing import Any

import attrs
import httpx2
import hypothesis
import jsonschema
import pytest
from hypothesis import strategies as st
from mcp.server import MCPServer
from starlette.routing import Match, Route

import tdm
from tdm.boundary import (
    Forbidden,
    HeaderTooLarge,
    IdempotencyKeyInFlight,
    IdempotencyKeyReused,
    InvalidBody,
    MethodNotAllowed,
    MisdirectedRequest,
    NestedTooDeeply,
    PayloadTooLarge,
    RequestRefused,
    Unauthorized,
    UnsupportedMediaType,
    error_json,
    is_run_id,
)
from tdm_server import create_app, openapi_document
from tdm_server._openapi_shapes import ERROR_CODES, RUN_ID_PATTERN, SEED_PATTERN
from tdm_server._requests import MAX_SEED, TEST_ID_PATTERN

from ..support import Inspector


@pytest.fixture
def shop(sqlite_shop: Inspector) -> Inspector:
    return sqlite_shop


def _operations(app: Any) -> set[tuple[str, str]]:
    """The routes' paths (as documented: ``{run_id:path}`` is ``{run_id}``) and methods."""
    return {
        (route.path.replace(":path}", "}"), method.lower())
        for route in app.routes
        if isinstance(route, Route)
        for method in (route.methods or {"GET", "POST", "DELETE"})
        if method != "HEAD"
    }


def _served_by(app: Any, path: str, method: str) -> tuple[str, str] | None:
    """The route (its path, the method) that serves ``method path``; ``None`` for none."""
    scope = {"type": "http", "path": path, "root_path": "", "method": method.upper()}
    for route in app.routes:
        if isinstance(route, Route) and route.matches(scope)[0] == Match.FULL:
            return route.path.replace(":path}", "}"), method
    return None


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
    document = openapi_document(test_manager.catalog, mcp=with_mcp)
    documented = _documented(document)
    served = {_served_by(app, path, method) for path, method in documented}
    assert served == _operations(app)
    # Templated paths are the routes' own; the others are instances of them: each kind and
    # each scenario of the catalog, with its exact schemas.
    templated = {(p, m) for p, m in documented if "{" in p}
    assert templated == {(p, m) for p, m in _operations(app) if "{" in p}
    catalog = test_manager.catalog
    instances = {p for p, _ in documented - templated} - {p for p, _ in _operations(app)}
    assert instances == {f"/api/entities/{catalog.kind_name(k)}" for k in catalog.kinds} | {
        f"/api/scenarios/{catalog.scenario_name(s)}" for s in catalog.scenarios
    }
    assert ("/mcp", "post") in documented or not with_mcp


def test_every_reference_resolves(test_manager: tdm.Manager) -> None:
    """Each $ref points at a component that exists; the document is OpenAPI 3.1."""
    document = openapi_document(test_manager.catalog)
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


def _validate(document: dict[str, Any], schema: dict[str, Any], value: Any) -> None:
    jsonschema.Draft202012Validator(
        {**schema, "components": document["components"]},
        format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER,
    ).validate(value)


def _resolved(document: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    if "$ref" not in node:
        return node
    section, name = node["$ref"].removeprefix("#/components/").split("/")
    found: dict[str, Any] = document["components"][section][name]
    return found


def _check(document: dict[str, Any], path: str, method: str, answer: httpx2.Response) -> None:
    """``answer`` fits the schema the document gives for its status, at the templated path and
    at the kind's or scenario's own path when it has one; so do its documented headers."""
    paths = {path, answer.request.url.path} & set(document["paths"])
    assert paths, path
    for documented in paths:
        responses = document["paths"][documented][method]["responses"]
        assert str(answer.status_code) in responses, (documented, method, answer.text)
        response = _resolved(document, responses[str(answer.status_code)])
        content = response.get("content", {}).get("application/json")
        if content is not None:
            _validate(document, content["schema"], answer.json())
        for name, given in response.get("headers", {}).items():
            header = _resolved(document, given)
            assert name in answer.headers or not header["required"], name
            if name in answer.headers:
                _validate(document, header["schema"], answer.headers[name])


@pytest.mark.usefixtures("seeded")
async def test_answers_fit_the_document(client: httpx2.AsyncClient) -> None:
    """Successes and errors of each endpoint validate against the documented schemas."""
    document = (await client.get("/api/openapi.json")).json()
    users = await client.post("/api/users", json={"count": 2})
    user_id = users.json()["users"][0]["id"]
    big = b'{"x": "' + b"a" * (2 * 1024 * 1024) + b'"}'
    form = {"content-type": "application/x-www-form-urlencoded"}
    calls = [
        ("/api/seed", "post", await client.post("/api/seed")),
        ("/api/seed", "post", await client.post("/api/seed", content=b"{")),
        ("/api/seed", "post", await client.post("/api/seed", content=b"a=1", headers=form)),
        ("/api/seed", "post", await client.post("/api/seed", content=big)),
        ("/api/users", "post", users),
        ("/api/users", "post", await client.post("/api/users", json={"count": 0})),
        ("/api/users", "post", await client.post("/api/users", headers={"X-TDM-Seed": "-1"})),
        ("/api/products", "post", await client.post("/api/products", json={"price": 5})),
        ("/api/orders", "post", await client.post("/api/orders", json={"userId": user_id})),
        ("/api/entities/{kind}", "post", await client.post("/api/entities/category")),
        ("/api/entities/{kind}", "post", await client.post("/api/entities/nope")),
        ("/api/scenarios", "get", await client.get("/api/scenarios")),
        ("/api/scenarios/{name}", "get", await client.get("/api/scenarios/empty-cart")),
        ("/api/scenarios/{name}", "get", await client.get("/api/scenarios/nope")),
        ("/api/scenarios/{name}", "post", await client.post("/api/scenarios/cart-with-products")),
        ("/api/scenarios/{name}", "post", await client.post("/api/scenarios/nope")),
        ("/api/scenarios/{name}", "post", await client.post("/api/scenarios/same-email-twice")),
        ("/api/scenarios/{name}", "post", await client.post("/api/scenarios/broken-after-a-user")),
        ("/api/tracked", "get", await client.get("/api/tracked?limit=5")),
        ("/api/tracked", "get", await client.get("/api/tracked?limit=0")),
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
    statuses = {a.status_code for _, _, a in calls}
    assert statuses == {200, 201, 400, 404, 409, 413, 415, 422, 500}


async def test_an_unhealthy_answer_fits_the_document(
    test_manager: tdm.Manager, unused_tcp_port: int
) -> None:
    """Health answers 503 when the shop cannot be reached, in the documented shape."""
    nowhere = f"http://127.0.0.1:{unused_tcp_port}"
    env = {"AUTH_SERVICE_URL": nowhere, "BACKEND_URL": nowhere}
    manager = tdm.Manager(
        attrs.evolve(test_manager.settings, env=env), registry=test_manager.catalog,
        ledger=test_manager.ledger,
    )  # fmt: skip
    app = create_app(manager)
    async with (
        app.router.lifespan_context(app),
        httpx2.AsyncClient(
            transport=httpx2.ASGITransport(app=app), base_url="http://127.0.0.1"
        ) as c,
    ):
        answer = await c.get("/api/health")
    assert answer.status_code == 503
    _check(openapi_document(manager.catalog), "/api/health", "get", answer)


TOKEN = "openapi-token-" + "0123456789abcdef"
DEEP = b"[" * 65 + b"]" * 65


def _filled(path: str) -> str:
    filled = path.replace("{kind}", "user").replace("{name}", "user-with-orders")
    return filled.replace("{run_id}", "openapi-run")


@pytest.mark.usefixtures("seeded")
async def test_the_access_checks_answers_fit_the_document(test_manager: tdm.Manager) -> None:
    """Every operation (``/mcp`` too) answers as documented when the access checks refuse: a
    foreign Host 421, a foreign Origin 403, a header too large 431, a browser's body that is
    not JSON 415, no token 401 (health excepted: it needs none), a JSON body nested too deep
    422; each in the error shape, with ``Cache-Control: no-store``."""
    env = {**test_manager.settings.env, "TDM_API_TOKEN": TOKEN}
    manager = tdm.Manager(test_manager.settings.evolve(env=env), registry=test_manager.catalog,
                          ledger=test_manager.ledger)  # fmt: skip
    app = create_app(manager, mcp_server=MCPServer("x"))
    document = openapi_document(manager.catalog, mcp=True, token=True)
    token = {"authorization": f"Bearer {TOKEN}"}
    browser = {"origin": "http://127.0.0.1", "content-type": "text/plain", **token}
    refusals: list[tuple[dict[str, str], bytes | None, int, str]] = [
        ({"host": "evil.example", **token}, None, 421, "misdirected_request"),
        ({"origin": "http://evil.example", **token}, None, 403, "forbidden"),
        ({"x-padding": "a" * 9000, **token}, None, 431, "header_too_large"),
        (browser, b"x", 415, "unsupported_media_type"),
        ({}, None, 401, "unauthorized"),
    ]
    seen: set[int] = set()
    async with (
        app.router.lifespan_context(app),
        httpx2.AsyncClient(
            transport=httpx2.ASGITransport(app=app), base_url="http://127.0.0.1"
        ) as client,
    ):
        for path, method in sorted(_documented(document)):
            operation = document["paths"][path][method]
            cases = list(refusals)
            if "requestBody" in operation or (path, method) == ("/mcp", "post"):
                json_body = {"content-type": "application/json", **token}
                cases.append((json_body, DEEP, 422, "nested_too_deeply"))
            for headers, body, status, code in cases:
                answer = await client.request(
                    method.upper(), _filled(path), headers=headers, content=body
                )
                if path == "/api/health" and status == 401:
                    assert answer.status_code == 200, answer.text  # no token needed
                    assert "401" not in operation["responses"]
                else:
                    assert (answer.status_code, answer.json()["error"]) == (status, code), (
                        method, path, answer.text,
                    )  # fmt: skip
                    seen.add(status)
                assert answer.headers["cache-control"] == "no-store"
                _check(document, path, method, answer)
    assert seen == {401, 403, 415, 421, 422, 431}


def test_without_tokens_nothing_needs_one(test_manager: tdm.Manager) -> None:
    """A server without ``TDM_API_TOKEN`` documents no 401 and no security; with tokens,
    every operation but health needs the bearer scheme."""
    open_document = openapi_document(test_manager.catalog, mcp=True)
    assert "security" not in open_document
    assert "securitySchemes" not in open_document["components"]
    for path, method in _documented(open_document):
        assert "401" not in open_document["paths"][path][method]["responses"], (path, method)
    secured = openapi_document(test_manager.catalog, mcp=True, token=True)
    scheme = secured["components"]["securitySchemes"]["bearerAuth"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    assert secured["security"] == [{"bearerAuth": []}]
    for path, method in _documented(secured):
        operation = secured["paths"][path][method]
        if path == "/api/health":
            assert (operation["security"], "401" in operation["responses"]) == ([], False)
        else:
            assert "security" not in operation, (path, method)  # the document's applies
            assert "401" in operation["responses"], (path, method)


async def test_a_method_a_path_does_not_take_is_405_listing_the_documented_ones(
    client: httpx2.AsyncClient, test_manager: tdm.Manager
) -> None:
    """Every documented path answers an undocumented method 405, in the error shape, with
    ``Allow`` naming exactly the methods the document gives it (HEAD comes with GET)."""
    document = openapi_document(test_manager.catalog)
    for path, item in document["paths"].items():
        documented = {m.upper() for m in item}
        answer = await client.request("PATCH", path.replace("{", "").replace("}", ""))
        assert answer.status_code == 405, path
        allowed = {m.strip() for m in answer.headers["allow"].split(",")}
        assert allowed == documented | ({"HEAD"} if "GET" in documented else set()), path
        _validate(document, document["components"]["schemas"]["Error"], answer.json())
        assert set(answer.json()["allowed"]) == allowed


def _errors() -> list[BaseException]:
    """One of each error tdm renders, with every detail its class adds."""
    report = tdm.CleanupReport(
        deleted={"users": 1}, already_gone=1,
        failures=[tdm.Leftover("t1", "user", "7", "the shop answered 500")],
        unverified=[tdm.Leftover("t2", "order", None, "not found yet", kept=False)],
        not_tracked=["t3"],
    )  # fmt: skip
    problem = tdm.FieldProblem(("items", 0, "product_id"), "an integer", "x")
    conflict = tdm.TargetError("backend", "taken", status=409)
    return [
        tdm.ConfigError("TDM_CONCURRENCY", "x", "a whole number"),
        tdm.TargetNotAllowed("https://shop.example.com", "shop.example.com",
                             setting="BACKEND_URL"),
        tdm.TargetNotAllowed("https://db.example.com/x", "db.example.com", reason="refused"),
        tdm.KindCheckFailed("user", "find by natural key", "found 2 entities"),
        tdm.DefinitionError("a kind without a name"),
        tdm.NotFound("scenario", "nope", ["a", "b"]),
        tdm.AmbiguousName("entity kind", "category", ["shop", "library"]),
        tdm.InvalidParameters("POST /api/users", [problem], naming="json"),
        InvalidBody("not JSON"),
        MethodNotAllowed("PUT is not allowed", ["GET", "HEAD"]),
        PayloadTooLarge("too large"),
        UnsupportedMediaType("not JSON"),
        Unauthorized("no token"),
        Forbidden("another origin"),
        MisdirectedRequest("another host"),
        NestedTooDeeply("too deep"),
        HeaderTooLarge("too large"),
        IdempotencyKeyInFlight("still being served"),
        IdempotencyKeyReused("another request"),
        tdm.CreateFailed(conflict, report),
        tdm.ScenarioFailed("s", "step 2 (create order)", tdm.ScenarioFailed(
            "inner", "step 1", RuntimeError("bug"), report), report),
        conflict,
        tdm.TargetError("auth service", "refused", status=422),
        tdm.TargetError("backend", "failed", status=None, outcome="unknown"),
        tdm.TargetUnavailable("backend", "connection refused"),
        tdm.CannotDelete("no database URL"),
        tdm.CleanupIncomplete(report),
        tdm.ServerError(418, "teapot", "short and stout"),
        RuntimeError("a bug, rendered as internal_error"),
    ]  # fmt: skip


def _subclasses(cls: type) -> set[type]:
    return {c for sub in cls.__subclasses__() for c in {sub} | _subclasses(sub)}


def test_every_error_fits_the_error_schema(test_manager: tdm.Manager) -> None:
    """error_json of every error class validates against components/schemas/Error (which is
    closed: a detail key added to an error and not to the schema fails here)."""
    document = openapi_document(test_manager.catalog)
    errors = _errors()
    core = {c for c in _subclasses(tdm.TdmError) if c.__module__.split(".")[0] == "tdm"}
    assert core - {RequestRefused} <= {type(e) for e in errors}  # that one is only a base
    error = document["components"]["schemas"]["Error"]
    for exc in errors:
        _validate(document, error, error_json(exc))
    # The codes the API answers with are all listed: a server's own ServerError keeps the
    # code it was given, and check_kind's error is raised in Python only.
    spoken = {error_json(e)["error"] for e in errors
              if not isinstance(e, tdm.ServerError | tdm.KindCheckFailed)}  # fmt: skip
    assert spoken | {"http_error"} == set(ERROR_CODES)
    assert error["properties"]["error"]["examples"] == list(ERROR_CODES)


def test_the_core_shapes_fit_their_schemas(test_manager: tdm.Manager) -> None:
    """A cleanup report with leftovers of each sort and a health report with a check down."""
    document = openapi_document(test_manager.catalog)
    schemas = document["components"]["schemas"]
    report = _errors()[-3]
    assert isinstance(report, tdm.CleanupIncomplete)
    _validate(document, schemas["CleanupReport"], report.report.to_json())
    health = tdm.HealthReport(
        (tdm.CheckResult("backend", "shop", True, False, "refused"),), "/l.db"
    )
    _validate(document, schemas["HealthReport"], health.to_json())
    _validate(document, schemas["Catalog"], test_manager.catalog.to_json())


@hypothesis.given(st.text(max_size=140) | st.from_regex(RUN_ID_PATTERN))
def test_the_run_id_pattern_is_the_rule(text: str) -> None:
    """The document's run id pattern accepts exactly what ``is_run_id`` does."""
    assert _matches(RUN_ID_PATTERN, text) == is_run_id(text)


@hypothesis.given(st.integers(min_value=-10, max_value=2**64) | st.text(max_size=22))
def test_the_seed_pattern_is_the_rule(value: int | str) -> None:
    """The document's seed pattern accepts exactly the seeds ``read_headers`` does."""
    text = str(value)
    taken = text.isascii() and text.isdigit() and len(text) < 20 and int(text) <= MAX_SEED
    assert _matches(SEED_PATTERN, text) == taken


@hypothesis.given(st.text(alphabet=st.characters(max_codepoint=255), max_size=502))
def test_the_test_id_pattern_is_printable_text(text: str) -> None:
    """Test ids are 1 to 500 printable characters (of those a header carries)."""
    assert _matches(f"^{TEST_ID_PATTERN}$", text) == (0 < len(text) <= 500 and text.isprintable())


def _matches(pattern: str, text: str) -> bool:
    """``^...$`` as JSON Schema (ECMA-262) reads it: the whole text, a final newline too."""
    return re.fullmatch(pattern.removeprefix("^").removesuffix("$"), text) is not None
