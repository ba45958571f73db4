"""Replicas are interchangeable: clients behind a load balancer that picks a replica at random
for every request create and clean their own runs, and each cleanup removes exactly what its
run made, once; the same create sent with one ``Idempotency-Key`` to two replicas creates one
entity. Outcomes are checked in the shop."""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx2

import tdm

from ..support import Inspector
from .conftest import Replicas

CLIENTS, ROUNDS = 16, 2


def _rounds(
    url: str, emails: list[str], order_ids: list[int]
) -> list[tuple[int, tdm.CleanupReport]]:
    """One client, its own run: each round a user and a user with an order, then a cleanup
    of the run; ``(entities created, report)`` per round."""
    found = []
    with tdm.Client(url, timeout=60) as client:
        for _ in range(ROUNDS):
            user = client.create("user")
            scenario = client.scenario("user-with-orders", order_count=1)
            emails += [user["entities"][0]["email"], scenario["data"]["user"]["email"]]
            order_ids += [o["id"] for o in scenario["data"]["orders"]]
            made = len(user["trackingIds"]) + len(scenario["trackingIds"])
            found.append((made, client.cleanup_run()))
    return found


def test_sixteen_clients_clean_their_own_runs(pair: Replicas, shop: Inspector) -> None:
    """16 clients at once, 2 rounds each: every cleanup complete, deletions reported exactly
    once (their sum is what was created), none of their users or orders left in the shop,
    and both replicas served."""
    emails: list[str] = []
    order_ids: list[int] = []
    with ThreadPoolExecutor(CLIENTS) as pool:
        runs = [pool.submit(_rounds, pair.url, emails, order_ids) for _ in range(CLIENTS)]
        rounds = [r for run in runs for r in run.result()]
    assert len(rounds) == CLIENTS * ROUNDS
    for _, report in rounds:
        assert report.complete, report.summary()
        assert report.already_gone == 0, report.summary()
    created = sum(made for made, _ in rounds)
    assert sum(report.total_deleted for _, report in rounds) == created
    assert created >= CLIENTS * ROUNDS * 3
    assert set(emails) & {u["email"] for u in shop.users()} == set()
    assert set(order_ids) & {o["id"] for o in shop.orders()} == set()
    assert all(pair.balancer.served[u] > 0 for u in pair.urls), pair.balancer.served


def _post(url: str, path: str, body: dict[str, Any], headers: dict[str, str]) -> httpx2.Response:
    with httpx2.Client(base_url=url, trust_env=False, timeout=60) as http:
        return http.post(path, json=body, headers=headers)


def _cleanup(url: str, run_id: str) -> dict[str, Any]:
    with httpx2.Client(base_url=url, trust_env=False, timeout=60) as http:
        answer = http.request("DELETE", "/api/cleanup", json={"runId": run_id})
    assert answer.status_code == 200, answer.text
    return answer.json()  # type: ignore[no-any-return]


def test_one_key_on_two_replicas_creates_once(pair: Replicas, shop: Inspector) -> None:
    """The create sent to replica A, then with the same key to replica B: B replays A's
    answer and the shop has one user; another body with that key is 422 on either."""
    a, b = pair.urls
    run_id = f"run-key-{uuid.uuid4().hex[:6]}"
    email = f"kim.{uuid.uuid4().hex[:8]}@example.test"
    headers = {"Idempotency-Key": f"key-{uuid.uuid4().hex}", "X-TDM-Run-Id": run_id}
    first = _post(a, "/api/users", {"email": email}, headers)
    again = _post(b, "/api/users", {"email": email}, headers)
    assert (first.status_code, again.status_code) == (201, 201), (first.text, again.text)
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert len(shop.users(email)) == 1
    for url in (a, b):
        other = _post(url, "/api/users", {"email": f"x.{email}"}, headers)
        assert (other.status_code, other.json()["error"]) == (422, "idempotency_key_reused")
    assert shop.users(f"x.{email}") == []
    assert _cleanup(a, run_id)["deleted"]["users"] == 1
    assert shop.users(email) == []


def test_one_key_sent_to_two_replicas_at_once_creates_once(pair: Replicas, shop: Inspector) -> None:
    """The same create sent to both replicas at the same moment (several times over, each
    with its own key): one user per key; the other answer is the replay (201) or "still in
    flight" (409), never a second user."""
    a, b = pair.urls
    run_id = f"run-keys-{uuid.uuid4().hex[:6]}"
    emails = [f"kim.{n}.{uuid.uuid4().hex[:8]}@example.test" for n in range(6)]
    statuses: list[int] = []
    for email in emails:
        headers = {"Idempotency-Key": f"key-{uuid.uuid4().hex}", "X-TDM-Run-Id": run_id}
        go = threading.Barrier(2)

        def send(url: str, headers: dict[str, str] = headers, email: str = email,
                 go: threading.Barrier = go) -> httpx2.Response:  # fmt: skip
            go.wait()
            return _post(url, "/api/users", {"email": email}, headers)

        with ThreadPoolExecutor(2) as pool:
            answers = list(pool.map(send, (a, b)))
        statuses += sorted(r.status_code for r in answers)
        assert 201 in statuses, [r.text for r in answers]
        assert {r.status_code for r in answers} <= {201, 409}, [r.text for r in answers]
        refused = [r.json()["error"] for r in answers if r.status_code == 409]
        assert set(refused) <= {"idempotency_key_in_flight"}, refused
        assert len({r.json()["users"][0]["id"] for r in answers if r.status_code == 201}) == 1
        assert len(shop.users(email)) == 1, [r.text for r in answers]
    assert _cleanup(b, run_id)["deleted"]["users"] == len(emails)
    for email in emails:
        assert shop.users(email) == []


def test_an_order_for_a_user_another_replica_created(pair: Replicas, shop: Inspector) -> None:
    """Replica B places an order as a user replica A created (what it needs to act as that
    user is in the shared ledger), and either replica cleans both."""
    a, b = pair.urls
    run_id = f"run-order-{uuid.uuid4().hex[:6]}"
    headers = {"X-TDM-Run-Id": run_id}
    user = _post(a, "/api/users", {}, headers)
    assert user.status_code == 201, user.text
    (made,) = user.json()["users"]
    order = _post(b, "/api/orders", {"userId": made["id"]}, headers)
    assert order.status_code == 201, order.text
    assert [o["userId"] for o in shop.orders(made["id"])] == [made["id"]]
    report = _cleanup(b, run_id)
    assert (report["deleted"]["users"], report["deleted"]["orders"]) == (1, 1), report
    assert shop.orders(made["id"]) == []
    assert shop.users(made["email"]) == []
