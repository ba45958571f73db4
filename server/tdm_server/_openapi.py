"""``GET /api/openapi.json``: an OpenAPI 3.1 description of what this server does.

Written by hand next to the handlers (a test checks that every route is described and that
every described operation is a route); the entity kinds' fields come from the registry.
"""

from __future__ import annotations

import typing
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import attrs

import tdm

from ._cleanup import MAX_TRACKING_IDS
from ._entities import MAX_COUNT
from ._requests import MAX_BODY, RUN_ID_HEADER, SEED_HEADER, TEST_ID_HEADER
from ._tracked import DEFAULT_LIMIT, MAX_LIMIT, MAX_OFFSET

__all__ = ["openapi_document"]

_REF = "#/components/schemas/"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": _REF + name}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


_ERRORS = {
    400: "Malformed JSON, or a body that is not a JSON object (invalid_json)",
    404: "Nothing by that name (not_found; lists the known names in `known`)",
    409: "The system under test refused a value that must be unique (conflict)",
    413: f"The body is larger than {MAX_BODY} bytes (payload_too_large)",
    415: "The body is neither declared nor parseable as JSON (unsupported_media_type)",
    422: "A field is missing, unknown, of the wrong type or out of range (validation_error), "
    "or the system under test refused the values (target_rejected)",
    500: "A bug in a scenario (scenario_failed); never caused by input",
    502: "The system under test failed or refused tdm's own credentials (target_error)",
    503: "The system under test cannot be reached (target_unavailable) or a setting is "
    "unusable (misconfigured)",
}
_WRITE_ERRORS = (400, 413, 415, 422)
_TARGET_ERRORS = (409, 502, 503)


def _errors(*statuses: int) -> dict[str, Any]:
    return {str(s): {"$ref": f"#/components/responses/E{s}"} for s in statuses}


def _response_headers() -> dict[str, Any]:
    return {
        RUN_ID_HEADER: {"description": "The run the entities are tracked under",
                        "schema": {"type": "string"}},
        SEED_HEADER: {"description": "The seed of the generated values (send it back in "
                      f"{SEED_HEADER} to replay)", "schema": {"type": "string"}},
    }  # fmt: skip


_SESSION_HEADERS = [{"$ref": f"#/components/parameters/{n}"} for n in ("RunId", "TestId", "Seed")]


def _post(
    summary: str,
    body: dict[str, Any] | None,
    status: int,
    result: dict[str, Any],
    errors: tuple[int, ...],
    *,
    description: str = "",
) -> dict[str, Any]:
    operation: dict[str, Any] = {"summary": summary, "parameters": list(_SESSION_HEADERS)}
    if description:
        operation["description"] = description
    if body is not None:
        operation["requestBody"] = {
            "required": False,
            "content": {"application/json": {"schema": body}},
        }
    ok = _json(result, "Created" if status == 201 else "Done")
    ok["headers"] = _response_headers()
    operation["responses"] = {str(status): ok, **_errors(*errors)}
    return operation


def _field_schema(tp: Any) -> dict[str, Any]:
    schema = tdm.Parameter("field", tp).schema()
    schema.pop("default", None)
    return schema


def _kind_fields(kind: tdm.Kind[Any, Any, Any]) -> dict[str, Any]:
    """The fields a caller may set for ``kind``: every field of its spec, each optional."""
    properties = {tdm.camel(a.name): _field_schema(a.type) for a in attrs.fields(kind.spec)}
    return {"type": "object", "properties": properties, "additionalProperties": False}


def _entity_schema(kind: tdm.Kind[Any, Any, Any]) -> dict[str, Any]:
    """What the kind creates, when its class names an attrs class as ``Kind[C, S, E]``'s E."""
    for base in getattr(type(kind), "__orig_bases__", ()):
        args = typing.get_args(base)
        if len(args) == 3 and attrs.has(args[2]):
            return _field_schema(args[2])
    return {"type": "object"}


