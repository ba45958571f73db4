"""``tdm.AsyncClient`` and ``tdm.Client`` against the real server, outcomes in the shop."""

from __future__ import annotations

from collections.abc import AsyncIterator

import anyio.to_thread
import pytest

import tdm
from tdm.boundary import PayloadTooLarge
from tdm_server import create_app
from tdm_server._serve import bind

from ..support import Inspector
from .conftest import serving


@pytest.fixture
async def remote(live: str) -> AsyncIterator[tdm.AsyncClient]:
    async with tdm.AsyncClient(live, run_id="client-run") as client:
        yield client


@pytest.mark.usefixtures("seeded")
async def test_the_design_flow(remote: tdm.AsyncClient, shop: Inspector) -> None:
    """Seed, track, create through every method, clean up: the shop is as before."""
    assert (await remote.wait_for_healthy(5))["status"] == "healthy"
    assert (await remote.seed())["seeded"] is False
    remote.start_tracking(test_id="test_the_design_flow")
    (user,) = (await remote.create_user(full_name="Grace Client"))["users"]
    await remote.create_user(count=2)
    (product,) = (await remote.create_product(name="Client Lamp", price=9.5, stock=3))["products"]
    order = await remote.create_order(
        user_id=user["id"], items=[{"product_id": product["id"]}], status="confirmed"
    )
    data = (await remote.scenario("user-with-orders", order_count=2, order_status="shipped"))[
        "data"
    ]
    assert shop.users(user["email"])[0]["fullName"] == "Grace Client"
    assert shop.orders(user["id"])[0]["status"] == "confirmed"
    assert {o["status"] for o in shop.orders(data["user"]["id"])} == {"shipped"}
    assert order["trackingId"] in remote.tracking_ids
    created = remote.get_created_entities()
    assert [c["operation"] for c in created] == [
        "create_user",
        "create_user",
        "create_product",
        "create_order",
        "scenario",
    ]
    assert created[-1]["scenario"] == "user-with-orders"
    report = await remote.cleanup()
    assert report.complete
    assert report.deleted["users"] == 4
    assert report.deleted["orders"] == 3
    assert shop.users(user["email"]) == []
    assert shop.product(product["id"]) is None
    assert shop.orders(data["user"]["id"]) == []
    assert (remote.tracking_ids, remote.get_created_entities()) == ([], [])


async def test_cleanup_keeps_what_others_made(remote: tdm.AsyncClient, shop: Inspector) -> None:
    """cleanup() removes only what this client tracked; cleanup_all() the rest too."""
    async with tdm.AsyncClient(remote.base_url) as other:
        (theirs,) = (await other.create_user())["users"]
    remote.start_tracking()
    (mine,) = (await remote.create_user())["users"]
    await remote.cleanup()
    assert shop.users(mine["email"]) == []
    assert shop.users(theirs["email"]) != []
    assert (await remote.cleanup()).total_deleted == 0
    assert (await remote.cleanup_all()).deleted["users"] >= 1
    assert shop.users(theirs["email"]) == []


@pytest.mark.usefixtures("seeded")
async def test_errors_are_tdm_exceptions(remote: tdm.AsyncClient) -> None:
    """422, 404, a failed scenario and a bad body come back as tdm's exceptions."""
    with pytest.raises(tdm.InvalidParameters) as invalid:
        await remote.scenario("user-with-orders", order_count=0, colour="red")
    assert invalid.value.subject == "scenario 'user-with-orders'"
    problems = {p.field_in("json"): p for p in invalid.value.problems}
    assert problems["colour"].unknown
    assert problems["orderCount"].got == 0
    with pytest.raises(tdm.InvalidParameters, match="userId") as missing:
        await remote.create_order(user_id=None)
    assert missing.value.problems[0].missing is False
    with pytest.raises(tdm.NotFound) as unknown:
        await remote.scenario("nope")
    assert (unknown.value.name, "empty-cart" in unknown.value.known) == ("nope", True)
    with pytest.raises(tdm.ScenarioFailed) as failed:
        await remote.scenario("same-email-twice")
    assert failed.value.step == "step 2 (create user)"
    assert isinstance(failed.value.cause, tdm.TargetError)
    assert failed.value.cause.status == 409
    assert failed.value.report.deleted["users"] == 1
    with pytest.raises(tdm.TargetError, match="already exists") as conflict:
        await remote.create_user(email="user@example.com")
    assert conflict.value.status == 409
    with pytest.raises(PayloadTooLarge) as refused:
        await remote.create_user(count=1, email="x" * (2 * 1024 * 1024))
    assert (refused.value.http_status, refused.value.code) == (413, "payload_too_large")
    assert remote.tracking_ids == []


