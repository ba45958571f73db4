"""Registries: one system's entity kinds, targets, scenarios, health checks and endpoints.

A registry is what a team writes for its own system (the reference shop's is
``tdm_scenarios.registry``) and publishes through the ``tdm.registries`` entry point. Names
belong to their registry; :class:`~tdm.Catalog` composes the selected registries and resolves
names across them.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Mapping
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any, TypeVar, get_type_hints, overload

import attrs

from ._errors import DefinitionError
from ._kinds import Kind
from ._names import Naming
from ._params import Parameters
from ._settings import Settings

__all__ = [
    "Check",
    "Demo",
    "DemoFactory",
    "Endpoint",
    "Guard",
    "Probe",
    "Registry",
    "Scenario",
    "Setting",
    "TargetFactory",
    "default_registry",
    "scenario",
]

F = TypeVar("F", bound=Callable[..., Awaitable[Any]])
K = TypeVar("K", bound=type[Kind[Any, Any, Any]])

TargetFactory = Callable[[Settings], AbstractAsyncContextManager[Any]]
"""Builds the client a target's kinds use: ``factory(settings)`` is an async context manager."""

Guard = Callable[[Settings], Awaitable[None]]
"""``guard(settings)`` returns when tdm may create and delete data in the registry's system and
raises (:class:`~tdm.TargetNotAllowed`, say) when it may not; it runs before the registry's
targets are first used."""

Probe = Callable[[Any], Awaitable[None]]
"""``probe(client)`` returns when a dependency is up and raises when it is not."""

_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")


def _check_name(what: str, name: str) -> None:
    if not name or not set(name) <= _NAME_CHARS or name[0] in "-_":
        raise DefinitionError(
            f"{what} name {name!r}: use letters, digits, '-' and '_' (starting with a letter "
            "or digit); ':' separates a registry's name from a name inside it"
        )


@attrs.frozen
class Check:
    """A named health check of one dependency, run with a target's client.

    A ``required`` dependency being down makes tdm unhealthy (503); an optional one only
    degrades it (say, a database used for bulk cleanup).
    """

    name: str
    target: str
    probe: Probe = attrs.field(repr=False)
    required: bool = True
    registry: str = ""


@attrs.frozen
class Endpoint:
    """A route of the HTTP API that creates one kind, in a shape a registry chooses.

    The generic ``POST /api/entities/{kind}`` creates any kind; a registry can add its own
    routes (the shop's ``POST /api/users`` answering ``{users, trackingIds}``). ``key`` is the
    answer's key for the entities; ``single`` answers one entity and its ``trackingId``;
    ``required`` fields must be given; ``method`` names the client method that calls it
    (``create_user``).
    """

    path: str
    kind: str
    key: str
    single: bool = False
    required: tuple[str, ...] = ()
    method: str | None = None
    registry: str = ""


@attrs.frozen
class Setting:
    """An environment setting a registry's targets read: for help texts, redaction (``secret``)
    and the production guard (``url``: a system's URL, checked before anything is opened)."""

    name: str
    description: str
    default: str | None = None
    secret: bool = False
    url: bool = False


@attrs.frozen
class Demo:
    """A system a registry started for a demo or a test session (``tdm serve --demo``).

    ``env`` holds the settings that point tdm at it; ``services`` the (label, URL) pairs to
    announce; ``notes`` lines worth printing (an admin login, where its data lives).
    """

    env: Mapping[str, str]
    services: tuple[tuple[str, str], ...] = ()
    notes: tuple[str, ...] = ()


DemoFactory = Callable[[Settings, Path], AbstractAsyncContextManager[Demo]]
"""``factory(settings, data_dir)`` starts the system (an async context manager yielding a
:class:`Demo`) and stops it on exit."""


@attrs.frozen
class Scenario:
    """A registered scenario: an async function ``fn(session, **params)`` and its metadata."""

    name: str
    fn: Callable[..., Awaitable[Any]] = attrs.field(repr=False)
    description: str
    parameters: Parameters = attrs.field(repr=False)
    registry: str = ""

    @property
    def qualified_name(self) -> str:
        return f"{self.registry}:{self.name}"

    @property
    def summary(self) -> str:
        """The first line of the description."""
        return self.description.strip().splitlines()[0] if self.description.strip() else ""

    @property
    def result_type(self) -> Any:
        """The return annotation (``None`` when there is none or it cannot be resolved)."""
        try:
            return get_type_hints(self.fn).get("return")
        except Exception:  # noqa: BLE001 -- an unresolvable annotation just says nothing
            return None

    def validate(self, given: Mapping[str, Any], *, naming: Naming = "python") -> dict[str, Any]:
        """Structured keyword arguments, or :class:`~tdm.InvalidParameters` naming each field."""
        return self.parameters.validate(f"scenario {self.name!r}", given, naming=naming)


_SCENARIO_ATTR = "__tdm_scenarios__"


def scenarios_of(fn: Callable[..., Any]) -> tuple[Scenario, ...]:
    """The scenarios a function was registered as (usually one)."""
    found = getattr(fn, _SCENARIO_ATTR, ())
    return tuple(found) if isinstance(found, tuple) else ()


def _scenario_name(fn: Callable[..., Any]) -> str:
    return fn.__name__.strip("_").replace("_", "-")


