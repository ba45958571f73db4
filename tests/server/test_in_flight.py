"""A request in flight holds its run: while a scenario works in a held run, the server renews
the run's lease, so a reaper never removes what it is creating because the caller's own
heartbeat came late (a loaded CI machine, a slow network)."""

from __future__ import annotations

import anyio
import httpx2

import tdm
import tdm_scenarios
from tdm.boundary import sweep
from tdm_server import create_app

from ..support import Inspector
from .conftest import serving

registry = tdm.Registry("in-flight-tests")
SLOW = 2.5
"""Seconds the scenario works after its create: more than twice the lease."""


@registry.scenario
async def slow_user(s: tdm.Session) -> dict[str, str]:
    """Creates a user, then takes its time."""
    user = await s.create("user")
    await anyio.sleep(SLOW)
    return {"email": user.email}


async def test_a_request_in_flight_keeps_its_run_held(
    manager: tdm.Manager, shop: Inspector
) -> None:
    """The caller held its run once (a 1 s lease) and went quiet; its scenario runs 2.5 s
    while a reaper sweeps every 0.1 s: the run stays held, its user in the shop."""
    fast = manager.settings.evolve(lease_ttl=1.0, heartbeat_interval=0.2)
    slow = tdm.Manager(fast, registry=[tdm_scenarios.registry, registry], ledger=manager.ledger)
    await slow.ledger.hold(["run-slow"], 1.0, "a quiet client")
    reaped: list[str] = []
    async with serving(create_app(slow)) as url, httpx2.AsyncClient(base_url=url) as http:
        answer: list[httpx2.Response] = []

        async def call() -> None:
            answer.append(await http.post("/api/scenarios/slow-user", json={}, timeout=30,
                                          headers={"X-TDM-Run-Id": "run-slow"}))  # fmt: skip

        async with anyio.create_task_group() as tasks:
            tasks.start_soon(call)
            while not answer:
                reaped += (await sweep(slow)).reaped
                await anyio.sleep(0.1)
    assert answer[0].status_code == 201, answer[0].text
    email = answer[0].json()["data"]["email"]
    assert (reaped, len(shop.users(email))) == ([], 1)
    report = await slow.cleanup(run_id="run-slow")
    assert report.deleted["users"] == 1
