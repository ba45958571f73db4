"""tdm's public surface is deliberate: this list changes only on purpose."""

from __future__ import annotations

import inspect

import tdm

EXPECTED = [
    "ApiClient",
    "AsyncClient",
    "CannotDelete",
    "Check",
    "CleanupIncomplete",
    "CleanupReport",
    "Client",
    "ConfigError",
    "Created",
    "DataGen",
    "DefinitionError",
    "FieldProblem",
    "InvalidParameters",
    "Kind",
    "LeakWarning",
    "Ledger",
    "Leftover",
    "Manager",
    "NotFound",
    "Param",
    "Parameter",
    "Probe",
    "Ref",
    "Registry",
    "Scenario",
    "ScenarioFailed",
    "ServerError",
    "Session",
    "Settings",
    "Table",
    "TargetError",
    "TargetFactory",
    "TargetUnavailable",
    "TdmError",
    "TrackingRecord",
    "camel",
    "cleanup",
    "default_manager",
    "default_registry",
    "parse_duration",
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
