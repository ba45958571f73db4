"""Opens each target's client once, on first use, and closes them all together."""

from __future__ import annotations

from contextlib import AsyncExitStack
from typing import Any

import anyio

from ._registry import Registry
from ._settings import Settings

__all__ = ["Clients"]


class Clients:
    """The open clients of one session or one cleanup, by target name."""

    def __init__(self, registry: Registry, settings: Settings) -> None:
        self._registry, self._settings = registry, settings
        self._open: dict[str, Any] = {}
        self._stack = AsyncExitStack()
        self._lock = anyio.Lock()

    async def get(self, target: str) -> Any:
        if target in self._open:
            return self._open[target]
        async with self._lock:
            if target not in self._open:
                factory = self._registry.get_target(target)
                self._open[target] = await self._stack.enter_async_context(factory(self._settings))
            return self._open[target]

    async def aclose(self) -> None:
        self._open.clear()
        await self._stack.aclose()

    async def __aenter__(self) -> Clients:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()
