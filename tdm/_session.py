"""Sessions: a tracking context that creates entities and runs scenarios, then removes them."""

from __future__ import annotations

import contextvars
import logging
import random
import uuid
import warnings
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any

import anyio
import attrs

from ._clients import Clients
from ._convert import camel, structure_field, to_json
from ._datagen import DataGen
from ._errors import FieldProblem, InvalidParameters, ScenarioFailed, TargetError
from ._kinds import Kind
from ._ledger import TrackingRecord
from ._registry import Scenario
from ._report import CleanupReport, LeakWarning

if TYPE_CHECKING:
    from ._manager import Manager

__all__ = ["Created", "Session"]

log = logging.getLogger("tdm")

KindRef = str | Kind[Any, Any, Any] | type[Kind[Any, Any, Any]]
ScenarioRef = str | Scenario | Callable[..., Any]


@attrs.define(eq=False)
class _Scope:
    """One running scenario: what it has created and which step it is at."""

    name: str
    params: dict[str, Any]
    tracking_ids: list[str] = attrs.field(factory=list)
    steps: int = 0
    step: str = "its start (before any entity was created)"
    in_step: bool = False

    def failed_at(self) -> str:
        """Where a failure happened: inside a create step, or in the code after one."""
        return self.step if self.in_step or not self.steps else f"the code after {self.step}"


@attrs.frozen
class Created:
    """One entity a session created: for test reports and listings."""

    tracking_id: str
    kind: str
    entity_id: str
    label: str | None
    scenario: str | None


_scopes: contextvars.ContextVar[tuple[_Scope, ...]] = contextvars.ContextVar(
    "tdm_scopes", default=()
)


def _refused(exc: TargetError | InvalidParameters) -> bool:
    """Whether a failed create certainly created nothing: the system answered 4xx (it
    refused the request) or tdm refused it before sending. After a 5xx or a lost connection
    the outcome is unknown, and the intent stays for cleanup to reconcile."""
    if isinstance(exc, InvalidParameters):
        return True
    return exc.status is not None and 400 <= exc.status < 500


