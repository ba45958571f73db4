"""Sessions: a tracking context that creates entities and runs scenarios, then removes them."""

from __future__ import annotations

import contextvars
import inspect
import logging
import random
import uuid
import warnings
from collections.abc import AsyncIterator, Awaitable, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar, overload

import anyio
import attrs

from ._attempts import Dropped, attempt_create
from ._catalog import KindRef, ScenarioRef
from ._clients import Clients
from ._convert import to_json
from ._datagen import DataGen
from ._errors import CreateFailed, FieldProblem, InvalidParameters, ScenarioFailed, unwrap
from ._kinds import Kind
from ._ledger import TrackingRecord
from ._names import Naming, camel
from ._records import new_tracking_id
from ._registry import Scenario
from ._report import CleanupReport, LeakWarning
from ._selection import PROTECTED_RUNS
from ._slots import Slots
from ._undo import bounded_cleanup, undo

if TYPE_CHECKING:
    from ._manager import Manager

__all__ = ["Created", "Session"]

log = logging.getLogger("tdm")

T1 = TypeVar("T1")
T2 = TypeVar("T2")
T3 = TypeVar("T3")
T4 = TypeVar("T4")


@attrs.define(eq=False)
class _Scope:
    """One running scenario: what it has created and which step it is at."""

    name: str
    params: dict[str, Any]
    tracking_ids: list[str] = attrs.field(factory=list)
    steps: int = 0
    step: str = "its start (before any entity was created)"
    in_step: bool = False
    failures: list[tuple[BaseException, str]] = attrs.field(factory=list)
    """The errors create steps raised, with their step (concurrent steps overlap)."""

    def failed_at(self, exc: BaseException) -> str:
        """Where ``exc`` happened: inside a create step, or in the code after one."""
        for failure, step in self.failures:
            if failure is exc:
                return step
        return self.step if self.in_step or not self.steps else f"the code after {self.step}"


@attrs.frozen
class Created:
    """One entity a session created: for test reports and listings."""

    tracking_id: str
    kind: str
    entity_id: str
    label: str | None
    scenario: str | None
    registry: str = ""


