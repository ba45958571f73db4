"""Registries: naming, duplicates, lookups and declaration errors."""

from __future__ import annotations

from typing import Any

import pytest

import tdm


def test_repr_counts() -> None:
    """A registry's repr says what it holds."""
    registry = tdm.Registry("x")
    assert repr(registry) == "<tdm.Registry 'x' (kinds=0, targets=0, scenarios=0)>"


def test_registering_a_name_twice_is_an_error() -> None:
    """Two scenarios under one name are refused."""
    registry = tdm.Registry("x")

    @registry.scenario
    async def thing(s: tdm.Session) -> None:
        """One."""

    async def other(s: tdm.Session) -> None:
        """Two."""

    with pytest.raises(tdm.DefinitionError, match="scenario 'thing' is already registered"):
        registry.add_scenario(other, name="thing")


def test_decorator_returns_the_function_and_supports_a_name() -> None:
    """``@scenario`` and ``@scenario(name=...)`` both return the function unchanged."""
    registry = tdm.Registry("x")

    async def plain(s: tdm.Session) -> int:
        return 1

    assert registry.scenario(plain) is plain
    assert registry.scenario(name="renamed")(plain) is plain
    assert set(registry.scenarios) == {"plain", "renamed"}


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("def f(s): pass", "must be an async function"),
        ("async def f(s, n): pass", "parameter 'n' of f needs a type annotation"),
        ("async def f(s, *a: int): pass", "scenario parameters must be named"),
        ("async def f(s, d: dict): pass", "parameter 'd' of f has type"),
    ],
    ids=["sync", "unannotated", "varargs", "unsupported-type"],
)
def test_bad_declarations_are_refused(source: str, message: str) -> None:
    """Scenarios that cannot be served are refused when registered, with the reason."""
    namespace: dict[str, Any] = {}
    exec(source, namespace)  # noqa: S102 - building test functions from source
    with pytest.raises(tdm.DefinitionError, match=message):
        tdm.Registry("x").add_scenario(namespace["f"])


def test_unknown_kind_lists_known(registry: tdm.Registry) -> None:
    """Unknown kinds and targets name the known ones."""
    catalog = tdm.Catalog([registry])
    with pytest.raises(tdm.NotFound, match="unknown entity kind 'dragon'; known: author, book"):
        catalog.kind("dragon")
    with pytest.raises(tdm.NotFound, match="unknown target of registry 'library' 'x'; known: "):
        catalog.target("library", "x")


def test_kind_must_declare_its_attributes() -> None:
    """A concrete kind without its class attributes is refused at class creation."""
    with pytest.raises(tdm.DefinitionError, match="must set 'name'"):

        class Broken(tdm.Kind[Any, Any, Any]):
            async def create(self, client: Any, spec: Any) -> Any: ...
            def build(self, gen: tdm.DataGen) -> Any: ...
            def entity_id(self, entity: Any) -> str: ...
            async def delete(self, client: Any, record: Any) -> bool: ...
