"""tdm's public surface is deliberate: this list changes only on purpose."""

from __future__ import annotations

import inspect

import tdm

EXPECTED = [
    "AmbiguousName",
    "AsyncClient",
    "CannotDelete",
    "Catalog",
    "Check",
    "CheckResult",
    "CleanupIncomplete",
    "CleanupReport",
    "Client",
    "ConfigError",
    "CreateFailed",
    "Created",
    "DataGen",
    "DefinitionError",
    "Demo",
    "Diagram",
    "Field",
    "FieldProblem",
    "Guard",
    "HealthReport",
    "HttpService",
    "InvalidParameters",
    "Kind",
    "KindCheckFailed",
    "LeakWarning",
    "Ledger",
    "Leftover",
    "Manager",
    "NotFound",
    "Probe",
    "Ref",
    "Registry",
    "Result",
    "Scenario",
    "ScenarioFailed",
    "Selection",
    "ServerError",
    "Session",
    "Settings",
    "SyncSession",
    "Table",
    "TargetError",
    "TargetFactory",
    "TargetNotAllowed",
    "TargetUnavailable",
    "TdmError",
    "TrackingRecord",
    "check_kind",
    "cleanup",
    "default_manager",
    "default_registry",
    "diagram",
    "guard_target",
    "scenario",
    "session",
    "table",
    "to_json",
]


def test_all_is_pinned_and_sorted() -> None:
    """``tdm.__all__`` is exactly the curated list, sorted."""
    assert tdm.__all__ == EXPECTED


def test_classes_and_functions_present_themselves_as_tdm() -> None:
    """Public classes and functions say ``tdm``, not the private module they live in."""
    members = [getattr(tdm, name) for name in tdm.__all__]
    owned = [m for m in members if isinstance(m, type) or inspect.isfunction(m)]
    assert len(owned) > 30
    assert {m.__module__ for m in owned} == {"tdm"}
