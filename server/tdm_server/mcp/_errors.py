"""tdm's errors as tool errors an agent can act on.

Any exception other than :class:`ToolError` reaches an MCP client only as "Error executing tool
X", so every tool body runs inside :func:`tool_errors` (or :func:`kept_session`), which turns
tdm's errors into a ``ToolError`` saying what was wrong (which parameter, what is allowed, what
arrived) and what to do next. An unexpected exception is logged with its traceback and reported
by its type only: its text may carry details of the system under test that do not belong in a
chat.

A tool call that creates data is all or nothing: when it fails, what it had created so far is
removed again before the error is reported (a scenario does this itself for its own steps).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager

import anyio
from mcp.server.mcpserver.exceptions import ToolError

import tdm

__all__ = ["explain", "kept_session", "tool_errors"]

log = logging.getLogger("tdm.mcp")


def _leaf(exc: BaseException) -> BaseException:
    """The first real exception inside (nested) exception groups: task groups wrap errors."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return exc


def _cause(exc: BaseException) -> str:
    if isinstance(exc, tdm.TargetUnavailable):
        return f"the system under test could not be reached ({exc})"
    if isinstance(exc, tdm.TdmError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


def _undone(report: tdm.CleanupReport | None, run_id: str) -> str:
    if report is None:
        return ""
    text = ""
    if report.total_deleted:
        text = f" What this call had created was removed again ({report.summary()})."
    if report.failures:
        n = len(report.failures)
        text += (
            f" {n} {'entity' if n == 1 else 'entities'} of this call could not be removed (or "
            f"confirmed gone) and stay tracked under run {run_id!r}: cleanup_my_data removes "
            "them once the system under test is reachable."
        )
    return text


def explain(
    exc: BaseException, *, tool: str, run_id: str, undone: tdm.CleanupReport | None = None
) -> str:
    """What went wrong, in words an agent can act on.

    The SDK puts "Error executing tool <tool>: " in front. ``undone`` is what removing this
    call's partial data did, if it created any.
    """
    exc = _leaf(exc)
    after = _undone(undone, run_id)
    if isinstance(exc, tdm.InvalidParameters):
        problems = "; ".join(p.message for p in exc.problems)
        return f"Invalid arguments: {problems}. Fix them and call {tool} again.{after}"
    if isinstance(exc, tdm.ScenarioFailed):
        text = (
            f"Scenario {exc.scenario!r} failed at {exc.step}: {_cause(exc.cause)}. "
            f"Its partial data was removed ({exc.report.summary()})"
        )
        if exc.report.failures:
            return (
                f"{text}; what could not be removed stays tracked under run {run_id!r}: "
                f"call cleanup_my_data later to remove it.{after}"
            )
        return f"{text}, so nothing of this call is left in the system under test.{after}"
    if isinstance(exc, tdm.TargetUnavailable):
        return (
            f"The system under test is unreachable: {exc}. Check that it is running and that "
            f"tdm is configured to reach it (check_health tells which part is down), then call "
            f"{tool} again.{after}"
        )
    if isinstance(exc, tdm.TargetError):
        status = f" (HTTP {exc.status})" if exc.status is not None else ""
        return (
            f"The system under test refused the request{status}: {exc}. Check the arguments "
            f"against the tool's description and call {tool} again.{after}"
        )
    if isinstance(exc, tdm.NotFound):
        return (
            f"{exc}. Call list_scenarios to see the scenarios and entity kinds tdm offers.{after}"
        )
    if isinstance(exc, tdm.TdmError):
        return f"{exc}.{after}"
    return f"Unexpected failure ({type(exc).__name__}); the server's log has the details.{after}"


def _log_unexpected(exc: BaseException, tool: str) -> None:
    if not isinstance(_leaf(exc), tdm.TdmError):
        log.error("tool %s failed unexpectedly", tool, exc_info=exc)


@contextmanager
def tool_errors(tool: str, run_id: str) -> Iterator[None]:
    """Run a tool body; turn any exception but a ``ToolError`` into one, explained."""
    try:
        yield
    except ToolError:
        raise
    except Exception as exc:
        _log_unexpected(exc, tool)
        raise ToolError(explain(exc, tool=tool, run_id=run_id)) from exc


async def _undo(session: tdm.Session, tool: str) -> tdm.CleanupReport | None:
    with anyio.CancelScope(shield=True):
        if not session.tracking_ids:
            return None
        try:
            return await session.cleanup()
        except Exception:
            log.exception("could not remove what the failed call of %s had created", tool)
    return None


@asynccontextmanager
async def kept_session(manager: tdm.Manager, tool: str, run_id: str) -> AsyncIterator[tdm.Session]:
    """A session of the caller's run whose data stays when it ends.

    If the body fails, what the session had created is removed and the error explained.
    """
    with tool_errors(tool, run_id):
        async with manager.session(keep=True, run_id=run_id) as session:
            try:
                yield session
            except ToolError:
                await _undo(session, tool)
                raise
            except Exception as exc:
                _log_unexpected(exc, tool)
                undone = await _undo(session, tool)
                raise ToolError(explain(exc, tool=tool, run_id=run_id, undone=undone)) from exc
