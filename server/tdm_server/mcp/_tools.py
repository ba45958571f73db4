"""MCP tools whose schemas are tdm's own and whose arguments tdm's validator checks.

The SDK would derive a schema from a function signature and validate arguments with pydantic,
which words mistakes its own way. Here each tool is built from a :class:`~tdm.boundary.
Parameters` (the scenario's, the kind's, the cleanup selection's): its JSON Schema is the
tool's input schema, and :meth:`~tdm.boundary.Parameters.validate` checks the arguments, so an
agent reads the same ``orderCount: expected an integer from 1 to 10, got 99`` that Python and
HTTP callers read.

A failing call returns an error result whose text says what to do next and whose structured
content is the error's JSON, the same shape the HTTP API answers.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import attrs
from mcp.server.mcpserver.tools import Tool
from mcp.server.mcpserver.utilities.func_metadata import ArgModelBase, FuncMetadata
from mcp.types import CallToolResult, TextContent, ToolAnnotations
from pydantic import ConfigDict

import tdm
from tdm.boundary import Parameters, error_json, unwrap

__all__ = ["Handler", "ToolSpec", "build_tool", "explain"]

log = logging.getLogger("tdm.mcp")

Handler = Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]
"""A tool's body: validated, Python-named arguments in, a JSON object out."""


class _Arguments(ArgModelBase):
    """Takes the arguments as they come; tdm validates them."""

    model_config = ConfigDict(extra="allow")

    def model_dump_one_level(self) -> dict[str, Any]:
        return dict(self.model_extra or {})


@attrs.frozen
class ToolSpec:
    """One tool: its name, words, parameters, hints, and the body that serves it."""

    name: str
    title: str
    description: str
    parameters: Parameters
    annotations: ToolAnnotations
    handler: Handler = attrs.field(repr=False)
    run_id: Callable[[], str] = attrs.field(repr=False)


def _result(body: dict[str, Any]) -> CallToolResult:
    text = json.dumps(body, indent=2, default=str)
    return CallToolResult(content=[TextContent(type="text", text=text)], structured_content=body)


def _error(exc: BaseException, text: str) -> CallToolResult:
    return CallToolResult(
        content=[TextContent(type="text", text=text)],
        structured_content=error_json(exc),
        is_error=True,
    )


def build_tool(spec: ToolSpec) -> Tool:
    """A :class:`Tool` for the SDK's server: tdm's schema, tdm's validation."""

    async def call(**arguments: Any) -> CallToolResult:
        try:
            values = spec.parameters.validate(f"tool {spec.name}", arguments, naming="json")
            return _result(await spec.handler(values))
        except Exception as exc:
            found = unwrap(exc)
            if not isinstance(found, tdm.TdmError):
                log.error("tool %s failed unexpectedly", spec.name, exc_info=found)
            return _error(found, explain(found, tool=spec.name, run_id=spec.run_id()))

    call.__name__ = spec.name
    metadata = FuncMetadata(arg_model=_Arguments, output_schema={"type": "object"})
    return Tool(
        fn=call,
        name=spec.name,
        title=spec.title,
        description=spec.description,
        parameters=spec.parameters.schema(),
        fn_metadata=metadata,
        is_async=True,
        context_kwarg=None,
        annotations=spec.annotations,
    )


def _left(report: tdm.CleanupReport, run_id: str) -> str:
    if not report.left:
        return ""
    return (
        f" {report.left} entities could not be removed (or confirmed gone) and stay tracked "
        f"under run {run_id!r}: cleanup_my_data removes them once the system under test is "
        "reachable."
    )


def explain(exc: BaseException, *, tool: str, run_id: str) -> str:
    """What went wrong in the error's own words, and what an agent can do about it."""
    if isinstance(exc, tdm.InvalidParameters):
        problems = "; ".join(p.message_in("json") for p in exc.problems)
        return f"Invalid arguments: {problems}. Fix them and call {tool} again."
    if isinstance(exc, tdm.ScenarioFailed):
        return (
            f"{exc}.{_left(exc.report, run_id)} Nothing else of this call is left in the system "
            "under test."
        )
    if isinstance(exc, tdm.CreateFailed):
        inner = explain(exc.cause, tool=tool, run_id=run_id)
        return f"{inner} What this call had created was removed again.{_left(exc.report, run_id)}"
    if isinstance(exc, tdm.TargetUnavailable):
        return (
            f"The system under test is unreachable: {exc}. Check that it is running (check_health "
            f"tells which part is down), then call {tool} again."
        )
    if isinstance(exc, tdm.TargetError):
        status = f" (HTTP {exc.status})" if exc.status is not None else ""
        return (
            f"The system under test refused the request{status}: {exc}. Check the arguments "
            f"against the tool's description and call {tool} again."
        )
    if isinstance(exc, tdm.NotFound | tdm.AmbiguousName):
        return f"{exc}. Call list_scenarios to see the scenarios and entity kinds tdm offers."
    if isinstance(exc, tdm.TdmError):
        return f"{exc}."
    return f"Unexpected failure ({type(exc).__name__}); the server's log has the details."
