"""tdm's pytest plugin (entry point ``pytest11``): a tracked session per test, cleaned after it.

Fixtures:

``tdm_session``
    A :class:`tdm.Session` for the test (async; needs pytest-asyncio). Everything it creates is
    removed after the test. With ``--tdm-keep-failed`` the data of a failed test is kept (still
    tracked) for inspection. When the test fails, its report gets a ``tdm`` section listing the
    entities it created and its seed, so the failure can be replayed with ``--tdm-seed``.
``tdm_manager``
    The session-wide :class:`tdm.Manager` (settings from the environment and ini keys).
``tdm_client``
    A :class:`tdm.AsyncClient` of a tdm server (``--tdm-url`` or ``TEST_DATA_MANAGER_URL``)
    for suites that use tdm over HTTP: what it creates during the test is removed after it
    (same keep and leak options, same failure report).
``tdm_run_id``
    This run's id. Under pytest-xdist every worker gets its own (``<run>-gw0``), so cleaning
    one worker's data never touches another's.
``tdm_baseline``
    Runs the baseline scenario once per test session, kept, tracked under run ``baseline``.

Options (each also an ini key without the dashes, ``tdm_keep_failed = true``): ``--tdm-url``,
``--tdm-ledger``,
``--tdm-run-id``, ``--tdm-seed``, ``--tdm-keep-failed``, ``--tdm-fail-on-leak``,
``--tdm-reap AGE`` (at start, remove tracked data older than AGE: leftovers of killed runs and
kept failures), ``--tdm-baseline-scenario``.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
from collections.abc import AsyncIterator, Generator, Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest

from ._datagen import new_seed
from ._errors import CleanupIncomplete
from ._manager import Manager
from ._remote import AsyncClient
from ._session import Session
from ._settings import Settings, new_run_id

__all__ = [
    "tdm_baseline",
    "tdm_client",
    "tdm_manager",
    "tdm_run_id",
    "tdm_session",
]

_SESSION_KEY = pytest.StashKey[Session]()
_CLIENT_KEY = pytest.StashKey[AsyncClient]()
_RUN_KEY = pytest.StashKey[str]()
_REPORTS_KEY = pytest.StashKey[dict[str, pytest.TestReport]]()

_BOOL_INI = ("tdm_keep_failed", "tdm_fail_on_leak")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("tdm", "tdm test data")
    group.addoption("--tdm-url", help="tdm server for tdm_client (default: TEST_DATA_MANAGER_URL)")
    group.addoption("--tdm-ledger", help="ledger file (default: TDM_LEDGER or .tdm/ledger.sqlite3)")
    group.addoption("--tdm-run-id", help="run id for this test run (default: TDM_RUN_ID or new)")
    group.addoption("--tdm-seed", type=int, help="base seed: replays every test's data exactly")
    group.addoption("--tdm-keep-failed", action="store_true", default=None,
                    help="keep the data of failed tests (tracked) for inspection")  # fmt: skip
    group.addoption("--tdm-fail-on-leak", action="store_true", default=None,
                    help="error a test whose data could not all be removed")  # fmt: skip
    group.addoption("--tdm-reap", metavar="AGE",
                    help="at start, remove tracked data older than AGE (e.g. 2h)")  # fmt: skip
    group.addoption("--tdm-baseline-scenario", help="scenario tdm_baseline runs (baseline)")
    for name in (
        "tdm_url",
        "tdm_ledger",
        "tdm_run_id",
        "tdm_seed",
        "tdm_reap",
        "tdm_baseline_scenario",
    ):
        parser.addini(name, help=f"default for --{name.replace('_', '-')}")
    for name in _BOOL_INI:
        parser.addini(name, type="bool", default=False, help=f"--{name.replace('_', '-')}")


def _option(config: pytest.Config, name: str) -> Any:
    value = config.getoption(name)
    if value is None:
        value = config.getini(name)
    return value if value not in ("", None) else None


def _run_id(config: pytest.Config) -> str:
    """This process's run id, chosen once: ``--tdm-run-id``, ``TDM_RUN_ID`` or a new one."""
    if _RUN_KEY in config.stash:
        return config.stash[_RUN_KEY]
    base = _option(config, "tdm_run_id") or os.environ.get("TDM_RUN_ID")
    worker = getattr(config, "workerinput", None)
    if worker is None:
        run_id = str(base or new_run_id())
    else:
        # Workers of one xdist run share ``testrunuid``; each adds its own id to keep apart.
        run_id = f"{base or 'run-' + worker['testrunuid'][:12]}-{worker['workerid']}"
    config.stash[_RUN_KEY] = run_id
    return run_id


@pytest.fixture(scope="session")
def tdm_run_id(pytestconfig: pytest.Config) -> str:
    """This test run's id (per xdist worker)."""
    return _run_id(pytestconfig)


def _manager(config: pytest.Config) -> Manager:
    settings = Settings.from_env()
    ledger = _option(config, "tdm_ledger")
    return Manager(
        settings.evolve(
            run_id=_run_id(config),
            ledger_path=Path(ledger) if ledger else settings.ledger_path,
        )
    )


