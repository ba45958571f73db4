"""Several ``tdm serve`` replicas on one PostgreSQL ledger, behind a load balancer.

Ledgers are fresh PostgreSQL databases; the shop runs on PostgreSQL (as a shared staging shop
does). :func:`replicas` starts ``tdm serve`` processes on free ports sharing one ledger, with a
short lease, heartbeat and sweep interval, behind a :class:`~tests.faults.FaultProxy` that
sends each request to one of them at random (no faults). ``pair`` is two of them with their
reapers on, shared by the tests that only count what their own runs made.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, ExitStack, contextmanager
from pathlib import Path

import attrs
import psycopg
import pytest

from ..cli.serve_process import Served, serving
from ..conftest import PG_SERVER, PG_URL
from ..faults import FaultProxy, fault_proxy
from ..support import Inspector

TTL, HEARTBEAT, SWEEP = 3, 1, 1
"""Seconds: a dead run's lease runs out 3 s after its last heartbeat; reapers sweep every 1 s."""

FAST = {
    "TDM_LEASE_TTL": str(TTL), "TDM_HEARTBEAT_INTERVAL": str(HEARTBEAT),
    "TDM_REAPER_INTERVAL": str(SWEEP), "TDM_DEMO_ENV": "off", "LOG_LEVEL": "warning",
}  # fmt: skip


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.parent == Path(__file__).parent:
            item.add_marker(pytest.mark.postgres)


@pytest.fixture
def shop(postgres_shop: Inspector) -> Inspector:
    """The session's shop on PostgreSQL (tests count only what their own runs made)."""
    return postgres_shop


@pytest.fixture(scope="session")
def new_ledger() -> Iterator[Callable[[], str]]:
    """Makes a fresh, empty PostgreSQL database for a ledger (its URL); all are dropped
    after the session."""
    names: list[str] = []

    def make() -> str:
        name = f"tdm_ledger_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(PG_SERVER, autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        names.append(name)
        return PG_URL.format(name=name)

    yield make
    with psycopg.connect(PG_SERVER, autocommit=True) as connection:
        for name in names:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def tdm_env(shop: Inspector, ledger: str) -> dict[str, str]:
    """What a tdm process of these tests reads: the shop, the ledger, short leases."""
    return {**os.environ, **shop.env(), "TDM_LEDGER": ledger, **FAST}


@pytest.fixture
def env(shop: Inspector, new_ledger: Callable[[], str]) -> dict[str, str]:
    """:func:`tdm_env` on a ledger of this test's own."""
    return tdm_env(shop, new_ledger())


@attrs.define
class Replicas:
    """Running replicas, the load balancer in front of them, and their environment."""

    served: list[Served]
    balancer: FaultProxy
    env: dict[str, str]

    @property
    def urls(self) -> list[str]:
        """Each replica's own URL."""
        return [s.urls["tdm API"] for s in self.served]

    @property
    def url(self) -> str:
        """The load balancer's URL."""
        return self.balancer.url


@contextmanager
def start_replicas(count: int, env: dict[str, str], cwd: Path) -> Iterator[Replicas]:
    """``count`` ``tdm serve`` processes (started side by side) behind a random balancer."""
    with ExitStack() as stack:
        starting = [serving(["--port", "0"], env, cwd, until="tdm API listening on")
                    for _ in range(count)]  # fmt: skip
        with ThreadPoolExecutor(count) as pool:
            entered = [pool.submit(cm.__enter__) for cm in starting]
        for cm, future in zip(starting, entered, strict=True):
            if future.exception() is None:
                stack.push(cm.__exit__)
        served = [future.result() for future in entered]
        urls = [s.urls["tdm API"] for s in served]
        balancer = stack.enter_context(fault_proxy(urls, rate=0, stall=1.0, seed=13))
        yield Replicas(served, balancer, env)


@pytest.fixture
def replicas(
    env: dict[str, str], tmp_path: Path
) -> Callable[..., AbstractContextManager[Replicas]]:
    """``with replicas(2, TDM_REAPER="off") as r``: replicas on this test's ledger (settings
    added to :func:`env`), stopped after the block."""

    def start(count: int, **changes: str) -> AbstractContextManager[Replicas]:
        return start_replicas(count, {**env, **changes}, tmp_path)

    return start


@pytest.fixture(scope="session")
def pair(
    postgres_shop: Inspector, new_ledger: Callable[[], str],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Replicas]:  # fmt: skip
    """Two replicas with their reapers on, on a ledger of their own, for the session."""
    env = tdm_env(postgres_shop, new_ledger())
    with start_replicas(2, env, tmp_path_factory.mktemp("pair")) as found:
        yield found
