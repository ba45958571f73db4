"""What every handler shares: the manager, and sessions that keep what a request created.

Data created over HTTP must outlive the request, so each request works in a session with
``keep=True``, grouped under the caller's run (``X-TDM-Run-Id``, default the server's run).
When a request fails halfway, what it had created is removed before the error is answered
(``tdm.boundary.undo_on_failure``). The runs requests are working in (``X-TDM-Run-Id``) are
renewed by the replica every ``TDM_HEARTBEAT_INTERVAL`` (:meth:`Api.renew_in_flight`, run by
the app): a request in flight is proof its caller is alive, so no reaper (of any replica)
removes what it is creating because the caller's own heartbeat came late.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import anyio
import attrs
from starlette.requests import Request
from starlette.responses import JSONResponse

import tdm
from tdm.boundary import is_run_id, undo_on_failure

from ._requests import RUN_ID_HEADER, SEED_HEADER, read_headers

__all__ = ["Api", "answer"]

log = logging.getLogger("tdm.server")


@attrs.define
class Api:
    """The state the handlers share: the manager, and the runs requests are working in."""

    manager: tdm.Manager
    in_flight: Counter[str] = attrs.field(factory=Counter)
    on_first_answer: Callable[[], None] | None = None
    """Called once, when a handler has finished its first request (the app builds a deferred
    MCP server then)."""

    @asynccontextmanager
    async def session(
        self, request: Request, *, run_id: str | None = None
    ) -> AsyncIterator[tdm.Session]:
        """A keeping session for this request (its ``X-TDM-*`` headers), all or nothing:
        if the block fails, what it created is removed and the error is raised."""
        headers = read_headers(request)
        session = self.manager.session(
            seed=headers.seed, test_id=headers.test_id, keep=True,
            run_id=run_id or headers.run_id,
        )  # fmt: skip
        async with session, undo_on_failure(session):
            yield session

    @contextmanager
    def working_in(self, run_id: str | None) -> Iterator[None]:
        """A request works in ``run_id`` (its ``X-TDM-Run-Id``) for the block."""
        if run_id is None or not is_run_id(run_id):
            yield
            return
        self.in_flight[run_id] += 1
        try:
            yield
        finally:
            self.in_flight[run_id] -= 1
            if self.in_flight[run_id] <= 0:
                del self.in_flight[run_id]

    async def renew_in_flight(self) -> None:
        """Renew the leases of the runs requests are working in, every heartbeat, until
        cancelled. Only a lease still held is renewed: one that ran out stays so (the reaper
        may already be removing that run)."""
        settings, ledger = self.manager.settings, self.manager.ledger
        while True:
            await anyio.sleep(settings.heartbeat_interval)
            for run_id in list(self.in_flight):
                try:
                    await ledger.touch(run_id, None, settings.lease_ttl)
                except Exception:  # the ledger is unreachable: the next beat tries again
                    log.warning("renewing the lease of run %s failed", run_id, exc_info=True)


def answer(body: Any, session: tdm.Session, *, status: int = 201) -> JSONResponse:
    """A JSON answer with the session's run id and seed in ``X-TDM-Run-Id`` and ``X-TDM-Seed``."""
    headers = {RUN_ID_HEADER: session.run_id, SEED_HEADER: str(session.seed)}
    return JSONResponse(body, status_code=status, headers=headers)
