"""tdm, the Test Data Manager.

Create realistic test data through a system's own APIs, track every entity in a durable ledger,
and remove exactly those entities again: per session, per run, by id, everything, or by age::

    import tdm

    async with tdm.session() as s:
        data = await s.run("user-with-orders", order_count=3)
"""

import inspect as _inspect

import attrs as _attrs

from ._convert import camel, to_json
from ._datagen import DataGen
from ._durations import parse_duration
from ._errors import (
    CannotDelete,
    CleanupIncomplete,
    ConfigError,
    DefinitionError,
    FieldProblem,
    InvalidParameters,
    NotFound,
    ScenarioFailed,
    TargetError,
    TargetUnavailable,
    TdmError,
)
from ._http import ApiClient
from ._kinds import Kind, Ref
from ._ledger import Ledger, TrackingRecord
from ._manager import Manager, cleanup, default_manager, session
from ._params import Param, Parameter
from ._registry import (
    Check,
    Probe,
    Registry,
    Scenario,
    TargetFactory,
    default_registry,
    scenario,
)
from ._remote import AsyncClient, Client, ServerError
from ._report import CleanupReport, LeakWarning, Leftover
from ._session import Created, Session
from ._settings import Settings
from ._table import Table, table

__all__ = [
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

# Present the public classes and functions as members of ``tdm`` (in reprs, errors and docs),
# wherever they are defined, as httpx does. attrs classes resolve their annotations first,
# while their defining module is still the one the names are looked up in.
for _name in __all__:
    _member = globals()[_name]
    if _attrs.has(_member):
        _attrs.resolve_types(_member)
    if isinstance(_member, type) or _inspect.isfunction(_member):
        _member.__module__ = "tdm"
del _name, _member, _inspect, _attrs
