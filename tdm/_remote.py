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
tdm server itself, cannot be reached); anything else as :class:`ServerError`.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from types import TracebackType
from typing import Any, Self

import anyio
import attrs
import httpx2

from ._convert import camel
from ._errors import (
    FieldProblem,
    InvalidParameters,
    NotFound,
    ScenarioFailed,
    TargetError,
    TargetUnavailable,
    TdmError,
)
from ._report import CleanupReport, Leftover
from ._settings import new_run_id

__all__ = ["AsyncClient", "Client", "ServerError"]

DEFAULT_URL = "http://localhost:3001"
RUN_ID_HEADER, TEST_ID_HEADER = "X-TDM-Run-Id", "X-TDM-Test-Id"


class ServerError(TdmError):
    """The tdm server refused a request for a reason no other exception of tdm stands for
    (400 malformed, 405, 413 too large, 415, 500): ``status``, ``code``, ``detail``."""

    def __init__(self, status: int, code: str, detail: str, body: Any = None) -> None:
        self.status, self.code, self.detail, self.body = status, code, detail, body
        super().__init__(f"the tdm server answered {status} {code}: {detail}")


# -- requests and their answers, shared by both clients -----------------------------------------


@attrs.frozen
class _Call:
    method: str
    path: str
    body: Any = None
    operation: str = ""
    name: str = ""  # what a 404 is about (a scenario's name)


def _camel_keys(fields: Mapping[str, Any]) -> dict[str, Any]:
    return {camel(key): value for key, value in fields.items()}


def _order_body(user_id: int, items: Any, status: str | None, fields: Mapping[str, Any]) -> Any:
    body: dict[str, Any] = {"userId": user_id, **_camel_keys(fields)}
    if items is not None:
        body["items"] = [_camel_keys(i) if isinstance(i, Mapping) else i for i in items]
    if status is not None:
        body["status"] = status
    return body


def _problem(raw: Mapping[str, Any]) -> FieldProblem:
    """A field problem as the server reported it (its flags recovered from its message)."""
    field, expected, got = str(raw.get("field")), str(raw.get("expected")), raw.get("got")
    for flags in ({"missing": True}, {"unknown": True}):
        candidate = FieldProblem(field, expected, got, **flags)
        if candidate.message == raw.get("message"):
            return candidate
    return FieldProblem(field, expected, got)


def _report(raw: Any) -> CleanupReport:
    raw = raw if isinstance(raw, Mapping) else {}
    failures = [
        Leftover(str(f.get("trackingId")), str(f.get("entityType")), f.get("entityId"),
                 str(f.get("reason")))
        for f in raw.get("failed", [])
    ]  # fmt: skip
    return CleanupReport(dict(raw.get("deleted", {})), int(raw.get("alreadyGone", 0)), failures)


def _exception(status: int, body: Mapping[str, Any], call: _Call) -> Exception:
    """The exception of tdm that an error answer stands for."""
    code, detail = str(body.get("error", "error")), str(body.get("detail", ""))
    if code == "scenario_failed":
        cause = body.get("cause")
        inner = _exception(status, {**body, **cause} if isinstance(cause, Mapping) else {}, call)
        step = str(body.get("step", "an unknown step"))
        return ScenarioFailed(str(body.get("scenario", call.name)), step, inner,
                              _report(body.get("cleanup")))  # fmt: skip
    if code == "validation_error":
        subject = detail.removeprefix("invalid parameters for ").partition(": ")[0]
        return InvalidParameters(subject or call.operation, [_problem(f) for f in body["fields"]])
    if code == "not_found":
        return NotFound(str(body.get("what", "route")), str(body.get("name", call.path)),
                        body.get("known", []))  # fmt: skip
    if "target" in body:
        target = str(body["target"])
        message = detail.removeprefix(f"{target}: ")
        kind = TargetUnavailable if code == "target_unavailable" else TargetError
        return kind(target, message, status=body.get("targetStatus"))
    return ServerError(status, code, detail, body)


def _result(call: _Call, response: httpx2.Response) -> Any:
    try:
        body = response.json()
    except ValueError:
        body = None
    if response.is_success and body is not None:
        return body
    if isinstance(body, Mapping) and "error" in body:
        raise _exception(response.status_code, body, call)
    detail = response.text[:200] or response.reason_phrase
    raise ServerError(response.status_code, "http_error", detail, body)


