"""Entity kinds: how one sort of entity gets into a system under test and out again.

A kind is written once per entity type, in the code of whoever owns the system (the reference
shop's kinds live in ``tdm_scenarios`` and use nothing but this public API)::

    @registry.kind
    class Authors(tdm.Kind[LibraryClient, AuthorSpec, Author]):
        \"\"\"Authors of the library's books.\"\"\"

        name, plural, target, spec = "author", "authors", "library", AuthorSpec

        def build(self, gen): return AuthorSpec(name=gen.unique(gen.faker.name()))
        def lookup(self, spec): return {"name": spec.name}  # finds it without its id
        async def create(self, client, spec): ...
        def entity_id(self, entity): return entity.id
        async def delete(self, client, record): ...  # True: deleted; False: already gone
        async def find(self, client, lookup): ...  # ids matching a lookup

The docstring is the kind's description (MCP tools, the catalog).
"""

from __future__ import annotations

import abc
import functools
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

import attrs

from ._errors import DefinitionError
from ._params import Parameters

if TYPE_CHECKING:
    from ._datagen import DataGen
    from ._ledger import TrackingRecord
    from ._session import Session

__all__ = ["Kind", "Ref"]

C = TypeVar("C")
S = TypeVar("S")
E = TypeVar("E")

Ref = tuple[str, str]
"""``(kind name, entity id)``: an entity this one depends on (deleted after it)."""


class Kind(abc.ABC, Generic[C, S, E]):
    """One sort of entity in a system under test.

    Class attributes: ``name`` (``"user"``), ``plural`` (the key in cleanup counts, camelCase:
    ``"cartItems"``), ``target`` (the name of the target, in the same registry, whose client
    :meth:`create` and :meth:`delete` receive), ``spec`` (an attrs class of the fields a
    caller may override) and ``removed_with`` (kinds whose deletion removes this one too: a
    cart item goes with its user).
    """

    name: ClassVar[str]
    plural: ClassVar[str]
    target: ClassVar[str]
    spec: ClassVar[type[Any]]
    removed_with: ClassVar[tuple[str, ...]] = ()

    registry: str = ""
    """The registry this kind is registered in (set when it is)."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if getattr(cls, "__abstractmethods__", None):
            return
        for attr in ("name", "plural", "target", "spec"):
            if not hasattr(cls, attr):
                raise DefinitionError(f"kind {cls.__qualname__} must set {attr!r}")
        if not attrs.has(cls.spec):
            raise DefinitionError(f"kind {cls.__qualname__}: spec must be an attrs class")
        attrs.resolve_types(cls.spec)

    @functools.cached_property
    def parameters(self) -> Parameters:
        """The spec's fields as optional parameters (what ``create`` overrides may set)."""
        return Parameters.of_spec(self.spec)

    @property
    def description(self) -> str:
        """The kind's own docstring (not one inherited from a base class)."""
        own = type(self).__dict__.get("__doc__")
        return " ".join(own.split()) if isinstance(own, str) else ""

    @property
    def qualified_name(self) -> str:
        return f"{self.registry}:{self.name}"

    @abc.abstractmethod
    def build(self, gen: DataGen) -> S:
        """Realistic values for every field (overrides are applied afterwards)."""

    async def prepare(self, session: Session, spec: S) -> S:
        """Fill in what needs other entities (create or look them up through ``session``)."""
        return spec

    def lookup(self, spec: S) -> Mapping[str, Any] | None:
        """A natural key that finds the entity without its id (for reconciliation)."""
        return None

    def refs(self, spec: S) -> Iterable[Ref]:
        """Entities this one depends on; they are deleted after it."""
        return ()

    def label(self, entity: E) -> str | None:
        """A human key for listings: an email, a SKU, an order number."""
        return None

    def secret(self, entity: E) -> Mapping[str, Any] | None:
        """What tdm must keep to act as this entity later, on any machine (a user's password):
        kept sealed in the ledger with its record (``TDM_SECRET``), never logged, never part
        of a record's JSON. Read back with :meth:`~tdm.Session.secret`."""
        return None

    @abc.abstractmethod
    async def create(self, client: C, spec: S) -> E:
        """Create the entity in the system; return it."""

    @abc.abstractmethod
    def entity_id(self, entity: E) -> str | int:
        """The system's id of a created entity."""

    @abc.abstractmethod
    async def delete(self, client: C, record: TrackingRecord) -> bool:
        """Delete the entity ``record`` tracks: ``True`` deleted, ``False`` already gone.

        ``record.entity_id`` is its id; ``record.lookup``, ``record.refs`` and
        ``record.label`` are there for systems that need more than the id. Raise
        :class:`~tdm.CannotDelete` when the access at hand cannot delete it, any other
        exception when the attempt failed; the entity then stays tracked.
        """

    async def delete_many(self, client: C, records: list[TrackingRecord]) -> dict[str, bool] | None:
        """Delete several at once (say, one SQL statement); ``None`` when not possible now.

        Returns, per entity id, what :meth:`delete` would: ``True`` deleted, ``False`` already
        gone. Cleanup uses it for every batch of two or more and falls back to :meth:`delete`.
        """
        return None

    async def find(self, client: C, lookup: Mapping[str, Any]) -> list[str] | None:
        """Ids of entities matching ``lookup``; ``None`` when this kind cannot look up."""
        return None

    def __repr__(self) -> str:
        where = f"{self.registry}:" if self.registry else ""
        return f"<tdm.Kind {where}{self.name} target={self.target!r}>"
