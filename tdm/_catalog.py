"""The catalog: the selected registries, composed, and how names resolve across them.

Names belong to their registry. A name that only one selected registry defines is used
plainly (``"category"``); one that several define must be qualified (``"library:category"``),
except inside a registry's own scenarios and kinds, where its own names come first. So
registries written apart compose without renaming anything.

Installed registries are found through the ``tdm.registries`` entry point group; the
``TDM_REGISTRIES`` setting (``--registry``) selects some of them by name.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from importlib.metadata import EntryPoint, entry_points
from typing import Any, TypeVar

from ._convert import type_schema
from ._errors import AmbiguousName, ConfigError, DefinitionError, NotFound
from ._kinds import Kind
from ._names import camel
from ._registry import (
    Check,
    Endpoint,
    Registry,
    Scenario,
    TargetFactory,
    default_registry,
    scenarios_of,
)
from ._settings import Settings

__all__ = ["Catalog", "installed_registries", "split_name"]

log = logging.getLogger("tdm")

T = TypeVar("T")
KindRef = str | Kind[Any, Any, Any] | type[Kind[Any, Any, Any]]
ScenarioRef = str | Scenario | Callable[..., Any]


def split_name(name: str) -> tuple[str | None, str]:
    """``"library:category"`` -> ``("library", "category")``; a plain name has no registry."""
    registry, sep, plain = name.rpartition(":")
    return (registry, plain) if sep else (None, name)


def _entry_points() -> dict[str, EntryPoint]:
    return {point.name: point for point in entry_points(group="tdm.registries")}


_loaded: dict[str, Registry] = {}


def installed_registries(
    names: Sequence[str] | None = None, *, setting: str = "TDM_REGISTRIES"
) -> list[Registry]:
    """The installed registries named (all of them when ``names`` is ``None``), loaded once.

    A named registry that is not installed, or does not load, is a :class:`ConfigError`
    naming ``setting``; without names, one that does not load is logged and left out.
    """
    points = _entry_points()
    if names is not None:
        missing = [n for n in names if n not in points]
        if missing:
            listing = ", ".join(sorted(points)) or "none are installed"
            raise ConfigError(
                setting, ",".join(names), f"names of installed registries ({listing})"
            )
    found = []
    for name in names if names is not None else sorted(points):
        if name not in _loaded:
            try:
                plugin = points[name].load()
            except Exception as exc:
                if names is not None:
                    raise ConfigError(setting, name, f"a registry that loads ({exc!r})") from exc
                log.exception("could not load the tdm registry %r (%s)", name, points[name].value)
                continue
            if not isinstance(plugin, Registry):
                message = f"{points[name].value} is not a tdm.Registry"
                if names is not None:
                    raise ConfigError(setting, name, message)
                log.error("tdm registry %r: %s", name, message)
                continue
            if plugin.name != name:
                log.warning("registry %r is installed under the name %r", plugin.name, name)
            _loaded[name] = plugin
        found.append(_loaded[name])
    return found


class Catalog:
    """The registries a manager serves, and name resolution across them."""

    def __init__(self, registries: Iterable[Registry]) -> None:
        self.registries: tuple[Registry, ...] = tuple(dict.fromkeys(registries))
        by_name: dict[str, Registry] = {}
        for registry in self.registries:
            if by_name.setdefault(registry.name, registry) is not registry:
                raise DefinitionError(f"two different registries are named {registry.name!r}")
        self._by_name = by_name
        self._seen: tuple[int, ...] = ()
        self._refresh()

    def _refresh(self) -> None:
        """Index the registries again if any changed since (a scenario registered later)."""
        versions = tuple(r.version for r in self.registries)
        if versions == self._seen:
            return
        self._kinds_index = _index(r.kinds.values() for r in self.registries)
        self._scenarios_index = _index(r.scenarios.values() for r in self.registries)
        self._endpoints = self._check_endpoints()
        plurals: dict[str, int] = {}
        for kind in self.kinds:
            plurals[kind.plural] = plurals.get(kind.plural, 0) + 1
        self._shared_plurals = {p for p, n in plurals.items() if n > 1}
        self._seen = versions

    @property
    def _kinds(self) -> dict[str, list[Kind[Any, Any, Any]]]:
        self._refresh()
        return self._kinds_index

    @property
    def _scenarios(self) -> dict[str, list[Scenario]]:
        self._refresh()
        return self._scenarios_index

    @classmethod
    def from_settings(cls, settings: Settings) -> Catalog:
        """The process's own registry and the installed ones ``settings.registries`` selects
        (all of them by default)."""
        return cls([default_registry(), *installed_registries(settings.registries)])

    def __repr__(self) -> str:
        names = ", ".join(r.name for r in self.registries)
        return f"<tdm.Catalog [{names}] kinds={len(self.kinds)} scenarios={len(self.scenarios)}>"

    def _check_endpoints(self) -> list[Endpoint]:
        seen: dict[str, Endpoint] = {}
        for registry in self.registries:
            for endpoint in registry.endpoints:
                if endpoint.kind not in registry.kinds:
                    raise DefinitionError(
                        f"registry {registry.name!r}: endpoint {endpoint.path} creates kind "
                        f"{endpoint.kind!r}, which it does not define"
                    )
                other = seen.setdefault(endpoint.path, endpoint)
                if other is not endpoint:
                    raise DefinitionError(
                        f"registries {other.registry!r} and {registry.name!r} both serve "
                        f"{endpoint.path}: select one of them (TDM_REGISTRIES, --registry)"
                    )
        return list(seen.values())

    # -- what there is ------------------------------------------------------------------------

    @property
    def names(self) -> list[str]:
        return [r.name for r in self.registries]

    @property
    def kinds(self) -> list[Kind[Any, Any, Any]]:
        return [k for r in self.registries for k in r.kinds.values()]

    @property
    def scenarios(self) -> list[Scenario]:
        return [s for r in self.registries for s in r.scenarios.values()]

    @property
    def checks(self) -> list[Check]:
        return [c for r in self.registries for c in r.checks.values()]

    @property
    def endpoints(self) -> list[Endpoint]:
        self._refresh()
        return list(self._endpoints)

    def registry(self, name: str) -> Registry:
        found = self._by_name.get(name)
        if found is None:
            raise NotFound("registry", name, self._by_name)
        return found

    # -- names --------------------------------------------------------------------------------

    def kind_name(self, kind: Kind[Any, Any, Any]) -> str:
        """How to call ``kind`` here: plainly when no other selected registry shares its name."""
        plain = len(self._kinds.get(kind.name, ())) <= 1
        return kind.name if plain else kind.qualified_name

    def scenario_name(self, scenario: Scenario) -> str:
        plain = len(self._scenarios.get(scenario.name, ())) <= 1
        return scenario.name if plain else scenario.qualified_name

    def plural(self, kind: Kind[Any, Any, Any]) -> str:
        """The key of ``kind`` in cleanup counts (qualified when two kinds share a plural)."""
        self._refresh()
        shared = kind.plural in self._shared_plurals
        return f"{kind.registry}:{kind.plural}" if shared else kind.plural

    def empty_counts(self) -> dict[str, int]:
        return {self.plural(k): 0 for k in self.kinds}

    # -- as JSON -----------------------------------------------------------------------------

    def scenario_json(self, scenario: Scenario) -> dict[str, Any]:
        """A scenario: names, words, its parameters' and its result's JSON Schema."""
        returned = scenario.result_type
        return {
            "name": self.scenario_name(scenario),
            "registry": scenario.registry,
            "qualifiedName": scenario.qualified_name,
            "summary": scenario.summary,
            "description": scenario.description,
            "parameters": scenario.parameters.schema(),
            "result": None if returned is None else result_schema(returned),
        }

    def kind_json(self, kind: Kind[Any, Any, Any]) -> dict[str, Any]:
        """An entity kind: names, words, its fields' JSON Schema and its endpoints."""
        endpoint = next((e for e in self.endpoints if e.registry == kind.registry
                         and e.kind == kind.name), None)  # fmt: skip
        return {
            "name": self.kind_name(kind),
            "registry": kind.registry,
            "qualifiedName": kind.qualified_name,
            "plural": self.plural(kind),
            "description": kind.description,
            "fields": kind.parameters.schema(),
            "removedWith": list(kind.removed_with),
            "endpoint": None if endpoint is None else endpoint_json(endpoint),
        }

    def to_json(self) -> dict[str, Any]:
        """``{registries, scenarios, entityKinds}``: what ``GET /api/scenarios`` answers."""
        return {
            "registries": self.names,
            "scenarios": sorted(
                (self.scenario_json(s) for s in self.scenarios), key=lambda s: s["name"]
            ),
            "entityKinds": [self.kind_json(k) for k in self.kinds],
        }

    # -- resolving ----------------------------------------------------------------------------

    def kind(self, ref: KindRef, *, near: str | None = None) -> Kind[Any, Any, Any]:
        """The kind ``ref`` names (a name, qualified or not, or the kind or its class).

        ``near`` is the registry asking (a scenario's or a kind's): its own names come first.
        """
        if isinstance(ref, Kind):
            return self._member(ref, self._kinds, "entity kind")
        if isinstance(ref, type):
            return self._member_class(ref)
        return self._resolve("entity kind", ref, self._kinds, lambda r: r.kinds, near)

    def kind_in(self, registry: str, name: str) -> Kind[Any, Any, Any]:
        """The kind ``name`` of ``registry`` exactly (how ledger records name their kind)."""
        return self._resolve("entity kind", f"{registry}:{name}", self._kinds, lambda r: r.kinds)

    def scenario(self, ref: ScenarioRef, *, near: str | None = None) -> Scenario:
        """A scenario by name (``"user-with-orders"``, ``"shop:baseline"``), by its function, or
        itself."""
        if isinstance(ref, Scenario):
            return self._member(ref, self._scenarios, "scenario")
        if callable(ref):
            registered = scenarios_of(ref)
            if not registered:
                known = [self.scenario_name(s) for s in self.scenarios]
                raise NotFound("scenario", getattr(ref, "__name__", "?"), known,
                               message=f"{ref!r} is not a registered scenario")  # fmt: skip
            selected = [s for s in registered if s in self._scenarios.get(s.name, [])]
            if len({s.registry for s in selected}) > 1:
                raise AmbiguousName("scenario", selected[0].name, [s.registry for s in selected])
            return self._member((selected or list(registered))[0], self._scenarios, "scenario")
        return self._resolve("scenario", ref, self._scenarios, lambda r: r.scenarios, near)

    def target(self, registry: str, name: str) -> TargetFactory:
        found = self.registry(registry).targets.get(name)
        if found is None:
            raise NotFound(
                f"target of registry {registry!r}", name, self.registry(registry).targets
            )
        return found

    def target_registry(self, name: str, *, near: str | None = None) -> tuple[str, str]:
        """``(registry, target)`` of the target ``name`` (qualified or not) as ``near`` sees it."""
        registry, plain = split_name(name)
        if registry is not None:
            self.target(registry, plain)
            return registry, plain
        if near is not None and plain in getattr(self._by_name.get(near), "targets", {}):
            return near, plain
        owners = [r.name for r in self.registries if plain in r.targets]
        if not owners:
            raise NotFound("target", name, [t for r in self.registries for t in r.targets])
        if len(owners) > 1:
            raise AmbiguousName("target", plain, owners)
        return owners[0], plain

    def _resolve(
        self,
        what: str,
        name: str,
        index: dict[str, list[T]],
        members: Callable[[Registry], dict[str, T]],
        near: str | None = None,
    ) -> T:
        registry, plain = split_name(name)
        if registry is not None:
            owner = self._by_name.get(registry)
            found = members(owner).get(plain) if owner is not None else None
            if found is None:
                raise NotFound(what, name, self._known(index))
            return found
        if near is not None and near in self._by_name:
            own = members(self._by_name[near]).get(plain)
            if own is not None:
                return own
        candidates = index.get(plain, [])
        if not candidates:
            raise NotFound(what, name, self._known(index))
        if len(candidates) > 1:
            raise AmbiguousName(what, plain, [getattr(c, "registry", "?") for c in candidates])
        return candidates[0]

    def _known(self, index: dict[str, list[Any]]) -> list[str]:
        return [
            name if len(found) == 1 else f"{item.registry}:{name}"
            for name, found in index.items()
            for item in found
        ]

    def _member(self, item: T, index: dict[str, list[T]], what: str) -> T:
        name: str = getattr(item, "name", "?")
        if item not in index.get(name, []):
            registry = getattr(item, "registry", "?")
            selected = ", ".join(self.names) or "none"
            message = (
                f"{what} {name!r} belongs to registry {registry!r}, which is not selected here "
                f"(selected: {selected})"
            )
            raise NotFound(what, f"{registry}:{name}", self._known(index), message=message)
        return item

    def _member_class(self, cls: type[Any]) -> Kind[Any, Any, Any]:
        for kind in self._kinds.get(getattr(cls, "name", ""), []):
            if type(kind) is cls:
                return kind
        raise NotFound("entity kind", getattr(cls, "name", cls.__name__), self._known(self._kinds))


def endpoint_json(endpoint: Endpoint) -> dict[str, Any]:
    return {
        "path": endpoint.path,
        "key": endpoint.key,
        "single": endpoint.single,
        "required": [camel(r) for r in endpoint.required],
        "method": endpoint.method,
    }


def result_schema(tp: Any) -> dict[str, Any]:
    """The JSON Schema of what a scenario returns (``None``: JSON null; ``dict``: anything)."""
    if tp is type(None):
        return {"type": "null"}
    return type_schema(tp)


def _index(groups: Iterator[Iterable[T]] | Iterable[Iterable[T]]) -> dict[str, list[T]]:
    index: dict[str, list[T]] = {}
    for group in groups:
        for item in group:
            index.setdefault(getattr(item, "name"), []).append(item)  # noqa: B009
    return index