async def test_an_unreachable_server() -> None:
    """No server: TargetUnavailable, and wait_for_healthy gives up after its timeout."""
    with bind("127.0.0.1", 0) as sock:
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"  # bound, never listening
        async with tdm.AsyncClient(url) as client:
            with pytest.raises(tdm.TargetUnavailable, match="tdm server"):
                await client.seed()
            with pytest.raises(tdm.TargetUnavailable, match=r"not healthy within 0\.3 s"):
                await client.wait_for_healthy(0.3, interval=0.05)


async def test_health_of_a_server_whose_shop_is_down(test_manager: tdm.Manager) -> None:
    """The server up, the shop down: health() says unhealthy; creating raises unavailable."""
    with bind("127.0.0.1", 0) as auth, bind("127.0.0.1", 0) as backend:
        env = {
            "AUTH_SERVICE_URL": f"http://127.0.0.1:{auth.getsockname()[1]}",
            "BACKEND_URL": f"http://127.0.0.1:{backend.getsockname()[1]}",
            "TDM_HTTP_RETRIES": "1",
        }
        settings = test_manager.settings.evolve(env=env, http_retries=1)
        down = tdm.Manager(settings, registry=test_manager.catalog, ledger=test_manager.ledger)
        async with serving(create_app(down)) as url, tdm.AsyncClient(url) as client:
            health = await client.health()
            assert health["status"] == "unhealthy"
            assert {d for n, d in health["dependencies"].items() if n != "ledger"} == {"down"}
            with pytest.raises(tdm.TargetUnavailable) as unavailable:
                await client.create_user()
            assert unavailable.value.target == "auth service"
            assert unavailable.value.outcome == "not_sent"
            assert "AUTH_SERVICE_URL" in str(unavailable.value)
            # Nothing left the machine, so nothing can exist: the intent is not kept.
            assert (await client.cleanup_all()).complete


async def test_waiting_for_a_server_with_an_optional_check_down(
    test_manager: tdm.Manager,
) -> None:
    """The shop's optional database down: degraded and not ready, so wait_for_healthy waits
    (and gives up) unless degraded is allowed."""
    with bind("127.0.0.1", 0) as db:
        url = f"postgresql://tdm@127.0.0.1:{db.getsockname()[1]}/shop"  # bound, never listening
        env = {**test_manager.settings.env, "BACKEND_DB_URL": url}
        settings = test_manager.settings.evolve(env=env)
        degraded = tdm.Manager(settings, registry=test_manager.catalog, ledger=test_manager.ledger)
        async with serving(create_app(degraded)) as base, tdm.AsyncClient(base) as client:
            health = await client.health()
            assert (health["status"], health["ready"]) == ("degraded", False)
            assert health["dependencies"]["database"] == "down"
            with pytest.raises(tdm.TargetUnavailable, match=r"not healthy within 0\.5 s"):
                await client.wait_for_healthy(0.5, interval=0.05)
            assert (await client.wait_for_healthy(5, allow_degraded=True))["ready"] is False


async def test_the_sync_client(live: str, shop: Inspector) -> None:
    """The blocking client does the same, from a thread while the server serves."""

    def use() -> tuple[list[str], tdm.CleanupReport]:
        with tdm.Client(live) as client:
            client.wait_for_healthy(5)
            client.start_tracking()
            made = client.create_user(count=2)
            emails = [u["email"] for u in made["users"]]
            assert all(shop.users(e) for e in emails)
            with pytest.raises(tdm.InvalidParameters, match="count"):
                client.create_product(count=500)
            return emails, client.cleanup()

    emails, report = await anyio.to_thread.run_sync(use)
    assert report.deleted["users"] == 2
    assert all(shop.users(e) == [] for e in emails)


def test_from_env() -> None:
    """TEST_DATA_MANAGER_URL and TDM_RUN_ID configure a client."""
    env = {"TEST_DATA_MANAGER_URL": "http://tdm:3001/", "TDM_RUN_ID": "ci-42"}
    with tdm.Client.from_env(env) as client:
        assert (client.base_url, client.run_id) == ("http://tdm:3001", "ci-42")
    with tdm.Client.from_env({}) as client:
        assert client.base_url == "http://localhost:3001"
        assert client.run_id.startswith("run-")
