"""One error model: each error knows its code, status and fields, renders itself as JSON, and
comes back from JSON as the same exception (no I/O)."""

from __future__ import annotations

import pytest

import tdm
import tdm.boundary as b
from tdm.boundary import error_json, from_json, status_of


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
        (tdm.TargetNotAllowed("http://vm", "vm"), (503, "target_not_allowed")),
        (b.Unauthorized("no token"), (401, "unauthorized")),
        (b.Forbidden("foreign origin"), (403, "forbidden")),
        (b.MisdirectedRequest("foreign host"), (421, "misdirected_request")),
        (b.NestedTooDeeply("deep"), (422, "nested_too_deeply")),
        (b.HeaderTooLarge("big"), (431, "header_too_large")),
        (tdm.NotFound("scenario", "x", ["a"]), (404, "not_found")),
        (tdm.AmbiguousName("entity kind", "category", ["shop", "library"]),
         (422, "ambiguous_name")),
        (tdm.InvalidParameters("x", [tdm.FieldProblem("a", "b")]), (422, "validation_error")),
        (RuntimeError("a bug"), (500, "internal_error")),
    ],
    ids=lambda v: type(v).__name__ if isinstance(v, Exception) else None,
)  # fmt: skip
def test_statuses(exc: Exception, expected: tuple[int, str]) -> None:
    """The system's refusals are the caller's (422, 409); its failures are 502; unreachable 503."""
    assert (status_of(exc), error_json(exc)["error"]) == expected


def test_a_bug_says_only_that() -> None:
    """An exception that is not tdm's keeps its text out of the answer."""
    body = error_json(RuntimeError("password=hunter2"))
    assert "hunter2" not in str(body)
    assert body["error"] == "internal_error"


def test_a_failed_scenario_takes_its_cause_status() -> None:
    """A scenario failing on the shop's 5xx answers 502, with the step and the report."""
    report = tdm.CleanupReport({"users": 1})
    cause = tdm.TargetError("backend", "boom", status=503)
    failed = tdm.ScenarioFailed("s", "step 2 (create order)", cause, report)
    body = error_json(failed)
    assert status_of(failed) == 502
    assert (body["error"], body["step"], body["cause"]["targetStatus"]) == (
        "scenario_failed",
        "step 2 (create order)",
        503,
    )
    assert body["cleanup"]["deleted"] == {"users": 1}


def test_a_failed_create_says_what_was_removed_and_what_was_not() -> None:
    """The removed count and the leftovers are both in the detail; code and status are the
    cause's."""
    leftover = tdm.Leftover("t1", "order", "7", "needs BACKEND_DB_URL")
    report = tdm.CleanupReport({"users": 2}, failures=[leftover])
    failed = tdm.CreateFailed(tdm.TargetError("backend", "boom", status=500), report)
    body = error_json(failed)
    assert (status_of(failed), body["error"]) == (502, "target_error")
    assert body["detail"] == (
        "backend: boom; removed the 2 entities it had created; 1 could not be removed and stay "
        "tracked"
    )
    assert body["cleanup"]["failed"][0]["reason"] == "needs BACKEND_DB_URL"


@pytest.mark.parametrize(
    "exc",
    [
        tdm.InvalidParameters("scenario 'x'", [tdm.FieldProblem(("order_count",), "an integer",
                                                                "3")], naming="json"),
        tdm.InvalidParameters("cleanup", [tdm.FieldProblem(("tracking_ids",), "a list",
                                                           missing=True)], naming="json"),
        tdm.NotFound("scenario", "nope", ["a", "b"]),
        tdm.AmbiguousName("entity kind", "category", ["shop", "library"]),
        tdm.TargetError("backend", "taken", status=409),
        tdm.TargetUnavailable("auth service", "down"),
        tdm.ScenarioFailed("s", "step 1 (create user)", tdm.TargetError("b", "x", status=500),
                           tdm.CleanupReport({"users": 1})),
        tdm.CreateFailed(tdm.TargetError("b", "x", status=422), tdm.CleanupReport({"users": 1})),
        tdm.CleanupIncomplete(tdm.CleanupReport({"users": 1})),
        tdm.TargetNotAllowed("https://u:pw@shop.example/", "shop.example", setting="BACKEND_URL"),
        *(cls("refused") for cls in (b.Unauthorized, b.Forbidden, b.MisdirectedRequest,
                                     b.NestedTooDeeply, b.HeaderTooLarge)),
    ],
    ids=lambda e: type(e).__name__,
)  # fmt: skip
def test_an_answer_comes_back_as_the_same_exception(exc: tdm.TdmError) -> None:
    """What a client reads from an error answer is the exception the server raised."""
    back = from_json(status_of(exc), error_json(exc))
    assert type(back) is type(exc)
    assert error_json(back) == error_json(exc)