def pytest_sessionstart(session: pytest.Session) -> None:
    """With --tdm-reap, remove old tracked data once, before any test (not per xdist worker)."""
    config = session.config
    age = _option(config, "tdm_reap")
    if not age or hasattr(config, "workerinput"):
        return
    manager = _manager(config)
    try:
        report = anyio.run(lambda: manager.cleanup(older_than=age))
    finally:
        manager.ledger.close()
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(f"tdm: reaped data older than {age}: {report.summary()}")


@pytest.fixture(scope="session")
def tdm_manager(pytestconfig: pytest.Config) -> Iterator[Manager]:
    """The manager every tdm fixture of this test session uses."""
    manager = _manager(pytestconfig)
    yield manager
    manager.ledger.close()


def _test_seed(config: pytest.Config, nodeid: str) -> int:
    base = _option(config, "tdm_seed")
    if base is None:
        return new_seed()
    digest = hashlib.blake2b(f"{base}:{nodeid}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") >> 1


if importlib.util.find_spec("pytest_asyncio") is not None:
    import pytest_asyncio

    @pytest_asyncio.fixture
    async def tdm_session(
        request: pytest.FixtureRequest, tdm_manager: Manager
    ) -> AsyncIterator[Session]:
        """A tracked session for this test; its data is removed after the test."""
        config = request.config
        session = tdm_manager.session(
            seed=_test_seed(config, request.node.nodeid), test_id=request.node.nodeid
        )
        request.node.stash[_SESSION_KEY] = session
        request.node.user_properties.append(("tdm_seed", session.seed))
        async with session:
            yield session
            failed = any(r.failed for r in request.node.stash.get(_REPORTS_KEY, {}).values())
            session.keep = session.keep or bool(failed and _option(config, "tdm_keep_failed"))
        strict = _option(config, "tdm_fail_on_leak")
        if strict and session.report is not None and not session.report.complete:
            raise CleanupIncomplete(session.report)

    @pytest_asyncio.fixture
    async def tdm_client(request: pytest.FixtureRequest) -> AsyncIterator[AsyncClient]:
        """A client of a tdm server; what it creates in this test is removed after it."""
        config = request.config
        url = _option(config, "tdm_url") or os.environ.get("TEST_DATA_MANAGER_URL")
        if not url:
            raise pytest.UsageError("tdm_client needs --tdm-url or TEST_DATA_MANAGER_URL")
        async with AsyncClient(url, run_id=_run_id(config), test_id=request.node.nodeid) as client:
            request.node.stash[_CLIENT_KEY] = client
            yield client
            failed = any(r.failed for r in request.node.stash.get(_REPORTS_KEY, {}).values())
            if failed and _option(config, "tdm_keep_failed"):
                return
            report = await client.cleanup()
        if _option(config, "tdm_fail_on_leak") and not report.complete:
            raise CleanupIncomplete(report)

else:  # pragma: no cover

    @pytest.fixture
    def tdm_session() -> None:
        """Needs pytest-asyncio."""
        raise pytest.UsageError("the tdm_session fixture needs pytest-asyncio installed")

    @pytest.fixture
    def tdm_client() -> None:
        """Needs pytest-asyncio."""
        raise pytest.UsageError("the tdm_client fixture needs pytest-asyncio installed")


@pytest.fixture(scope="session")
def tdm_baseline(pytestconfig: pytest.Config, tdm_manager: Manager) -> Any:
    """The baseline, seeded once per test session (idempotent; kept under run ``baseline``)."""
    name = _option(pytestconfig, "tdm_baseline_scenario") or "baseline"

    async def seed() -> Any:
        async with tdm_manager.session(keep=True, run_id="baseline") as s:
            return await s.run(name)

    return anyio.run(seed)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    item.stash.setdefault(_REPORTS_KEY, {})[report.when] = report
    if report.failed:
        session = item.stash.get(_SESSION_KEY, None)
        if session is not None:
            report.sections.append(("tdm", _describe(session)))
        client = item.stash.get(_CLIENT_KEY, None)
        if client is not None:
            lines = [f"run {client.run_id} at {client.base_url}"]
            for entry in client.get_created_entities():
                what = entry.get("scenario") or entry["operation"]
                lines.append(f"  {what}: tracking {', '.join(entry['trackingIds'])}")
            report.sections.append(("tdm", "\n".join(lines)))
    return report


def _describe(session: Session) -> str:
    lines = [
        f"seed {session.seed} (replay: pytest --tdm-seed or tdm.session(seed={session.seed})), "
        f"run {session.run_id}",
    ]
    for c in session.created:
        scenario = f" [{c.scenario}]" if c.scenario else ""
        label = f" {c.label}" if c.label else ""
        lines.append(f"  {c.kind} {c.entity_id}{label}{scenario}  tracking {c.tracking_id}")
    if not session.created:
        lines.append("  (no entities created)")
    return "\n".join(lines)
