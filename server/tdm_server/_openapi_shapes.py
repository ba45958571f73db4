"""JSON Schemas of the core's JSON shapes, for the OpenAPI document.

Each schema describes what one ``to_json`` renders: the error body (:func:`tdm.boundary.
error_json`), ``TrackingRecord.to_json()``, ``CleanupReport.to_json()``, ``HealthReport.
to_json()`` and ``Catalog.to_json()``. Objects are closed (``additionalProperties: false``) so
that a key added to a shape and not here fails ``tests/server/test_openapi.py``, which renders
every shape (every error class among them) and validates it against these.
"""

from __future__ import annotations

from typing import Any

from tdm.boundary import RUN_ID_RULE

from ._requests import MAX_SEED

__all__ = ["ERROR_CODES", "RUN_ID_PATTERN", "SEED_PATTERN", "SHAPES", "at_most", "closed", "ref"]


def at_most(bound: int) -> str:
    """A pattern of the decimal numbers from 0 to ``bound``, with leading zeros up to its
    length: ``at_most(250)`` is ``^(?:[0-9]{1,2}|[0-1][0-9]{2}|2[0-4][0-9]{1}|250)$``."""
    digits = str(bound)
    options = [f"[0-9]{{1,{len(digits) - 1}}}"] if len(digits) > 1 else []
    for i, digit in enumerate(digits):
        if digit != "0":
            options.append(f"{digits[:i]}[0-{int(digit) - 1}][0-9]{{{len(digits) - 1 - i}}}")
    options.append(digits)
    return f"^(?:{'|'.join(options)})$"


RUN_ID_PATTERN = "^[A-Za-z0-9._:/@+-]{1,128}$"
"""``tdm.boundary.is_run_id`` as a JSON Schema pattern (a test holds them together)."""
SEED_PATTERN = at_most(MAX_SEED)
"""A seed as it travels: a whole number from 0 to 2**63 - 1, written out."""

_REF = "#/components/schemas/"


def ref(name: str) -> dict[str, str]:
    return {"$ref": _REF + name}


def closed(
    properties: dict[str, Any], *optional: str, description: str | None = None
) -> dict[str, Any]:
    """An object with exactly ``properties``, each required but the ``optional`` ones."""
    schema: dict[str, Any] = {
        "type": "object",
        "properties": properties,
        "required": [k for k in properties if k not in optional],
        "additionalProperties": False,
    }
    if description:
        schema["description"] = description
    return schema


def _text(description: str | None = None) -> dict[str, Any]:
    return {"type": "string", **({"description": description} if description else {})}


_NULLABLE_TEXT = {"type": ["string", "null"]}
_TEXTS = {"type": "array", "items": {"type": "string"}}
_JSON_SCHEMA = {"type": "object", "description": "A JSON Schema (camelCase properties)"}
_RUN_ID = {"type": "string", "pattern": RUN_ID_PATTERN, "description": RUN_ID_RULE}

_FIELD_PROBLEM = closed({
    "field": _text("The field's path in JSON names: items[0].productId"),
    "expected": _text("What a valid value looks like"),
    "got": {"description": "The value that arrived (a short text in its place when large)"},
    "message": _text("field: expected ..., got ..."),
})  # fmt: skip

_ERROR_DETAILS: dict[str, Any] = {
    "subject": _text("What was being validated (validation_error)"),
    "what": _text("The sort of thing not found, or named ambiguously"),
    "name": _text("The name that was not found, or is ambiguous"),
    "known": {**_TEXTS, "description": "The names there are (not_found)"},
    "registries": {**_TEXTS, "description": "The registries defining the name (ambiguous_name)"},
    "allowed": {**_TEXTS, "description": "The methods the route allows (method_not_allowed)"},
    "setting": {"type": ["string", "null"],
                "description": "The setting with an unusable value (misconfigured), or the "
                "one a refused URL came from (target_not_allowed; null: not a setting)"},
    "host": _text("The host the production guard refused (target_not_allowed)"),
    "allowList": _text("The setting that would allow it (target_not_allowed)"),
    "target": _text("The system under test that answered, or did not"),
    "targetStatus": {"type": ["integer", "null"], "description": "Its HTTP status"},
    "outcome": {"enum": ["refused", "not_sent", "unknown"],
                "description": "Whether the failed request may have been acted on"},
    "scenario": _text("The scenario that failed (scenario_failed)"),
    "step": _text("Where it failed"),
    "cause": ref("Error"),
    "cleanup": ref("CleanupReport"),
}  # fmt: skip

