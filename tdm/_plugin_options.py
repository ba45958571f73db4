"""The pytest plugin's options (each also an ini key) and the run id they choose."""

from __future__ import annotations

import os
from typing import Any

import pytest

from ._run_ids import child_run_id, new_run_id

__all__ = ["ASYNC_FIXTURES", "RUN_KEY", "add_options", "option", "run_id"]

RUN_KEY = pytest.StashKey[str]()

BOOL_INI = ("tdm_keep_failed", "tdm_fail_on_leak", "tdm_demo")
ASYNC_FIXTURES = frozenset({"tdm_session", "tdm_client"})


def add_options(parser: pytest.Parser) -> None:
    """The plugin's command-line options and ini keys."""
    group = parser.getgroup("tdm", "tdm test data")
    group.addoption("--tdm-url", help="tdm server for tdm_client (default: TEST_DATA_MANAGER_URL)")
    group.addoption(
        "--tdm-ledger",
        help="ledger file (default: TDM_LEDGER, or the project's .tdm/ledger.sqlite3)",
    )
    group.addoption("--tdm-run-id", help="run id for this test run (default: TDM_RUN_ID or new)")
    group.addoption("--tdm-seed", type=int,
                    help="the run's base seed (default: a new one, printed in the header): "
                    "each test's data is derived from it and the test's id")  # fmt: skip
    group.addoption("--tdm-keep-failed", action="store_true", default=None,
                    help="keep the data of failed tests (tracked) for inspection")  # fmt: skip
    group.addoption("--tdm-fail-on-leak", action="store_true", default=None,
                    help="error a test whose data could not all be removed")  # fmt: skip
    group.addoption("--tdm-reap", metavar="AGE",
                    help="at start, remove tracked data older than AGE (e.g. 2h)")  # fmt: skip
    group.addoption("--tdm-baseline-scenario", help="scenario tdm_baseline runs (baseline)")
    group.addoption("--tdm-demo", action="store_true", default=None,
                    help="start the registries' demo systems (the reference shop) for this run, "
                    "shared by xdist workers, and point tdm at them")  # fmt: skip
    group.addoption("--tdm-registry", action="append", metavar="NAME",
                    help="use this installed registry (repeatable; default: TDM_REGISTRIES, or "
                    "all)")  # fmt: skip
    parser.addini("tdm_registries", type="args", help="installed registries to use")
    for name in (
        "tdm_url",
        "tdm_ledger",
        "tdm_run_id",
        "tdm_seed",
        "tdm_reap",
        "tdm_baseline_scenario",
    ):
        parser.addini(name, help=f"default for --{name.replace('_', '-')}")
    for name in BOOL_INI:
        parser.addini(name, type="bool", default=False, help=f"--{name.replace('_', '-')}")


def option(config: pytest.Config, name: str) -> Any:
    value = config.getoption(name)
    if value is None:
        value = config.getini(name)
    return value if value not in ("", None) else None


def run_id(config: pytest.Config) -> str:
    """This process's run id, chosen once: ``--tdm-run-id``, ``TDM_RUN_ID`` or a new one."""
    if RUN_KEY in config.stash:
        return config.stash[RUN_KEY]
    base = option(config, "tdm_run_id") or os.environ.get("TDM_RUN_ID")
    worker = getattr(config, "workerinput", None)
    if worker is None:
        chosen = str(base or new_run_id())
    else:
        # Workers of one xdist run share ``testrunuid``; each adds its own id to keep apart.
        chosen = child_run_id(base or f"run-{worker['testrunuid'][:12]}", worker["workerid"])
    config.stash[RUN_KEY] = chosen
    return chosen
