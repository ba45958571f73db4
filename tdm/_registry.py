"""Registries: the named entity kinds, targets and scenarios that sessions, HTTP and MCP serve."""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import AbstractAsyncContextManager
from importlib.metadata import entry_points
from typing import Any, TypeVar, overload

import attrs

from ._errors import DefinitionError, NotFound
from ._kinds import Kind
from ._params import Parameter, parameters_of, schema_of, validate
from ._settings import Settings

__all__ = [
    "Check",
    "Probe",
    "Registry",
    "Scenario",
    "TargetFactory",
    "default_registry",
    "scenario",
]

log = logging.getLogger("tdm")

F = TypeVar("F", bound=Callable[..., Awaitable[Any]])
K = TypeVar("K", bound=type[Kind[Any, Any, Any]])
TargetFactory = Callable[[Settings], AbstractAsyncContextManager[Any]]
"""Builds the client a target's kinds use: ``factory(settings)`` is an async context manager."""

Probe = Callable[[Any], Awaitable[None]]
"""``probe(client)`` returns when a dependency is up and raises when it is not."""


@attrs.frozen
class Check:
    """A named health check of one dependency, run with a target's client."""

    name: str
    target: str
    probe: Probe = attrs.field(repr=False)


_SCENARIO_ATTR = "__tdm_scenario__"


@attrs.frozen
class Scenario:
    """A registered scenario: an async function ``fn(session, **params)`` and its metadata."""

    name: str
    fn: Callable[..., Awaitable[Any]] = attrs.field(repr=False)
    description: str
    params: tuple[Parameter, ...] = attrs.field(repr=False)

    @property
    def summary(self) -> str:
        """The first line of the description."""
        return self.description.strip().splitlines()[0] if self.description.strip() else ""

    def schema(self) -> dict[str, Any]:
        """JSON Schema of the parameters (camelCase names, bounds, enums, defaults)."""
        return schema_of(self.params)

    def validate(self, given: Mapping[str, Any], *, json_names: bool = False) -> dict[str, Any]:
        """Structured keyword arguments, or :class:`~tdm.InvalidParameters` naming each field."""
        return validate(f"scenario {self.name!r}", self.params, given, json_names=json_names)


def _scenario_name(fn: Callable[..., Any]) -> str:
    return fn.__name__.strip("_").replace("_", "-")


