"""Health: every check the selected registries register, run concurrently, and what it means.

``healthy``: every check passed. ``degraded``: only optional checks failed (a database used for
bulk cleanup, say), or the reaper gave up on some runs (``stuckRuns``: their data needs a
person). ``unhealthy``: a required check failed (the ledger is one); HTTP answers 503 so
``curl -f`` fails. A catalog without checks is healthy.

``ready``: every check passed, whatever is stuck. Stuck runs are other runs' data that needs a
person; they must not hold back every suite sharing the server, so clients wait for ``ready``.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Literal

import anyio
import attrs

from ._clients import Clients
from ._redact import redact
from ._registry import Check

__all__ = ["LEDGER_CHECK", "CheckResult", "HealthReport", "StuckRun", "run_checks"]

log = logging.getLogger("tdm")

Status = Literal["healthy", "degraded", "unhealthy"]

LEDGER_CHECK = "ledger"
"""The name of tdm's own check: the ledger answers."""


@attrs.frozen
class CheckResult:
    """One check's outcome; ``reason`` says why it is down."""

    name: str
    registry: str
    required: bool
    up: bool
    reason: str | None = None


@attrs.frozen
class StuckRun:
    """A dead run the reaper could not clean after its attempts: what it last failed with."""

    run_id: str
    attempts: int
    last_error: str | None

    def to_json(self) -> dict[str, Any]:
        return {"runId": self.run_id, "reapAttempts": self.attempts,
                "lastError": self.last_error}  # fmt: skip


@attrs.frozen
class HealthReport:
    """Every check's outcome, where tdm keeps its ledger, and the runs the reaper gave up on."""

    checks: tuple[CheckResult, ...]
    ledger: str = ""
    stuck: tuple[StuckRun, ...] = ()

    @property
    def status(self) -> Status:
        if any(c.required and not c.up for c in self.checks):
            return "unhealthy"
        if self.stuck or any(not c.up for c in self.checks):
            return "degraded"
        return "healthy"

    @property
    def ready(self) -> bool:
        """Every check passed (stuck runs aside): a client can start."""
        return all(c.up for c in self.checks)

    @property
    def http_status(self) -> int:
        return 503 if self.status == "unhealthy" else 200

    def to_json(self) -> dict[str, Any]:
        """``{status, ready, dependencies: {name: up | down}, checks: [...], ledger,
        stuckRuns}``."""
        return {
            "status": self.status,
            "ready": self.ready,
            "dependencies": {c.name: "up" if c.up else "down" for c in self.checks},
            "checks": [
                {
                    "name": c.name,
                    "registry": c.registry,
                    "required": c.required,
                    "status": "up" if c.up else "down",
                    "reason": c.reason,
                }
                for c in self.checks
            ],
            "ledger": self.ledger,
            "stuckRuns": [run.to_json() for run in self.stuck],
        }


async def run_checks(
    checks: Sequence[Check],
    clients: Clients,
    *,
    per_check: float,
    ledger: str,
    stuck_runs: Callable[[], Awaitable[Sequence[StuckRun]]] | None = None,
) -> HealthReport:
    """Run ``checks`` concurrently, each bounded by ``per_check`` seconds; with
    ``stuck_runs``, the ledger is checked too (it must answer: a required check) and the runs
    it returns are reported."""
    results: dict[int, CheckResult] = {}
    stuck: list[StuckRun] = []

    async def run(index: int, name: str, registry: str, required: bool,
                  probe: Callable[[], Awaitable[object]]) -> None:  # fmt: skip
        reason = f"no answer within {per_check:g} s"
        with anyio.move_on_after(per_check):
            try:
                await probe()
            except Exception as exc:  # any failure means "down"; logged with its traceback
                log.info("health check %s failed", name, exc_info=True)
                reason = redact(str(exc) or type(exc).__name__)
            else:
                reason = ""
        results[index] = CheckResult(name, registry, required, not reason, reason or None)

    def probe_of(check: Check) -> Callable[[], Awaitable[object]]:
        async def probe() -> None:
            await check.probe(await clients.get(check.registry, check.target))

        return probe

    async def ledger_probe() -> None:
        assert stuck_runs is not None
        stuck.extend(await stuck_runs())

    async with anyio.create_task_group() as tg:
        for index, check in enumerate(checks):
            tg.start_soon(run, index, check.name, check.registry, check.required, probe_of(check))
        if stuck_runs is not None:
            tg.start_soon(run, len(checks), LEDGER_CHECK, "tdm", True, ledger_probe)
    found = tuple(results[i] for i in sorted(results))
    return HealthReport(found, ledger, tuple(stuck))
