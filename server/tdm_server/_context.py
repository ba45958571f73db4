"""What every handler shares: the manager, and sessions that keep what a request created.

Data created over HTTP must outlive the request, so each request works in a session with
``keep=True``, grouped under the caller's run (``X-TDM-Run-Id``, default the server's run). When
a request fails halfway, what it had created so far is removed before the error is answered.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import anyio
import attrs
from starlette.requests import Request
from starlette.responses import JSONResponse

import tdm

from ._errors import RequestFailed, primary
from ._requests import RUN_ID_HEADER, SEED_HEADER, read_headers

__all__ = ["Api", "answer", "guarded"]

T = TypeVar("T")


@attrs.define
class Api:
    """The state the handlers share: the manager, and a lock so seeds do not race."""

    manager: tdm.Manager
    seed_lock: anyio.Lock = attrs.field(factory=anyio.Lock)

    def session(self, request: Request, *, run_id: str | None = None) -> tdm.Session:
        """A keeping session for this request, configured by its ``X-TDM-*`` headers."""
        headers = read_headers(request)
        return self.manager.session(
            seed=headers.seed,
            test_id=headers.test_id,
            keep=True,
            run_id=run_id or headers.run_id,
        )


async def _undo(session: tdm.Session) -> tdm.CleanupReport:
    report = tdm.CleanupReport()
    with anyio.move_on_after(session.manager.settings.cleanup_timeout, shield=True) as scope:
        report = await session.cleanup()
    if scope.cancelled_caught:
        report.failures.extend(
            tdm.Leftover(r.tracking_id, r.kind, r.entity_id, "removing it timed out")
            for r in await session.records()
        )
    return report


async def guarded(session: tdm.Session, work: Callable[[], Awaitable[T]]) -> T:
    """Await ``work``; when it fails, remove what ``session`` created and raise what matters.

    The error raised is the one inside any exception group; when tdm had begun creating it is
    wrapped in :class:`RequestFailed`, whose report says how removing that went. A failed
    scenario has already removed its own entities (``tdm.ScenarioFailed.report``).
    """
    try:
        return await work()
    except Exception as exc:
        found = primary(exc)
        if isinstance(found, tdm.ScenarioFailed) or not session.tracking_ids:
            if found is exc:
                raise
            raise found from exc
        report = await _undo(session)
        raise RequestFailed(found, report) from found


def answer(body: Any, session: tdm.Session, *, status: int = 201) -> JSONResponse:
    """A JSON answer with the session's run id and seed in ``X-TDM-Run-Id`` and ``X-TDM-Seed``."""
    headers = {RUN_ID_HEADER: session.run_id, SEED_HEADER: str(session.seed)}
    return JSONResponse(body, status_code=status, headers=headers)
