"""Configuration: read once from the environment, validated, then passed along explicitly."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar, overload

import attrs

from ._demo_env import demo_env_path, read_demo_env
from ._durations import DURATION_FORMAT, LONGEST_KEEP, parse_duration
from ._errors import ConfigError
from ._run_ids import RUN_ID_RULE, is_run_id, new_run_id

__all__ = ["Settings", "default_ledger_path", "project_dir", "with_demo_env"]

T = TypeVar("T")

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


PROJECT_MARKERS = ("pyproject.toml", "package.json", "setup.cfg", ".git")


def project_dir(start: Path | None = None) -> Path:
    """Where this project keeps ``.tdm/``, seen from ``start`` (default: the working
    directory): the nearest folder above that has a ``.tdm/``; else the nearest one that looks
    like a project's root (``pyproject.toml``, ``package.json``, ``setup.cfg``, ``.git``);
    else ``start`` itself. So ``tdm serve`` at the root and ``tdm cleanup`` in a subfolder, a
    test run and a notebook all find the same ledger."""
    here = (start or Path.cwd()).resolve()
    chain = [here, *here.parents]
    for folder in chain:
        if (folder / ".tdm").is_dir():
            return folder
    for folder in chain:
        if any((folder / marker).exists() for marker in PROJECT_MARKERS):
            return folder
    return here


def default_ledger_path(start: Path | None = None) -> Path:
    """The project's ledger: ``<project>/.tdm/ledger.sqlite3`` (see :func:`project_dir`)."""
    return project_dir(start) / ".tdm" / "ledger.sqlite3"


DEMO_ENV_SETTING = "TDM_DEMO_ENV"
"""``off`` keeps a running demo's settings (``.tdm/demo.env``) out of this process's."""
_OFF = {"off", "0", "false", "no"}