ERROR_CODES = (
    "invalid_json", "unauthorized", "forbidden", "not_found", "method_not_allowed", "conflict",
    "cannot_delete", "cleanup_incomplete", "payload_too_large", "unsupported_media_type",
    "misdirected_request", "validation_error", "ambiguous_name", "target_rejected",
    "nested_too_deeply", "header_too_large", "scenario_failed", "definition_error",
    "internal_error", "http_error", "target_error", "target_unavailable", "misconfigured",
    "target_not_allowed", "idempotency_key_in_flight", "idempotency_key_reused",
)  # fmt: skip
"""The codes tdm answers with (by status); an error another tdm server answered keeps its."""

_ERROR = closed(
    {
        "error": {
            "type": "string",
            "examples": list(ERROR_CODES),
            "description": "The error's code: " + ", ".join(ERROR_CODES),
        },
        "detail": _text("What happened, in words"),
        "fields": {"type": "array", "items": ref("FieldProblem")},
        **_ERROR_DETAILS,
    },
    *_ERROR_DETAILS,
    description="Every error answer: {error, detail, fields} and the keys its kind adds",
)

_LEFTOVER = closed({
    "trackingId": _text(), "entityType": _text(), "entityId": _NULLABLE_TEXT,
    "reason": _text(), "kept": {"type": "boolean", "description": "Still tracked"},
})  # fmt: skip

_CLEANUP_REPORT = closed({
    "deleted": {"type": "object", "additionalProperties": {"type": "integer", "minimum": 0},
                "description": "Entities now gone, per plural (users, cartItems, ...)"},
    "alreadyGone": {"type": "integer", "minimum": 0},
    "failed": {"type": "array", "items": ref("Leftover"),
               "description": "Still there, and still tracked"},
    "unverified": {"type": "array", "items": ref("Leftover"),
                   "description": "Pending creates their natural key did not find"},
    "notTracked": {**_TEXTS, "description": "Tracking ids asked for that are not tracked"},
    "matched": {"type": "integer", "minimum": 0,
                "description": "How many tracked entities the selection matched"},
    "complete": {"type": "boolean", "description": "Nothing selected may be left behind"},
})  # fmt: skip

_UP_DOWN = {"enum": ["up", "down"]}
_HEALTH_REPORT = closed({
    "status": {"enum": ["healthy", "degraded", "unhealthy"]},
    "ready": {"type": "boolean", "description": "Every check is up (stuck runs aside): "
              "clients may start"},
    "dependencies": {"type": "object", "additionalProperties": _UP_DOWN},
    "checks": {"type": "array", "items": closed({
        "name": _text(), "registry": _text(), "required": {"type": "boolean"},
        "status": _UP_DOWN, "reason": _NULLABLE_TEXT,
    })},
    "ledger": _text("Where the ledger is kept"),
    "stuckRuns": {"type": "array", "description": "Dead runs the reaper gave up on (their "
                  "data needs a person: `tdm cleanup --run`)", "items": closed({
        "runId": _RUN_ID, "reapAttempts": {"type": "integer", "minimum": 0},
        "lastError": _NULLABLE_TEXT,
    })},
})  # fmt: skip

