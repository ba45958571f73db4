"""Failures of the system under test and of scenarios reach the agent as explained tool errors."""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from mcp import Client

import tdm
import tdm_scenarios
from tdm_server.mcp import create_mcp_server

from ..support import Inspector
from .support import call, fail

failing = tdm.Registry("mcp-failing")


@failing.scenario
async def half_signup(s: tdm.Session, email: str) -> None:
    """Creates a user, then the second step fails."""
    await s.create("user", email=email)
    raise tdm.TargetError("backend", "the shop refused the second step", status=409)


@failing.scenario
async def buggy(s: tdm.Session, email: str) -> None:
    """Creates a user, then a bug strikes."""
    await s.create("user", email=email)
    raise KeyError("customer")


@pytest.fixture
def failing_manager(shop: Inspector, ledger_path: Path) -> Iterator[tdm.Manager]:
    settings = tdm.Settings(ledger_path=ledger_path, run_id="unused", env=shop.env())
    manager = tdm.Manager(settings, registry=[tdm_scenarios.registry, failing])
    yield manager
    manager.ledger.close()


@pytest.mark.parametrize(
    ("tool", "cause"),
    [
        ("create_half_signup", "backend: the shop refused the second step"),
        ("create_buggy", "KeyError('customer')"),
    ],
)
async def test_scenario_failing_halfway_removes_its_data(
    failing_manager: tdm.Manager, shop: Inspector, tool: str, cause: str
) -> None:
    """The error names the step and the cause, and says the partial data was removed."""
    email = f"half.{uuid.uuid4().hex[:8]}@example.com"
    async with failing_manager:
        server = create_mcp_server(failing_manager)
        async with Client(server, raise_exceptions=True) as client:
            message = await fail(client, tool, {"email": email})
            listed = await call(client, "list_created")
    assert "failed at the code after step 1 (create user)" in message
    assert cause in message
    assert "removed the 1 entity it had created" in message
    assert "Nothing else of this call is left" in message
    assert shop.users(email) == []
    assert listed["total"] == 0


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_unreachable_shop(ledger_path: Path) -> None:
    """A shop that cannot be reached is named as such, with what to check."""
    url = f"http://127.0.0.1:{_closed_port()}"
    settings = tdm.Settings(
        ledger_path=ledger_path, http_retries=1, http_timeout=2,
        env={"AUTH_SERVICE_URL": url, "BACKEND_URL": url},
    )  # fmt: skip
    manager = tdm.Manager(settings, registry=tdm_scenarios.registry)
    async with manager:
        server = create_mcp_server(manager)
        async with Client(server, raise_exceptions=True) as client:
            message = await fail(client, "create_user")
            health = await call(client, "check_health")
    manager.ledger.close()
    assert "The system under test is unreachable" in message
    assert "check_health" in message
    assert (health["healthy"], health["ready"]) == (False, False)
    assert health["dependencies"]["authService"] == "down"
    assert health["next"].startswith("Some dependencies are down")
