"""Clients of a tdm server over HTTP, mirroring the design's TypeScript ``TestDataManager``.

Every call is described once, in :class:`tdm._calls.Calls`: what to send and what to make
of the answer.
:class:`AsyncClient` and :class:`Client` are two small drivers that send the descriptions,
one awaiting and one blocking, so both have the same methods with the same behaviour. Both
talk HTTP only (nothing here imports the server) and send a run id (``X-TDM-Run-Id``) with
every request, so what one client creates can also be removed with one cleanup by run::

    async with tdm.AsyncClient("http://localhost:3001") as t:
        await t.seed()
        t.start_tracking()
        data = await t.run("user-with-orders", order_count=3)  # data.user.email
        ...
        await t.cleanup()  # what this client created since start_tracking()

A server that requires a token (``TDM_API_TOKEN``) gets it as ``Authorization: Bearer``: give
it as ``token=``, or let :meth:`AsyncClient.from_env` read ``TDM_API_TOKEN`` (the first, when it
lists several).

A client that made up its run id holds the run while it is open (a lease renewed from a thread
or task of its own; see :mod:`tdm._holding`), so what it leaves behind when it is killed is
removed by the server's reaper. Creates carry an ``Idempotency-Key`` and are sent again with it
when their answer is lost.

Fields and parameters are given with Python names at every depth (``order_count``,
``items=[{"product_id": 3}]``) and sent in camelCase. The server's errors come back as the
same exceptions tdm raises in process (``tdm.boundary.from_json``). Answers are JSON objects
that also read as attributes with Python names (``tdm.Result``: ``data.orders[0].number``),
as a session's results do. Methods a registry adds
for its kinds (the shop's ``create_user``, ``create_product``, ``create_order``) come from the
server's catalog.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping
from types import TracebackType
from typing import Any, Self

import anyio
import httpx2

from ._calls import DEFAULT_URL, Calls, Request, Waiter, settings_from_env
from ._errors import TdmError
from ._holding import AsyncHeartbeat, Heartbeat
from ._report import CleanupReport
from ._results import Result

__all__ = ["AsyncClient", "Client"]


class AsyncClient(Calls):
    """An async client of a tdm server (``base_url`` such as ``http://localhost:3001``).

    ``run_id`` groups what it creates (default: a new run id); ``token`` is sent as
    ``Authorization: Bearer`` to a server that requires one; ``transport`` lets tests hand in
    an ``httpx2.ASGITransport``.
    """

    def __init__(
        self,
        base_url: str = DEFAULT_URL,
        *,
        run_id: str | None = None,
        test_id: str | None = None,
        token: str | None = None,
        timeout: float = 60.0,
        transport: httpx2.AsyncBaseTransport | None = None,
        hold: bool | None = None,
        keep: str | None = None,
        retries: int = 3,
    ) -> None:
        super().__init__(base_url, run_id, test_id, token, hold=hold, keep=keep, retries=retries)
        self._http = httpx2.AsyncClient(base_url=self.base_url, timeout=timeout,
                                        transport=transport)  # fmt: skip
        self._beat: AsyncHeartbeat | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **options: Any) -> Self:
        """A client of ``TEST_DATA_MANAGER_URL`` (default localhost:3001) in run ``TDM_RUN_ID``,
        with the token of ``TDM_API_TOKEN``."""
        url, run_id, token = settings_from_env(environ)
        return cls(url, run_id=run_id, **{"token": token, **options})

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:  # fmt: skip
        await self.aclose()

    async def aclose(self) -> None:
        """Release the run (when this client holds it) and close the connections."""
        try:
            await self.release(self._keep)
        finally:
            await self._http.aclose()

    async def _send(self, request: Request) -> Any:
        if request.tracks and self._hold and not self._held:
            await self.hold()
        tries = self._retry.start(retry=request.retry, keyed=request.key is not None)
        while True:
            try:
                response = await self._http.request(
                    request.method, request.path, json=request.body, headers=self._headers(request)
                )
            except httpx2.TransportError as exc:
                if (delay := tries.after_failure()) is None:
                    raise self._unreachable(request, exc) from exc
            else:
                if (delay := tries.after(response)) is None:
                    return self._answer(request, response)
            await anyio.sleep(delay)

    async def hold(self) -> None:
        """Hold this client's run until :meth:`release` or :meth:`aclose` (done by itself
        before the first create when the client made up its run id)."""
        if self._held:
            return
        self._hold = True
        interval = self._opened(await self._send(self._open_run()))
        if interval is not None:
            self._beat = AsyncHeartbeat(lambda: self._send(self._renew_run()), interval)

    async def release(self, keep: str | float | None = None) -> None:
        """Stop holding the run: what is left in it is kept ``keep`` (a duration, or seconds)
        or, without it, removed by the server's reaper."""
        if self._beat is not None:
            beat, self._beat = self._beat, None
            await beat.stop()
        if self._held:
            self._held = False
            await self._send(self._end_run(keep))

    async def seed(self, force: bool = False) -> dict[str, Any]:
        """Seed the baseline data (idempotent): ``{seeded, users, products, categories}``."""
        result: dict[str, Any] = await self._send(self._seed(force))
        return result

    async def create(self, kind: str, /, **fields: Any) -> Result:
        """Create entities of any kind (``count=3`` for several): ``{entities, trackingIds}``."""
        answer: Result = await self._send(self._create(kind, fields))
        return answer

    async def scenario(self, name: str, /, **params: Any) -> Result:
        """Run a scenario: ``{data, trackingIds}`` (also ``.data.user.email``)."""
        answer: Result = await self._send(self._scenario(name, params))
        return answer

    async def run(self, name: str, /, **params: Any) -> Result:
        """Run a scenario and return its data, as :meth:`tdm.Session.run` does:
        ``(await client.run("user-with-orders")).orders[0].number``."""
        data: Result = (await self.scenario(name, **params))["data"]
        return data

    async def cleanup(self) -> CleanupReport:
        """Remove what this client created since :meth:`start_tracking` (by tracking id).

        What could not be removed stays tracked here too, so a later call retries it.
        """
        return self._after_cleanup(await self._send(self._cleanup()))

    async def cleanup_run(self) -> CleanupReport:
        """Remove everything tracked under this client's run, by whichever client it was
        created (``tdm with-run`` does this when its command ends)."""
        return self._after_cleanup(await self._send(self._cleanup_run()), all=True)

    async def cleanup_all(self) -> CleanupReport:
        """Remove everything the server tracks, whoever created it (a global teardown)."""
        return self._after_cleanup(await self._send(self._cleanup_all()), all=True)

    async def health(self) -> dict[str, Any]:
        """``{status: healthy | degraded | unhealthy, dependencies: {name: up | down}, ...}``."""
        result: dict[str, Any] = await self._send(self._health())
        return result

    async def catalog(self) -> dict[str, Any]:
        """The server's scenarios and entity kinds (``GET /api/scenarios``)."""
        result: dict[str, Any] = await self._send(self._catalog())
        return result

    async def wait_for_healthy(
        self,
        timeout: float = 30.0,  # noqa: ASYNC109 -- the design's waitForHealthy(timeout)
        *,
        interval: float = 0.25,
        allow_degraded: bool = False,
    ) -> dict[str, Any]:
        """Return the health once the server is healthy; ``TargetUnavailable`` after ``timeout``."""
        waiter = Waiter(self.base_url, timeout, allow_degraded)
        while True:
            try:
                answer: dict[str, Any] | TdmError = await self.health()
            except TdmError as exc:
                answer = exc
            if (health := waiter.healthy(answer)) is not None:
                return health
            await anyio.sleep(interval)

    def __getattr__(self, name: str) -> Callable[..., Awaitable[dict[str, Any]]]:
        self._is_method(name)

        async def call(**fields: Any) -> dict[str, Any]:
            if self._methods is None:
                self._methods = self._methods_of(await self.catalog())
            result: dict[str, Any] = await self._send(self._endpoint(name, fields))
            return result

        call.__name__ = name
        return call


