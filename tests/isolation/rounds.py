"""Run by test_runs.py in several processes at once: rounds of scenarios in one run, each
round a session that cleans up after itself, then a cleanup of the whole run. Prints each
cleanup report as a JSON line. Arguments: run id, rounds; the shop and ledger come from the
environment."""

from __future__ import annotations

import json
import sys

import anyio

import tdm
import tdm_scenarios


async def main(run_id: str, rounds: int) -> None:
    settings = tdm.Settings.from_env().evolve(run_id=run_id)
    manager = tdm.Manager(settings, registry=tdm_scenarios.registry)
    async with manager:
        for _ in range(rounds):
            async with manager.session() as s:
                await s.run("user-with-orders", order_count=2)
                await s.run("cart-with-products", item_count=2)
                await s.create("product")
            assert s.report is not None
            print(json.dumps(s.report.to_json()), flush=True)
        report = await manager.cleanup(run_id=run_id)
        print(json.dumps(report.to_json()), flush=True)


if __name__ == "__main__":
    anyio.run(main, sys.argv[1], int(sys.argv[2]))
