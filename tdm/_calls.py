"""What a tdm client sends and makes of the answers, without any I/O.

Every call of :class:`tdm.AsyncClient` and :class:`tdm.Client` is described once here, as a
:class:`Request` built by :class:`Calls`: the method, path and body (Python names at every
depth sent in camelCase, see :func:`wire`), whether it may be sent again when its answer is
lost (creates carry an ``Idempotency-Key``), and how its answer is read (errors back as the
exceptions tdm raises in process, results as :class:`tdm.Result`). The two clients in
:mod:`tdm._remote` only send them, one awaiting and one blocking.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from typing import Any

import attrs
import httpx2

from ._errors import FieldProblem, InvalidParameters, ServerError, TargetUnavailable, TdmError
from ._errors import from_json as error_from_json
from ._holding import RetryPolicy, log, new_holder, new_key
from ._names import camel, snake
from ._report import CleanupReport
from ._results import result as as_result
from ._run_ids import new_run_id
from ._settings import with_demo_env

__all__ = ["URL_SETTING", "Calls", "Request", "Waiter", "env_token", "settings_from_env", "wire"]

DEFAULT_URL = "http://localhost:3001"
URL_SETTING = "TEST_DATA_MANAGER_URL"
TOKEN_SETTING = "TDM_API_TOKEN"  # noqa: S105 -- the setting's name, not a token
RUN_ID_HEADER, TEST_ID_HEADER = "X-TDM-Run-Id", "X-TDM-Test-Id"


@attrs.frozen
class Request:
    """One HTTP request to a tdm server, and how to read its answer."""

    method: str
    path: str
    body: Any = None
    operation: str = ""
    """What the call is, for :meth:`Calls.get_created_entities` (``"create_user"``)."""
    tracks: bool = False
    """Whether the answer's tracking ids are this client's to clean up."""
    scenario: str | None = None
    accept: tuple[int, ...] = ()
    """Error statuses whose body is an answer, not an error (health's 503)."""
    retry: bool = False
    """Whether sending it again is safe when its answer is lost (creates carry a key)."""
    key: str | None = None
    """Its ``Idempotency-Key``."""


def wire(value: Any, path: tuple[str | int, ...] = ()) -> Any:
    """Python-named fields, at every depth, as the server's camelCase ones.

    A camelCase key is refused, naming its snake_case form: Python speaks snake_case.
    """
    if isinstance(value, Mapping):
        out = {}
        problems = []
        for key, item in value.items():
            name = str(key)
            if name != name.lower() and "_" not in name:
                rule = f"{snake(name)} (in Python, names are snake_case)"
                problems.append(FieldProblem((*path, name), rule, item, unknown=True))
                continue
            out[camel(name)] = wire(item, (*path, name))
        if problems:
            raise InvalidParameters("the request", problems)
        return out
    if isinstance(value, list | tuple):
        return [wire(item, (*path, index)) for index, item in enumerate(value)]
    return value


class Calls:
    """What both clients share: the calls, and what tracking they keep."""

    def __init__(
        self, base_url: str, run_id: str | None, test_id: str | None, token: str | None = None,
        *, hold: bool | None = None, keep: str | None = None, retries: int = 3,
    ) -> None:  # fmt: skip
        self.base_url = base_url.rstrip("/")
        self.run_id = run_id or new_run_id()
        self.test_id = test_id
        self._token = token
        self._tracking: list[str] = []
        self._created: list[dict[str, Any]] = []
        self._methods: dict[str, dict[str, Any]] | None = None
        self._retry = RetryPolicy(retries)
        self.holder = new_holder()
        """This client's name as the holder of its run's lease."""
        self._hold = run_id is None if hold is None else hold
        self._held = False
        self._keep = keep

    def __repr__(self) -> str:
        return f"<tdm.{type(self).__name__} {self.base_url} run={self.run_id!r}>"

    def _headers(self, request: Request) -> dict[str, str]:
        headers = {RUN_ID_HEADER: self.run_id}
        if self.test_id:
            headers[TEST_ID_HEADER] = self.test_id
        if self._token:
            headers["Authorization"] = f"Bearer {self._token}"
        if request.key:
            headers["Idempotency-Key"] = request.key
        return headers

    # -- the calls -----------------------------------------------------------------------------

    @staticmethod
    def _seed(force: bool) -> Request:
        return Request("POST", "/api/seed", {"force": force}, "seed")

    @staticmethod
    def _create(kind: str, fields: Mapping[str, Any]) -> Request:
        return Request("POST", f"/api/entities/{kind}", wire(fields), f"create {kind}", True,
                       retry=True, key=new_key())  # fmt: skip

    @staticmethod
    def _scenario(name: str, params: Mapping[str, Any]) -> Request:
        body = {"parameters": wire(params)}
        return Request("POST", f"/api/scenarios/{name}", body, "scenario", True, name,
                       retry=True, key=new_key())  # fmt: skip

    def _cleanup(self) -> Request:
        body = {"trackingIds": self.tracking_ids}
        return Request("DELETE", "/api/cleanup", body, "cleanup", retry=True)

    def _cleanup_run(self) -> Request:
        return Request("DELETE", "/api/cleanup", {"runId": self.run_id}, "cleanup", retry=True)

    @staticmethod
    def _cleanup_all() -> Request:
        return Request("DELETE", "/api/cleanup", {"all": True}, "cleanup", retry=True)

    def _open_run(self) -> Request:
        body = {"runId": self.run_id, "holder": self.holder}
        return Request("POST", "/api/runs", body, "hold", retry=True, accept=(404,))

    def _renew_run(self) -> Request:
        body = {"holder": self.holder}
        return Request("PUT", f"/api/runs/{self.run_id}/lease", body, "renew", retry=True)

    def _end_run(self, keep: str | float | None) -> Request:
        body: dict[str, Any] = {"holder": self.holder}
        if keep is not None:
            body["keep"] = keep if isinstance(keep, str) else f"{max(int(keep), 1)}s"
        return Request("DELETE", f"/api/runs/{self.run_id}", body, "release", retry=True)

    def _opened(self, answer: Any) -> float | None:
        """How often to renew the lease ``POST /api/runs`` gave; ``None`` when the server
        has no runs to hold (an older server): the client then holds nothing."""
        if not isinstance(answer, Mapping) or "runId" not in answer:
            log.info("%s does not hold runs (no /api/runs); the run is not held", self.base_url)
            self._hold = False
            return None
        self._held = True
        return float(answer.get("heartbeatInterval") or 10.0)

    @staticmethod
    def _health() -> Request:
        return Request("GET", "/api/health", accept=(503,))

    @staticmethod
    def _catalog() -> Request:
        return Request("GET", "/api/scenarios")

    def _endpoint(self, method: str, fields: Mapping[str, Any]) -> Request:
        """The call of a method a registry adds (``create_user``); the catalog must be read."""
        assert self._methods is not None
        endpoint = self._methods.get(method)
        if endpoint is None:
            raise self._unknown_method(method)
        return Request("POST", endpoint["path"], wire(fields), method, True, retry=True,
                       key=new_key())  # fmt: skip

    @staticmethod
    def _is_method(name: str) -> None:
        """Only ``create_*`` names may be a registry's methods."""
        if not name.startswith("create_"):
            raise AttributeError(name)

    def _methods_of(self, catalog: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
        found = {}
        for kind in catalog.get("entityKinds", []):
            endpoint = kind.get("endpoint")
            if endpoint and endpoint.get("method"):
                found[endpoint["method"]] = endpoint
        return found

    def _unknown_method(self, name: str) -> AttributeError:
        known = ", ".join(sorted(self._methods or {})) or "none"
        return AttributeError(
            f"{type(self).__name__} has no method {name!r}; the server's registries add: {known} "
            "(or use create(kind, ...))"
        )

    # -- answers -------------------------------------------------------------------------------

    def _answer(self, request: Request, response: httpx2.Response) -> Any:
        try:
            body = response.json()
        except ValueError:
            body = None
        if (response.is_success or response.status_code in request.accept) and body is not None:
            if request.tracks and isinstance(body, dict):
                self._track(request, body)
            return as_result(body)  # data.user.email, as a session's results read
        if isinstance(body, Mapping) and "error" in body:
            raise error_from_json(response.status_code, body)
        detail = response.text[:200] or response.reason_phrase
        raise ServerError(response.status_code, "http_error", detail, body)

    def _unreachable(self, request: Request, exc: Exception) -> TargetUnavailable:
        return TargetUnavailable(
            "tdm server",
            f"{request.method} {self.base_url}{request.path} failed: {exc!r}; is a tdm server "
            f"running there? (the URL comes from {URL_SETTING} or the client's base_url)",
        )

    def _track(self, request: Request, result: dict[str, Any]) -> None:
        ids = result.get("trackingIds") or [result["trackingId"]]
        self._tracking.extend(ids)
        entry = {"operation": request.operation, "trackingIds": list(ids), "result": result}
        if request.scenario:
            entry["scenario"] = request.scenario
        self._created.append(entry)

    def _after_cleanup(self, body: Any, *, all: bool = False) -> CleanupReport:
        report = CleanupReport.from_json(body)
        left = {f.tracking_id for f in report.failures} | {
            u.tracking_id for u in report.unverified if u.kept
        }
        self._tracking = [t for t in self._tracking if t in left]
        if all or not self._tracking:
            self._created = []
        return report

    # -- tracking ------------------------------------------------------------------------------

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


@attrs.define
class Waiter:
    """How waiting for a healthy server goes, for both drivers: what counts as healthy, when
    to give up, and what to say then."""

    base_url: str
    timeout: float
    allow_degraded: bool
    deadline: float = attrs.field(init=False)
    last: Any = "no answer"

    def __attrs_post_init__(self) -> None:
        self.deadline = time.monotonic() + self.timeout

    def healthy(self, answer: dict[str, Any] | TdmError) -> dict[str, Any] | None:
        """The health if it is good enough; ``None`` to wait on; raises once time is up.

        A server the health calls ``ready`` is good enough even when degraded by stuck runs
        (other runs' data the reaper gave up on): they must not block every suite sharing it."""
        accepted = {"healthy", "degraded"} if self.allow_degraded else {"healthy"}
        if isinstance(answer, dict) and (answer.get("status") in accepted or answer.get("ready")):
            return answer
        self.last = answer
        if time.monotonic() >= self.deadline:
            raise TargetUnavailable("tdm server", _not_healthy(self.base_url, self.timeout,
                                                               self.last))  # fmt: skip
        return None


def settings_from_env(environ: Mapping[str, str] | None) -> tuple[str, str | None, str | None]:
    """The URL, run id and token a client takes from the environment (a running demo's too)."""
    env = with_demo_env(os.environ)[0] if environ is None else environ  # a running demo's too
    return env.get(URL_SETTING) or DEFAULT_URL, env.get("TDM_RUN_ID") or None, env_token(env)


def env_token(environ: Mapping[str, str] | None = None) -> str | None:
    """The token a client sends: the first of ``TDM_API_TOKEN`` (``None`` when unset)."""
    env = os.environ if environ is None else environ
    tokens = [t.strip() for t in (env.get(TOKEN_SETTING) or "").split(",") if t.strip()]
    return tokens[0] if tokens else None


def _not_healthy(base_url: str, timeout: float, last: Any) -> str:
    return f"{base_url} was not healthy within {timeout:g} s (last: {last})"
