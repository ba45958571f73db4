"""Durations as people write them: ``90s``, ``15m``, ``1h``, ``2d``, ``1h30m``."""

from __future__ import annotations

import re
from datetime import timedelta

__all__ = ["DURATION_FORMAT", "KEEP_FORMAT", "LONGEST_KEEP", "parse_duration", "parse_keep"]

DURATION_FORMAT = "a duration such as '90s', '15m', '1h' or '2d'"
LONGEST_KEEP = timedelta(days=366)
"""The longest a run's data may be kept on purpose: longer is leaking by another name."""
KEEP_FORMAT = f"{DURATION_FORMAT} (at most 366d: longer keeps 366d)"

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_PART = re.compile(r"(\d+)([smhdw])")
_WHOLE = re.compile(r"(?:\d+[smhdw])+")
_LONGEST = timedelta.max.days * 86400


def parse_duration(text: str | timedelta) -> timedelta:
    """Turn ``"90s"``, ``"1h30m"`` or ``"2d"`` into a :class:`~datetime.timedelta`.

    Raises :class:`ValueError` naming the accepted form for anything else.
    """
    if isinstance(text, timedelta):
        return text
    cleaned = text.strip().lower() if isinstance(text, str) else ""
    if not cleaned or not _WHOLE.fullmatch(cleaned):
        msg = f"expected {DURATION_FORMAT}, got {text!r}"
        raise ValueError(msg)
    seconds = sum(int(n) * _UNITS[unit] for n, unit in _PART.findall(cleaned))
    # Beyond timedelta's range (2.7 million years) every duration means the same: longer.
    return timedelta(seconds=min(seconds, _LONGEST))


def parse_keep(text: str | timedelta) -> float:
    """How long to keep what a run left, in seconds: a duration, of at most
    :data:`LONGEST_KEEP` (a longer one keeps that long). Raises :class:`ValueError` naming
    :data:`DURATION_FORMAT` for anything else."""
    return min(parse_duration(text), LONGEST_KEEP).total_seconds()
