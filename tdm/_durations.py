"""Durations as people write them: ``90s``, ``15m``, ``1h``, ``2d``, ``1h30m``."""

from __future__ import annotations

import re
from datetime import timedelta

__all__ = ["DURATION_FORMAT", "parse_duration"]

DURATION_FORMAT = "a duration such as '90s', '15m', '1h' or '2d'"

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_PART = re.compile(r"(\d+)([smhdw])")
_WHOLE = re.compile(r"(?:\d+[smhdw])+")


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
    return timedelta(seconds=seconds)
