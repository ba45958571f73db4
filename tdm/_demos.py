"""Starting the selected registries' demo systems, and pointing settings at them.

``tdm serve --demo`` and the pytest plugin's ``--tdm-demo`` both start demos this way: every
selected registry that has one (``registry.add_demo``) starts its system; the settings each
yields (its URLs, say) then take the place of whatever pointed elsewhere.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from contextlib import AsyncExitStack
from pathlib import Path

from ._catalog import Catalog
from ._errors import ConfigError
from ._http import _ssl_context
from ._registry import Demo
from ._settings import Settings

__all__ = ["demo_env", "start_demos", "with_demos"]


async def start_demos(
    stack: AsyncExitStack, settings: Settings, catalog: Catalog, data_dir: Path
) -> list[Demo]:
    """Start the demo of every selected registry that has one; they stop with ``stack``.

    Each keeps its data in ``data_dir`` (in a folder of its own when there are several).
    Meanwhile a worker thread builds the TLS context tdm's clients share (reading the CA
    bundle, tens of milliseconds, without the GIL), which the first call to a demo needs.
    """
    found = [r for r in catalog.registries if r.demo is not None]
    if not found:
        raise ConfigError(
            "--demo", ", ".join(catalog.names) or "no registries",
            "a selected registry that has a demo system",
        )  # fmt: skip
    # A thread of its own, not a task: the demos' lifespans (task groups of their own) must
    # not be entered inside a task group that ends before they do. At worst a first call
    # builds the context too, which is harmless.
    threading.Thread(target=_ssl_context, name="tdm-tls-context", daemon=True).start()
    demos = []
    for registry in found:
        assert registry.demo is not None
        where = data_dir / registry.name if len(found) > 1 else data_dir
        demos.append(await stack.enter_async_context(registry.demo(settings, where)))
    return demos


def demo_env(demos: Sequence[Demo]) -> dict[str, str]:
    """The settings that point tdm at the demos, together."""
    return {key: value for demo in demos for key, value in demo.env.items()}


def with_demos(settings: Settings, demos: Sequence[Demo]) -> Settings:
    """``settings`` pointed at the demos: their settings win over any other source."""
    env = demo_env(demos)
    sources = {k: v for k, v in settings.sources.items() if k not in env}
    return settings.evolve(env={**settings.env, **env}, sources=sources)