class Session:
    """Creates entities and runs scenarios, tracking each entity; removes them all on exit.

    Use it through :func:`tdm.session` or :meth:`tdm.Manager.session`::

        async with tdm.session() as s:
            data = await s.run(user_with_orders, order_count=3)

    On leaving the block (normally, by an exception or by cancellation) every entity the
    session created is deleted, children before parents; with ``keep=True`` they are kept and
    stay tracked for a later cleanup. :attr:`report` tells what the exit cleanup did.
    """

    def __init__(
        self,
        manager: Manager,
        *,
        seed: int,
        run_id: str,
        test_id: str | None = None,
        keep: bool = False,
    ) -> None:
        self.manager = manager
        self.seed = seed
        self.run_id = run_id
        self.test_id = test_id
        self.keep = keep
        self.session_id = uuid.uuid4().hex
        self.report: CleanupReport | None = None
        self._gen = DataGen(seed)
        shared = manager.shared_clients
        self._clients = shared or Clients(manager.registry, manager.settings)
        self._owns_clients = shared is None
        self._limiter = anyio.CapacityLimiter(manager.settings.concurrency)
        self._tracking_ids: list[str] = []
        self._created: list[Created] = []

    def __repr__(self) -> str:
        return (
            f"<tdm.Session run={self.run_id!r} seed={self.seed} created={len(self._tracking_ids)}>"
        )

    @property
    def namespace(self) -> str:
        """The mark that unique values of this session carry (derived from :attr:`seed`)."""
        return self._gen.namespace

    @property
    def created(self) -> list[Created]:
        """What this session created so far (confirmed entities), in order."""
        return list(self._created)

    @property
    def tracking_ids(self) -> list[str]:
        """Tracking ids of everything this session created, in order."""
        return list(self._tracking_ids)

    async def __aenter__(self) -> Session:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if self.keep:
                return
            report = CleanupReport()
            with anyio.move_on_after(self.manager.settings.cleanup_timeout, shield=True) as scope:
                report = await self.cleanup()
            if scope.cancelled_caught:
                log.warning("tdm: session cleanup timed out; what is left stays tracked")
            self.report = report
            left = scope.cancelled_caught or not report.complete
            if left:
                message = f"tdm session {self.session_id} (seed {self.seed}): {report.summary()}"
                if scope.cancelled_caught:
                    message += " (cleanup timed out; the rest stays tracked)"
                if exc is not None:
                    exc.add_note(message)
                warnings.warn(message, LeakWarning, stacklevel=2)
        finally:
            if self._owns_clients:
                with anyio.CancelScope(shield=True):
                    await self._clients.aclose()

    def random(self, *key: object) -> random.Random:
        """A random source seeded by the session's seed and ``key``: reproducible choices.

        For choices a scenario or a kind's ``prepare`` makes among existing data, so a session
        replayed with the same seed (against the same data) chooses the same.
        """
        return random.Random(":".join(map(str, (self.seed, *key))))

    async def client(self, target: str) -> Any:
        """The open client of ``target`` (for reads a scenario or a kind's prepare needs)."""
        return await self._clients.get(target)

    # -- creating ----------------------------------------------------------------------------

    async def create(self, kind: KindRef, /, **overrides: Any) -> Any:
        """Create one entity of ``kind`` with realistic values, ``overrides`` applied."""
        found = self.manager.registry.get_kind(kind)
        spec = self._build(found, overrides, json_names=False)
        return await self._create(found, spec)

    async def create_from(self, kind: KindRef, fields: Mapping[str, Any]) -> Any:
        """Like :meth:`create`, with ``fields`` in camelCase as they arrive over HTTP or MCP."""
        found = self.manager.registry.get_kind(kind)
        return await self._create(found, self._build(found, fields, json_names=True))

    async def create_many(self, kind: KindRef, count: int, /, **overrides: Any) -> list[Any]:
        """Create ``count`` entities concurrently (bounded by ``TDM_CONCURRENCY``)."""
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            raise InvalidParameters(
                "create_many", [FieldProblem("count", "an integer of at least 1", count)]
            )
        found = self.manager.registry.get_kind(kind)
        specs = [self._build(found, overrides, json_names=False) for _ in range(count)]
        results: list[Any] = [None] * count

        async def one(index: int) -> None:
            results[index] = await self._create(found, specs[index])

        async with anyio.create_task_group() as tg:
            for index in range(count):
                tg.start_soon(one, index)
        return results

    def _build(
        self, kind: Kind[Any, Any, Any], given: Mapping[str, Any], *, json_names: bool
    ) -> Any:
        spec = kind.build(self._gen.next())
        fields = {(camel(a.name) if json_names else a.name): a for a in attrs.fields(kind.spec)}
        problems: list[FieldProblem] = []
        changes: dict[str, Any] = {}
        for key, value in given.items():
            field = fields.get(key)
            if field is None:
                known = ", ".join(fields)
                problems.append(FieldProblem(key, f"one of {known}", value, unknown=True))
                continue
            structured, found = structure_field(camel(field.name), value, field.type)
            problems.extend(found)
            if not found:
                changes[field.name] = structured
        for name, value in changes.items():
            try:
                spec = attrs.evolve(spec, **{name: value})
            except (TypeError, ValueError) as exc:
                problems.append(FieldProblem(camel(name), str(exc), value))
        if problems:
            raise InvalidParameters(f"entity kind {kind.name!r}", problems)
        return spec

    async def _create(self, kind: Kind[Any, Any, Any], spec: Any) -> Any:
        scopes = _scopes.get()
        inner = scopes[-1] if scopes else None
        if inner is not None:
            inner.steps += 1
            inner.step, inner.in_step = f"step {inner.steps} (create {kind.name})", True
        spec = await kind.prepare(self, spec)
        record = TrackingRecord(
            tracking_id=str(uuid.uuid4()),
            kind=kind.name,
            target=kind.target,
            state="pending",
            entity_id=None,
            label=None,
            lookup=kind.lookup(spec),
            refs=tuple((k, str(i)) for k, i in kind.refs(spec)),
            run_id=self.run_id,
            session_id=self.session_id,
            test_id=self.test_id,
            scenario=inner.name if inner else None,
            params=inner.params if inner else None,
            seed=self.seed,
            created_at=datetime.now(UTC),
        )
        await self.manager.ledger.add(record)
        self._tracking_ids.append(record.tracking_id)
        for scope in scopes:
            scope.tracking_ids.append(record.tracking_id)
        async with self._limiter:
            client = await self._clients.get(kind.target)
            try:
                entity = await kind.create(client, spec)
            except (TargetError, InvalidParameters) as exc:
                if _refused(exc):
                    await self._forget(record.tracking_id, scopes)
                raise
        entity_id, label = str(kind.entity_id(entity)), kind.label(entity)
        await self.manager.ledger.confirm(record, entity_id, label)
        self._created.append(
            Created(record.tracking_id, kind.name, entity_id, label, record.scenario)
        )
        if inner is not None:
            inner.in_step = False
        return entity

    async def _forget(self, tracking_id: str, scopes: tuple[_Scope, ...]) -> None:
        """Drop the intent of a create that was refused: nothing was created, and looking the
        intent up by its natural key could find an entity that already held the key (someone
        else's, say after a 409) and delete it."""
        await self.manager.ledger.remove([tracking_id])
        for ids in (self._tracking_ids, *(scope.tracking_ids for scope in scopes)):
            ids.remove(tracking_id)

    # -- scenarios ---------------------------------------------------------------------------

    async def run(self, scenario: ScenarioRef, /, **params: Any) -> Any:
        """Run a scenario (its function, or its name) with Python-named parameters."""
        found = self.manager.registry.get_scenario(scenario)
        return await self._run(found, found.validate(params))

    async def run_from(self, scenario: ScenarioRef, params: Mapping[str, Any]) -> Any:
        """Like :meth:`run`, with camelCase parameters as they arrive over HTTP or MCP."""
        found = self.manager.registry.get_scenario(scenario)
        return await self._run(found, found.validate(params, json_names=True))

    async def _run(self, scenario: Scenario, kwargs: dict[str, Any]) -> Any:
        scope = _Scope(scenario.name, {camel(k): to_json(v) for k, v in kwargs.items()})
        token = _scopes.set((*_scopes.get(), scope))
        try:
            return await scenario.fn(self, **kwargs)
        except Exception as exc:
            with anyio.CancelScope(shield=True):
                report = await self._purge(scope.tracking_ids)
            raise ScenarioFailed(scenario.name, scope.failed_at(), exc, report) from exc
        finally:
            _scopes.reset(token)

    # -- cleaning ----------------------------------------------------------------------------

    async def cleanup(self) -> CleanupReport:
        """Remove everything this session created so far (also done on exit)."""
        return await self.manager.purge(await self.records(), clients=self._clients)

    async def _purge(self, tracking_ids: list[str]) -> CleanupReport:
        if not tracking_ids:
            return CleanupReport.empty(k.plural for k in self.manager.registry.kinds.values())
        records = await self.manager.ledger.select(tracking_ids=tracking_ids)
        return await self.manager.purge(records, clients=self._clients)

    async def records(self) -> list[TrackingRecord]:
        """The ledger's records of this session's entities that are still there."""
        return await self.manager.ledger.select(session_id=self.session_id)
