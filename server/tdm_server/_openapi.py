"""``GET /api/openapi.json``: the OpenAPI 3.1 document of this server, generated.

Nothing in it is written twice: request bodies are the ``Parameters`` the handlers validate
with (``SEED_BODY``, ``RUN_BODY`` and each scenario's parameters, ``entity_parameters`` for
each kind and registry endpoint, ``tdm.boundary.SELECTION``); answers are the core's shapes
(``_openapi_shapes``) and the catalog's schemas (``_openapi_catalog``); headers and query
parameters carry the bounds ``_requests`` and ``_tracked`` enforce. Besides the templated
``/api/entities/{kind}`` and ``/api/scenarios/{name}``, each kind and scenario of the catalog
has its own path with its exact schemas (what client generators and fuzzers need: a body's
schema cannot depend on a path parameter).

The access checks (``_access``) answer before any handler, so every operation documents them:
403, 415, 421 and 431 (and 413 and 422 on ``POST /mcp``, whose body they read); 401 and the
bearer security scheme only when the server has tokens (``TDM_API_TOKEN``), on every operation
but health; and ``Cache-Control: no-store`` on every answer.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import Any

import tdm
from tdm.boundary import RUN_ID_RULE, SELECTION, Endpoint, camel

from ._access import HOSTS_SETTING, OPEN_PATHS, ORIGINS_SETTING, TOKEN_SETTING
from ._entities import MAX_COUNT
from ._limits import MAX_DEPTH, MAX_HEADER_VALUE, MAX_HEADERS
from ._openapi_catalog import CatalogSchemas, component_name, operation_id
from ._openapi_shapes import RUN_ID_PATTERN, SEED_PATTERN, SHAPES, ref
from ._requests import (
    MAX_BODY,
    RUN_ID_HEADER,
    SEED_HEADER,
    TEST_ID_HEADER,
    TEST_ID_PATTERN,
)
from ._runs import END_BODY, OPEN_BODY, RENEW_BODY
from ._seed import BASELINE, SEED_BODY
from ._tracked import DEFAULT_LIMIT, MAX_LIMIT, MAX_OFFSET

__all__ = ["openapi_document"]

_ERRORS = {
    400: "The body is not valid JSON, or not a JSON object (invalid_json)",
    401: f"The server needs a token ({TOKEN_SETTING}): the request sends none, or one it does "
    "not accept (unauthorized)",
    403: "A page of another origin: the Origin is neither the server's own nor listed in "
    f"{ORIGINS_SETTING} (forbidden)",
    404: "Nothing by that name (not_found; `known` lists the names there are)",
    405: "The route does not take this method (method_not_allowed; `Allow` lists those it takes)",
    409: "The system under test refused a value that must be unique (conflict), or a request "
    "with this Idempotency-Key is still being served (idempotency_key_in_flight)",
    413: f"The body is larger than {MAX_BODY} bytes (payload_too_large)",
    415: "The body is neither declared nor parseable as JSON, or a browser's request (it has an "
    "Origin) sends a body that is not application/json (unsupported_media_type)",
    421: "The Host is not a loopback name, an IP address or listed in "
    f"{HOSTS_SETTING} (misdirected_request: a guard against DNS rebinding)",
    422: "A field, header or query parameter is missing, unknown, of the wrong type or out of "
    "range (validation_error, naming each in `fields`), a name is ambiguous (ambiguous_name), "
    "the system under test refused the values (target_rejected), the Idempotency-Key was "
    "sent with another request (idempotency_key_reused), or a JSON body nests arrays "
    f"and objects deeper than {MAX_DEPTH} levels (nested_too_deeply)",
    431: f"A header value is over {MAX_HEADER_VALUE} bytes, or the headers are over "
    f"{MAX_HEADERS} bytes together (header_too_large)",
    500: "The scenario failed in its own code (scenario_failed); what it had created is "
    "removed again (`cleanup`)",
    502: "The system under test failed, or refused tdm's own credentials (target_error)",
    503: "The system under test cannot be reached (target_unavailable), a setting is unusable "
    "(misconfigured), or the production guard refuses a system's URL (target_not_allowed)",
}
_BODY_ERRORS = (400, 413, 415, 422)
_TARGET_ERRORS = (409, 422, 502, 503)
_ACCESS_ERRORS = (403, 415, 421, 431)
"""What the access checks answer on every operation (415: a browser's body not JSON)."""
_MCP_BODY_ERRORS = (413, 422)
"""What ``/mcp`` answers a POST body before the MCP app sees it: too large, nested too deep."""
_BEARER = "bearerAuth"
_NO_STORE = "NoStore"


def _json(schema: dict[str, Any], description: str, **extra: Any) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}},
            **extra}  # fmt: skip


