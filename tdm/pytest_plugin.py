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
    A :class:`tdm.AsyncClient` of a tdm server (``--tdm-url`` or ``TEST_DATA_MANAGER_URL``; the
    token of ``TDM_API_TOKEN``)
    for suites that use tdm over HTTP: what it creates during the test is removed after it
    (same keep and leak options, same failure report).
``tdm_run_id``
    This run's id. Under pytest-xdist every worker gets its own (``<run>-gw0``), so cleaning
    one worker's data never touches another's.
``tdm_baseline``
    Runs the baseline scenario once per test session, kept, tracked under run ``baseline``.
``tdm_sync_session``, ``tdm_sync_client``
    The same without ``await`` (beside pytest-playwright's sync ``page``, say): a
    :class:`tdm.SyncSession` whose calls run on a background event loop and return what
    ``tdm_session``'s return, and a :class:`tdm.Client`.

Async tests that ask for ``tdm_session`` or ``tdm_client`` run under pytest-asyncio in its
strict mode too (the plugin marks them ``asyncio``), not only with ``asyncio_mode = auto``.

Every run has a base seed (``--tdm-seed``, or a new one, printed in the header); a test's seed
is derived from it and the test's id, so a failure's replay line (``pytest 'ID' --tdm-seed
BASE``) builds the same data again.

Options (each also an ini key without the dashes, ``tdm_keep_failed = true``): ``--tdm-url``,
``--tdm-ledger``,
``--tdm-run-id``, ``--tdm-seed``, ``--tdm-keep-failed``, ``--tdm-fail-on-leak``,
``--tdm-reap AGE`` (at start, remove tracked data older than AGE: leftovers of killed runs and
kept failures), ``--tdm-baseline-scenario``, ``--tdm-demo`` (start the registries' demo
systems for the run and point tdm at them).
"""

from __future__ import annotations

import hashlib
import importlib.util
import inspect
import os
import shlex
from collections.abc import AsyncIterator, Generator, Iterator
from typing import Any

import anyio
import pytest

from ._calls import URL_SETTING, env_token
from ._datagen import new_seed
from ._errors import CleanupIncomplete
from ._manager import Manager
from ._plugin_options import ASYNC_FIXTURES, add_options, option, run_id
from ._plugin_report import client_section, session_section
from ._plugin_runs import PluginRun
from ._plugin_signals import interrupt_on_sigterm, started
from ._remote import AsyncClient, Client
from ._report import CleanupReport
from ._session import Session
from ._settings import Settings, ledger_location, with_demo_env
from ._sync import Background, SyncSession
from ._test_demo import TestDemo, apply_env, restore_env

__all__ = [
    "tdm_baseline",
    "tdm_client",
    "tdm_manager",
    "tdm_run_id",
    "tdm_session",
    "tdm_sync_client",
    "tdm_sync_session",
]

_SESSION_KEY = pytest.StashKey[Session]()
_CLIENT_KEY = pytest.StashKey[AsyncClient | Client]()
_REPORTS_KEY = pytest.StashKey[dict[str, pytest.TestReport]]()
_SEED_KEY = pytest.StashKey[int]()
_BACKGROUND_KEY = pytest.StashKey[Background]()
_DEMO_KEY = pytest.StashKey[TestDemo]()
_ENV_KEY = pytest.StashKey[dict[str, str | None]]()
_HOLD_KEY = pytest.StashKey[PluginRun]()


def pytest_addoption(parser: pytest.Parser) -> None:
    add_options(parser)


@pytest.fixture(scope="session")
def tdm_run_id(pytestconfig: pytest.Config) -> str:
    """This test run's id (per xdist worker)."""
    return run_id(pytestconfig)


def _hold(config: pytest.Config) -> PluginRun:
    """This process's holds on its run (see :mod:`tdm._plugin_runs`)."""
    if _HOLD_KEY not in config.stash:
        keep_for = Settings.from_env().keep_for
        config.stash[_HOLD_KEY] = PluginRun(run_id(config), keep_for)
    return config.stash[_HOLD_KEY]


@pytest.fixture(scope="session")
def _tdm_server_hold(pytestconfig: pytest.Config) -> Iterator[None]:
    """The run held through the tdm server for the session (the client fixtures use it)."""
    hold = _hold(pytestconfig)
    hold.hold_on(_url(pytestconfig, "tdm_client"), env_token())
    yield
    hold.release_servers()


def _background(config: pytest.Config) -> Background:
    """The run's background event loop (for the sync fixtures, the baseline, the demos)."""
    if _BACKGROUND_KEY not in config.stash:
        config.stash[_BACKGROUND_KEY] = Background().start()
    return config.stash[_BACKGROUND_KEY]


def _base_seed(config: pytest.Config) -> int:
    """The run's base seed: ``--tdm-seed``, the controller's under xdist, or a new one."""
    if _SEED_KEY not in config.stash:
        given = option(config, "tdm_seed")
        worker = getattr(config, "workerinput", None)
        if given is not None:
            base = int(given)
        elif worker is not None and "tdm_seed" in worker:
            base = int(worker["tdm_seed"])
        elif worker is not None:  # a controller without this plugin's hook: derive it
            digest = hashlib.blake2b(worker["testrunuid"].encode(), digest_size=8).digest()
            base = int.from_bytes(digest, "big") >> 1
        else:
            base = new_seed()
        config.stash[_SEED_KEY] = base
    return config.stash[_SEED_KEY]


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    """With ``--tdm-demo``, start the demo systems once (not per xdist worker) and point this
    process's environment at them; workers get the same environment from the controller."""
    worker = getattr(config, "workerinput", None)
    if worker is not None:
        if worker.get("tdm_demo_env"):
            config.stash[_ENV_KEY] = apply_env(worker["tdm_demo_env"])
        return
    if not option(config, "tdm_demo"):
        return
    given = config.getoption("tdm_registry") or config.getini("tdm_registries")
    demo = config.stash[_DEMO_KEY] = TestDemo.start(_background(config), given or None)
    config.stash[_ENV_KEY] = apply_env(demo.env)


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """pytest-xdist: every worker gets the run's base seed and the demos' environment."""
    config = node.config
    node.workerinput["tdm_seed"] = _base_seed(config)
    demo = config.stash.get(_DEMO_KEY, None)
    if demo is not None:
        node.workerinput["tdm_demo_env"] = dict(demo.env)


def pytest_unconfigure(config: pytest.Config) -> None:
    demo = config.stash.get(_DEMO_KEY, None)
    try:
        if demo is not None:
            del config.stash[_DEMO_KEY]
            demo.stop()
    finally:
        before: dict[str, str | None] | None = config.stash.get(_ENV_KEY, None)
        restore_env(before or {})
        config.stash[_ENV_KEY] = {}
        if _BACKGROUND_KEY in config.stash:
            config.stash[_BACKGROUND_KEY].stop()
            del config.stash[_BACKGROUND_KEY]


def pytest_report_header(config: pytest.Config) -> list[str]:
    base = _base_seed(config)
    lines = [f"tdm: base seed {base} (the same data again: --tdm-seed {base})"]
    demo = config.stash.get(_DEMO_KEY, None)
    return lines + (demo.describe() if demo is not None else [])


@pytest.hookimpl(tryfirst=True)
def pytest_pycollect_makeitem(collector: pytest.Collector, name: str, obj: object) -> None:
    """An async test that asks for tdm's async fixtures runs under pytest-asyncio in strict
    mode too: it is marked ``asyncio`` as it is collected."""
    if _HAS_ASYNCIO and inspect.iscoroutinefunction(obj):
        try:
            wanted = set(inspect.signature(obj).parameters)
        except (TypeError, ValueError):
            return
        marked = any(m.name == "asyncio" for m in getattr(obj, "pytestmark", []))
        if wanted & ASYNC_FIXTURES and not marked:
            pytest.mark.asyncio(obj)


def _registries(config: pytest.Config, settings: Settings) -> tuple[str, ...] | None:
    given = config.getoption("tdm_registry") or config.getini("tdm_registries")
    return tuple(given) if given else settings.registries


def _manager(config: pytest.Config) -> Manager:
    settings = Settings.from_env()
    ledger = option(config, "tdm_ledger")
    return Manager(
        settings.evolve(
            run_id=run_id(config),
            ledger_path=ledger_location(ledger) if ledger else settings.ledger_path,
            registries=_registries(config, settings),
        )
    )


def pytest_sessionstart(session: pytest.Session) -> None:
    started(session)
    _reap_at_start(session)


def _reap_at_start(session: pytest.Session) -> None:
    """With --tdm-reap, remove old tracked data once, before any test (not per xdist worker)."""
    config = session.config
    age = option(config, "tdm_reap")
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
    interrupt_on_sigterm()
    manager = _manager(pytestconfig).open()  # the tests' sessions share clients (per loop)
    hold = _hold(pytestconfig)
    hold.hold_in(manager)
    try:
        yield manager
    finally:
        hold.release_ledger()
        manager.close_shared()
        manager.ledger.close()


def _test_seed(config: pytest.Config, nodeid: str) -> int:
    """A test's seed: derived from the run's base seed and the test's id."""
    digest = hashlib.blake2b(f"{_base_seed(config)}:{nodeid}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") >> 1


def _failed(request: pytest.FixtureRequest) -> bool:
    return any(r.failed for r in request.node.stash.get(_REPORTS_KEY, {}).values())


def _session_options(request: pytest.FixtureRequest) -> dict[str, Any]:
    nodeid = request.node.nodeid
    return {"seed": _test_seed(request.config, nodeid), "test_id": nodeid}


def _started(request: pytest.FixtureRequest, session: Session) -> None:
    request.node.stash[_SESSION_KEY] = session
    request.node.user_properties.append(("tdm_seed", session.seed))


def _keep(request: pytest.FixtureRequest, session: Session) -> None:
    keep_failed = option(request.config, "tdm_keep_failed")
    session.keep = session.keep or bool(_failed(request) and keep_failed)
    if session.keep and session.tracking_ids:
        _hold(request.config).kept = True


def _leaks(request: pytest.FixtureRequest, session: Session) -> None:
    strict = option(request.config, "tdm_fail_on_leak")
    if strict and session.report is not None and not session.report.complete:
        raise CleanupIncomplete(session.report)


def _url(config: pytest.Config, fixture: str) -> str:
    url = option(config, "tdm_url") or with_demo_env(os.environ)[0].get(URL_SETTING)
    if not url:
        raise pytest.UsageError(f"{fixture} needs --tdm-url or {URL_SETTING}")
    return str(url)


def _client_options(request: pytest.FixtureRequest, fixture: str) -> dict[str, Any]:
    config = request.config
    return {"base_url": _url(config, fixture), "run_id": run_id(config),
            "test_id": request.node.nodeid, "token": env_token()}  # fmt: skip


def _cleans(request: pytest.FixtureRequest) -> bool:
    """Whether a client fixture removes its test's data (not a failed one's to keep)."""
    keeps = _failed(request) and option(request.config, "tdm_keep_failed")
    if keeps:
        _hold(request.config).kept = True
    return not keeps


def _client_leaks(request: pytest.FixtureRequest, report: CleanupReport | None) -> None:
    if report is not None and option(request.config, "tdm_fail_on_leak") and not report.complete:
        raise CleanupIncomplete(report)


_HAS_ASYNCIO = importlib.util.find_spec("pytest_asyncio") is not None

if _HAS_ASYNCIO:
    import pytest_asyncio

    @pytest_asyncio.fixture
    async def tdm_session(
        request: pytest.FixtureRequest, tdm_manager: Manager
    ) -> AsyncIterator[Session]:
        """A tracked session for this test; its data is removed after the test."""
        session = tdm_manager.session(**_session_options(request))
        _started(request, session)
        async with session:
            yield session
            _keep(request, session)
        _leaks(request, session)

    @pytest_asyncio.fixture
    async def tdm_client(
        request: pytest.FixtureRequest, _tdm_server_hold: None
    ) -> AsyncIterator[AsyncClient]:
        """A client of a tdm server; what it creates in this test is removed after it."""
        interrupt_on_sigterm()
        async with AsyncClient(**_client_options(request, "tdm_client")) as client:
            request.node.stash[_CLIENT_KEY] = client
            yield client
            report = await client.cleanup() if _cleans(request) else None
        _client_leaks(request, report)

else:  # pragma: no cover

    @pytest.fixture
    def tdm_session() -> None:
        """Needs pytest-asyncio."""
        raise pytest.UsageError("the tdm_session fixture needs pytest-asyncio installed")

    @pytest.fixture
    def tdm_client() -> None:
        """Needs pytest-asyncio."""
        raise pytest.UsageError("the tdm_client fixture needs pytest-asyncio installed")


@pytest.fixture
def tdm_sync_session(request: pytest.FixtureRequest, tdm_manager: Manager) -> Iterator[SyncSession]:
    """``tdm_session`` without ``await``: the same results, its calls running on a background
    event loop (so it works where a loop already runs, beside pytest-playwright's ``page``)."""
    interrupt_on_sigterm()
    with _background(request.config).session(tdm_manager, **_session_options(request)) as s:
        _started(request, s.session)
        yield s
        _keep(request, s.session)
    _leaks(request, s.session)


@pytest.fixture
def tdm_sync_client(request: pytest.FixtureRequest, _tdm_server_hold: None) -> Iterator[Client]:
    """``tdm_client`` without ``await``: a :class:`tdm.Client`."""
    interrupt_on_sigterm()
    with Client(**_client_options(request, "tdm_sync_client")) as client:
        request.node.stash[_CLIENT_KEY] = client
        yield client
        report = client.cleanup() if _cleans(request) else None
    _client_leaks(request, report)


@pytest.fixture(scope="session")
def tdm_baseline(pytestconfig: pytest.Config, tdm_manager: Manager) -> Any:
    """The baseline, seeded once per test session (idempotent; kept under run ``baseline``)."""
    name = option(pytestconfig, "tdm_baseline_scenario") or "baseline"

    async def seed() -> Any:
        async with tdm_manager.session(keep=True, run_id="baseline") as s:
            return await s.run(name)

    # On the background loop: a loop may already run in this thread (Playwright's sync API).
    return _background(pytestconfig).call(seed)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    item.stash.setdefault(_REPORTS_KEY, {})[report.when] = report
    if report.failed:
        session = item.stash.get(_SESSION_KEY, None)
        if session is not None:
            replay = f"pytest {shlex.quote(item.nodeid)} --tdm-seed {_base_seed(item.config)}"
            report.sections.append(("tdm", session_section(session, replay)))
        client = item.stash.get(_CLIENT_KEY, None)
        if client is not None:
            report.sections.append(("tdm", client_section(client)))
    return report
