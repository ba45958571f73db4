"""Run by test_crash.py in a subprocess that gets SIGKILLed mid-scenario.

It uses a ledger that announces each entity the shop has created *before* noting its id, then
lingers, so the parent can kill the process exactly inside the window that intents cover.
Arguments: ledger path, run id; the shop's URLs come from the environment.
"""

from __future__ import annotations

import sys
import time
from typing import Any

import anyio

import tdm
import tdm_scenarios


class LingeringLedger(tdm.Ledger):
    async def confirm(
        self, record: tdm.TrackingRecord, entity_id: str, label: str | None, **kept: Any
    ) -> tdm.TrackingRecord:
        print(f"created {record.kind} {entity_id}", flush=True)
        time.sleep(0.3)  # noqa: ASYNC251 - hold the loop: the kill lands before the id is noted
        return await super().confirm(record, entity_id, label, **kept)


async def main(ledger_path: str, run_id: str) -> None:
    settings = tdm.Settings.from_env().evolve(ledger_path=ledger_path, run_id=run_id)
    manager = tdm.Manager(
        settings, registry=tdm_scenarios.registry, ledger=LingeringLedger(ledger_path)
    )
    async with manager.session() as s:
        await s.run("user-with-orders", order_count=10)
    print("finished", flush=True)


if __name__ == "__main__":
    anyio.run(main, sys.argv[1], sys.argv[2])