def _errors(*statuses: int) -> dict[str, Any]:
    return {str(s): {"$ref": f"#/components/responses/E{s}"} for s in sorted(set(statuses))}


def _body(schema: dict[str, Any], *, required: bool = False) -> dict[str, Any]:
    return {"required": required, "content": {"application/json": {"schema": schema}}}


_SESSION_HEADERS = [{"$ref": f"#/components/parameters/{n}"}
                    for n in ("RunId", "TestId", "Seed", "IdempotencyKey")]  # fmt: skip


def _header_parameters() -> dict[str, Any]:
    """The ``X-TDM-*`` request headers, with the bounds ``read_headers`` enforces."""
    return {
        "RunId": {"name": RUN_ID_HEADER, "in": "header", "required": False,
                  "description": "The run to track created entities under, so that one "
                  "cleanup by runId removes them all (default: the server's run). "
                  + RUN_ID_RULE,
                  "schema": {"type": "string", "pattern": RUN_ID_PATTERN}},
        "TestId": {"name": TEST_ID_HEADER, "in": "header", "required": False,
                   "description": "The test the entities are for (kept in the ledger): 1 to "
                   "500 printable characters",
                   "schema": {"type": "string", "pattern": f"^{TEST_ID_PATTERN}$"}},
        "Seed": {"name": SEED_HEADER, "in": "header", "required": False,
                 "description": "The seed of the generated values: the same seed makes the "
                 "same data again",
                 "schema": {"type": "string", "pattern": SEED_PATTERN}},
        "IdempotencyKey": {"name": "Idempotency-Key", "in": "header", "required": False,
                           "description": "Makes a retried create safe: the same key and "
                           "request get the first answer again (from any replica); another "
                           "request with the key is 422, one still being served 409",
                           "schema": {"type": "string", "pattern": "^[\\x21-\\x7e]{1,255}$"}},
    }  # fmt: skip


def _answer_headers() -> dict[str, Any]:
    return {
        RUN_ID_HEADER: {"description": "The run the entities are tracked under", "required": True,
                        "schema": {"type": "string", "pattern": RUN_ID_PATTERN}},
        SEED_HEADER: {"description": "The seed of the generated values (send it back in "
                      f"{SEED_HEADER} to make the same data again)", "required": True,
                      "schema": {"type": "string", "pattern": SEED_PATTERN}},
    }  # fmt: skip


def _session_operation(
    operation_id: str,
    summary: str,
    body: dict[str, Any],
    answer: tuple[int, dict[str, Any], str],
    errors: tuple[int, ...],
    *,
    description: str = "",
    parameters: tuple[dict[str, Any], ...] = (),
    body_required: bool = False,
    idempotent: bool = True,
) -> dict[str, Any]:
    """An operation that creates in a session: ``X-TDM-*`` headers in and out (and
    ``Idempotency-Key`` in, unless it is idempotent by itself)."""
    status, schema, words = answer
    operation: dict[str, Any] = {
        "operationId": operation_id,
        "summary": summary,
        "parameters": [*parameters, *(_SESSION_HEADERS if idempotent else _SESSION_HEADERS[:-1])],
        "requestBody": _body(body, required=body_required),
        "responses": {str(status): _json(schema, words, headers=_answer_headers()),
                      **_errors(*_BODY_ERRORS, *_TARGET_ERRORS, *errors)},
    }  # fmt: skip
    if description:
        operation["description"] = description
    return operation