class Registry:
    """One system's kinds, targets, scenarios, checks, endpoints and settings, by name."""

    def __init__(self, name: str = "default") -> None:
        _check_name("registry", name)
        self.name = name
        self.kinds: dict[str, Kind[Any, Any, Any]] = {}
        self.targets: dict[str, TargetFactory] = {}
        self.scenarios: dict[str, Scenario] = {}
        self.checks: dict[str, Check] = {}
        self.endpoints: list[Endpoint] = []
        self.settings: list[Setting] = []
        self.guards: list[Guard] = []
        self.demo: DemoFactory | None = None
        self.version = 0
        """Counts changes, so a catalog over this registry knows to look again."""

    def __repr__(self) -> str:
        return (
            f"<tdm.Registry {self.name!r} (kinds={len(self.kinds)}, "
            f"targets={len(self.targets)}, scenarios={len(self.scenarios)})>"
        )

    def _claim(self, what: str, name: str, taken: dict[str, Any]) -> None:
        _check_name(what, name)
        if name in taken:
            raise DefinitionError(f"{what} {name!r} is already registered in {self.name!r}")

    def add_kind(self, kind: Kind[Any, Any, Any]) -> None:
        """Register an entity kind instance under ``kind.name``."""
        self._claim("kind", kind.name, self.kinds)
        if getattr(kind, "registry", None):
            raise DefinitionError(f"{kind!r} is already registered in {kind.registry!r}")
        kind.registry = self.name
        self.kinds[kind.name] = kind
        self.version += 1

    def kind(self, cls: K) -> K:
        """Class decorator: register an instance of a :class:`~tdm.Kind` subclass."""
        self.add_kind(cls())
        return cls

    def add_target(self, name: str, factory: TargetFactory) -> None:
        """Register how to open the client that kinds with ``target=name`` receive."""
        self._claim("target", name, self.targets)
        self.targets[name] = factory
        self.version += 1

    def target(self, name: str) -> Callable[[TargetFactory], TargetFactory]:
        """Decorator form of :meth:`add_target` (on an ``asynccontextmanager`` function)."""

        def register(factory: TargetFactory) -> TargetFactory:
            self.add_target(name, factory)
            return factory

        return register

    def add_check(self, name: str, target: str, probe: Probe, *, required: bool = True) -> None:
        """Register a health check (``GET /api/health`` reports each by ``name``)."""
        self._claim("check", name, self.checks)
        self.checks[name] = Check(name, target, probe, required, self.name)
        self.version += 1

    def add_endpoint(
        self, path: str, kind: str, key: str, *, single: bool = False,
        required: tuple[str, ...] = (), method: str | None = None,
    ) -> None:  # fmt: skip
        """Serve ``POST path`` as a create of ``kind`` answering ``{key: ..., trackingIds}``."""
        if not path.startswith("/api/") or "{" in path:
            raise DefinitionError(f"endpoint {path!r}: a fixed path under /api/ is expected")
        if any(e.path == path for e in self.endpoints):
            raise DefinitionError(f"endpoint {path!r} is already registered in {self.name!r}")
        self.endpoints.append(Endpoint(path, kind, key, single, required, method, self.name))
        self.version += 1

    def add_setting(
        self, name: str, description: str, *, default: str | None = None, secret: bool = False,
        url: bool = False,
    ) -> None:  # fmt: skip
        """Declare an environment setting the targets read (listed by ``tdm registries``).

        A ``secret`` one's value is redacted wherever it would appear; a ``url`` one names a
        system tdm creates and deletes data in, so the production guard checks it at start.
        """
        self.settings.append(Setting(name, description, default, secret, url))

    def add_guard(self, guard: Guard) -> None:
        """Register a check that the system may be touched, run before its targets are first
        used: ``async def guard(settings)`` raising (:class:`~tdm.TargetNotAllowed`) to refuse."""
        self.guards.append(guard)

    def add_demo(self, factory: DemoFactory) -> None:
        """Register how to start this registry's system for a demo or a test session."""
        if self.demo is not None:
            raise DefinitionError(f"registry {self.name!r} already has a demo")
        self.demo = factory

    def add_scenario(
        self, fn: Callable[..., Awaitable[Any]], *, name: str | None = None,
        description: str | None = None,
    ) -> Scenario:  # fmt: skip
        """Register an async function ``fn(session, **params)`` as a scenario."""
        if not inspect.iscoroutinefunction(fn):
            raise DefinitionError(f"scenario {fn.__qualname__} must be an async function")
        found = Scenario(
            name=name or _scenario_name(fn),
            fn=fn,
            description=inspect.cleandoc(description or fn.__doc__ or ""),
            parameters=Parameters.of_function(fn, skip_first=True),
            registry=self.name,
        )
        self._claim("scenario", found.name, self.scenarios)
        self.scenarios[found.name] = found
        self.version += 1
        setattr(fn, _SCENARIO_ATTR, (*scenarios_of(fn), found))
        return found

    @overload
    def scenario(self, fn: F, /) -> F: ...
    @overload
    def scenario(self, fn: None = None, /, *, name: str | None = None) -> Callable[[F], F]: ...

    def scenario(self, fn: F | None = None, /, *, name: str | None = None) -> Any:
        """Decorator: ``@registry.scenario`` or ``@registry.scenario(name="...")``.

        Returns the function unchanged, so it can still be called and passed to ``s.run``.
        """

        def register(f: F) -> F:
            self.add_scenario(f, name=name)
            return f

        return register if fn is None else register(fn)


_default = Registry("default")


def default_registry() -> Registry:
    """The process's own registry: where ``@tdm.scenario`` puts scenarios.

    It is part of every catalog tdm builds in this process, beside the installed registries.
    """
    return _default


scenario = _default.scenario
"""``@tdm.scenario``: register a scenario in the process's own registry."""