_scopes: contextvars.ContextVar[tuple[_Scope, ...]] = contextvars.ContextVar(
    "tdm_scopes", default=()
)
_groups: contextvars.ContextVar[tuple[list[str], ...]] = contextvars.ContextVar(
    "tdm_groups", default=()
)
"""The running :meth:`Session.gather` calls: the tracking ids each one's steps created."""
_near: contextvars.ContextVar[str | None] = contextvars.ContextVar("tdm_registry", default=None)
"""The registry whose code is running (a scenario, a kind's prepare): its names come first."""


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
        self._clients = shared or Clients(manager.catalog, manager.settings)
        self._owns_clients = shared is None
        self._limiter = Slots(manager.settings.concurrency)
        self._tracking_ids: list[str] = []
        self._created: list[Created] = []
        self._holding = False

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
        shared = await self.manager.session_clients()  # an opened manager's, for this loop
        if shared is not None and self._owns_clients:
            self._clients, self._owns_clients = shared, False
        await self._clients.guard()  # the production guard, before anything is recorded
        settings, leases = self.manager.settings, self.manager.leases
        # Without keep, its data goes when it ends: the run is held while it is open, the lease
        # taken in the touch's own transaction and renewed by the keeper from then on.
        await self.manager.ledger.touch(
            self.run_id, settings.keep_for if self.keep else None, leases.ttl, leases.holder,
            hold=not self.keep,
        )  # fmt: skip
        if not self.keep:
            leases.hold(self.run_id, taken=True)
            self._holding = True
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
            report = self.report = await bounded_cleanup(self, None)
            if not report.complete:
                message = f"tdm session {self.session_id} (seed {self.seed}): {report.summary()}"
                if exc is not None:
                    exc.add_note(message)
                warnings.warn(message, LeakWarning, stacklevel=2)
        finally:
            with anyio.CancelScope(shield=True):
                if self._holding:
                    self._holding = False
                    await self.manager.leases.release_async(self.run_id, self.manager.ledger.end)
                if self._owns_clients:
                    await self._clients.aclose()

    def random(self, *key: object) -> random.Random:
        """A random source seeded by the session's seed and ``key``: reproducible choices.

        For choices a scenario or a kind's ``prepare`` makes among existing data, so a session
        replayed with the same seed (against the same data) chooses the same.
        """
        return random.Random(":".join(map(str, (self.seed, *key))))

    async def client(self, target: str) -> Any:
        """The open client of ``target`` (for reads a scenario or a kind's prepare needs).

        The target is looked for in the registry whose code is running first.
        """
        registry, name = self.manager.catalog.target_registry(target, near=_near.get())
        return await self._clients.get(registry, name)

    def own(self, kind: KindRef) -> list[str]:
        """Ids of the entities of ``kind`` this session created: what its scenarios and kinds
        may reuse (never another run's)."""
        found = self.kind(kind)
        return [c.entity_id for c in self._created
                if c.kind == found.name and c.registry == found.registry]  # fmt: skip

    async def usable(self, kind: KindRef, entity_ids: Sequence[str | int]) -> list[str]:
        """The ids among ``entity_ids`` no other run tracks: this run's, the baseline's, or
        made before tdm. A kind that picks existing entities filters them through this, so a
        run never borrows (and blocks the cleanup of) another run's data."""
        found = self.kind(kind)
        ids = [str(i) for i in entity_ids]
        theirs: set[str] = set()
        for start in range(0, len(ids), 500):
            records = await self.manager.ledger.select(
                kind=found.name, entity_ids=ids[start : start + 500],
                registries=[found.registry],
            )  # fmt: skip
            theirs |= {
                str(r.entity_id) for r in records if r.run_id not in (self.run_id, *PROTECTED_RUNS)
            }
        return [i for i in ids if i not in theirs]

    async def secret(self, kind: KindRef, entity_id: str | int) -> dict[str, Any] | None:
        """What tdm kept to act as an entity it created (:meth:`Kind.secret`), from the ledger:
        any process or replica sharing it can act as the users another created."""
        found = self.kind(kind)
        return await self.manager.ledger.secret(found.registry, found.name, str(entity_id))

    @asynccontextmanager
    async def lock(self, name: str) -> AsyncIterator[None]:
        """A lock the running registry's code holds across processes and, on a shared ledger,
        machines (say, so that two replicas never seed at once)."""
        async with self.manager.ledger.lock(f"{_near.get() or ''}:{name}"):
            yield

    def kind(self, kind: KindRef) -> Kind[Any, Any, Any]:
        """The kind ``kind`` names, as the running code sees it (its registry's names first)."""
        return self.manager.catalog.kind(kind, near=_near.get())

    # -- creating ----------------------------------------------------------------------------

    async def create(self, kind: KindRef, /, **overrides: Any) -> Any:
        """Create one entity of ``kind`` with realistic values, ``overrides`` applied.

        Overrides use Python names at every depth
        (``items=[{"product_id": 3, "quantity": 1}]``).
        """
        found = self.kind(kind)
        return await self._create(found, self._build(found, overrides, "python"))

    async def create_from(
        self, kind: KindRef, fields: Mapping[str, Any], *, naming: Naming = "json"
    ) -> Any:
        """Like :meth:`create`, with ``fields`` named as a front end received them."""
        found = self.kind(kind)
        return await self._create(found, self._build(found, fields, naming))

    async def create_many(
        self, kind: KindRef, count: int | Sequence[Mapping[str, Any]], /, **overrides: Any
    ) -> list[Any]:
        """Create several entities of ``kind`` concurrently (bounded by ``TDM_CONCURRENCY``),
        all or none, as :meth:`gather` does; the entities in order.

        ``count`` is how many, or one mapping of overrides per entity, applied over the
        ``overrides`` all of them share::

            await s.create_many("order", [{"status": "shipped"}, {"status": "pending"}],
                                user_id=user.id)
        """
        found = self.kind(kind)
        specs = [self._build(found, {**overrides, **item}, "python", index)
                 for index, item in enumerate(_per_item(count))]  # fmt: skip
        return list(await self.gather(*(self._create(found, spec) for spec in specs)))

    @overload
    async def gather(self, a: Awaitable[T1], /) -> tuple[T1]: ...
    @overload
    async def gather(self, a: Awaitable[T1], b: Awaitable[T2], /) -> tuple[T1, T2]: ...
    @overload
    async def gather(
        self, a: Awaitable[T1], b: Awaitable[T2], c: Awaitable[T3], /
    ) -> tuple[T1, T2, T3]: ...
    @overload
    async def gather(
        self, a: Awaitable[T1], b: Awaitable[T2], c: Awaitable[T3], d: Awaitable[T4], /
    ) -> tuple[T1, T2, T3, T4]: ...
    @overload
    async def gather(self, *steps: Awaitable[Any]) -> tuple[Any, ...]: ...
    async def gather(self, *steps: Awaitable[Any]) -> tuple[Any, ...]:
        """Run independent steps concurrently (``s.create(...)``, ``s.run(...)``, a coroutine
        of your own); their results in the order given. All or none::

            user, products = await s.gather(s.create("user"), s.create_many("product", 3))

        When a step fails, the others are cancelled: a create whose request has already left
        is let finish and is noted (its outcome is never left unknown), one that has not left
        is not sent. Then what every step created is removed, and :class:`~tdm.CreateFailed`
        is raised (its ``cause`` the failure, its ``report`` the removal; the failure itself
        when nothing was left to remove). Inside a scenario, the scenario's
        :class:`~tdm.ScenarioFailed` names the failed step.
        """
        _check_awaitables(steps)
        made: list[str] = []
        results: list[Any] = [None] * len(steps)

        async def one(index: int, step: Awaitable[Any]) -> None:
            results[index] = await step

        token = _groups.set((*_groups.get(), made))
        try:
            async with anyio.create_task_group() as tg:
                for index, step in enumerate(steps):
                    tg.start_soon(one, index, step)
        except Exception as exc:
            found = unwrap(exc)
            report = await undo(self, list(made)) if made else None
            if report is None or not (report.total_deleted or report.left):
                if found is exc:
                    raise
                raise found from exc  # a failed scenario has removed its own entities
            raise CreateFailed(found, report) from found
        except BaseException:
            # Cancelled: what the steps made so far is removed, and the cancellation goes on.
            if made:
                await undo(self, list(made))
            raise
        finally:
            _groups.reset(token)
        return tuple(results)

    def _build(
        self,
        kind: Kind[Any, Any, Any],
        given: Mapping[str, Any],
        naming: Naming,
        index: int | None = None,
    ) -> Any:
        subject = f"entity kind {kind.name!r}"
        if index is not None:
            subject += f" (entity {index} of create_many)"
        values = kind.parameters.validate(subject, given, naming=naming, fill_defaults=False)
        spec = kind.build(self._gen.next())
        try:
            return attrs.evolve(spec, **values)
        except (TypeError, ValueError) as exc:  # the spec's own validators refused a value
            problems = [FieldProblem((name,), str(exc), value) for name, value in values.items()]
            raise InvalidParameters(subject, problems, naming=naming) from exc

    async def _create(self, kind: Kind[Any, Any, Any], spec: Any) -> Any:
        scopes = _scopes.get()
        inner = scopes[-1] if scopes else None
        step = ""
        if inner is not None:
            inner.steps += 1
            step = inner.step = f"step {inner.steps} (create {kind.name})"
            inner.in_step = True
        try:
            entity = await self._create_step(kind, spec, scopes)
        except Exception as exc:
            if inner is not None:
                inner.failures.append((exc, step))
            raise
        if inner is not None:
            inner.in_step = False
        return entity

    async def _create_step(
        self, kind: Kind[Any, Any, Any], spec: Any, scopes: tuple[_Scope, ...]
    ) -> Any:
        token = _near.set(kind.registry)
        try:
            spec = await kind.prepare(self, spec)
        finally:
            _near.reset(token)
        # The slot first, then the intent: an intent never waits for its turn to be sent, and
        # its time is when its request goes out (a cleanup's grace for it counts from then).
        async with self._limiter:
            client = await self._clients.get(kind.registry, kind.target)
            record = self._intent(kind, spec, scopes)
            sent = False
            try:
                await self.manager.ledger.add(record)
                self._note(record.tracking_id, scopes)
                sent = True  # no checkpoint until the request is out (and shielded)
                entity = await attempt_create(
                    kind, client, spec, record, ledger=self.manager.ledger,
                    settings=self.manager.settings,
                )  # fmt: skip
            except Dropped as dropped:
                await self._forget(record.tracking_id, scopes)
                raise dropped.cause from None
            except anyio.get_cancelled_exc_class():
                if not sent:  # cut off before its request left: nothing can exist
                    await self._forget(record.tracking_id, scopes)
                raise
        entity_id, label = str(kind.entity_id(entity)), kind.label(entity)
        with anyio.CancelScope(shield=True):  # what exists is noted, cancelled or not
            await self.manager.ledger.confirm(record, entity_id, label, secret=kind.secret(entity))
        self._created.append(
            Created(record.tracking_id, kind.name, entity_id, label, record.scenario, kind.registry)
        )
        return entity

    def _intent(
        self, kind: Kind[Any, Any, Any], spec: Any, scopes: tuple[_Scope, ...]
    ) -> TrackingRecord:
        """The pending record of a create about to be sent."""
        inner = scopes[-1] if scopes else None
        return TrackingRecord(
            tracking_id=new_tracking_id(),
            registry=kind.registry,
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

    def _note(self, tracking_id: str, scopes: tuple[_Scope, ...]) -> None:
        """The intent is in the ledger: the session, its scenarios and gathers know of it."""
        self._tracking_ids.append(tracking_id)
        for ids in (*(scope.tracking_ids for scope in scopes), *_groups.get()):
            ids.append(tracking_id)

    async def _forget(self, tracking_id: str, scopes: tuple[_Scope, ...]) -> None:
        """Drop the intent of a create that provably made nothing: looking it up by its natural
        key later could find an entity that already held the key (someone else's, say after a
        409) and delete it."""
        with anyio.CancelScope(shield=True):
            await self.manager.ledger.remove([tracking_id])
        for ids in (self._tracking_ids, *(scope.tracking_ids for scope in scopes), *_groups.get()):
            if tracking_id in ids:
                ids.remove(tracking_id)

    # -- scenarios ---------------------------------------------------------------------------

    async def run(self, scenario: ScenarioRef, /, **params: Any) -> Any:
        """Run a scenario (its function, or its name) with Python-named parameters."""
        found = self.manager.catalog.scenario(scenario, near=_near.get())
        return await self._run(found, found.validate(params))

    async def run_from(
        self, scenario: ScenarioRef, params: Mapping[str, Any], *, naming: Naming = "json"
    ) -> Any:
        """Like :meth:`run`, with parameters named as a front end received them."""
        found = self.manager.catalog.scenario(scenario, near=_near.get())
        return await self._run(found, found.validate(params, naming=naming))

    async def _run(self, scenario: Scenario, kwargs: dict[str, Any]) -> Any:
        scope = _Scope(scenario.name, {camel(k): to_json(v) for k, v in kwargs.items()})
        token = _scopes.set((*_scopes.get(), scope))
        near = _near.set(scenario.registry)
        try:
            return await scenario.fn(self, **kwargs)
        except Exception as exc:
            report = await undo(self, scope.tracking_ids)
            cause: BaseException = exc
            if isinstance(exc, CreateFailed) and not isinstance(exc, ScenarioFailed):
                cause = exc.cause  # a gather of its steps failed and removed what they made
                exc.report.merge(report)
                report = exc.report
            raise ScenarioFailed(scenario.name, scope.failed_at(cause), cause, report) from exc
        except BaseException:
            # Cancelled (a signal, a timeout, a caller gone): nothing half-made is kept.
            await undo(self, scope.tracking_ids)
            raise
        finally:
            _near.reset(near)
            _scopes.reset(token)

    # -- cleaning ----------------------------------------------------------------------------

    async def cleanup(self, tracking_ids: Sequence[str] | None = None) -> CleanupReport:
        """Remove what this session created so far (also done on exit); only ``tracking_ids``
        of it if given."""
        return await self.manager.purge(await self.records(tracking_ids), clients=self._clients)

    async def records(self, tracking_ids: Sequence[str] | None = None) -> list[TrackingRecord]:
        """The ledger's records of this session's entities that are still there."""
        if tracking_ids is not None and not tracking_ids:
            return []
        if tracking_ids is None and len(self._tracking_ids) <= self.manager.ledger._small_rows:
            tracking_ids = self._tracking_ids  # the same records, read by key
        return await self.manager.ledger.select(
            session_id=self.session_id,
            tracking_ids=None if tracking_ids is None else list(tracking_ids),
        )


def _per_item(count: object) -> list[Mapping[str, Any]]:
    """``create_many``'s count as one mapping of overrides per entity."""
    if isinstance(count, int) and not isinstance(count, bool):
        if count >= 1:
            return [{}] * count
    elif isinstance(count, Sequence) and not isinstance(count, str | bytes) and count:
        wrong = [FieldProblem(("count", i), "a mapping of overrides for one entity", item)
                 for i, item in enumerate(count) if not isinstance(item, Mapping)]  # fmt: skip
        if wrong:
            raise InvalidParameters("create_many", wrong)
        return list(count)
    expected = "an integer of at least 1, or a non-empty list of overrides (one per entity)"
    raise InvalidParameters("create_many", [FieldProblem(("count",), expected, count)])


def _check_awaitables(steps: Sequence[object]) -> None:
    """``gather``'s steps must be awaitables; when one is not, none of them runs."""
    wrong = [FieldProblem((i,), "an awaitable, such as s.create(...) or s.run(...)", step)
             for i, step in enumerate(steps) if not inspect.isawaitable(step)]  # fmt: skip
    if wrong:
        for step in steps:
            if inspect.iscoroutine(step):
                step.close()  # never awaited, on purpose: no warning about it
        raise InvalidParameters("gather", wrong)
