"""Secrets out of text: what tdm prints, logs, records and answers never carries a password.

:func:`redact` replaces the password of every URL in a text (``postgresql://user:***@host/db``),
``password=``/``token=`` query values, and every value tdm has been told is secret
(:func:`remember`): the values of settings declared secret (``Setting.secret``),
``TDM_API_TOKEN``, ``TDM_ADMIN_PASSWORD``, and the passwords of URLs in the environment, also
where they appear outside a URL. Errors apply it to their own text (``str(exc)``, their JSON);
cleanup reasons, health reasons and the ledger's ``last_error`` are redacted where they are
made; :class:`RedactingFilter` does it for log records.

Values shorter than :data:`MIN_SECRET` characters are not looked for on their own (they would
mangle ordinary words); passwords in URLs are redacted whatever their length.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import unquote

__all__ = [
    "ALWAYS_SECRET",
    "MASK",
    "MIN_SECRET",
    "RedactingFilter",
    "redact",
    "redact_json",
    "redact_logs",
    "remember",
    "remember_environment",
]

MASK = "***"
MIN_SECRET = 4
ALWAYS_SECRET = ("TDM_API_TOKEN", "TDM_ADMIN_PASSWORD")
"""Settings that are secret whatever a registry declares (``TDM_API_TOKEN`` may list several
tokens, comma separated)."""

# scheme://user:password@ -- the password runs to the last "@" before the host, so an
# unencoded "@" inside it is covered too.
_URL_PASSWORD = re.compile(
    r"(?P<head>\b[A-Za-z][A-Za-z0-9+.\-]*://[^:/?#@\s'\"<>]*):(?P<password>[^/?#\s'\"<>]*)@"
)
_QUERY_SECRET = re.compile(
    r"(?P<head>[?&;](?:password|passwd|pwd|token|secret|api_?key|access_token)=)[^&#\s'\"<>]*",
    re.IGNORECASE,
)

_lock = threading.Lock()
_secrets: set[str] = set()
_pattern: re.Pattern[str] | None = None


def remember(values: Iterable[str]) -> None:
    """Redact these values wherever they appear from now on (for the rest of the process)."""
    global _pattern
    new = {v for v in values if isinstance(v, str) and len(v) >= MIN_SECRET} - _secrets
    if not new:
        return
    with _lock:
        _secrets.update(new)
        ordered = sorted(_secrets, key=len, reverse=True)  # the longest first: no partial leak
        _pattern = re.compile("|".join(re.escape(v) for v in ordered))


def _url_passwords(text: str) -> list[str]:
    found = [m.group("password") for m in _URL_PASSWORD.finditer(text)]
    return [p for pw in found if pw for p in {pw, unquote(pw)}]


def remember_environment(env: Mapping[str, str], secret_settings: Iterable[str] = ()) -> None:
    """Remember the secrets of an environment: the values of ``secret_settings`` and of
    :data:`ALWAYS_SECRET` (for a URL, only its password), and every URL password in it."""
    values: list[str] = []
    for name in {*ALWAYS_SECRET, *secret_settings}:
        raw = env.get(name) or ""
        if "://" in raw:
            continue  # a URL: its password is taken below, the rest is no secret
        parts = raw.split(",") if name == "TDM_API_TOKEN" else [raw]
        values += [p.strip() for p in parts if p.strip()]
    for raw in env.values():
        if "://" in raw:
            values += _url_passwords(raw)
    remember(values)


def redact(text: str) -> str:
    """``text`` with passwords in URLs, secret query values and remembered secrets as ``***``."""
    if not isinstance(text, str) or not text:
        return text
    text = _URL_PASSWORD.sub(lambda m: f"{m.group('head')}:{MASK}@", text)
    text = _QUERY_SECRET.sub(lambda m: f"{m.group('head')}{MASK}", text)
    pattern = _pattern
    return pattern.sub(MASK, text) if pattern is not None else text


def redact_json(value: Any) -> Any:
    """A JSON value with :func:`redact` applied to every string in it (keys too)."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, Mapping):
        return {redact(str(k)): redact_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact_json(v) for v in value]
    return value


class RedactingFilter(logging.Filter):
    """A handler filter: the record's message, arguments and traceback, redacted."""

    _formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 -- a broken format string is logged as it is
            message = str(record.msg)
        record.msg, record.args = redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = self._formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


def redact_logs(logger: logging.Logger | None = None) -> None:
    """Install a :class:`RedactingFilter` on every handler of ``logger`` (default: the root
    logger), once."""
    for handler in (logger or logging.getLogger()).handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())