def with_demo_env(environ: Mapping[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """``environ`` with the settings of this project's running demo (``.tdm/demo.env``)
    filling in what it does not set, and where each of those came from (nothing when
    ``TDM_DEMO_ENV`` is ``off``)."""
    env = dict(environ)
    if env.get(DEMO_ENV_SETTING, "").strip().lower() in _OFF:
        return env, {}
    path = demo_env_path(project_dir())
    found = {k: v for k, v in read_demo_env(path).items() if not env.get(k)}
    env.update(found)
    return env, dict.fromkeys(found, str(path))


def ledger_location(raw: str | None) -> Path | str:
    """``TDM_LEDGER``: a URL stays a URL (checked when the ledger opens), anything else is a
    path; unset, the project's ledger."""
    if not raw:
        return default_ledger_path()
    return raw if "://" in raw else Path(raw)


def names_list(raw: str | None) -> tuple[str, ...] | None:
    """``"shop, library"`` -> ``("shop", "library")``; unset or empty -> ``None``."""
    names = tuple(n.strip() for n in (raw or "").split(",") if n.strip())
    return names or None


def _switch(key: str, raw: str) -> bool:
    lowered = raw.strip().lower()
    if lowered not in _TRUE | _FALSE:
        raise ConfigError(key, raw, "on or off (1/0, true/false, yes/no)")
    return lowered in _TRUE


def _positive_int(key: str, raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1:
        raise ConfigError(key, raw, "a whole number of at least 1")
    return value


def seconds_setting(key: str, raw: str, *, longest: float = LONGEST_KEEP.total_seconds()) -> float:
    """A duration setting: tdm's duration syntax (``90s``, ``2m``, ``1h``) or a plain number
    of seconds; greater than 0 and at most ``longest`` (366 days)."""
    try:
        value = float(raw)
    except ValueError:
        try:
            value = parse_duration(raw).total_seconds()
        except ValueError:
            value = 0.0
    if not 0 < value <= longest:  # NaN fails both
        raise ConfigError(key, raw, f"seconds greater than 0, or {DURATION_FORMAT}, at most "
                          f"{longest:g} seconds")  # fmt: skip
    return value


@attrs.frozen(kw_only=True)
class Settings:
    """tdm's settings. :meth:`from_env` reads them once; tests build them directly.

    ``env`` keeps the whole environment seen at that moment so that targets (the shop's
    ``AUTH_SERVICE_URL`` and friends) read their own keys through :meth:`get`.
    """

    ledger_path: Path | str = attrs.field(factory=default_ledger_path)
    """A SQLite file's path, or a ``postgresql://`` URL (``TDM_LEDGER``)."""
    run_id: str = attrs.field(factory=new_run_id)
    concurrency: int = 8
    cleanup_timeout: float = 60.0
    http_timeout: float = 10.0
    http_retries: int = 3
    registries: tuple[str, ...] | None = None
    """The installed registries to use, by name (``None``: all of them)."""
    pending_grace: float | None = None
    """Seconds a create that was never seen to finish may still land (default: derived)."""
    lease_ttl: float = 60.0
    """How long a run's holder may stay silent before the run counts as dead."""
    heartbeat_interval: float = 10.0
    """How often holders renew their runs' leases."""
    keep_for: float = 86400.0
    """How long kept data (``tdm run``, MCP, kept failures, the API's) stays before it is reaped."""
    reaper: bool = True
    """Whether ``tdm serve`` sweeps dead runs."""
    reaper_interval: float = 10.0
    """How often ``tdm serve`` sweeps (with jitter)."""
    claim_ttl: float = 60.0
    """How long a sweeper's claim on a dead run lasts unrenewed (it renews every third of
    it): a sweeper that dies mid-reap is replaced this long after its last renewal."""
    secret: str | None = attrs.field(default=None, repr=False)
    """``TDM_SECRET``: seals what tdm keeps to act as entities it created."""
    env: Mapping[str, str] = attrs.field(factory=dict, repr=False)
    sources: Mapping[str, str] = attrs.field(factory=dict, repr=False)
    """Where settings that did not come from the environment came from, by key (a running
    demo's ``.tdm/demo.env``), so errors can name them."""

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, *, demo_env: bool = True
    ) -> Settings:
        """Read ``TDM_*`` settings (see README) from ``environ`` (default: ``os.environ``).

        Reading ``os.environ``, the settings a running ``tdm serve --demo`` of this project
        wrote (``.tdm/demo.env``) fill in what the environment does not set, unless
        ``demo_env`` is false.
        """
        if environ is None and demo_env:
            env, sources = with_demo_env(os.environ)
        else:
            env, sources = dict(os.environ if environ is None else environ), {}
        get = env.get
        run_id = get("TDM_RUN_ID") or new_run_id()
        if not is_run_id(run_id):
            raise ConfigError("TDM_RUN_ID", run_id, RUN_ID_RULE)
        lease_ttl = seconds_setting("TDM_LEASE_TTL", get("TDM_LEASE_TTL") or "60")
        beat = get("TDM_HEARTBEAT_INTERVAL") or f"{min(10.0, lease_ttl / 3):g}"
        heartbeat_interval = seconds_setting("TDM_HEARTBEAT_INTERVAL", beat)
        if heartbeat_interval >= lease_ttl:  # a lease would run out between two renewals
            raise ConfigError("TDM_HEARTBEAT_INTERVAL", beat,
                              f"seconds less than TDM_LEASE_TTL ({lease_ttl:g})")  # fmt: skip
        return cls(
            ledger_path=ledger_location(get("TDM_LEDGER")),
            run_id=run_id,
            concurrency=_positive_int("TDM_CONCURRENCY", get("TDM_CONCURRENCY", "8")),
            cleanup_timeout=seconds_setting(
                "TDM_CLEANUP_TIMEOUT", get("TDM_CLEANUP_TIMEOUT", "60")
            ),
            http_timeout=seconds_setting("TDM_HTTP_TIMEOUT", get("TDM_HTTP_TIMEOUT", "10")),
            http_retries=_positive_int("TDM_HTTP_RETRIES", get("TDM_HTTP_RETRIES", "3")),
            registries=names_list(get("TDM_REGISTRIES")),
            pending_grace=(
                seconds_setting("TDM_PENDING_GRACE", get("TDM_PENDING_GRACE", ""))
                if get("TDM_PENDING_GRACE")
                else None
            ),
            lease_ttl=lease_ttl,
            heartbeat_interval=heartbeat_interval,
            keep_for=seconds_setting("TDM_KEEP_FOR", get("TDM_KEEP_FOR") or "1d"),
            reaper=_switch("TDM_REAPER", get("TDM_REAPER") or "on"),
            reaper_interval=seconds_setting(
                "TDM_REAPER_INTERVAL", get("TDM_REAPER_INTERVAL") or "10"
            ),
            claim_ttl=seconds_setting("TDM_CLAIM_TTL", get("TDM_CLAIM_TTL") or "60"),
            secret=get("TDM_SECRET") or None,
            env=env,
            sources=sources,
        )

    @overload
    def get(self, key: str) -> str | None: ...
    @overload
    def get(self, key: str, default: str) -> str: ...
    @overload
    def get(self, key: str, default: T, cast: Callable[[str], T]) -> T: ...

    def get(self, key: str, default: Any = None, cast: Callable[[str], Any] | None = None) -> Any:
        """A target's own setting: ``settings.get("BACKEND_URL", "http://127.0.0.1:8000")``.

        With ``cast``, a value that does not convert raises :class:`ConfigError` naming the key.
        """
        raw = self.env.get(key)
        if raw is None or raw == "":
            return default
        if cast is None:
            return raw
        if cast is bool:
            lowered = raw.strip().lower()
            if lowered in _TRUE | _FALSE:
                return lowered in _TRUE
            raise ConfigError(key, raw, "a boolean (1/0, true/false, yes/no, on/off)")
        try:
            return cast(raw)
        except (TypeError, ValueError) as exc:
            raise ConfigError(key, raw, f"a value accepted by {cast.__name__}") from exc

    @property
    def grace(self) -> timedelta:
        """How long a pending record whose entity is not found is kept and looked up again:
        longer than a create's requests with every retry could take to land."""
        if self.pending_grace is not None:
            return timedelta(seconds=self.pending_grace)
        return timedelta(seconds=max(120.0, 3 * self.http_timeout * (self.http_retries + 1)))

    def describe(self, key: str) -> str:
        """A setting's name, and where it came from when not from the environment:
        ``AUTH_SERVICE_URL in /work/shop/.tdm/demo.env``."""
        source = self.sources.get(key)
        return f"{key} in {source}" if source else key

    def evolve(self, **changes: Any) -> Settings:
        """A copy with some fields changed."""
        return attrs.evolve(self, **changes)