def _path_parameter(name: str, description: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "description": description,
            "schema": {"type": "string"}}  # fmt: skip


def _query(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": schema,
            "description": description}  # fmt: skip


def _selection() -> dict[str, Any]:
    """``SELECTION``'s schema, with the rules ``Selection.parse`` adds: run ids and durations
    have a form, and at least one selection is given (everything takes ``all: true``)."""
    schema = SELECTION.schema()
    names = [p.json_name for p in SELECTION]
    schema["properties"][camel("run_id")]["pattern"] = RUN_ID_PATTERN
    schema["properties"][camel("older_than")]["pattern"] = r"^\s*(?:[0-9]+[smhdwSMHDW])+\s*$"
    schema["anyOf"] = [
        *({"required": [name]} for name in names if name != "all"),
        {"required": ["all"], "properties": {"all": {"const": True}}},
    ]
    return schema


_RUN_OPEN = OPEN_BODY.schema()
_RUN_OPEN["properties"]["runId"]["anyOf"][0]["pattern"] = RUN_ID_PATTERN
_RUN_RENEW = RENEW_BODY.schema()
_RUN_END = END_BODY.schema()
_RUN_END["properties"]["keep"]["anyOf"][0]["pattern"] = r"^\s*(?:[0-9]+[smhdwSMHDW])+\s*$"


def _requires(scenario: tdm.Scenario) -> bool:
    return any(p.required for p in scenario.parameters)