class Registry:
    """Kinds, targets and scenarios by name. Other registries can be included whole."""

    def __init__(self, name: str = "default") -> None:
        self.name = name
        self._kinds: dict[str, Kind[Any, Any, Any]] = {}
        self._targets: dict[str, TargetFactory] = {}
        self._scenarios: dict[str, Scenario] = {}
        self._checks: dict[str, Check] = {}
        self._included: list[Registry] = []

    def __repr__(self) -> str:
        return (
            f"<tdm.Registry {self.name!r} (kinds={len(self.kinds)}, "
            f"targets={len(self.targets)}, scenarios={len(self.scenarios)})>"
        )

    # -- declaring ---------------------------------------------------------------------------

    def add_kind(self, kind: Kind[Any, Any, Any]) -> None:
        """Register an entity kind instance under ``kind.name``."""
        self._claim("kind", kind.name, self.kinds)
        self._kinds[kind.name] = kind

    def kind(self, cls: K) -> K:
        """Class decorator: register an instance of a :class:`~tdm.Kind` subclass."""
        self.add_kind(cls())
        return cls

    def add_target(self, name: str, factory: TargetFactory) -> None:
        """Register how to open the client that kinds with ``target=name`` receive."""
        self._claim("target", name, self.targets)
        self._targets[name] = factory

    def target(self, name: str) -> Callable[[TargetFactory], TargetFactory]:
        """Decorator form of :meth:`add_target` (on an ``asynccontextmanager`` function)."""

        def register(factory: TargetFactory) -> TargetFactory:
            self.add_target(name, factory)
            return factory

        return register

    def add_check(self, name: str, target: str, probe: Probe) -> None:
        """Register a health check (``GET /api/health`` reports each by ``name``)."""
        self._claim("check", name, self.checks)
        self._checks[name] = Check(name, target, probe)

    def add_scenario(
        self, fn: Callable[..., Awaitable[Any]], *, name: str | None = None,
        description: str | None = None,
    ) -> Scenario:  # fmt: skip
        """Register an async function ``fn(session, **params)`` as a scenario."""
        if not inspect.iscoroutinefunction(fn):
            raise DefinitionError(f"scenario {fn.__qualname__} must be an async function")
        scenario = Scenario(
            name=name or _scenario_name(fn),
            fn=fn,
            description=inspect.cleandoc(description or fn.__doc__ or ""),
            params=parameters_of(fn, skip_first=True),
        )
        self._claim("scenario", scenario.name, self.scenarios)
        self._scenarios[scenario.name] = scenario
        setattr(fn, _SCENARIO_ATTR, scenario)
        return scenario

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

    def include(self, other: Registry) -> None:
        """Make everything ``other`` has (now and later) visible through this registry."""
        if other is self or other in self._included:
            return
        for what, mine, theirs in (
            ("kind", self.kinds, other.kinds),
            ("target", self.targets, other.targets),
            ("scenario", self.scenarios, other.scenarios),
        ):
            for clash in mine.keys() & theirs.keys():
                if mine[clash] is not theirs[clash]:
                    raise DefinitionError(
                        f"registry {other.name!r} and {self.name!r} both define {what} {clash!r}"
                    )
        self._included.append(other)

    def _claim(self, what: str, name: str, taken: Mapping[str, Any]) -> None:
        if name in taken:
            raise DefinitionError(f"{what} {name!r} is already registered in {self.name!r}")

    # -- looking up --------------------------------------------------------------------------

    def _merged(self, attr: str) -> dict[str, Any]:
        merged: dict[str, Any] = {}
        for registry in self._walk():
            for key, value in getattr(registry, attr).items():
                merged.setdefault(key, value)
        return merged

    def _walk(self) -> Iterator[Registry]:
        yield self
        for other in self._included:
            yield from other._walk()

    @property
    def kinds(self) -> dict[str, Kind[Any, Any, Any]]:
        return self._merged("_kinds")

    @property
    def targets(self) -> dict[str, TargetFactory]:
        return self._merged("_targets")

    @property
    def scenarios(self) -> dict[str, Scenario]:
        return self._merged("_scenarios")

    @property
    def checks(self) -> dict[str, Check]:
        return self._merged("_checks")

    def get_kind(
        self, kind: str | Kind[Any, Any, Any] | type[Kind[Any, Any, Any]]
    ) -> Kind[Any, Any, Any]:
        """The kind named ``kind`` (or given as its class or instance)."""
        name = kind if isinstance(kind, str) else kind.name
        found = self.kinds.get(name)
        if found is None:
            raise NotFound("entity kind", name, self.kinds)
        return found

    def get_target(self, name: str) -> TargetFactory:
        found = self.targets.get(name)
        if found is None:
            raise NotFound("target", name, self.targets)
        return found

    def get_scenario(self, scenario: str | Scenario | Callable[..., Any]) -> Scenario:
        """A scenario by name (``"user-with-orders"``), by its function, or itself."""
        if isinstance(scenario, Scenario):
            return scenario
        if callable(scenario):
            found = getattr(scenario, _SCENARIO_ATTR, None)
            if found is None:
                raise NotFound("scenario", getattr(scenario, "__name__", "?"), self.scenarios)
            return found  # type: ignore[no-any-return]
        known = self.scenarios
        if scenario in known:
            return known[scenario]
        raise NotFound("scenario", scenario, known)


_default = Registry("default")
_plugins_loaded = False


def default_registry() -> Registry:
    """The process-wide registry: ``@tdm.scenario`` plus every installed plugin registry.

    Plugins are packages that declare an entry point in the ``tdm.registries`` group pointing
    at a :class:`Registry` (the reference shop's catalog is one); they are loaded on first use.
    """
    global _plugins_loaded
    if not _plugins_loaded:
        _plugins_loaded = True
        for point in entry_points(group="tdm.registries"):
            try:
                plugin = point.load()
            except Exception:
                log.exception("could not load tdm registry plugin %r", point.value)
                continue
            if not isinstance(plugin, Registry):
                log.error("tdm registry plugin %r is not a tdm.Registry", point.value)
                continue
            _default.include(plugin)
    return _default


scenario = _default.scenario
"""``@tdm.scenario``: register a scenario in the process-wide default registry."""
