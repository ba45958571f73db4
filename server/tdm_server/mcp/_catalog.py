"""What the registry offers, as MCP sees it: tool names and the scenario catalog.

Tool names are short snake_case verb_noun names (``^[a-zA-Z0-9_-]{1,64}$``, no dots):
``create_<kind>`` per entity kind and ``create_<scenario>`` per scenario; a scenario whose name
would clash with a kind's tool becomes ``run_<scenario>_scenario``.
"""

from __future__ import annotations

import re
import types
from typing import Any, Union, get_args, get_origin, get_type_hints

import attrs

import tdm

__all__ = ["ToolNames", "catalog", "result_shape"]

_CAMEL_HUMP = re.compile(r"(?<=[a-z0-9])([A-Z])")
_NOT_NAME = re.compile(r"[^a-z0-9]+")


def snake(name: str) -> str:
    """``cartItem`` -> ``cart_item``, ``user-with-orders`` -> ``user_with_orders``."""
    return _NOT_NAME.sub("_", _CAMEL_HUMP.sub(r"_\1", name).lower()).strip("_")


class ToolNames:
    """The tool name of each entity kind and scenario of a registry."""

    def __init__(self, registry: tdm.Registry) -> None:
        self.kinds = {name: f"create_{snake(name)}"[:64] for name in registry.kinds}
        taken = set(self.kinds.values())
        self.scenarios = {}
        for name in registry.scenarios:
            tool = f"create_{snake(name)}"[:64]
            if tool in taken:
                tool = f"run_{snake(name)}"[:55] + "_scenario"
            taken.add(tool)
            self.scenarios[name] = tool


def _shape(tp: Any, depth: int = 0) -> str:
    """A short picture of a JSON value of type ``tp``: ``{id, email, password}``."""
    origin = get_origin(tp)
    if origin in (list, tuple):
        (item, *_) = get_args(tp) or (Any,)
        return f"[{_shape(item, depth)}]"
    if origin in (Union, types.UnionType):
        options = [a for a in get_args(tp) if a is not type(None)]
        return _shape(options[0], depth) if len(options) == 1 else "value"
    if attrs.has(tp):
        fields = attrs.fields(attrs.resolve_types(tp))
        if depth >= 1:
            return "{" + ", ".join(tdm.camel(f.name) for f in fields) + "}"
        return "{" + ", ".join(f"{tdm.camel(f.name)} {_shape(f.type, 1)}" for f in fields) + "}"
    return getattr(tp, "__name__", "value")


def result_shape(scenario: tdm.Scenario) -> str | None:
    """What a scenario returns, from its return annotation (``None`` if it says nothing)."""
    try:
        returned = get_type_hints(scenario.fn).get("return")
    except Exception:  # noqa: BLE001 -- an unresolvable annotation just means no picture
        return None
    if returned is None or not attrs.has(returned):
        return None
    return _shape(returned)


def catalog(registry: tdm.Registry, names: ToolNames) -> dict[str, Any]:
    """The scenarios (name, tool, description, parameter schema) and the entity kinds."""
    scenarios = [
        {
            "name": s.name,
            "tool": names.scenarios[s.name],
            "summary": s.summary,
            "description": s.description,
            "parameters": s.schema(),
            "returns": result_shape(s),
        }
        for s in registry.scenarios.values()
    ]
    kinds = [
        {"kind": k.name, "plural": k.plural, "tool": names.kinds[k.name]}
        for k in registry.kinds.values()
    ]
    return {
        "scenarios": scenarios,
        "entityKinds": kinds,
        "next": (
            "Call a scenario's tool (its `tool`) to create that data set, or an entity kind's "
            "tool to create single entities; arguments are camelCase as in `parameters`."
        ),
    }
