"""A sweeper in a process of its own, for the races between sweepers:
``python -m tests.ledger.sweeper LEDGER THINGS_DB GO`` gets ready, waits for the file ``GO``
(so several start together), sweeps until the ledger has no records left, and prints what it
reaped as JSON."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

import anyio

import tdm
from tdm.boundary import sweep

from .things import registry, things_settings


async def main(ledger: str, things_db: str, go: str) -> None:
    manager = tdm.Manager(things_settings(ledger, Path(things_db)), registry=registry)
    name = f"sweeper-{os.getpid()}"
    reaped: list[str] = []
    try:
        while not await anyio.Path(go).exists():  # noqa: ASYNC110 -- another process makes it
            await asyncio.sleep(0.01)
        while await manager.ledger.count() > 0:
            found = await sweep(manager, sweeper=name, batch=5)
            reaped += found.reaped
            if not found.reaped:
                await asyncio.sleep(0.05)
    finally:
        manager.ledger.close()
    print(json.dumps({"sweeper": name, "reaped": reaped}), flush=True)


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:4]))
