"""What tdm's front ends are built on: the HTTP API, the MCP tools, the command line and the
clients are thin over these, so they give the same answer to the same mistake.

- errors: each knows its code, HTTP status and field problems (:func:`error_json` renders
  any exception, :func:`from_json` reads an answer back, :func:`unwrap` finds the one that
  matters inside exception groups);
- names: :func:`camel` and :func:`snake`, and :data:`Naming` (``"python"`` or ``"json"``);
- parameters: :class:`Parameters` (JSON Schema and validation of what something takes);
- the cleanup :class:`~tdm.Selection` and its :data:`SELECTION` parameters;
- :func:`undo_on_failure`: remove what a failed call created;
- secrets: :func:`redact` (passwords in URLs, secret settings' values), :func:`redact_json`,
  :func:`redact_logs` (a filter on logging handlers);
- the production guard: :func:`check_targets`, :func:`is_loopback` (and ``tdm.guard_target``);
- run ids: :func:`new_run_id`, :func:`child_run_id`, :func:`session_run_id`, :func:`is_run_id`;
- demos: :func:`start_demos` and :func:`with_demos` (start the registries' demo systems and
  point settings at them), :func:`write_demo_env`, :func:`read_demo_env`,
  :func:`remove_demo_env` and :func:`demo_env_path` (the project's ``.tdm/demo.env``);
- clients of a tdm server: :func:`env_token` (the token they send, from ``TDM_API_TOKEN``).

Users of tdm need none of this; it is public so that front ends outside tdm can be written
the same way.
"""

from typing import TYPE_CHECKING

from ._lazy import lazy_members

if TYPE_CHECKING:
    from ._calls import env_token
    from ._catalog import KindRef, ScenarioRef, installed_registries, split_name
    from ._demo_env import demo_env_path, read_demo_env, remove_demo_env, write_demo_env
    from ._demos import demo_env, start_demos, with_demos
    from ._durations import DURATION_FORMAT, KEEP_FORMAT, parse_duration, parse_keep
    from ._errors import (
        ALLOWED_TARGETS,
        INTERNAL_DETAIL,
        Forbidden,
        HeaderTooLarge,
        IdempotencyKeyInFlight,
        IdempotencyKeyReused,
        InvalidBody,
        MethodNotAllowed,
        MisdirectedRequest,
        NestedTooDeeply,
        PayloadTooLarge,
        RequestRefused,
        Unauthorized,
        UnsupportedMediaType,
        error_json,
        from_json,
        status_of,
        unwrap,
    )
    from ._guard import check_targets, is_loopback
    from ._names import Naming, camel, snake
    from ._params import Parameter, Parameters
    from ._reaper import Sweep, reap_forever, sweep
    from ._redact import RedactingFilter, redact, redact_json, redact_logs, remember
    from ._registry import Endpoint, Setting
    from ._run_ids import RUN_ID_RULE, child_run_id, is_run_id, new_run_id, session_run_id
    from ._selection import MAX_TRACKING_IDS, PROTECTED_RUNS, SELECTION
    from ._settings import default_ledger_path, project_dir, with_demo_env
    from ._store import SCHEMA_VERSION
    from ._undo import bounded_cleanup, undo_on_failure

__all__ = [
    "ALLOWED_TARGETS",
    "DURATION_FORMAT",
    "INTERNAL_DETAIL",
    "KEEP_FORMAT",
    "MAX_TRACKING_IDS",
    "PROTECTED_RUNS",
    "RUN_ID_RULE",
    "SCHEMA_VERSION",
    "SELECTION",
    "Endpoint",
    "Forbidden",
    "HeaderTooLarge",
    "IdempotencyKeyInFlight",
    "IdempotencyKeyReused",
    "InvalidBody",
    "KindRef",
    "MethodNotAllowed",
    "MisdirectedRequest",
    "Naming",
    "NestedTooDeeply",
    "Parameter",
    "Parameters",
    "PayloadTooLarge",
    "RedactingFilter",
    "RequestRefused",
    "ScenarioRef",
    "Setting",
    "Sweep",
    "Unauthorized",
    "UnsupportedMediaType",
    "bounded_cleanup",
    "camel",
    "check_targets",
    "child_run_id",
    "default_ledger_path",
    "demo_env",
    "demo_env_path",
    "env_token",
    "error_json",
    "from_json",
    "installed_registries",
    "is_loopback",
    "is_run_id",
    "new_run_id",
    "parse_duration",
    "parse_keep",
    "project_dir",
    "read_demo_env",
    "reap_forever",
    "redact",
    "redact_json",
    "redact_logs",
    "remember",
    "remove_demo_env",
    "session_run_id",
    "snake",
    "split_name",
    "start_demos",
    "status_of",
    "sweep",
    "undo_on_failure",
    "unwrap",
    "with_demo_env",
    "with_demos",
    "write_demo_env",
]

# Loaded on first use, as tdm's own names are (``tdm._lazy``).
__getattr__, __dir__ = lazy_members(
    __name__,
    {
        "ALLOWED_TARGETS": "_errors",
        "DURATION_FORMAT": "_durations",
        "INTERNAL_DETAIL": "_errors",
        "KEEP_FORMAT": "_durations",
        "MAX_TRACKING_IDS": "_selection",
        "PROTECTED_RUNS": "_selection",
        "RUN_ID_RULE": "_run_ids",
        "SCHEMA_VERSION": "_store",
        "SELECTION": "_selection",
        "Endpoint": "_registry",
        "Forbidden": "_errors",
        "HeaderTooLarge": "_errors",
        "IdempotencyKeyInFlight": "_errors",
        "IdempotencyKeyReused": "_errors",
        "InvalidBody": "_errors",
        "KindRef": "_catalog",
        "MethodNotAllowed": "_errors",
        "MisdirectedRequest": "_errors",
        "Naming": "_names",
        "NestedTooDeeply": "_errors",
        "Parameter": "_params",
        "Parameters": "_params",
        "PayloadTooLarge": "_errors",
        "RedactingFilter": "_redact",
        "RequestRefused": "_errors",
        "ScenarioRef": "_catalog",
        "Setting": "_registry",
        "Sweep": "_reaper",
        "Unauthorized": "_errors",
        "UnsupportedMediaType": "_errors",
        "bounded_cleanup": "_undo",
        "camel": "_names",
        "check_targets": "_guard",
        "child_run_id": "_run_ids",
        "default_ledger_path": "_settings",
        "demo_env": "_demos",
        "demo_env_path": "_demo_env",
        "env_token": "_calls",
        "error_json": "_errors",
        "from_json": "_errors",
        "installed_registries": "_catalog",
        "is_loopback": "_guard",
        "is_run_id": "_run_ids",
        "new_run_id": "_run_ids",
        "parse_duration": "_durations",
        "parse_keep": "_durations",
        "project_dir": "_settings",
        "read_demo_env": "_demo_env",
        "reap_forever": "_reaper",
        "redact": "_redact",
        "redact_json": "_redact",
        "redact_logs": "_redact",
        "remember": "_redact",
        "remove_demo_env": "_demo_env",
        "session_run_id": "_run_ids",
        "snake": "_names",
        "split_name": "_catalog",
        "start_demos": "_demos",
        "status_of": "_errors",
        "sweep": "_reaper",
        "undo_on_failure": "_undo",
        "unwrap": "_errors",
        "with_demo_env": "_settings",
        "with_demos": "_demos",
        "write_demo_env": "_demo_env",
    },
)