class Client(Calls):
    """The synchronous :class:`AsyncClient`: the same methods, blocking."""

    def __init__(
        self,
        base_url: str = DEFAULT_URL,
        *,
        run_id: str | None = None,
        test_id: str | None = None,
        token: str | None = None,
        timeout: float = 60.0,
        transport: httpx2.BaseTransport | None = None,
        hold: bool | None = None,
        keep: str | None = None,
        retries: int = 3,
    ) -> None:
        super().__init__(base_url, run_id, test_id, token, hold=hold, keep=keep, retries=retries)
        self._http = httpx2.Client(base_url=self.base_url, timeout=timeout, transport=transport)
        self._beat: Heartbeat | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **options: Any) -> Self:
        """A client of ``TEST_DATA_MANAGER_URL`` (default localhost:3001) in run ``TDM_RUN_ID``,
        with the token of ``TDM_API_TOKEN``."""
        url, run_id, token = settings_from_env(environ)
        return cls(url, run_id=run_id, **{"token": token, **options})

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:  # fmt: skip
        self.close()

    def close(self) -> None:
        """Release the run (when this client holds it) and close the connections."""
        try:
            self.release(self._keep)
        finally:
            self._http.close()

    def _send(self, request: Request) -> Any:
        if request.tracks and self._hold and not self._held:
            self.hold()
        tries = self._retry.start(retry=request.retry, keyed=request.key is not None)
        while True:
            try:
                response = self._http.request(
                    request.method, request.path, json=request.body, headers=self._headers(request)
                )
            except httpx2.TransportError as exc:
                if (delay := tries.after_failure()) is None:
                    raise self._unreachable(request, exc) from exc
            else:
                if (delay := tries.after(response)) is None:
                    return self._answer(request, response)
            time.sleep(delay)

    def hold(self) -> None:
        """Hold this client's run until :meth:`release` or :meth:`close` (a thread renews
        the lease; done by itself before the first create when the client made up its run
        id)."""
        if self._held:
            return
        self._hold = True
        interval = self._opened(self._send(self._open_run()))
        if interval is not None:
            self._beat = Heartbeat(lambda: self._send(self._renew_run()), interval)

    def release(self, keep: str | float | None = None) -> None:
        """Stop holding the run: what is left in it is kept ``keep`` (a duration, or seconds)
        or, without it, removed by the server's reaper."""
        if self._beat is not None:
            beat, self._beat = self._beat, None
            beat.stop()
        if self._held:
            self._held = False
            self._send(self._end_run(keep))

    def seed(self, force: bool = False) -> dict[str, Any]:
        """Seed the baseline data (idempotent): ``{seeded, users, products, categories}``."""
        result: dict[str, Any] = self._send(self._seed(force))
        return result

    def create(self, kind: str, /, **fields: Any) -> Result:
        """Create entities of any kind (``count=3`` for several): ``{entities, trackingIds}``."""
        answer: Result = self._send(self._create(kind, fields))
        return answer

    def scenario(self, name: str, /, **params: Any) -> Result:
        """Run a scenario: ``{data, trackingIds}`` (also ``.data.user.email``)."""
        answer: Result = self._send(self._scenario(name, params))
        return answer

    def run(self, name: str, /, **params: Any) -> Result:
        """Run a scenario and return its data, as :meth:`tdm.Session.run` does."""
        data: Result = self.scenario(name, **params)["data"]
        return data

    def cleanup(self) -> CleanupReport:
        """Remove what this client created since :meth:`start_tracking` (by tracking id)."""
        return self._after_cleanup(self._send(self._cleanup()))

    def cleanup_run(self) -> CleanupReport:
        """Remove everything tracked under this client's run, by whichever client it was
        created."""
        return self._after_cleanup(self._send(self._cleanup_run()), all=True)

    def cleanup_all(self) -> CleanupReport:
        """Remove everything the server tracks, whoever created it (a global teardown)."""
        return self._after_cleanup(self._send(self._cleanup_all()), all=True)

    def health(self) -> dict[str, Any]:
        """``{status: healthy | degraded | unhealthy, dependencies: {name: up | down}, ...}``."""
        result: dict[str, Any] = self._send(self._health())
        return result

    def catalog(self) -> dict[str, Any]:
        """The server's scenarios and entity kinds (``GET /api/scenarios``)."""
        result: dict[str, Any] = self._send(self._catalog())
        return result

    def wait_for_healthy(
        self, timeout: float = 30.0, *, interval: float = 0.25, allow_degraded: bool = False
    ) -> dict[str, Any]:
        """Return the health once the server is healthy; ``TargetUnavailable`` after ``timeout``."""
        waiter = Waiter(self.base_url, timeout, allow_degraded)
        while True:
            try:
                answer: dict[str, Any] | TdmError = self.health()
            except TdmError as exc:
                answer = exc
            if (health := waiter.healthy(answer)) is not None:
                return health
            time.sleep(interval)

    def __getattr__(self, name: str) -> Callable[..., dict[str, Any]]:
        self._is_method(name)

        def call(**fields: Any) -> dict[str, Any]:
            if self._methods is None:
                self._methods = self._methods_of(self.catalog())
            result: dict[str, Any] = self._send(self._endpoint(name, fields))
            return result

        call.__name__ = name
        return call