class _Paths:
    """The document's paths and components for one catalog."""

    def __init__(self, catalog: tdm.Catalog) -> None:
        self.catalog = catalog
        self.schemas = CatalogSchemas(catalog)
        self.paths: dict[str, Any] = {}

    def build(self, *, mcp: bool) -> dict[str, Any]:
        self.seed()
        self.entities()
        for endpoint in self.catalog.endpoints:
            self.endpoint(endpoint)
        self.scenarios()
        self.paths["/api/cleanup"] = {"delete": {
            "operationId": "cleanup",
            "summary": "Remove tracked entities",
            "description": "Select by trackingIds, runId, olderThan or all: true; selections "
            "combine. olderThan alone spares the run `baseline` (name it in runId to include "
            "it). Only what this server's ledger tracks is removed; what cannot be removed is "
            "listed in `failed` and stays tracked. A body sent as "
            "application/x-www-form-urlencoded (curl -d) is read when it parses as JSON.",
            "requestBody": _body(_selection(), required=True),
            "responses": {"200": _json(ref("CleanupReport"), "What was removed, and what is "
                                       "left"), **_errors(*_BODY_ERRORS, 503)},
        }}  # fmt: skip
        self.paths["/api/health"] = {"get": {
            "operationId": "health",
            "summary": "Health of the systems under test and of tdm's dependencies",
            "responses": {"200": _json(ref("HealthReport"), "healthy or degraded"),
                          "503": _json(ref("HealthReport"), "unhealthy: a required check "
                                       "failed")},
        }}  # fmt: skip
        self.paths["/api/tracked"] = {"get": self.tracked()}
        self.runs()
        self.paths["/api/openapi.json"] = {"get": {
            "operationId": "openapi",
            "summary": "This document",
            "responses": {"200": _json({"type": "object", "required": ["openapi", "info",
                                        "paths"]}, "OpenAPI 3.1")},
        }}  # fmt: skip
        if mcp:
            self.paths["/mcp"] = {m: {
                "operationId": f"mcp{m.title()}",
                "summary": "The MCP endpoint (streamable HTTP transport)",
                "responses": {"200": {"description": "See the MCP specification"},
                              **_errors(*_MCP_BODY_ERRORS * (m == "post"))},
            } for m in ("get", "post", "delete")}  # fmt: skip
        return self.paths

    def seed(self) -> None:
        answer = self.schemas.seeded()
        if answer is None:  # no registry has a baseline: the route only answers 404
            self.paths["/api/seed"] = {"post": {
                "operationId": "seed", "summary": "Seed the baseline data (none here)",
                "responses": _errors(404),
            }}  # fmt: skip
            return
        self.paths["/api/seed"] = {"post": _session_operation(
            "seed",
            "Seed the baseline data (idempotent)",
            SEED_BODY.schema(),
            (200, answer, "Seeded, or already there"),
            (500,),
            idempotent=False,
            description=f"Runs each registry's `{BASELINE}` scenario; its entities are "
            f"tracked under the run `{BASELINE}` whatever {RUN_ID_HEADER} says (a cleanup by "
            "run or age leaves them).",
        )}  # fmt: skip

    def entities(self) -> None:
        kinds = self.catalog.kinds
        names = ", ".join(self.catalog.kind_name(k) for k in kinds) or "none"
        body = {"anyOf": [self.schemas.create_body(k) for k in kinds]} if kinds else {}
        created = {"anyOf": [self.schemas.created(k) for k in kinds]} if kinds else {}
        kind = _path_parameter("kind", f"An entity kind of the catalog: {names}")
        self.paths["/api/entities/{kind}"] = {"post": _session_operation(
            "createEntities",
            "Create entities of any kind",
            body,
            (201, created, "Created"),
            (404,),
            description="The kind's fields in camelCase (each optional: tdm makes realistic "
            f"values for the rest) and `count` (1 to {MAX_COUNT}). Each kind also has its own "
            "path below, with its exact schemas.",
            parameters=(kind,),
        )}  # fmt: skip
        for k in kinds:
            name = self.catalog.kind_name(k)
            self.paths.setdefault(f"/api/entities/{name}", {"post": _session_operation(
                f"createEntities{component_name(name)}",
                f"Create entities of kind {name}",
                self.schemas.create_body(k),
                (201, self.schemas.created(k), "Created"),
                (),
                description=k.description,
            )})  # fmt: skip

    def endpoint(self, endpoint: Endpoint) -> None:
        kind = self.catalog.kind_in(endpoint.registry, endpoint.kind)
        what = "one" if endpoint.single else "one or more"
        required = ", ".join(camel(r) for r in endpoint.required)
        self.paths[endpoint.path] = {"post": _session_operation(
            operation_id(endpoint),
            f"Create {what} {self.catalog.kind_name(kind)}",
            self.schemas.endpoint_body(endpoint),
            (201, self.schemas.endpoint_answer(endpoint), "Created"),
            (),
            description=kind.description + (f" Requires {required}." if required else ""),
            body_required=bool(endpoint.required),
        )}  # fmt: skip

    def scenarios(self) -> None:
        scenarios = self.catalog.scenarios
        names = ", ".join(sorted(self.catalog.scenario_name(s) for s in scenarios)) or "none"
        self.paths["/api/scenarios"] = {"get": {
            "operationId": "listScenarios",
            "summary": "The catalog: registries, scenarios and entity kinds with their schemas",
            "responses": {"200": _json(ref("Catalog"), "The catalog")},
        }}  # fmt: skip
        name = _path_parameter("name", f"A scenario of the catalog: {names}")
        # A name several registries define is ambiguous (422) unless qualified.
        shared = len({s.name for s in scenarios}) < len(scenarios)
        show = {"200": _json(ref("Scenario"), "The scenario"), **_errors(404, *[422] * shared)}
        self.paths["/api/scenarios/{name}"] = {
            "get": {"operationId": "showScenario", "summary": "One scenario of the catalog",
                    "parameters": [name], "responses": show},
            "post": self.run("runScenario", "Run a scenario", scenarios, (name,), (404,)),
        }  # fmt: skip
        for s in scenarios:
            named = self.catalog.scenario_name(s)
            title = component_name(named)
            self.paths.setdefault(f"/api/scenarios/{named}", {
                "get": {"operationId": f"show{title}", "summary": f"The scenario {named}",
                        "responses": {"200": _json(ref("Scenario"), "The scenario")}},
                "post": self.run(f"run{title}", s.summary or f"Run {named}", [s], (), ()),
            })  # fmt: skip

    def run(
        self,
        operation_id: str,
        summary: str,
        scenarios: list[tdm.Scenario],
        parameters: tuple[dict[str, Any], ...],
        errors: tuple[int, ...],
    ) -> dict[str, Any]:
        return _session_operation(
            operation_id,
            summary,
            self.schemas.run_body(scenarios),
            (201, self.schemas.run_answer(scenarios), "Done: what the scenario returned"),
            (500, *errors),
            description="A scenario that fails halfway removes what it had created; the "
            "error names the step and carries the cleanup report.",
            parameters=parameters,
            body_required=len(scenarios) == 1 and _requires(scenarios[0]),
        )

    def runs(self) -> None:
        run_id = {"name": "run_id", "in": "path", "required": True, "description": RUN_ID_RULE,
                  "schema": {"type": "string", "pattern": RUN_ID_PATTERN}}  # fmt: skip
        answer = _json(ref("Run"), "The run, with its lease")
        self.paths["/api/runs"] = {
            "get": {
                "operationId": "listRuns",
                "summary": "Runs, newest first, with their leases",
                "parameters": [
                    _query(
                        "limit",
                        {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100},
                        "Page size",
                    ),
                    _query(
                        "offset",
                        {"type": "integer", "minimum": 0, "maximum": MAX_OFFSET, "default": 0},
                        "Runs to skip",
                    ),
                ],
                "responses": {
                    "200": _json(
                        {
                            "type": "object",
                            "additionalProperties": False,
                            "required": ["items", "limit", "offset"],
                            "properties": {
                                "items": {"type": "array", "items": ref("Run")},
                                "limit": {"type": "integer"},
                                "offset": {"type": "integer"},
                            },
                        },
                        "A page of runs",
                    ),
                    **_errors(422),
                },
            },
            "post": {
                "operationId": "openRun",
                "summary": "Hold a run (renew it with PUT .../lease)",
                "requestBody": _body(_RUN_OPEN),
                "responses": {"201": answer, **_errors(*_BODY_ERRORS)},
            },
        }
        self.paths["/api/runs/{run_id}/lease"] = {
            "put": {
                "operationId": "renewRun",
                "summary": "Renew a run's lease",
                "parameters": [run_id],
                "requestBody": _body(_RUN_RENEW),
                "responses": {"200": answer, **_errors(*_BODY_ERRORS)},
            }
        }
        self.paths["/api/runs/{run_id}"] = {"delete": {
            "operationId": "endRun",
            "summary": "End a run: what it left is kept `keep` long, or reaped",
            "parameters": [run_id], "requestBody": _body(_RUN_END),
            "responses": {"200": answer, **_errors(*_BODY_ERRORS)},
        }}  # fmt: skip

    def tracked(self) -> dict[str, Any]:
        kinds = sorted({k.name for k in self.catalog.kinds})
        return {
            "operationId": "tracked",
            "summary": "The ledger: tracked entities, oldest first",
            "parameters": [
                _query("runId", {"type": "string", "pattern": RUN_ID_PATTERN}, "Only this run"),
                _query("entityType", {"type": "string", "enum": kinds}, "Only this kind"),
                _query("limit", {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT,
                                 "default": DEFAULT_LIMIT}, "Page size"),
                _query("offset", {"type": "integer", "minimum": 0, "maximum": MAX_OFFSET,
                                  "default": 0}, "Records to skip"),
            ],
            "responses": {
                "200": _json({"type": "object", "additionalProperties": False,
                              "required": ["items", "total", "limit", "offset"], "properties": {
                                  "items": {"type": "array", "items": ref("TrackingRecord")},
                                  "total": {"type": "integer", "minimum": 0},
                                  "limit": {"type": "integer"}, "offset": {"type": "integer"},
                              }}, "A page of records"),
                **_errors(422),
            },
        }  # fmt: skip