def _kind_schemas(registry: tdm.Registry) -> dict[str, Any]:
    """``{Kind}Fields`` (what a caller may set) and ``{Kind}`` (what is created) per kind."""
    schemas: dict[str, Any] = {}
    for name, kind in registry.kinds.items():
        title = name[:1].upper() + name[1:]
        schemas[f"{title}Fields"] = _kind_fields(kind)
        schemas[title] = _entity_schema(kind)
    return schemas


def _request_schemas(kinds: dict[str, Any]) -> dict[str, Any]:
    """The bodies of POST /api/users, /api/products and /api/orders."""
    loose = {"type": "object"}
    count = {"type": "integer", "minimum": 1, "maximum": MAX_COUNT, "default": 1,
             "description": "How many to create, each with its own generated values"}  # fmt: skip
    users, products, orders = (
        dict(kinds.get(f"{name}Fields", loose)) for name in ("User", "Product", "Order")
    )
    users["properties"] = {**users.get("properties", {}), "count": count}
    products["properties"] = {**products.get("properties", {}), "count": count}
    orders["properties"] = {**orders.get("properties", {}), "userId": {"type": "integer"}}
    orders["required"] = ["userId"]
    return {"UsersRequest": users, "ProductsRequest": products, "OrderRequest": orders}


def _schemas(registry: tdm.Registry) -> dict[str, Any]:
    nullable_string = {"type": ["string", "null"]}
    kinds = _kind_schemas(registry)
    return {
        "FieldProblem": {
            "type": "object",
            "required": ["field", "expected", "got", "message"],
            "properties": {
                "field": {"type": "string"},
                "expected": {"type": "string"},
                "got": {"description": "The value that arrived (shortened when large)"},
                "message": {"type": "string"},
            },
        },
        "Error": {
            "type": "object",
            "required": ["error", "detail", "fields"],
            "properties": {
                "error": {"type": "string", "description": "A code such as validation_error"},
                "detail": {"type": "string"},
                "fields": {"type": "array", "items": _ref("FieldProblem")},
                "known": {"type": "array", "items": {"type": "string"}},
                "target": {"type": "string"},
                "targetStatus": {"type": ["integer", "null"]},
                "scenario": {"type": "string"},
                "step": {"type": "string"},
                "cause": {"type": "object"},
                "cleanup": _ref("CleanupResult"),
            },
        },
        "CleanupResult": {
            "type": "object",
            "required": ["deleted", "alreadyGone", "failed"],
            "properties": {
                "deleted": {"type": "object", "additionalProperties": {"type": "integer"},
                            "description": "Entities now gone, per type (users, orders, ...)"},
                "alreadyGone": {"type": "integer"},
                "failed": {"type": "array", "items": {
                    "type": "object",
                    "required": ["trackingId", "entityType", "entityId", "reason"],
                    "properties": {
                        "trackingId": {"type": "string"}, "entityType": {"type": "string"},
                        "entityId": nullable_string, "reason": {"type": "string"},
                    },
                }},
            },
        },
        "Health": {
            "type": "object",
            "required": ["status", "dependencies"],
            "properties": {
                "status": {"enum": ["healthy", "degraded", "unhealthy"]},
                "dependencies": {"type": "object",
                                 "additionalProperties": {"enum": ["up", "down"]}},
            },
        },
        "Scenario": {
            "type": "object",
            "required": ["name", "summary", "description", "parameters"],
            "properties": {
                "name": {"type": "string"},
                "summary": {"type": "string"},
                "description": {"type": "string"},
                "parameters": {"type": "object", "description": "JSON Schema (camelCase)"},
            },
        },
        "TrackedRecord": {
            "type": "object",
            "properties": {
                "trackingId": {"type": "string"}, "entityType": {"type": "string"},
                "entityId": nullable_string, "label": nullable_string,
                "state": {"enum": ["pending", "created"]}, "target": {"type": "string"},
                "runId": {"type": "string"}, "sessionId": {"type": "string"},
                "testId": nullable_string, "scenario": nullable_string,
                "parameters": {"type": ["object", "null"]}, "seed": {"type": ["integer", "null"]},
                "createdAt": {"type": "string", "format": "date-time"},
                "attempts": {"type": "integer"}, "lastError": nullable_string,
                "lookup": {"type": ["object", "null"]},
                "dependsOn": {"type": "array", "items": {"type": "object", "properties": {
                    "entityType": {"type": "string"}, "entityId": {"type": "string"}}}},
            },
        },
        **kinds,
        **_request_schemas(kinds),
        **{name: {"type": "object"} for name in ("User", "Product", "Order") if name not in kinds},
    }  # fmt: skip


