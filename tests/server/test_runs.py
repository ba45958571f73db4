"""Runs over HTTP (``/api/runs``), ``Idempotency-Key`` on creates, and the Python client that
holds its run and retries its creates with their keys. Outcomes are checked in the shop and in
the ledger's runs, as another process would see them."""

from __future__ import annotations

import asyncio
import threading

import httpx2
import pytest

import tdm
from tdm.boundary import sweep

from ..faults import fault_proxy
from ..support import Inspector
from .conftest import serving


async def test_a_run_is_held_renewed_and_ended(http: httpx2.AsyncClient) -> None:
    """POST holds a run for ``ttl`` seconds, PUT renews it, DELETE ends it (``keep``: kept)."""
    opened = await http.post("/api/runs", json={"runId": "run-http", "holder": "ci-job-7"})
    assert opened.status_code == 201, opened.text
    body = opened.json()
    assert (body["runId"], body["state"], body["holder"]) == ("run-http", "held", "ci-job-7")
    assert 0 < body["heartbeatInterval"] < body["ttl"]
    renewed = await http.put("/api/runs/run-http/lease", json={"holder": "ci-job-7"})
    assert (renewed.status_code, renewed.json()["state"]) == (200, "held")
    assert renewed.json()["leaseUntil"] >= body["leaseUntil"]
    listed = (await http.get("/api/runs")).json()["items"]
    assert [r["state"] for r in listed if r["runId"] == "run-http"] == ["held"]
    kept = await http.request("DELETE", "/api/runs/run-http", json={"holder": "ci-job-7",
                                                                    "keep": "2h"})  # fmt: skip
    assert (kept.status_code, kept.json()["state"]) == (200, "kept")
    assert kept.json()["holders"] == []
    ended = await http.request("DELETE", "/api/runs/run-http", json={"keep": "0s"})
    assert ended.json()["state"] in ("expired", "ended")


async def test_each_holder_holds_a_lease_of_its_own(http: httpx2.AsyncClient) -> None:
    """Two clients hold one run (two replicas' clients, two xdist workers' clients): one's
    DELETE ends only its lease, the run stays held, and the runs list shows who holds it."""
    for holder in ("worker-gw0", "worker-gw1"):
        opened = await http.post("/api/runs", json={"runId": "run-two", "holder": holder})
        assert opened.status_code == 201, opened.text
    renewed = await http.put("/api/runs/run-two/lease", json={"holder": "worker-gw1"})
    assert [h["holder"] for h in renewed.json()["holders"]] == ["worker-gw1", "worker-gw0"]
    ended = await http.request("DELETE", "/api/runs/run-two", json={"holder": "worker-gw1"})
    assert (ended.json()["state"], ended.json()["holder"]) == ("held", "worker-gw0")
    listed = (await http.get("/api/runs")).json()["items"]
    (run,) = [r for r in listed if r["runId"] == "run-two"]
    assert [(h["holder"], h["live"]) for h in run["holders"]] == [("worker-gw0", True)]
    last = await http.request("DELETE", "/api/runs/run-two", json={"holder": "worker-gw0"})
    assert last.json()["state"] in ("expired", "ended")


async def test_a_run_id_may_hold_a_slash(http: httpx2.AsyncClient) -> None:
    opened = await http.post("/api/runs", json={"runId": "ci/1234"})
    assert opened.status_code == 201
    renewed = await http.put("/api/runs/ci/1234/lease", json={})
    assert (renewed.status_code, renewed.json()["runId"]) == (200, "ci/1234")
    wrong = await http.request("DELETE", "/api/runs/ci/1234/lease")
    assert (wrong.status_code, wrong.headers["allow"]) == (405, "PUT")


@pytest.mark.parametrize(
    ("body", "field"),
    [({"runId": "no spaces"}, "runId"), ({"holder": 7}, "holder"), ({"keep": "soon"}, "keep")],
)
async def test_bad_run_bodies_name_the_field(
    http: httpx2.AsyncClient, body: dict[str, object], field: str
) -> None:
    method, path = ("DELETE", "/api/runs/r1") if "keep" in body else ("POST", "/api/runs")
    answer = await http.request(method, path, json=body)
    assert answer.status_code == 422, answer.text
    assert [f["field"] for f in answer.json()["fields"]] == [field]


async def test_the_same_key_creates_once(http: httpx2.AsyncClient, shop: Inspector) -> None:
    """The same key and body: one user, the first answer again (``Idempotent-Replayed``);
    the same key with another body: 422, and nothing created."""
    key = {"Idempotency-Key": "key-user-1", "X-TDM-Run-Id": "run-keys"}
    first = await http.post("/api/users", json={"fullName": "Kim Key"}, headers=key)
    again = await http.post("/api/users", json={"fullName": "Kim Key"}, headers=key)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    (user,) = first.json()["users"]
    assert [u["id"] for u in shop.users(user["email"])] == [user["id"]]
    other = await http.post("/api/users", json={"fullName": "Kim Other"}, headers=key)
    assert (other.status_code, other.json()["error"]) == (422, "idempotency_key_reused")
    tracked = (await http.get("/api/tracked", params={"runId": "run-keys"})).json()
    assert tracked["total"] == 1


