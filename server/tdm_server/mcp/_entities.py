"""One ``create_<kind>`` tool per entity kind: its fields as optional camelCase arguments."""

from __future__ import annotations

from typing import Any

import tdm
from tdm.boundary import undo_on_failure
from tdm_server._entities import entity_parameters

from ._catalog import ToolNames
from ._hints import CREATED_HINT, CREATING
from ._runs import RunIds
from ._tools import ToolSpec

__all__ = ["MAX_COUNT", "entity_tools"]

MAX_COUNT = 20
"""The most entities one call creates (an agent asking for more is likely mistaken)."""


def _words(name: str) -> str:
    """``cartItems`` -> ``cart items``."""
    return "".join(f" {c.lower()}" if c.isupper() else c for c in name).strip()


def _description(catalog: tdm.Catalog, kind: tdm.Kind[Any, Any, Any]) -> str:
    what = kind.description or f"Entities of kind '{catalog.kind_name(kind)}'."
    fields = ", ".join(p.json_name for p in kind.parameters)
    return (
        f"Creates {_words(kind.plural)} in the system under test. {what}\n\n"
        f"Every field ({fields}) is optional: what is left out gets a realistic generated "
        f"value, and entities this one needs are created along with it. count makes up to "
        f"{MAX_COUNT} at once. Returns entities (camelCase, with their ids), trackingIds and "
        "runId. The data is tracked under this MCP session's run and kept when the session "
        "ends: call cleanup_my_data when it is no longer needed. A call that fails leaves "
        "nothing behind."
    )


def _creator(manager: tdm.Manager, runs: RunIds, kind: tdm.Kind[Any, Any, Any]) -> Any:
    counted = kind.parameters.get("count") is None

    async def create(arguments: dict[str, Any]) -> dict[str, Any]:
        count = arguments.pop("count") if counted else 1
        overrides = {k: v for k, v in arguments.items() if v is not None}
        run_id = runs.current()
        async with manager.session(keep=True, run_id=run_id) as s, undo_on_failure(s):
            entities = await s.create_many(kind, count, **overrides)
        return {
            "entityType": manager.catalog.kind_name(kind),
            "entities": tdm.to_json(entities),
            "trackingIds": s.tracking_ids,
            "runId": run_id,
            "next": CREATED_HINT,
        }

    return create


def entity_tools(manager: tdm.Manager, runs: RunIds, names: ToolNames) -> list[ToolSpec]:
    """A ``create_<kind>`` tool per entity kind."""
    catalog = manager.catalog
    tools = []
    for kind in catalog.kinds:
        tools.append(ToolSpec(
            name=names.kinds[kind.qualified_name],
            title=f"Create {_words(kind.plural)}",
            description=_description(catalog, kind),
            parameters=entity_parameters(kind, max_count=MAX_COUNT),
            annotations=CREATING,
            handler=_creator(manager, runs, kind),
            run_id=runs.current,
        ))  # fmt: skip
    return tools
