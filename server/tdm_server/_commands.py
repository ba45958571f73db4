"""The ``tdm`` subcommands that work in process: scenarios, run, seed, cleanup, health.

Each takes the manager and its options, prints to ``out`` (results) and ``err`` (progress,
hints) and returns the exit status: 0 done, 1 failed (leftovers, unhealthy, the system down).
Errors of the caller (bad parameters, unknown names) are raised for ``cli`` to report (2).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, TextIO

import tdm

from ._catalog import catalog_json
from ._health import health_json
from ._progress import progress
from ._seed import BASELINE, run_baseline
from ._text import print_json, table
from ._tracked import record_json

__all__ = [
    "cleanup_command",
    "health_command",
    "parse_params",
    "run_command",
    "scenarios_command",
    "seed_command",
]


class UsageError(Exception):
    """The command line does not say something tdm can do."""


def scenarios_command(registry: tdm.Registry, *, as_json: bool, out: TextIO) -> int:
    """The catalog: each scenario's summary and its parameters as ``--options``."""
    if as_json:
        print_json(catalog_json(registry), out)
        return 0
    scenarios = registry.scenarios
    for name in sorted(scenarios):
        scenario = scenarios[name]
        out.write(f"{name}\n    {scenario.summary}\n")
        for p in scenario.params:
            default = "" if p.required else f" (default {json.dumps(tdm.to_json(p.default))})"
            flag = "--" + p.name.replace("_", "-")
            out.write(f"    {flag:<18} {p.expected()}{default}\n")
    out.write("\nRun one with: tdm run NAME [--parameter-name VALUE ...]\n")
    return 0


def _value(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


def _key(name: str) -> str:
    return tdm.camel(name.replace("-", "_"))


def parse_params(extra: Sequence[str], pairs: Sequence[str]) -> dict[str, Any]:
    """Scenario parameters from ``--order-count 3`` and ``--param orderCount=3`` forms.

    Values are read as JSON when they parse (``3``, ``true``, ``[1, 2]``), as text otherwise;
    an option without a value is ``true``.
    """
    params: dict[str, Any] = {}
    words = list(extra)
    while words:
        word = words.pop(0)
        if not word.startswith("--") or word == "--":
            raise UsageError(
                f"unexpected argument {word!r}: give parameters as --name VALUE "
                "or --param name=VALUE"
            )
        key, eq, value = word[2:].partition("=")
        if not eq:
            value = words.pop(0) if words and not words[0].startswith("--") else "true"
        params[_key(key)] = _value(value)
    for pair in pairs:
        key, eq, value = pair.partition("=")
        if not eq or not key:
            raise UsageError(f"--param {pair!r}: expected NAME=VALUE")
        params[_key(key)] = _value(value)
    return params


def _print_records(records: Sequence[tdm.TrackingRecord], out: TextIO) -> None:
    rows = [(r.kind, r.entity_id or "-", r.label or "", r.tracking_id) for r in records]
    out.write(table(("TYPE", "ID", "LABEL", "TRACKING ID"), rows) + "\n")


async def run_command(
    manager: tdm.Manager,
    name: str,
    params: Mapping[str, Any],
    *,
    seed: int | None,
    test_id: str | None,
    as_json: bool,
    out: TextIO,
    err: TextIO,
) -> int:
    """Run a scenario against the configured system, keeping (and tracking) what it makes."""
    scenario = manager.registry.get_scenario(name)
    scenario.validate(params, json_names=True)
    run_id = manager.settings.run_id
    async with manager, manager.session(keep=True, seed=seed, test_id=test_id) as s:
        before = await manager.ledger.count(run_id=run_id)

        async def created() -> int:
            return await manager.ledger.count(run_id=run_id) - before

        async with progress(f"running {name}: entities created", created, stream=err):
            data = await s.run_from(scenario, params)
        records = await s.records()
    if as_json:
        print_json({"scenario": name, "runId": s.run_id, "seed": s.seed, "data": tdm.to_json(data),
                    "trackingIds": s.tracking_ids,
                    "entities": [record_json(r) for r in records]}, out)  # fmt: skip
    else:
        out.write(f"{name} created {len(records)} entities (run {s.run_id}, seed {s.seed}):\n\n")
        _print_records(records, out)
        out.write("\nIt returned:\n" + json.dumps(tdm.to_json(data), indent=2) + "\n")
    err.write(f"The data stays. Remove it with: tdm cleanup --run {s.run_id}\n")
    return 0


async def seed_command(manager: tdm.Manager, *, force: bool, as_json: bool, out: TextIO,
                       err: TextIO) -> int:  # fmt: skip
    """The baseline, created where missing (``force``: reset too), tracked under ``baseline``."""
    manager.registry.get_scenario(BASELINE)
    async with manager, manager.session(keep=True, run_id=BASELINE) as s:
        before = await manager.ledger.count(run_id=BASELINE)

        async def created() -> int:
            return await manager.ledger.count(run_id=BASELINE) - before

        async with progress("seeding: entities created", created, stream=err):
            result = tdm.to_json(await run_baseline(s, force=force))
    if as_json:
        print_json(result, out)
    elif isinstance(result, dict) and "seeded" in result:
        counts = ", ".join(f"{v} {k}" for k, v in result.items() if k != "seeded")
        what = "seeded" if result["seeded"] else "already seeded, nothing to do"
        out.write(f"{what}: the baseline has {counts}\n")
    else:
        out.write(json.dumps(result) + "\n")
    return 0


async def cleanup_command(
    manager: tdm.Manager,
    *,
    tracking_ids: Sequence[str],
    run_id: str | None,
    older_than: str | None,
    all: bool,
    as_json: bool,
    out: TextIO,
    err: TextIO,
) -> int:
    """Remove tracked entities; 1 when some are left (they stay tracked)."""
    if not (tracking_ids or run_id or older_than or all):
        raise UsageError(
            "say what to remove: --all, --older-than DURATION, --run ID or TRACKING_ID"
        )
    async with manager:
        records = await manager.select(
            tracking_ids=list(tracking_ids) or None, run_id=run_id, all=all, older_than=older_than
        )
        start = await manager.ledger.count()

        async def removed() -> int:
            return start - await manager.ledger.count()

        async with progress("cleaning up: entities removed", removed, total=len(records),
                            stream=err):  # fmt: skip
            report = await manager.purge(records)
    if as_json:
        print_json(report.to_json(), out)
    else:
        gone = f" ({report.already_gone} of them already gone)" if report.already_gone else ""
        out.write(f"{report.summary()}{gone}\n")
    return 0 if report.complete else 1


async def health_command(manager: tdm.Manager, *, as_json: bool, out: TextIO) -> int:
    """Each dependency up or down; 1 when unhealthy."""
    async with manager:
        body = await health_json(manager)
    if as_json:
        print_json(body, out)
    else:
        rows = sorted(body["dependencies"].items())
        out.write(table(("DEPENDENCY", "STATUS"), rows) + f"\n\nstatus: {body['status']}\n")
    return 1 if body["status"] == "unhealthy" else 0
