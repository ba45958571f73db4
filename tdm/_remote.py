"""Clients of a tdm server over HTTP, mirroring the design's TypeScript ``TestDataManager``.

:class:`AsyncClient` and :class:`Client` (synchronous) have the same methods. Both talk HTTP
only (nothing here imports the server) and send a run id (``X-TDM-Run-Id``) with every request,
so everything one client creates can also be removed with one cleanup by run::

    async with tdm.AsyncClient("http://localhost:3001") as t:
        await t.seed()
        t.start_tracking()
        data = (await t.scenario("user-with-orders", order_count=3))["data"]
        ...
        await t.cleanup()  # what this client created since start_tracking()

The server's errors come back as tdm's exceptions: :class:`~tdm.InvalidParameters` (422 naming
each field), :class:`~tdm.NotFound` (404), :class:`~tdm.ScenarioFailed`,
:class:`~tdm.TargetError` and :class:`~tdm.TargetUnavailable` (the system under test, or the
tdm server itself, cannot be reached); anything else as :class:`ServerError` (see ``_wire``).
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from types import TracebackType
from typing import Any, Self

import anyio
import httpx2

from ._errors import TargetUnavailable, TdmError
from ._report import CleanupReport
from ._settings import new_run_id
from ._wire import (
    HEALTH,
    Call,
    ServerError,
    camel_keys,
    order_body,
    report_of,
    result_of,
    unreachable,
)

__all__ = ["AsyncClient", "Client", "ServerError"]

DEFAULT_URL = "http://localhost:3001"
RUN_ID_HEADER, TEST_ID_HEADER = "X-TDM-Run-Id", "X-TDM-Test-Id"


class Calls:
    """What both clients share: building calls, keeping tracking ids and created entities."""

    def __init__(self, base_url: str, run_id: str | None, test_id: str | None) -> None:
        self.base_url = base_url.rstrip("/")
        self.run_id = run_id or new_run_id()
        self.test_id = test_id
        self._tracking: list[str] = []
        self._created: list[dict[str, Any]] = []

    def __repr__(self) -> str:
        return f"<tdm.{type(self).__name__} {self.base_url} run={self.run_id!r}>"

    def _headers(self) -> dict[str, str]:
        headers = {RUN_ID_HEADER: self.run_id}
        if self.test_id:
            headers[TEST_ID_HEADER] = self.test_id
        return headers

    def _track(self, call: Call, result: dict[str, Any]) -> dict[str, Any]:
        ids = result.get("trackingIds") or [result["trackingId"]]
        self._tracking.extend(ids)
        entry = {"operation": call.operation, "trackingIds": list(ids), "result": result}
        if call.name:
            entry["scenario"] = call.name
        self._created.append(entry)
        return result

    def _after_cleanup(self, report: CleanupReport, *, all: bool = False) -> CleanupReport:
        left = {f.tracking_id for f in report.failures}
        self._tracking = [t for t in self._tracking if t in left]
        if all or not self._tracking:
            self._created = []
        return report

    @staticmethod
    def _users(fields: Mapping[str, Any]) -> Call:
        return Call("POST", "/api/users", camel_keys(fields), "create_user")

    @staticmethod
    def _products(fields: Mapping[str, Any]) -> Call:
        return Call("POST", "/api/products", camel_keys(fields), "create_product")

    @staticmethod
    def _scenario(name: str, params: Mapping[str, Any]) -> Call:
        body = {"parameters": camel_keys(params)}
        return Call("POST", f"/api/scenarios/{name}", body, "scenario", name)

    def start_tracking(self, test_id: str | None = None) -> None:
        """Forget what was tracked: :meth:`cleanup` removes what is created from now on.

        ``test_id`` (say, the test's name) is recorded in the ledger with each entity.
        """
        self._tracking, self._created, self.test_id = [], [], test_id or self.test_id

    @property
    def tracking_ids(self) -> list[str]:
        """Tracking ids of what this client created since :meth:`start_tracking`."""
        return list(self._tracking)

    def get_created_entities(self) -> list[dict[str, Any]]:
        """What was created since :meth:`start_tracking`, call by call (for test reports):
        ``{"operation", "trackingIds", "result"}`` plus ``"scenario"`` for scenarios."""
        return [dict(entry) for entry in self._created]


class AsyncClient(Calls):
    """An async client of a tdm server (``base_url`` such as ``http://localhost:3001``).

    ``run_id`` groups what it creates (default: a new run id); ``transport`` lets tests
    hand in an ``httpx2.ASGITransport``.
    """

    def __init__(
        self,
        base_url: str = DEFAULT_URL,
        *,
        run_id: str | None = None,
        test_id: str | None = None,
        timeout: float = 60.0,
        transport: httpx2.AsyncBaseTransport | None = None,
    ) -> None:
        super().__init__(base_url, run_id, test_id)
        self._http = httpx2.AsyncClient(base_url=self.base_url, timeout=timeout,
                                        transport=transport)  # fmt: skip

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **options: Any) -> Self:
        """A client of ``TEST_DATA_MANAGER_URL`` (default localhost:3001) in run ``TDM_RUN_ID``."""
        env = os.environ if environ is None else environ
        return cls(env.get("TEST_DATA_MANAGER_URL") or DEFAULT_URL,
                   run_id=env.get("TDM_RUN_ID") or None, **options)  # fmt: skip

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:  # fmt: skip
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _send(self, call: Call) -> Any:
        try:
            response = await self._http.request(
                call.method, call.path, json=call.body, headers=self._headers()
            )
        except httpx2.TransportError as exc:
            raise unreachable(call, self.base_url, exc) from exc
        return result_of(call, response)

    async def seed(self, force: bool = False) -> dict[str, Any]:
        """Seed the baseline data (idempotent): ``{seeded, users, products, categories}``."""
        result: dict[str, Any] = await self._send(Call("POST", "/api/seed", {"force": force}))
        return result

    async def create_user(self, **fields: Any) -> dict[str, Any]:
        """Create users (``count=5``, ``email=``, ``full_name=``...): ``{users, trackingIds}``."""
        call = self._users(fields)
        return self._track(call, await self._send(call))

    async def create_product(self, **fields: Any) -> dict[str, Any]:
        """Create products (``count``, ``name``, ``price``, ``stock``, ``category_id``...):
        ``{products, trackingIds}``."""
        call = self._products(fields)
        return self._track(call, await self._send(call))

    async def create_order(
        self, user_id: int, items: Any = None, status: str | None = None, **fields: Any
    ) -> dict[str, Any]:
        """Create an order for a user tdm created: ``{order, trackingId, trackingIds}``."""
        call = Call("POST", "/api/orders", order_body(user_id, items, status, fields),
                     "create_order")  # fmt: skip
        return self._track(call, await self._send(call))

    async def scenario(self, name: str, /, **params: Any) -> dict[str, Any]:
        """Run a scenario; parameters in Python or camelCase names: ``{data, trackingIds}``."""
        call = self._scenario(name, params)
        return self._track(call, await self._send(call))

    async def cleanup(self) -> CleanupReport:
        """Remove what this client created since :meth:`start_tracking` (by tracking id).

        What could not be removed stays tracked here too, so a later call retries it.
        """
        body = {"trackingIds": self.tracking_ids}
        report = report_of(await self._send(Call("DELETE", "/api/cleanup", body)))
        return self._after_cleanup(report)

    async def cleanup_all(self) -> CleanupReport:
        """Remove everything the server tracks, whoever created it (a global teardown)."""
        report = report_of(await self._send(Call("DELETE", "/api/cleanup", {"all": True})))
        return self._after_cleanup(report, all=True)

    async def health(self) -> dict[str, Any]:
        """``{status: healthy | degraded | unhealthy, dependencies: {name: up | down}}``."""
        try:
            response = await self._http.get("/api/health")
        except httpx2.TransportError as exc:
            raise unreachable(HEALTH, self.base_url, exc) from exc
        body: dict[str, Any] = (
            response.json() if response.status_code == 503 else result_of(HEALTH, response)
        )
        return body

    async def wait_for_healthy(
        self,
        timeout: float = 30.0,  # noqa: ASYNC109 -- the design's waitForHealthy(timeout)
        *,
        interval: float = 0.25,
        allow_degraded: bool = False,
    ) -> dict[str, Any]:
        """Return the health once the server is healthy; ``TargetUnavailable`` after ``timeout``."""
        accepted = {"healthy", "degraded"} if allow_degraded else {"healthy"}
        deadline = time.monotonic() + timeout
        last: Any = "no answer"
        while True:
            try:
                health = await self.health()
                if health.get("status") in accepted:
                    return health
                last = health
            except TdmError as exc:
                last = exc
            if time.monotonic() >= deadline:
                raise TargetUnavailable("tdm server", _not_healthy(self.base_url, timeout, last))
            await anyio.sleep(interval)


def _not_healthy(base_url: str, timeout: float, last: Any) -> str:
    return f"{base_url} was not healthy within {timeout:g} s (last: {last})"


class Client(Calls):
    """The synchronous :class:`AsyncClient`: the same methods, blocking."""

    def __init__(
        self,
        base_url: str = DEFAULT_URL,
        *,
        run_id: str | None = None,
        test_id: str | None = None,
        timeout: float = 60.0,
        transport: httpx2.BaseTransport | None = None,
    ) -> None:
        super().__init__(base_url, run_id, test_id)
        self._http = httpx2.Client(base_url=self.base_url, timeout=timeout, transport=transport)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **options: Any) -> Self:
        """A client of ``TEST_DATA_MANAGER_URL`` (default localhost:3001) in run ``TDM_RUN_ID``."""
        env = os.environ if environ is None else environ
        return cls(env.get("TEST_DATA_MANAGER_URL") or DEFAULT_URL,
                   run_id=env.get("TDM_RUN_ID") or None, **options)  # fmt: skip

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:  # fmt: skip
        self.close()

    def close(self) -> None:
        self._http.close()

    def _send(self, call: Call) -> Any:
        try:
            response = self._http.request(
                call.method, call.path, json=call.body, headers=self._headers()
            )
        except httpx2.TransportError as exc:
            raise unreachable(call, self.base_url, exc) from exc
        return result_of(call, response)

    def seed(self, force: bool = False) -> dict[str, Any]:
        """Seed the baseline data (idempotent): ``{seeded, users, products, categories}``."""
        result: dict[str, Any] = self._send(Call("POST", "/api/seed", {"force": force}))
        return result

    def create_user(self, **fields: Any) -> dict[str, Any]:
        """Create users (``count=5``, ``email=``, ``full_name=``...): ``{users, trackingIds}``."""
        call = self._users(fields)
        return self._track(call, self._send(call))

    def create_product(self, **fields: Any) -> dict[str, Any]:
        """Create products (``count``, ``name``, ``price``, ``stock``, ``category_id``...):
        ``{products, trackingIds}``."""
        call = self._products(fields)
        return self._track(call, self._send(call))

    def create_order(
        self, user_id: int, items: Any = None, status: str | None = None, **fields: Any
    ) -> dict[str, Any]:
        """Create an order for a user tdm created: ``{order, trackingId, trackingIds}``."""
        call = Call("POST", "/api/orders", order_body(user_id, items, status, fields),
                     "create_order")  # fmt: skip
        return self._track(call, self._send(call))

    def scenario(self, name: str, /, **params: Any) -> dict[str, Any]:
        """Run a scenario; parameters in Python or camelCase names: ``{data, trackingIds}``."""
        call = self._scenario(name, params)
        return self._track(call, self._send(call))

    def cleanup(self) -> CleanupReport:
        """Remove what this client created since :meth:`start_tracking` (by tracking id)."""
        body = {"trackingIds": self.tracking_ids}
        report = report_of(self._send(Call("DELETE", "/api/cleanup", body)))
        return self._after_cleanup(report)

    def cleanup_all(self) -> CleanupReport:
        """Remove everything the server tracks, whoever created it (a global teardown)."""
        report = report_of(self._send(Call("DELETE", "/api/cleanup", {"all": True})))
        return self._after_cleanup(report, all=True)

    def health(self) -> dict[str, Any]:
        """``{status: healthy | degraded | unhealthy, dependencies: {name: up | down}}``."""
        try:
            response = self._http.get("/api/health")
        except httpx2.TransportError as exc:
            raise unreachable(HEALTH, self.base_url, exc) from exc
        body: dict[str, Any] = (
            response.json() if response.status_code == 503 else result_of(HEALTH, response)
        )
        return body

    def wait_for_healthy(
        self, timeout: float = 30.0, *, interval: float = 0.25, allow_degraded: bool = False
    ) -> dict[str, Any]:
        """Return the health once the server is healthy; ``TargetUnavailable`` after ``timeout``."""
        accepted = {"healthy", "degraded"} if allow_degraded else {"healthy"}
        deadline = time.monotonic() + timeout
        last: Any = "no answer"
        while True:
            try:
                health = self.health()
                if health.get("status") in accepted:
                    return health
                last = health
            except TdmError as exc:
                last = exc
            if time.monotonic() >= deadline:
                raise TargetUnavailable("tdm server", _not_healthy(self.base_url, timeout, last))
            time.sleep(interval)
