"""The ``tdm`` subcommands about runs and the ledger: ``reap``, ``runs``, ``ledger migrate``.

``tdm reap`` does one sweep of the reaper (for cron or a CI step where no ``tdm serve`` runs):
dead runs' data is removed, exit 1 when some of it could not be. ``tdm runs`` lists the runs the
ledger knows with their leases. ``tdm ledger migrate`` upgrades a shared ledger's schema (a
SQLite file is upgraded when it is opened; a PostgreSQL ledger only on purpose, since every
replica and CI job shares it).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any, TextIO

import tdm
from tdm import boundary

from ._text import print_json, table

__all__ = ["add_run_commands", "ledger_command", "reap_command", "runs_command"]


def add_run_commands(command: Callable[..., argparse.ArgumentParser]) -> None:
    """Add ``reap``, ``runs`` and ``ledger`` to the parser of ``tdm`` (``command`` makes one)."""
    reap = command(
        "reap", help="remove what dead runs left (one sweep of the reaper)",
        description="Claim the runs whose lease ran out (or whose keep time did) and remove "
        "what they left, as each tdm serve replica does every TDM_REAPER_INTERVAL. Exit 1 "
        "when something could not be removed (it is tried again by the next sweep).",
    )  # fmt: skip
    reap.add_argument("--json", action="store_true", help="print JSON instead of text")
    runs = command("runs", help="list the runs in the ledger and their leases")
    runs.add_argument("--limit", type=int, default=50, help="how many, newest first (50)")
    runs.add_argument("--json", action="store_true", help="print JSON instead of text")
    ledger = command(
        "ledger", help="the ledger's schema",
        description="Show or upgrade the schema of the ledger (TDM_LEDGER).",
    )  # fmt: skip
    action = ledger.add_subparsers(dest="ledger_action", required=True, metavar="ACTION")
    action.add_parser("migrate", help="upgrade the ledger's schema to this tdm's")
    action.add_parser("version", help="print the ledger's schema version and this tdm's")
    with_run = command(
        "with-run", help="run a command in a run of its own, held while it runs",
        usage="tdm with-run [-h] [--keep DURATION] [--url URL] [--run-id ID] -- COMMAND ...",
        description="Open a run, export TDM_RUN_ID (and TDM_LEDGER) to COMMAND, renew the "
        "run's lease while it runs, then remove what the run left and end it. If this process "
        "is killed, the reaper removes the run's data once its lease runs out.",
    )  # fmt: skip
    with_run.add_argument(
        "--keep",
        metavar="DURATION",
        help="keep what the run left this long (then the reaper removes it)",
    )
    with_run.add_argument("--url", help="hold the run through this tdm server (default: "
                          "TEST_DATA_MANAGER_URL; without one, in the ledger)")  # fmt: skip
    with_run.add_argument("--run-id", help="the run (default: TDM_RUN_ID, or a new one)")
    with_run.add_argument("argv", nargs=argparse.REMAINDER, metavar="COMMAND",
                          help="the command and its arguments, after --")  # fmt: skip


async def reap_command(manager: tdm.Manager, *, as_json: bool, out: TextIO) -> int:
    """One sweep; exit 1 when a run's data could not all be removed."""
    found = await boundary.sweep(manager)
    if as_json:
        print_json(found.to_json(), out)
    else:
        out.write(f"{found.summary()}\n")
        for run_id, report in sorted(found.reports.items()):
            out.write(f"  {run_id}: {report.summary()}\n")
    return 1 if found.retry or found.stuck else 0


async def runs_command(manager: tdm.Manager, *, limit: int, as_json: bool, out: TextIO) -> int:
    """The newest ``limit`` runs with their state, live holders and records."""
    if not 1 <= limit <= 1000:
        problem = tdm.FieldProblem(("limit",), "a whole number from 1 to 1000", limit)
        raise tdm.InvalidParameters("tdm runs", [problem])
    ledger = manager.ledger
    found = await ledger.runs(limit=limit)
    now = await ledger.now()
    items = [row.to_json(now, records=records) for row, records in found]
    if as_json:
        print_json({"items": items}, out)
        return 0
    if not items:
        out.write(f"no runs in the ledger at {ledger.path}\n")
        return 0
    rows: list[list[Any]] = [
        [i["runId"], i["state"], i["records"],
         ", ".join(h["holder"] for h in i["holders"] if h["live"]) or "-",
         _until(i), i["lastError"] or ""]
        for i in items
    ]  # fmt: skip
    out.write(table(["run", "state", "records", "holders", "until", "last error"], rows) + "\n")
    return 0


def _until(item: dict[str, Any]) -> str:
    until = item["leaseUntil"] if item["state"] == "held" else item["keepUntil"]
    return str(until or "-")[:19].replace("T", " ")


def ledger_command(location: str, action: str, *, out: TextIO) -> int:
    """``migrate``: upgrade the schema (0 when done or already current); ``version``: print
    it (exit 1 when it differs from this tdm's)."""
    ledger = tdm.Ledger(location, migrate=False)
    try:
        store = ledger.store
        if action == "version":
            with store.engine.connect() as conn:
                found = store.version(conn)
            out.write(f"ledger {ledger.path}: schema {found or 'none'}; this tdm speaks "
                      f"{boundary.SCHEMA_VERSION}\n")  # fmt: skip
            return 0 if found == boundary.SCHEMA_VERSION else 1
        before = store.migrate(upgrade=True)
        if before == boundary.SCHEMA_VERSION:
            out.write(f"ledger {ledger.path}: schema {boundary.SCHEMA_VERSION}, nothing to do\n")
        else:
            was = f"schema {before}" if before else "no schema"
            out.write(f"ledger {ledger.path}: {was} -> schema {boundary.SCHEMA_VERSION}\n")
        return 0
    finally:
        ledger.close()