def _parameters() -> dict[str, Any]:
    return {
        "RunId": {"name": RUN_ID_HEADER, "in": "header", "required": False,
                  "description": "The run to track created entities under, so that one "
                  "cleanup by runId removes them all (default: the server's run)",
                  "schema": {"type": "string", "pattern": "^[A-Za-z0-9._:/@+-]{1,128}$"}},
        "TestId": {"name": TEST_ID_HEADER, "in": "header", "required": False,
                   "description": "The test the entities are for (kept in the ledger)",
                   "schema": {"type": "string", "maxLength": 500}},
        "Seed": {"name": SEED_HEADER, "in": "header", "required": False,
                 "description": "Seed of the generated values: the same seed makes the same "
                 "data again", "schema": {"type": "string", "pattern": "^[0-9]{1,19}$"}},
    }  # fmt: skip


def _query(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": schema,
            "description": description}  # fmt: skip


def _paths(mcp: bool) -> dict[str, Any]:
    name = {"name": "name", "in": "path", "required": True, "schema": {"type": "string"}}
    entities = (*_WRITE_ERRORS, 404, *_TARGET_ERRORS)
    paths: dict[str, Any] = {
        "/api/seed": {"post": _post(
            "Seed the baseline data (idempotent)",
            {"type": "object", "properties": {"force": {"type": "boolean", "default": False}},
             "additionalProperties": False},
            200,
            {"type": "object", "properties": {
                "seeded": {"type": "boolean"}, "users": {"type": "integer"},
                "products": {"type": "integer"}, "categories": {"type": "integer"}}},
            entities,
            description="Runs the `baseline` scenario; its entities are tracked under the run "
            "`baseline` whatever X-TDM-Run-Id says.",
        )},
        "/api/users": {"post": _post(
            "Create one or more users",
            _ref("UsersRequest"),
            201,
            {"type": "object", "required": ["users", "trackingIds"], "properties": {
                "users": {"type": "array", "items": _ref("User")},
                "trackingIds": {"type": "array", "items": {"type": "string"}}}},
            entities,
        )},
        "/api/products": {"post": _post(
            "Create one or more products",
            _ref("ProductsRequest"),
            201,
            {"type": "object", "required": ["products", "trackingIds"], "properties": {
                "products": {"type": "array", "items": _ref("Product")},
                "trackingIds": {"type": "array", "items": {"type": "string"},
                                "description": "Everything created, a category included "
                                "when one had to be made"}}},
            entities,
        )},
        "/api/orders": {"post": _post(
            "Create an order for a user",
            _ref("OrderRequest"),
            201,
            {"type": "object", "required": ["order", "trackingId", "trackingIds"],
             "properties": {
                 "order": _ref("Order"), "trackingId": {"type": "string"},
                 "trackingIds": {"type": "array", "items": {"type": "string"},
                                 "description": "Everything created, products included "
                                 "when some had to be made"}}},
            entities,
            description="userId must be a user tdm created (in this server process) or a "
            "baseline user: the order is placed as that user.",
        )},
        "/api/scenarios": {"get": {
            "summary": "The scenario catalog",
            "responses": {"200": _json(
                {"type": "object", "required": ["scenarios"], "properties": {
                    "scenarios": {"type": "array", "items": _ref("Scenario")}}},
                "Every scenario with its parameters' JSON Schema")},
        }},
        "/api/scenarios/{name}": {
            "get": {
                "summary": "One scenario of the catalog",
                "parameters": [name],
                "responses": {"200": _json(_ref("Scenario"), "The scenario"), **_errors(404)},
            },
            "post": {**_post(
                "Run a scenario",
                {"type": "object", "additionalProperties": False, "properties": {
                    "parameters": {"type": ["object", "null"],
                                   "description": "The scenario's parameters (camelCase)"}}},
                201,
                {"type": "object", "required": ["data", "trackingIds"], "properties": {
                    "data": {"description": "What the scenario returns"},
                    "trackingIds": {"type": "array", "items": {"type": "string"}}}},
                (*entities, 500),
                description="A scenario that fails halfway removes what it created; the "
                "error (scenario_failed) names the step and has the cleanup report.",
            ), "parameters": [name, *_SESSION_HEADERS]},
        },
        "/api/cleanup": {"delete": {
            "summary": "Remove tracked entities",
            "description": "Select by trackingIds, runId, olderThan or all: true; selections "
            "combine. olderThan alone spares the run `baseline` (name it in runId to include "
            "it). A body sent as application/x-www-form-urlencoded (curl -d) is accepted when "
            "it parses as JSON.",
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "additionalProperties": False, "properties": {
                    "trackingIds": {"type": "array", "items": {"type": "string"},
                                    "maxItems": MAX_TRACKING_IDS},
                    "all": {"type": "boolean"},
                    "olderThan": {"type": "string", "examples": ["90s", "15m", "1h", "2d"]},
                    "runId": {"type": "string", "minLength": 1}}}}}},
            "responses": {"200": _json(_ref("CleanupResult"), "What was removed and what "
                                       "is left (still tracked)"),
                          **_errors(*_WRITE_ERRORS, 503)},
        }},
        "/api/health": {"get": {
            "summary": "Health of tdm's dependencies",
            "responses": {"200": _json(_ref("Health"), "healthy or degraded"),
                          "503": _json(_ref("Health"), "unhealthy")},
        }},
        "/api/tracked": {"get": {
            "summary": "The ledger: tracked entities, oldest first",
            "parameters": [
                _query("runId", {"type": "string", "minLength": 1}, "Only this run"),
                _query("entityType", {"type": "string"}, "Only this entity type"),
                _query("limit", {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT,
                                 "default": DEFAULT_LIMIT}, "Page size"),
                _query("offset", {"type": "integer", "minimum": 0, "maximum": MAX_OFFSET,
                                  "default": 0}, "Records to skip"),
            ],
            "responses": {"200": _json({"type": "object", "required": [
                "items", "total", "limit", "offset"], "properties": {
                    "items": {"type": "array", "items": _ref("TrackedRecord")},
                    "total": {"type": "integer"}, "limit": {"type": "integer"},
                    "offset": {"type": "integer"}}}, "A page of records"),
                **_errors(422)},
        }},
        "/api/openapi.json": {"get": {
            "summary": "This document",
            "responses": {"200": _json({"type": "object"}, "OpenAPI 3.1")},
        }},
    }  # fmt: skip
    if mcp:
        operation = {
            "summary": "The MCP endpoint (streamable HTTP transport)",
            "responses": {"200": {"description": "See the MCP specification"}},
        }
        paths["/mcp"] = {m: dict(operation) for m in ("get", "post", "delete")}
    return paths


def _version() -> str:
    try:
        return version("tdm")
    except PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        return "0"


def openapi_document(registry: tdm.Registry, *, mcp: bool = False) -> dict[str, Any]:
    """The OpenAPI 3.1 document of a server on ``registry`` (with ``/mcp`` when mounted)."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "tdm, the Test Data Manager",
            "version": _version(),
            "description": "Create realistic test data through a system's own APIs, track "
            "every entity, remove exactly those again. Errors are JSON "
            "{error, detail, fields}.",
        },
        "paths": _paths(mcp),
        "components": {
            "schemas": _schemas(registry),
            "parameters": _parameters(),
            "responses": {
                f"E{status}": _json(_ref("Error"), text) for status, text in _ERRORS.items()
            },
        },
    }