_HEALTH = _Call("GET", "/api/health")


def _unreachable(call: _Call, base_url: str, exc: Exception) -> TargetUnavailable:
    return TargetUnavailable("tdm server", f"{call.method} {base_url}{call.path} failed: {exc!r}")


class _Calls:
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

    def _track(self, call: _Call, result: dict[str, Any]) -> dict[str, Any]:
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
    def _users(fields: Mapping[str, Any]) -> _Call:
        return _Call("POST", "/api/users", _camel_keys(fields), "create_user")

    @staticmethod
    def _products(fields: Mapping[str, Any]) -> _Call:
        return _Call("POST", "/api/products", _camel_keys(fields), "create_product")

    @staticmethod
    def _scenario(name: str, params: Mapping[str, Any]) -> _Call:
        body = {"parameters": _camel_keys(params)}
        return _Call("POST", f"/api/scenarios/{name}", body, "scenario", name)

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


class AsyncClient(_Calls):
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

    async def _send(self, call: _Call) -> Any:
        try:
            response = await self._http.request(
                call.method, call.path, json=call.body, headers=self._headers()
            )
        except httpx2.TransportError as exc:
            raise _unreachable(call, self.base_url, exc) from exc
        return _result(call, response)

    async def seed(self, force: bool = False) -> dict[str, Any]:
        """Seed the baseline data (idempotent): ``{seeded, users, products, categories}``."""
        result: dict[str, Any] = await self._send(_Call("POST", "/api/seed", {"force": force}))
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
        call = _Call("POST", "/api/orders", _order_body(user_id, items, status, fields),
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
        report = _report(await self._send(_Call("DELETE", "/api/cleanup", body)))
        return self._after_cleanup(report)

    async def cleanup_all(self) -> CleanupReport:
        """Remove everything the server tracks, whoever created it (a global teardown)."""
        report = _report(await self._send(_Call("DELETE", "/api/cleanup", {"all": True})))
        return self._after_cleanup(report, all=True)

    async def health(self) -> dict[str, Any]:
        """``{status: healthy | degraded | unhealthy, dependencies: {name: up | down}}``."""
        try:
            response = await self._http.get("/api/health")
        except httpx2.TransportError as exc:
            raise _unreachable(_HEALTH, self.base_url, exc) from exc
        body: dict[str, Any] = (
            response.json() if response.status_code == 503 else _result(_HEALTH, response)
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


class Client(_Calls):
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

    def _send(self, call: _Call) -> Any:
        try:
            response = self._http.request(
                call.method, call.path, json=call.body, headers=self._headers()
            )
        except httpx2.TransportError as exc:
            raise _unreachable(call, self.base_url, exc) from exc
        return _result(call, response)

    def seed(self, force: bool = False) -> dict[str, Any]:
        """Seed the baseline data (idempotent): ``{seeded, users, products, categories}``."""
        result: dict[str, Any] = self._send(_Call("POST", "/api/seed", {"force": force}))
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
        call = _Call("POST", "/api/orders", _order_body(user_id, items, status, fields),
                     "create_order")  # fmt: skip
        return self._track(call, self._send(call))

    def scenario(self, name: str, /, **params: Any) -> dict[str, Any]:
        """Run a scenario; parameters in Python or camelCase names: ``{data, trackingIds}``."""
        call = self._scenario(name, params)
        return self._track(call, self._send(call))

    def cleanup(self) -> CleanupReport:
        """Remove what this client created since :meth:`start_tracking` (by tracking id)."""
        body = {"trackingIds": self.tracking_ids}
        report = _report(self._send(_Call("DELETE", "/api/cleanup", body)))
        return self._after_cleanup(report)

    def cleanup_all(self) -> CleanupReport:
        """Remove everything the server tracks, whoever created it (a global teardown)."""
        report = _report(self._send(_Call("DELETE", "/api/cleanup", {"all": True})))
        return self._after_cleanup(report, all=True)

    def health(self) -> dict[str, Any]:
        """``{status: healthy | degraded | unhealthy, dependencies: {name: up | down}}``."""
        try:
            response = self._http.get("/api/health")
        except httpx2.TransportError as exc:
            raise _unreachable(_HEALTH, self.base_url, exc) from exc
        body: dict[str, Any] = (
            response.json() if response.status_code == 503 else _result(_HEALTH, response)
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
