"""The commands about runs and the shared ledger, as a CI step runs them, on a PostgreSQL
ledger of their own: ``tdm ledger version|migrate``, ``tdm runs``, ``tdm reap`` and
``tdm with-run`` (its exit status, what it exports, holding while the command runs, cleaning
at its end, ``--keep``)."""

from __future__ import annotations

import json
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
import pytest

import tdm
from tdm.boundary import SCHEMA_VERSION
from tdm_server.cli import main

from ..cli.serve_process import TDM
from ..support import Inspector
from .conftest import FAST

DEADLINE = 60.0


@pytest.fixture
def ledger(shop: Inspector, new_ledger: Callable[[], str], monkeypatch: pytest.MonkeyPatch) -> str:
    """The environment (of ``main`` in process and of the commands it starts) points tdm at
    the shop and a fresh PostgreSQL ledger, with short leases; the ledger's URL."""
    url = new_ledger()
    for key, value in {**shop.env(), **FAST, "TDM_LEDGER": url}.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("TDM_RUN_ID", raising=False)
    monkeypatch.delenv("TEST_DATA_MANAGER_URL", raising=False)
    return url


def tdm_main(capfd: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """``tdm ARGS`` in process (the commands it starts write to the same descriptors):
    exit status, stdout, stderr."""
    capfd.readouterr()
    status = main(list(args))
    out, err = capfd.readouterr()
    return status, out, err


def _schema(url: str, version: int) -> None:
    with psycopg.connect(url, autocommit=True) as db:
        db.execute("UPDATE tdm_meta SET value = %s WHERE key = 'schema'", (str(version),))


def test_ledger_version_and_migrate(ledger: str, capfd: pytest.CaptureFixture[str]) -> None:
    """A fresh PostgreSQL ledger gets its schema when first opened; one of an older schema
    is refused until ``tdm ledger migrate``; one newer than this tdm is never touched."""
    status, out, _ = tdm_main(capfd, "ledger", "version")
    assert (status, f"schema none; this tdm speaks {SCHEMA_VERSION}" in out) == (1, True), out
    assert "postgres@127.0.0.1" in out
    status, out, _ = tdm_main(capfd, "runs")
    assert (status, out.startswith("no runs in the ledger")) == (0, True), out
    _schema(ledger, SCHEMA_VERSION - 1)
    status, _, err = tdm_main(capfd, "runs")
    assert (status, "TDM_LEDGER" in err, "tdm ledger migrate" in err) == (2, True, True), err
    status, out, _ = tdm_main(capfd, "ledger", "migrate")
    assert status == 0
    assert f"schema {SCHEMA_VERSION - 1} -> schema {SCHEMA_VERSION}" in out
    status, out, _ = tdm_main(capfd, "ledger", "version")
    assert (status, out.rstrip().endswith(f"schema {SCHEMA_VERSION}; this tdm speaks "
                                          f"{SCHEMA_VERSION}")) == (0, True), out  # fmt: skip
    status, out, _ = tdm_main(capfd, "ledger", "migrate")
    assert (status, "nothing to do" in out) == (0, True)
    _schema(ledger, SCHEMA_VERSION + 1)
    status, _, err = tdm_main(capfd, "ledger", "migrate")
    assert (status, "upgrade tdm" in err) == (2, True), err


@pytest.mark.parametrize("command", [("runs",), ("reap",), ("ledger", "version")])
def test_a_ledger_that_is_no_path_nor_a_supported_url(
    ledger: str, capfd: pytest.CaptureFixture[str], tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch, command: tuple[str, ...],
) -> None:  # fmt: skip
    monkeypatch.setenv("TDM_LEDGER", "mysql://u@h/db")
    monkeypatch.chdir(tmp_path)
    status, _, err = tdm_main(capfd, *command)
    assert (status, "TDM_LEDGER" in err, "postgresql://" in err) == (2, True, True), err
    assert "Traceback" not in err
    assert list(tmp_path.iterdir()) == []  # no file named after the URL


def test_runs_limit_is_checked(ledger: str, capfd: pytest.CaptureFixture[str]) -> None:
    status, _, err = tdm_main(capfd, "runs", "--limit", "0")
    assert (status, "limit" in err, "1 to 1000" in err) == (2, True, True), err


def test_with_run_exports_holds_and_cleans(
    ledger: str, shop: Inspector, capfd: pytest.CaptureFixture[str]
) -> None:
    """The command sees ``TDM_RUN_ID`` and ``TDM_LEDGER``; while it runs its run is held
    (``tdm runs`` in it says so); what ``tdm run`` made in it is removed at its end."""
    create = f"{TDM} run user-with-orders --order-count 1 --json"
    script = f'echo "run=$TDM_RUN_ID ledger=$TDM_LEDGER"; {create} && {TDM} runs --json'
    status, out, err = tdm_main(capfd, "with-run", "--", "sh", "-c", script)
    assert status == 0, err
    first, rest = out.split("\n", 1)
    run_id = first.split()[0].removeprefix("run=")
    assert first == f"run={run_id} ledger={ledger}"
    assert f"tdm with-run: run {run_id}\n" in err
    made, listed = _json_objects(rest)
    email = made["data"]["user"]["email"]
    during = {r["runId"]: r for r in listed["items"]}[run_id]
    assert (during["state"], during["records"] >= 2) == ("held", True), during
    assert f"tdm with-run: run {run_id}: removed 1 user" in err
    assert shop.users(email) == []
    status, out, _ = tdm_main(capfd, "runs", "--json")
    after = {r["runId"]: r for r in json.loads(out)["items"]}.get(run_id)
    assert after is None or (after["records"], after["state"] != "held") == (0, True), after


def _json_objects(text: str) -> list[Any]:
    """The JSON documents printed one after another."""
    decoder, found, at = json.JSONDecoder(), [], 0
    while text[at:].strip():
        while text[at].isspace():
            at += 1
        value, at = decoder.raw_decode(text, at)
        found.append(value)
    return found


@pytest.mark.parametrize(
    ("command", "status"),
    [(["sh", "-c", "exit 3"], 3), (["sh", "-c", "kill -TERM $$"], 128 + signal.SIGTERM),
     (["true"], 0)],
)  # fmt: skip
def test_with_run_exits_as_its_command(
    ledger: str, capfd: pytest.CaptureFixture[str], command: list[str], status: int
) -> None:
    found, _, err = tdm_main(capfd, "with-run", "--run-id", "ci/step-1", "--", *command)
    assert found == status, err
    assert "tdm with-run: run ci/step-1: removed nothing" in err


@pytest.mark.parametrize(
    ("args", "named"),
    [([], "command"), (["--", "no-such-command-here"], "command"),
     (["--keep", "soon", "--", "true"], "keep"), (["--run-id", "a b", "--", "true"], "--run-id")],
)  # fmt: skip
def test_with_run_refuses_what_cannot_run(
    ledger: str, capfd: pytest.CaptureFixture[str], args: list[str], named: str
) -> None:
    status, _, err = tdm_main(capfd, "with-run", *args)
    assert (status, named in err) == (2, True), err
    assert "Traceback" not in err


def test_with_run_keep_then_reap(
    ledger: str, shop: Inspector, capfd: pytest.CaptureFixture[str]
) -> None:
    """``--keep 1s``: what the command made stays, its run kept; once the keep time has run
    out, one ``tdm reap`` removes it (and a second finds nothing)."""
    command = [TDM, "run", "user-with-orders", "--order-count", "1", "--json"]
    status, out, err = tdm_main(capfd, "with-run", "--keep", "1s", "--run-id", "run-kept", "--",
                                *command)  # fmt: skip
    assert status == 0, err
    assert "tdm with-run: run run-kept: what it left is kept for 1s" in err
    email = json.loads(out)["data"]["user"]["email"]
    assert len(shop.users(email)) == 1
    status, out, _ = tdm_main(capfd, "runs", "--json")
    assert [r["state"] for r in json.loads(out)["items"] if r["runId"] == "run-kept"] == ["kept"]
    found = tdm.Ledger(ledger)
    try:
        deadline = time.monotonic() + DEADLINE
        while (row := found.store.run("run-kept")) is not None and row.alive(found.store.now()):
            assert time.monotonic() < deadline, row
            time.sleep(0.2)
    finally:
        found.close()
    assert len(shop.users(email)) == 1  # nobody reaped it yet
    status, out, err = tdm_main(capfd, "reap")
    assert status == 0, err
    assert out.startswith("reaped 1 dead runs"), out
    assert "run-kept: removed 1 user" in out
    assert shop.users(email) == []
    status, out, _ = tdm_main(capfd, "reap", "--json")
    assert (status, json.loads(out)["reaped"]) == (0, [])
