"""How tdm's exceptions map to HTTP statuses and error codes (no I/O)."""

from __future__ import annotations

import pytest

import tdm
from tdm_server._errors import RequestFailed, status_of, tdm_error_body

from .conftest import assert_error_shape


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (tdm.TargetUnavailable("backend", "down"), (503, "target_unavailable")),
        (tdm.TargetError("backend", "boom", status=500), (502, "target_error")),
        (tdm.TargetError("backend", "bad gateway", status=502), (502, "target_error")),
        (tdm.TargetError("auth service", "who?", status=401), (502, "target_error")),
        (tdm.TargetError("backend", "admins only", status=403), (502, "target_error")),
        (tdm.TargetError("backend", "taken", status=409), (409, "conflict")),
        (tdm.TargetError("backend", "bad price", status=422), (422, "target_rejected")),
        (tdm.TargetError("backend", "no such product", status=404), (422, "target_rejected")),
        (tdm.TargetError("backend", "odd", status=None), (502, "target_error")),
        (tdm.ConfigError("BACKEND_DB_URL", "mysql://x", "a sqlite URL"), (503, "misconfigured")),
        (tdm.NotFound("scenario", "x", ["a"]), (404, "not_found")),
        (tdm.InvalidParameters("x", [tdm.FieldProblem("a", "b")]), (422, "validation_error")),
        (RuntimeError("a bug"), (500, "internal_error")),
    ],
    ids=lambda v: type(v).__name__ if isinstance(v, Exception) else None,
)
def test_statuses(exc: Exception, expected: tuple[int, str]) -> None:
    """The system's refusals are the caller's (422, 409); its failures are 502; unreachable 503."""
    assert status_of(exc) == expected


def test_a_failed_scenario_takes_its_cause_status() -> None:
    """A scenario failing on the shop's 5xx answers 502, with the step and the report."""
    report = tdm.CleanupReport({"users": 1})
    cause = tdm.TargetError("backend", "boom", status=503)
    status, body = tdm_error_body(tdm.ScenarioFailed("s", "step 2 (create order)", cause, report))
    assert status == 502
    assert_error_shape(body)
    assert (body["error"], body["step"], body["cause"]["targetStatus"]) == (
        "scenario_failed",
        "step 2 (create order)",
        503,
    )
    assert body["cleanup"]["deleted"] == {"users": 1}


def test_request_failed_says_what_was_removed_and_what_was_not() -> None:
    """The removed count and the leftovers are both in the detail."""
    leftover = tdm.Leftover("t1", "order", "7", "needs BACKEND_DB_URL")
    report = tdm.CleanupReport({"users": 2}, failures=[leftover])
    failed = RequestFailed(tdm.TargetError("backend", "boom", status=500), report)
    status, body = tdm_error_body(failed)
    assert status == 502
    assert body["detail"] == (
        "backend: boom; the 2 entities it had created were removed; 1 entities it created "
        "(or may have created) could not be removed now and stay tracked for a later cleanup"
    )
    assert body["cleanup"]["failed"][0]["reason"] == "needs BACKEND_DB_URL"
