"""``tdm_server.cli.main`` in process: output, exit statuses and messages of each command."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tdm_server._serve import bind
from tdm_server.cli import main

from ..support import Inspector


@pytest.fixture
def env(shop: Inspector, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Inspector:
    """The environment points tdm at the shop, with a ledger and a run id of its own."""
    for key, value in shop.env().items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("TDM_LEDGER", str(tmp_path / "ledger.sqlite3"))
    monkeypatch.setenv("TDM_RUN_ID", "cli-main")
    return shop


@pytest.mark.usefixtures("seeded")
def test_run_prints_a_table_and_cleanup_by_tracking_id(
    env: Inspector, capsys: pytest.CaptureFixture[str]
) -> None:
    """The table lists what was created with tracking ids; those ids remove it."""
    assert main(["run", "cart-with-products", "--item-count", "2"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    created = int(lines[0].split(" created ")[1].split()[0])
    assert lines[0].startswith(f"cart-with-products created {created} entities (run cli-main")
    assert lines[2].split() == ["TYPE", "ID", "LABEL", "TRACKING", "ID"]
    rows = [line.split() for line in lines[4 : 4 + created]]
    kinds = sorted(r[0] for r in rows)
    assert kinds.count("cartItem") == 2
    assert kinds.count("product") == 2  # the cart's own products
    email = next(r[2] for r in rows if r[0] == "user")
    assert env.users(email) != []
    assert main(["cleanup", *(r[-1] for r in rows)]) == 0
    assert "removed 1 user" in capsys.readouterr().out
    assert env.users(email) == []


def test_cleanup_of_what_is_not_tracked_says_so(
    env: Inspector, capsys: pytest.CaptureFixture[str]
) -> None:
    """An explicit selection that matches nothing says so and names the ledger; tracking ids
    that are not tracked are listed and the command exits 1."""
    assert main(["cleanup", "--run", "no-such-run"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("nothing tracked matches run no-such-run in the ledger ")
    assert out.rstrip().endswith("ledger.sqlite3")
    assert main(["cleanup", "not-a-tracking-id"]) == 1
    captured = capsys.readouterr()
    assert "not-a-tracking-id" in captured.err
    assert "not tracked" in captured.err


@pytest.mark.usefixtures("seeded")
def test_leftovers_fail_the_cleanup(
    env: Inspector, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without BACKEND_DB_URL orders cannot be deleted: exit 1, saying why; they stay tracked
    and a cleanup with the database removes them."""
    assert main(["run", "user-with-orders", "--order-count", "1", "--json"]) == 0
    user = json.loads(capsys.readouterr().out)["data"]["user"]
    monkeypatch.delenv("BACKEND_DB_URL")
    assert main(["cleanup", "--run", "cli-main"]) == 1
    out = capsys.readouterr().out
    assert "left and still tracked" in out
    assert "BACKEND_DB_URL" in out
    monkeypatch.setenv("BACKEND_DB_URL", env.env()["BACKEND_DB_URL"])
    assert main(["cleanup", "--all", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["failed"] == []
    assert env.orders(user["id"]) == []


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["run", "nope"], "unknown scenario 'nope' (known: admin-user, baseline"),
        (["run", "user-with-orders", "--order-count", "0"], "--order-count: expected an integer"),
        (["run", "user-with-orders", "--colour", "red"], "--colour is not one of its parameters"),
        (["run", "user-with-orders", "stray"], "unexpected argument 'stray'"),
        (["run", "user-with-orders", "--param", "orderCount"], "expected NAME=VALUE"),
        (["cleanup"], "say what to remove: --all, --older-than"),
        (["cleanup", "--older-than", "soon"], "older_than: expected a duration"),
        (["cleanup", "--bogus"], "unrecognized arguments: --bogus"),
        (["serve", "--port", "70000"], "70000 is not a port"),
        (["frobnicate"], "invalid choice: 'frobnicate'"),
        ([], "the following arguments are required: COMMAND"),
    ],
    ids=lambda value: " ".join(value) if isinstance(value, list) else None,
)
def test_usage_errors_exit_2(
    env: Inspector, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    """Mistakes on the command line exit 2 and say what is wrong; nothing is created."""
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_bad_settings_exit_2(
    env: Inspector, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A setting tdm cannot use names itself."""
    monkeypatch.setenv("PORT", "web")
    assert main(["serve"]) == 2
    assert "setting PORT has value 'web'" in capsys.readouterr().err
    monkeypatch.setenv("LOG_LEVEL", "chatty")
    assert main(["health"]) == 2
    assert "setting LOG_LEVEL has value 'chatty'" in capsys.readouterr().err


def test_health(env: Inspector, capsys: pytest.CaptureFixture[str]) -> None:
    """Healthy: exit 0 with a table of dependencies."""
    assert main(["health"]) == 0
    out = capsys.readouterr().out
    assert "status: healthy" in out
    assert "authService  up" in out


def test_health_of_a_shop_that_is_down(
    env: Inspector, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Unreachable services: unhealthy, exit 1."""
    with bind("127.0.0.1", 0) as closed:
        url = f"http://127.0.0.1:{closed.getsockname()[1]}"
        monkeypatch.setenv("AUTH_SERVICE_URL", url)
        monkeypatch.setenv("BACKEND_URL", url)
        monkeypatch.setenv("TDM_HTTP_RETRIES", "1")
        assert main(["health", "--json"]) == 1
    assert json.loads(capsys.readouterr().out)["status"] == "unhealthy"


def test_a_shop_that_is_down_fails_a_run(
    env: Inspector, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Exit 1 with the reason; the scenario removed what it could."""
    with bind("127.0.0.1", 0) as closed:
        monkeypatch.setenv("AUTH_SERVICE_URL", f"http://127.0.0.1:{closed.getsockname()[1]}")
        monkeypatch.setenv("TDM_HTTP_RETRIES", "1")
        assert main(["run", "empty-cart"]) == 1
    assert "scenario 'empty-cart' failed at step 1 (create user)" in capsys.readouterr().err


def test_seed(env: Inspector, capsys: pytest.CaptureFixture[str]) -> None:
    """The baseline is there after ``tdm seed``; a second one has nothing to do."""
    assert main(["seed"]) == 0
    assert main(["seed"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert (
        out[-1]
        == "already seeded, nothing to do: the baseline has 2 users, 14 products, 4 categories"
    )
    assert env.users("admin@example.com") != []


def test_scenarios_text(capsys: pytest.CaptureFixture[str]) -> None:
    """Each scenario with its summary and its parameters as options."""
    assert main(["scenarios"]) == 0
    out = capsys.readouterr().out
    assert "user-with-orders\n    A user with purchase history" in out
    assert "--order-count      an integer from 1 to 10 (default 2)" in out


def test_help_lists_commands_and_environment(capsys: pytest.CaptureFixture[str]) -> None:
    """``--help`` exits 0 and documents the commands and the environment."""
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for word in (
        "serve",
        "mcp",
        "scenarios",
        "run",
        "seed",
        "cleanup",
        "health",
        "registries",
        "PORT",
        "TDM_REGISTRIES",
        "TDM_MCP_ALLOWED_HOSTS",
    ):
        assert word in out
    assert "AUTH_SERVICE_URL" not in out  # a system's own settings: `tdm registries` lists them
    assert main(["run", "--help"]) == 0
    assert "--param orderCount=3" in capsys.readouterr().out


def test_registries_lists_each_registry_and_its_settings(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``tdm registries`` names the installed registries, their kinds and their settings."""
    assert main(["registries"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("shop\n")
    for word in ("user, category, product, order, cartItem", "AUTH_SERVICE_URL", "BACKEND_DB_URL"):
        assert word in out
