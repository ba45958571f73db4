"""The pytest plugin's ``--tdm-demo``: the registries' demo systems, started for a test run.

As Testcontainers starts a container for a test session, ``--tdm-demo`` starts the selected
registries' demo systems (the reference shop's, or a team's own through
``registry.add_demo``) once per run, on a background event loop of the controlling process,
and points tdm at them through the environment: their settings, and a ledger of the run's own
(the systems are new, so what an earlier run tracked is nothing to them). pytest-xdist
workers get the same environment, so they share the systems. Everything stops, and the data
folder goes, when the run ends.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import AbstractContextManager, AsyncExitStack, asynccontextmanager
from pathlib import Path

import attrs

from ._catalog import Catalog
from ._demos import demo_env, start_demos
from ._registry import Demo
from ._settings import Settings
from ._sync import Background

__all__ = ["TestDemo", "apply_env", "restore_env"]


@asynccontextmanager
async def _running(settings: Settings, data_dir: Path) -> AsyncIterator[list[Demo]]:
    async with AsyncExitStack() as stack:
        yield await start_demos(stack, settings, Catalog.from_settings(settings), data_dir)


@attrs.define
class TestDemo:
    """Demo systems running for a test run, and the environment that points tdm at them."""

    __test__ = False  # not a test class, whatever pytest's collection thinks of the name

    demos: list[Demo]
    env: dict[str, str]
    data_dir: Path
    _running: AbstractContextManager[list[Demo]] = attrs.field(repr=False)

    @classmethod
    def start(cls, background: Background, registries: Sequence[str] | None) -> TestDemo:
        """Start the demos on ``background`` (settings from the environment, never from
        another demo's ``.tdm/demo.env``)."""
        settings = Settings.from_env(demo_env=False)
        if registries:
            settings = settings.evolve(registries=tuple(registries))
        data_dir = Path(tempfile.mkdtemp(prefix="tdm-demo-"))
        running = background.portal.wrap_async_context_manager(_running(settings, data_dir))
        try:
            demos = running.__enter__()
        except BaseException:
            shutil.rmtree(data_dir, ignore_errors=True)
            raise
        env = {**demo_env(demos), "TDM_LEDGER": str(data_dir / "ledger.sqlite3")}
        return cls(demos, env, data_dir, running)

    def stop(self) -> None:
        try:
            self._running.__exit__(None, None, None)
        finally:
            shutil.rmtree(self.data_dir, ignore_errors=True)

    def describe(self) -> list[str]:
        """Lines for the run's header: what listens where, and the demos' notes."""
        lines = ["tdm: started for this run (--tdm-demo):"]
        lines += [f"  {label}: {url}" for demo in self.demos for label, url in demo.services]
        lines += [f"  {note}" for demo in self.demos for note in demo.notes]
        return lines


def apply_env(env: Mapping[str, str]) -> dict[str, str | None]:
    """Set ``env`` in ``os.environ``; what was there before, to give back to
    :func:`restore_env`."""
    before = {key: os.environ.get(key) for key in env}
    os.environ.update(env)
    return before


def restore_env(before: Mapping[str, str | None]) -> None:
    for key, value in before.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