async def test_a_bad_key_names_the_header(http: httpx2.AsyncClient) -> None:
    answer = await http.post("/api/users", json={}, headers={"Idempotency-Key": "a b"})
    assert answer.status_code == 422
    assert [f["field"] for f in answer.json()["fields"]] == ["Idempotency-Key"]


async def test_a_client_holds_the_run_it_made_up(
    live: str, test_manager: tdm.Manager, shop: Inspector
) -> None:
    """Before its first create the client holds its run; closed, it ends the lease, and a
    sweep of the reaper removes what it left (here: what it never cleaned up)."""
    ledger = test_manager.ledger
    async with tdm.AsyncClient(live) as client:
        user = (await client.create("user"))["entities"][0]
        run = await ledger.run(client.run_id)
        assert run is not None
        assert run.holder == client.holder
        assert run.alive(await ledger.now())
    after = await ledger.run(client.run_id)
    assert after is not None
    assert not after.alive(await ledger.now())
    found = await sweep(test_manager)
    assert found.reaped == [client.run_id]
    assert shop.users(user["email"]) == []


async def test_a_client_given_a_run_leaves_holding_to_its_maker(
    live: str, test_manager: tdm.Manager
) -> None:
    ledger = test_manager.ledger
    await ledger.hold(["run-made-elsewhere"], 60, "with-run")

    def use() -> None:  # the sync client, in a thread: this loop serves the API
        with tdm.Client(live, run_id="run-made-elsewhere") as client:
            client.create("user")

    await asyncio.to_thread(use)
    run = await ledger.run("run-made-elsewhere")
    assert run is not None
    assert (run.holder, run.alive(await ledger.now())) == ("with-run", True)
    assert (await sweep(test_manager)).reaped == []
    report = await test_manager.cleanup(run_id="run-made-elsewhere")
    assert report.deleted["users"] == 1


async def test_a_kept_client_run_is_kept(live: str, test_manager: tdm.Manager) -> None:
    async with tdm.AsyncClient(live, keep="1h") as client:
        await client.create("user")
    run = await test_manager.ledger.run(client.run_id)
    assert run is not None
    assert run.keep_until is not None
    assert (await sweep(test_manager)).reaped == []
    await test_manager.cleanup(run_id=client.run_id)


async def test_the_sync_client_renews_from_a_thread(live: str, test_manager: tdm.Manager) -> None:
    """While the code using it blocks, the sync client's heartbeat thread renews the lease."""
    store = test_manager.ledger.store
    fast = test_manager.settings.evolve(heartbeat_interval=0.2)
    renewing = tdm.Manager(fast, registry=test_manager.catalog, ledger=test_manager.ledger)
    from tdm_server import create_app

    def blocked(url: str) -> tuple[float, float]:
        with tdm.Client(url) as client:
            client.create("user")
            first = store.run(client.run_id)
            assert first is not None
            assert first.lease_until is not None
            for _ in range(600):  # blocks its thread; the heartbeat's runs beside it
                later = store.run(client.run_id)
                assert later is not None
                if (later.lease_until or 0) > first.lease_until:
                    client.cleanup()
                    return first.lease_until, later.lease_until or 0
                threading.Event().wait(0.1)
            client.cleanup()
        raise AssertionError("the lease was never renewed")

    async with serving(create_app(renewing)) as url:
        first, later = await asyncio.to_thread(blocked, url)
    assert later > first


async def test_lost_answers_are_retried_with_their_key(
    test_manager: tdm.Manager, shop: Inspector
) -> None:
    """A proxy in front of tdm loses answers (a 502 after the server created, a reset
    connection, a stall past the client's timeout): the client sends each create again with
    its key, the server creates once, and every user in the shop is one the client knows."""
    from tdm_server import create_app

    async with serving(create_app(test_manager)) as url:
        with fault_proxy(url, rate=0.5, stall=3.0, seed=13) as proxy:
            async with tdm.AsyncClient(proxy.url, timeout=1.5, retries=8) as client:
                made = []
                for _ in range(12):
                    made.append((await client.create("user"))["entities"][0])
                proxy.rate = 0
                await asyncio.to_thread(proxy.settle)
                assert sum(proxy.injected.values()) > 0
                emails = {u["email"] for u in made}
                run_users = [u for u in shop.users() if u["email"] in emails]
                assert len(run_users) == len(made) == 12
                tracked = await test_manager.ledger.count(run_id=client.run_id)
                assert tracked == 12
                report = await client.cleanup()
                assert (report.complete, report.deleted["users"]) == (True, 12)
