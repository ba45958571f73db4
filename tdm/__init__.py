"""tdm, the Test Data Manager.

Create realistic test data through a system's own APIs, track every entity in a durable ledger,
and remove exactly those entities again: per session, per run, by id, everything, or by age::

    import tdm

    async with tdm.session() as s:
        data = await s.run("user-with-orders", order_count=3)

What front ends (HTTP, MCP, the command line) build on is in :mod:`tdm.boundary`.
"""

from typing import TYPE_CHECKING

from ._lazy import lazy_members

if TYPE_CHECKING:
    from ._catalog import Catalog
    from ._checking import KindCheckFailed, check_kind
    from ._convert import to_json
    from ._datagen import DataGen
    from ._diagram import Diagram, diagram
    from ._errors import (
        AmbiguousName,
        CannotDelete,
        CleanupIncomplete,
        ConfigError,
        CreateFailed,
        DefinitionError,
        FieldProblem,
        InvalidParameters,
        NotFound,
        ScenarioFailed,
        ServerError,
        TargetError,
        TargetNotAllowed,
        TargetUnavailable,
        TdmError,
    )
    from ._guard import guard_target
    from ._health import CheckResult, HealthReport
    from ._http import HttpService
    from ._kinds import Kind, Ref
    from ._ledger import Ledger, TrackingRecord
    from ._manager import Manager, cleanup, default_manager, session
    from ._params import Field
    from ._registry import (
        Check,
        Demo,
        Guard,
        Probe,
        Registry,
        Scenario,
        TargetFactory,
        default_registry,
        scenario,
    )
    from ._remote import AsyncClient, Client
    from ._report import CleanupReport, LeakWarning, Leftover
    from ._results import Result
    from ._selection import Selection
    from ._session import Created, Session
    from ._settings import Settings
    from ._sync import SyncSession
    from ._table import Table, table

__all__ = [
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

# Each public name is imported from the module defining it on first use (``tdm._lazy``): the
# server, SQLAlchemy, Faker, rich and httpx2 load only when something needs them.
__getattr__, __dir__ = lazy_members(
    __name__,
    {
        "AmbiguousName": "_errors",
        "AsyncClient": "_remote",
        "CannotDelete": "_errors",
        "Catalog": "_catalog",
        "Check": "_registry",
        "CheckResult": "_health",
        "CleanupIncomplete": "_errors",
        "CleanupReport": "_report",
        "Client": "_remote",
        "ConfigError": "_errors",
        "CreateFailed": "_errors",
        "Created": "_session",
        "DataGen": "_datagen",
        "DefinitionError": "_errors",
        "Demo": "_registry",
        "Diagram": "_diagram",
        "Field": "_params",
        "FieldProblem": "_errors",
        "Guard": "_registry",
        "HealthReport": "_health",
        "HttpService": "_http",
        "InvalidParameters": "_errors",
        "Kind": "_kinds",
        "KindCheckFailed": "_checking",
        "LeakWarning": "_report",
        "Ledger": "_ledger",
        "Leftover": "_report",
        "Manager": "_manager",
        "NotFound": "_errors",
        "Probe": "_registry",
        "Ref": "_kinds",
        "Registry": "_registry",
        "Result": "_results",
        "Scenario": "_registry",
        "ScenarioFailed": "_errors",
        "Selection": "_selection",
        "ServerError": "_errors",
        "Session": "_session",
        "Settings": "_settings",
        "SyncSession": "_sync",
        "Table": "_table",
        "TargetError": "_errors",
        "TargetFactory": "_registry",
        "TargetNotAllowed": "_errors",
        "TargetUnavailable": "_errors",
        "TdmError": "_errors",
        "TrackingRecord": "_ledger",
        "check_kind": "_checking",
        "cleanup": "_manager",
        "default_manager": "_manager",
        "default_registry": "_registry",
        "diagram": "_diagram",
        "guard_target": "_guard",
        "scenario": "_registry",
        "session": "_manager",
        "table": "_table",
        "to_json": "_convert",
    },
    present=True,
)