_NULLABLE_OBJECT = {"type": ["object", "null"]}
_TRACKING_RECORD = closed({
    "trackingId": _text(), "entityType": _text(), "registry": _text(),
    "entityId": _NULLABLE_TEXT, "label": _NULLABLE_TEXT,
    "state": {"enum": ["pending", "created"]}, "target": _text(), "runId": _RUN_ID,
    "sessionId": _text(), "testId": _NULLABLE_TEXT, "scenario": _NULLABLE_TEXT,
    "parameters": _NULLABLE_OBJECT,
    "seed": {"type": ["string", "null"], "pattern": SEED_PATTERN},
    "createdAt": {"type": "string", "format": "date-time"},
    "attempts": {"type": "integer", "minimum": 0}, "lastError": _NULLABLE_TEXT,
    "lookup": _NULLABLE_OBJECT,
    "settleUntil": {"type": ["string", "null"], "format": "date-time",
                    "description": "Until then a create whose answer was lost may still land"},
    "dependsOn": {"type": "array", "items": closed({"entityType": _text(),
                                                    "entityId": _text()})},
})  # fmt: skip

_ENDPOINT = closed({
    "path": _text(), "key": _text(), "single": {"type": "boolean"}, "required": _TEXTS,
    "method": _NULLABLE_TEXT,
})  # fmt: skip

_SCENARIO = closed({
    "name": _text("How to call it here (qualified when registries share the name)"),
    "registry": _text(), "qualifiedName": _text(), "summary": _text(),
    "description": _text(), "parameters": _JSON_SCHEMA,
    "result": {"type": ["object", "null"], "description": "A JSON Schema, or null: unknown"},
})  # fmt: skip

_KIND = closed({
    "name": _text(), "registry": _text(), "qualifiedName": _text(), "plural": _text(),
    "description": _text(), "fields": _JSON_SCHEMA, "removedWith": _TEXTS,
    "endpoint": {"anyOf": [ref("Endpoint"), {"type": "null"}]},
})  # fmt: skip

_CATALOG = closed({
    "registries": _TEXTS,
    "scenarios": {"type": "array", "items": ref("Scenario")},
    "entityKinds": {"type": "array", "items": ref("EntityKind")},
})  # fmt: skip

_TIME_OR_NULL = {"type": ["string", "null"], "format": "date-time"}
_RUN_LEASE = closed({
    "holder": {"type": "string"},
    "leaseUntil": {"type": "string", "format": "date-time"},
    "live": {"type": "boolean", "description": "Whether this lease is alive"},
})  # fmt: skip
_RUN = {
    "type": "object",
    "additionalProperties": False,
    "required": ["runId", "state"],
    "properties": {
        "runId": _RUN_ID,
        "state": {"enum": ["held", "kept", "expired", "stuck", "ended"],
                  "description": "held: its lease is alive; kept: kept on purpose until "
                  "keepUntil; expired: the reaper removes what it left; ended: gone"},
        "createdAt": {"type": "string", "format": "date-time"},
        "leaseUntil": {**_TIME_OR_NULL, "description": "When the longest lease runs out"},
        "keepUntil": _TIME_OR_NULL,
        "holder": {**_NULLABLE_TEXT, "description": "The holder of the longest lease"},
        "holders": {"type": "array", "items": _RUN_LEASE,
                    "description": "Each holder's lease, the longest first"},
        "reapAttempts": {"type": "integer", "minimum": 0}, "lastError": _NULLABLE_TEXT,
        "records": {"type": "integer", "minimum": 0, "description": "Records it still has"},
        "ttl": {"type": "number", "description": "Seconds a lease lasts"},
        "heartbeatInterval": {"type": "number",
                              "description": "Seconds between the holder's renewals"},
    },
}  # fmt: skip

SHAPES: dict[str, dict[str, Any]] = {
    "Run": _RUN,
    "Error": _ERROR,
    "FieldProblem": _FIELD_PROBLEM,
    "CleanupReport": _CLEANUP_REPORT,
    "Leftover": _LEFTOVER,
    "HealthReport": _HEALTH_REPORT,
    "TrackingRecord": _TRACKING_RECORD,
    "Catalog": _CATALOG,
    "Scenario": _SCENARIO,
    "EntityKind": _KIND,
    "Endpoint": _ENDPOINT,
}
"""The core's shapes by component name."""
