"""Schemathesis against the real app: every documented operation, every check, on the
generated document the app serves.

The app runs in process (schemathesis's ASGI transport enters its lifespan) on a shop of this
module's own: fuzzing reseeds with ``force`` and cleans up with ``all: true``, which must not
reach data other tests rely on. Each operation also gets its own ledger (the ``manager``
fixture), so a cleanup removes only what that operation's cases created.

The app has a token (``TDM_API_TOKEN``), which schemathesis sends as the document's bearer
scheme; its ``ignored_auth`` check then sends each operation's request without it, and with a
wrong one, and expects 401. Requests go to ``http://127.0.0.1``: a loopback Host, as a client
on the machine sends (any other name is answered 421).
"""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx2
import hypothesis
import pytest
import schemathesis
from schemathesis.checks import CHECKS, load_all_checks
from schemathesis.python import asgi
from starlette.applications import Starlette
from starlette.types import Receive, Scope, Send

import tdm
import tdm_scenarios
from tdm_server import create_app, openapi_document
from tdm_server._idempotency import HEADER

from ..conftest import start_shop
from ..support import Inspector

EXAMPLES = 8
"""Cases per operation in the fuzzing phase (the coverage phase adds its own)."""
SEED = 20261124
TOKEN = "fuzzing-token-" + "0123456789abcdef"

CONFIG: dict[str, Any] = {
    "base-url": "http://127.0.0.1",
    "auth": {"openapi": {"bearerAuth": {"bearer": TOKEN}}},
    "seed": SEED,
    "generation": {"max-examples": EXAMPLES, "deterministic": True, "database": "none"},
    "checks": {"enabled": True},
    "phases": {"examples": {"enabled": True}, "coverage": {"enabled": True},
               "fuzzing": {"enabled": True}, "stateful": {"enabled": False}},
}  # fmt: skip


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Inspector]:
    """A shop for this module alone."""
    with start_shop(tmp_path_factory.mktemp("shop-fuzzed")) as thread:
        inspector = Inspector(thread)
        yield inspector
        inspector.close()


# Ids a body may refer to: which exist depends on the shop, not on the document. Cases draw
# them from these instead of from all integers (schemathesis's way to realistic references).
REFERENCES: dict[str, list[int]] = {}


@pytest.fixture(scope="module", autouse=True)
def references(shop: Inspector, tmp_path_factory: pytest.TempPathFactory) -> None:
    """The baseline's categories and products, and a user tdm created (orders need one)."""

    async def made() -> int:
        ledger = tmp_path_factory.mktemp("references") / "ledger.sqlite3"
        settings = tdm.Settings(ledger_path=ledger, run_id="fuzz-references", env=shop.env())
        manager = tdm.Manager(settings, registry=tdm_scenarios.registry)
        try:
            await tdm_scenarios.seed(manager)
            async with manager.session(keep=True) as s:
                user: tdm_scenarios.User = await s.create("user")
            return user.id
        finally:
            manager.ledger.close()

    user_id = asyncio.run(made())
    REFERENCES["userId"] = [user_id]
    REFERENCES["categoryId"] = [c["id"] for c in shop.categories()]
    REFERENCES["productId"] = [p["id"] for p in shop.products()]


def _with_token(manager: tdm.Manager, token: str | None) -> tdm.Manager:
    env = {**manager.settings.env, **({"TDM_API_TOKEN": token} if token else {})}
    return tdm.Manager(manager.settings.evolve(env=env), registry=manager.catalog,
                       ledger=manager.ledger)  # fmt: skip


class _CurrentApp:
    """The app of the operation under test, as the schema's app: schemathesis sends each case,
    and the probes of its checks (``ignored_auth`` sends the request again without the
    token), to the schema's app. One lifespan per test: schemathesis keeps one per app."""

    app: Starlette | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert self.app is not None, "no test is running"
        await self.app(scope, receive, send)


CURRENT = _CurrentApp()


@pytest.fixture
def app(manager: tdm.Manager) -> Iterator[Starlette]:
    """The app on ``manager``, with the token, as the schema's app; schemathesis enters its
    lifespan, which ends with the test."""
    CURRENT.app = create_app(_with_token(manager, TOKEN))
    try:
        yield CURRENT.app
    finally:
        asgi.shutdown_lifespans()
        CURRENT.app = None