def _guarded(paths: dict[str, Any], *, token: bool) -> None:
    """Add what the access checks answer to every operation of ``paths``: 403, 415, 421 and
    431; with ``token``, 401 on each operation that needs the token (the others say they need
    none: ``security: []``). Every answer carries ``Cache-Control: no-store``."""
    for path, item in paths.items():
        for operation in item.values():
            statuses = list(_ACCESS_ERRORS)
            if token and path in OPEN_PATHS:
                operation["security"] = []
            elif token:
                statuses.append(401)
            responses = {**operation["responses"], **_errors(*statuses)}
            operation["responses"] = dict(sorted(responses.items()))
            for response in responses.values():
                _no_store(response)


def _no_store(response: dict[str, Any]) -> None:
    """``Cache-Control: no-store`` among ``response``'s headers (a reference has its own)."""
    if "$ref" not in response:
        headers = response.setdefault("headers", {})
        headers["Cache-Control"] = {"$ref": f"#/components/headers/{_NO_STORE}"}


def _responses() -> dict[str, Any]:
    """The error answers, by status (``E404``), each with its headers."""
    responses = {f"E{s}": _json(ref("Error"), text) for s, text in _ERRORS.items()}
    responses["E401"]["headers"] = {"WWW-Authenticate": {
        "description": "The scheme to authenticate with", "required": True,
        "schema": {"type": "string", "pattern": "^Bearer "},
    }}  # fmt: skip
    responses["E405"]["headers"] = {"Allow": {
        "description": "The methods the route takes", "required": True,
        "schema": {"type": "string"},
    }}  # fmt: skip
    for response in responses.values():
        _no_store(response)
    return responses


