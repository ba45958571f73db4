"""What the catalog offers, as MCP sees it: tool names, and the catalog with them.

Tool names are short snake_case verb_noun names (``^[a-zA-Z0-9_-]{1,64}$``, no dots):
``create_<kind>`` per entity kind and ``create_<scenario>`` per scenario. A name two selected
registries share gets the registry in it (``create_library_category``); a scenario whose tool
would clash with a kind's becomes ``run_<scenario>_scenario``.
"""

from __future__ import annotations

import re
from typing import Any

import tdm
from tdm.boundary import snake

__all__ = ["ToolNames", "catalog_json", "shape", "tool_word"]

_NOT_NAME = re.compile(r"[^a-z0-9]+")


def tool_word(name: str) -> str:
    """``cartItem`` -> ``cart_item``, ``user-with-orders`` -> ``user_with_orders``,
    ``library:category`` -> ``library_category``."""
    return _NOT_NAME.sub("_", snake(name)).strip("_")


class ToolNames:
    """The tool name of each entity kind and scenario of a catalog."""

    def __init__(self, catalog: tdm.Catalog) -> None:
        self.kinds = {
            k.qualified_name: f"create_{tool_word(catalog.kind_name(k))}"[:64]
            for k in catalog.kinds
        }
        taken = set(self.kinds.values())
        self.scenarios = {}
        for s in catalog.scenarios:
            word = tool_word(catalog.scenario_name(s))
            tool = f"create_{word}"[:64]
            if tool in taken:
                tool = f"run_{word}"[:55] + "_scenario"
            taken.add(tool)
            self.scenarios[s.qualified_name] = tool


def shape(schema: dict[str, Any] | None, depth: int = 0) -> str | None:
    """A short picture of a JSON value from its schema: ``{user {id, email}, orders [...]}``."""
    if not schema:
        return None
    options = [o for o in schema.get("anyOf", ()) if o.get("type") != "null"]
    if options:
        return shape(options[0], depth)
    if schema.get("type") == "array":
        return f"[{shape(schema.get('items'), depth) or 'value'}]"
    properties = schema.get("properties")
    if isinstance(properties, dict) and properties:
        if depth >= 2:
            return "{" + ", ".join(properties) + "}"
        parts = []
        for key, inner in properties.items():
            picture = shape(inner, depth + 1) if inner.get("type") in ("object", "array") or (
                inner.get("anyOf")) else None  # fmt: skip
            parts.append(f"{key} {picture}" if picture and picture != "value" else key)
        return "{" + ", ".join(parts) + "}"
    return "value"


def catalog_json(catalog: tdm.Catalog, names: ToolNames) -> dict[str, Any]:
    """The catalog (``GET /api/scenarios``' shape) with each entry's tool, and a hint."""
    body = catalog.to_json()
    for entry in body["scenarios"]:
        entry["tool"] = names.scenarios[entry["qualifiedName"]]
        entry["returns"] = shape(entry["result"])
    for entry in body["entityKinds"]:
        entry["tool"] = names.kinds[entry["qualifiedName"]]
    body["next"] = (
        "Call a scenario's tool (its `tool`) to create that data set, or an entity kind's tool "
        "to create single entities; arguments are camelCase as in `parameters` and `fields`."
    )
    return body
