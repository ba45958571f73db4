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
from tdm.boundary import camel, installed_registries

from ._progress import progress
from ._seed import BASELINE, baselines, run_baselines
from ._suggest import parameter_problems
from ._text import print_json, table

__all__ = [
    "cleanup_command",
    "health_command",
    "parse_params",
    "registries_command",
    "run_command",
    "scenarios_command",
    "seed_command",
]


class UsageError(Exception):
    """The command line does not say something tdm can do."""


def scenarios_command(catalog: tdm.Catalog, *, as_json: bool, out: TextIO) -> int:
    """The catalog: each scenario's summary and its parameters as ``--options``."""
    if as_json:
        print_json(catalog.to_json(), out)
        return 0
    for scenario in sorted(catalog.scenarios, key=catalog.scenario_name):
        out.write(f"{catalog.scenario_name(scenario)}\n    {scenario.summary}\n")
        for p in scenario.parameters:
            default = "" if p.required else f" (default {json.dumps(tdm.to_json(p.default))})"
            flag = "--" + p.name.replace("_", "-")
            out.write(f"    {flag:<18} {p.expected()}{default}\n")
    out.write("\nRun one with: tdm run NAME [--parameter-name VALUE ...]\n")
    return 0


def registries_command(settings: tdm.Settings, *, as_json: bool, out: TextIO) -> int:
    """The installed registries (the selected ones marked), their kinds, scenarios, settings."""
    selected = set(settings.registries or ())
    found: list[dict[str, Any]] = []
    for registry in installed_registries():
        found.append({
            "name": registry.name,
            "selected": not selected or registry.name in selected,
            "kinds": list(registry.kinds),
            "scenarios": list(registry.scenarios),
            "settings": [{"name": st.name, "description": st.description,
                          "default": st.default, "set": settings.get(st.name) is not None}
                         for st in registry.settings],
            "demo": registry.demo is not None,
        })  # fmt: skip
    if as_json:
        print_json({"registries": found}, out)
        return 0
    for entry in found:
        mark = "" if entry["selected"] else " (not selected)"
        out.write(f"{entry['name']}{mark}\n    kinds: {', '.join(entry['kinds']) or '-'}\n")
        out.write(f"    scenarios: {', '.join(entry['scenarios']) or '-'}\n")
        for st in entry["settings"]:
            default = f" (default {st['default']})" if st["default"] else ""
            out.write(f"    {st['name']:<22} {st['description']}{default}\n")
    if not found:
        out.write("no registries are installed (entry point group tdm.registries)\n")
    return 0


def _value(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


def _key(name: str) -> str:
    return camel(name.replace("-", "_"))


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
    scenario = manager.catalog.scenario(name)
    try:
        scenario.validate(params, naming="json")
    except tdm.InvalidParameters as exc:
        raise UsageError(parameter_problems(scenario, exc)) from exc
    async with manager, manager.session(keep=True, seed=seed, test_id=test_id) as s:

        async def created() -> int:  # confirmed creates only, never a failed attempt
            return len(s.created)

        async with progress(f"running {name}: entities created", created, stream=err):
            data = await s.run_from(scenario, params)
        records = await s.records()
    if as_json:
        print_json({"scenario": name, "runId": s.run_id, "seed": s.seed, "data": tdm.to_json(data),
                    "trackingIds": s.tracking_ids,
                    "entities": [r.to_json() for r in records]}, out)  # fmt: skip
    else:
        out.write(f"{name} created {len(records)} entities (run {s.run_id}, seed {s.seed}):\n\n")
        _print_records(records, out)
        out.write("\nIt returned:\n" + json.dumps(tdm.to_json(data), indent=2) + "\n")
    err.write(f"The data stays. Remove it with: tdm cleanup --run {s.run_id}\n")
    return 0


async def seed_command(manager: tdm.Manager, *, force: bool, as_json: bool, out: TextIO,
                       err: TextIO) -> int:  # fmt: skip
    """The baseline, created where missing (``force``: reset too), tracked under ``baseline``."""
    baselines(manager.catalog)
    async with manager, manager.session(keep=True, run_id=BASELINE) as s:

        async def created() -> int:  # confirmed creates only, never a failed attempt
            return len(s.created)

        async with progress("seeding: entities created", created, stream=err):
            result = tdm.to_json(await run_baselines(s, force=force))
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
    given: dict[str, Any] = {"all": all}
    for key, value in (("tracking_ids", list(tracking_ids) or None), ("run_id", run_id),
                       ("older_than", older_than)):  # fmt: skip
        if value is not None:
            given[key] = value
    selection = tdm.Selection.parse(given)
    async with manager:
        records = await manager.select(selection)
        start = await manager.ledger.count()

        async def removed() -> int:
            return start - await manager.ledger.count()

        async with progress("cleaning up: entities removed", removed, total=len(records),
                            stream=err):  # fmt: skip
            report = await manager.purge(records, selection=selection)
    ledger = manager.ledger.path
    if as_json:
        print_json({**report.to_json(), "ledger": str(ledger)}, out)
    elif not report.matched:
        out.write(f"nothing tracked matches {selection.describe()} in the ledger {ledger}\n")
    else:
        gone = f" ({report.already_gone} of them already gone)" if report.already_gone else ""
        out.write(f"{report.summary()}{gone}\nledger: {ledger}\n")
    if report.not_tracked:
        err.write("not tracked (already removed, never made, or in another ledger): "
                  f"{', '.join(report.not_tracked)}\n")  # fmt: skip
    return 0 if report.complete and not report.not_tracked else 1


async def health_command(manager: tdm.Manager, *, as_json: bool, out: TextIO) -> int:
    """Each dependency up or down; 1 when unhealthy."""
    async with manager:
        report = await manager.health()
    if as_json:
        print_json(report.to_json(), out)
    else:
        rows = [(c.name, "up" if c.up else "down", "required" if c.required else "optional",
                 c.reason or "") for c in report.checks]  # fmt: skip
        out.write(table(("DEPENDENCY", "STATUS", "", "WHY"), rows))
        out.write(f"\n\nstatus: {report.status}\nledger: {report.ledger}\n")
    return 1 if report.status == "unhealthy" else 0