def _security_schemes() -> dict[str, Any]:
    return {_BEARER: {
        "type": "http", "scheme": "bearer",
        "description": f"A token of {TOKEN_SETTING} (several, comma separated, rotate)",
    }}  # fmt: skip


def _version() -> str:
    try:
        return version("tdm")
    except PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        return "0"


def openapi_document(
    catalog: tdm.Catalog, *, mcp: bool = False, token: bool = False
) -> dict[str, Any]:
    """The OpenAPI 3.1 document of a server on ``catalog`` (with ``/mcp`` when mounted; with
    ``token`` when it has tokens, ``TDM_API_TOKEN``: every operation but health needs one)."""
    paths = _Paths(catalog)
    built = paths.build(mcp=mcp)
    _guarded(built, token=token)
    components: dict[str, Any] = {
        "schemas": {**SHAPES, **paths.schemas.schemas},
        "parameters": _header_parameters(),
        "headers": {_NO_STORE: {
            "description": "Answers are never cached", "required": True,
            "schema": {"type": "string", "const": "no-store"},
        }},
        "responses": _responses(),
    }  # fmt: skip
    document: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {
            "title": "tdm, the Test Data Manager",
            "version": _version(),
            "description": "Create realistic test data through a system's own APIs, track "
            "every entity, remove exactly those again. Every error is JSON {error, detail, "
            "fields} (components/schemas/Error); an unknown route answers 404 and a method a "
            "route does not take 405 (components/responses/E405), in that shape too. A server "
            f"started with {TOKEN_SETTING} needs `Authorization: Bearer <token>` on every "
            "operation but health; its document says so (components/securitySchemes, 401).",
        },
        "paths": built,
        "components": components,
    }
    if token:
        components["securitySchemes"] = _security_schemes()
        document["security"] = [{_BEARER: []}]
    return document
