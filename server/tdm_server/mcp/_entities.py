"""One ``create_<kind>`` tool per entity kind: fields as optional camelCase arguments."""

from __future__ import annotations

import inspect
from typing import Annotated, Any

import attrs
from mcp.server import MCPServer
from pydantic import Strict

import tdm

from ._catalog import ToolNames
from ._errors import kept_session
from ._hints import CREATING
from ._results import CREATED_HINT
from ._runs import RunIds
from ._signatures import keyword, sign, spec_parameters, words

__all__ = ["MAX_COUNT", "add_entity_tools"]

MAX_COUNT = 20
"""The most entities one call creates (an agent asking for more is likely mistaken)."""


def _description(kind: tdm.Kind[Any, Any, Any]) -> str:
    what = " ".join((inspect.getdoc(type(kind)) or f"Entities of kind '{kind.name}'.").split())
    fields = ", ".join(tdm.camel(a.name) for a in attrs.fields(kind.spec))
    return (
        f"Creates {words(kind.plural)} in the system under test. {what}\n\n"
        f"Every field ({fields}) is optional: what is left out gets a realistic generated "
        f"value, and entities this one needs are created along with it. count makes up to "
        f"{MAX_COUNT} at once. Returns {kind.plural} (the created entities, camelCase, with "
        "their ids), trackingIds and runId. The data is tracked under this MCP session's run "
        "and kept when the session ends: call cleanup_my_data when it is no longer needed. A "
        "call that fails leaves nothing behind."
    )


def _entity_tool(
    manager: tdm.Manager, runs: RunIds, kind: tdm.Kind[Any, Any, Any], tool: str
) -> Any:
    python_names = {tdm.camel(a.name): a.name for a in attrs.fields(kind.spec)}
    counted = "count" not in python_names  # a spec field named count wins over the argument

    async def create(**arguments: Any) -> dict[str, Any]:
        count = arguments.pop("count") if counted else 1
        overrides = {python_names[k]: v for k, v in arguments.items() if v is not None}
        run_id = runs.current()
        async with kept_session(manager, tool, run_id) as s:
            entities = await s.create_many(kind.name, count, **overrides)
            return {
                kind.plural: tdm.to_json(entities),
                "trackingIds": s.tracking_ids,
                "runId": run_id,
                "next": CREATED_HINT,
            }

    parameters = spec_parameters(kind.spec)
    if counted:
        parameters.append(
            keyword(
                "count",
                Annotated[int, Strict()],
                1,
                ge=1,
                le=MAX_COUNT,
                description=f"How many to create with these values (1 to {MAX_COUNT})",
            )
        )
    return sign(create, tool, parameters)


def add_entity_tools(
    server: MCPServer, manager: tdm.Manager, runs: RunIds, names: ToolNames
) -> None:
    """Register a ``create_<kind>`` tool per entity kind."""
    for kind in manager.registry.kinds.values():
        tool = names.kinds[kind.name]
        server.add_tool(
            _entity_tool(manager, runs, kind, tool),
            name=tool,
            title=f"Create {words(kind.plural)}",
            description=_description(kind),
            annotations=CREATING,
            structured_output=True,
        )