@pytest.fixture
async def client(app: Starlette) -> AsyncIterator[httpx2.AsyncClient]:
    """An HTTP client of the app, in process, sending the token."""
    transport = httpx2.ASGITransport(app=app)
    headers = {"Authorization": f"Bearer {TOKEN}"}
    async with httpx2.AsyncClient(
        transport=transport, base_url="http://127.0.0.1", headers=headers
    ) as c:
        yield c


# The document of an app on the shop's catalog with a token, as the app serves it (a test
# below checks).
schema = schemathesis.openapi.from_dict(
    openapi_document(tdm.Catalog([tdm_scenarios.registry]), token=True),
    config=schemathesis.Config.from_dict(CONFIG),
)
schema.app = CURRENT


@schemathesis.hook  # only global hooks see every phase's cases; it keeps to this schema's
def before_call(context: schemathesis.HookContext, case: schemathesis.Case, kwargs: Any) -> None:
    """Integers in reference fields become ids that exist (any integer fits the schema); a
    valid ``Idempotency-Key`` gets a suffix of its own, as a client's keys are unique (the
    same key with another body is 422 by design: tests/server/test_idempotency.py)."""
    if case.operation.schema.raw_schema is not schema.raw_schema:
        return
    key = (case.headers or {}).get(HEADER)
    if isinstance(key, str) and re.fullmatch(r"[\x21-\x7e]{1,200}", key):
        case.headers = {**(case.headers or {}), HEADER: f"{key}-{uuid.uuid4().hex}"}
    if isinstance(case.body, dict):
        real = _real(case.body)
        if real != case.body:
            case.body = real


def _real(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _reference(k, v) if k in REFERENCES else _real(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_real(v) for v in value]
    return value


def _reference(key: str, value: Any) -> Any:
    """An integer (``30`` or ``30.0``: JSON Schema's integers both) becomes an id that exists."""
    whole = isinstance(value, int) or (isinstance(value, float) and value.is_integer())
    if whole and not isinstance(value, bool):
        known = REFERENCES[key]
        return known[int(value) % len(known)]
    return value


@schema.parametrize()
# One app (and ledger) per operation, shared by its cases on purpose.
@hypothesis.settings(suppress_health_check=[hypothesis.HealthCheck.function_scoped_fixture])
@pytest.mark.usefixtures("app")
def test_the_api_does_what_its_document_says(case: schemathesis.Case) -> None:
    # A generous read timeout: on a busy CI machine a create against the shop can take seconds.
    case.call_and_validate(timeout=120)


def test_every_check_is_on() -> None:
    """Every check schemathesis has runs (``--checks all``; a response time limit is no check
    here: the suite makes no wall-clock assertions)."""
    load_all_checks()
    config = schema.config.checks_config_for(operation=None, phase=None)
    names = CHECKS.get_all_names()
    assert len(names) >= 14
    assert [n for n in names if not config.get_by_name(name=n).enabled] == []
    assert not config.max_response_time.enabled


async def test_the_app_serves_this_document(client: httpx2.AsyncClient) -> None:
    answer = await client.get("/api/openapi.json")
    assert answer.json() == json.loads(json.dumps(schema.raw_schema))


async def test_without_a_token_the_app_serves_the_open_document(manager: tdm.Manager) -> None:
    """The same app without ``TDM_API_TOKEN``: the document without its security parts."""
    app = create_app(_with_token(manager, None))
    transport = httpx2.ASGITransport(app=app)
    async with httpx2.AsyncClient(transport=transport, base_url="http://127.0.0.1") as c:
        served = (await c.get("/api/openapi.json")).json()
    expected = openapi_document(tdm.Catalog([tdm_scenarios.registry]))
    assert served == json.loads(json.dumps(expected))
    assert "security" not in served


async def test_a_cleanup_of_everything_keeps_what_other_ledgers_track(
    client: httpx2.AsyncClient, shop: Inspector, tmp_path: Path
) -> None:
    """``{"all": true}`` removes what this app's ledger tracks, nothing another ledger does."""
    other = tdm.Manager(
        tdm.Settings(ledger_path=tmp_path / "other.sqlite3", run_id="other", env=shop.env()),
        registry=tdm_scenarios.registry,
    )
    try:
        async with other.session(keep=True) as s:
            theirs: tdm_scenarios.User = await s.create("user")
        ours = (await client.post("/api/users")).json()["users"][0]
        report = (await client.request("DELETE", "/api/cleanup", json={"all": True})).json()
        assert report["deleted"]["users"] == 1
        assert shop.users(ours["email"]) == []
        assert [u["email"] for u in shop.users(theirs.email)] == [theirs.email]
    finally:
        await other.cleanup(all=True)
        other.ledger.close()
