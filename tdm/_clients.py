"""Opens each target's client once, on first use, and closes them all together; before a
registry's first target opens, the production guard checks it (``tdm._guard``)."""

from __future__ import annotations

from contextlib import AsyncExitStack
from typing import TYPE_CHECKING, Any

import anyio

from ._guard import guard_registry
from ._settings import Settings

if TYPE_CHECKING:
    from ._catalog import Catalog

__all__ = ["Clients"]


class Clients:
    """The open clients of the targets of a catalog's registries, by (registry, target)."""

    def __init__(self, catalog: Catalog, settings: Settings) -> None:
        self._catalog, self._settings = catalog, settings
        self._open: dict[tuple[str, str], Any] = {}
        self._guarded: set[str] = set()
        self._stack = AsyncExitStack()
        self._lock = anyio.Lock()

    async def guard(self, registries: list[str] | None = None) -> None:
        """Run the production guard of these registries (default: all), once each."""
        for name in self._catalog.names if registries is None else registries:
            if name not in self._guarded:
                await guard_registry(self._catalog.registry(name), self._settings)
                self._guarded.add(name)

    async def get(self, registry: str, target: str) -> Any:
        key = (registry, target)
        if key in self._open:
            return self._open[key]
        async with self._lock:
            if key not in self._open:
                await self.guard([registry])
                factory = self._catalog.target(registry, target)
                self._open[key] = await self._stack.enter_async_context(factory(self._settings))
            return self._open[key]

    async def aclose(self) -> None:
        self._open.clear()
        await self._stack.aclose()

    async def __aenter__(self) -> Clients:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()
