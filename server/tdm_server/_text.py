"""Plain-text output of the ``tdm`` command: aligned tables and error messages."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, TextIO

import tdm

from ._suggest import did_you_mean

__all__ = ["describe_error", "print_json", "table"]


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """Columns aligned under their headers, separated by two spaces."""
    cells = [[str(c) for c in headers], *([str(c) for c in row] for row in rows)]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
             for row in cells]  # fmt: skip
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def print_json(value: Any, stream: TextIO) -> None:
    stream.write(json.dumps(value, indent=2, default=str) + "\n")


def describe_error(exc: BaseException) -> str:
    """What went wrong, for a person: the error's own words, a line per bad field."""
    if isinstance(exc, tdm.InvalidParameters):
        lines = [f"invalid parameters for {exc.subject}:"]
        lines += [f"  {p.message_in(exc.naming)}" for p in exc.problems]
        return "\n".join(lines)
    if isinstance(exc, tdm.NotFound):
        hint = did_you_mean(exc.name, exc.known)
        plain = f"unknown {exc.what} {exc.name!r}; known: "
        if str(exc).startswith(plain):  # its own words otherwise, and the hint after them
            return f"unknown {exc.what} {exc.name!r}{hint} (known: {', '.join(exc.known)})"
        return f"{exc}{hint}"
    if isinstance(exc, OSError) and exc.strerror:
        # "cannot listen on 127.0.0.1:3001: Address already in use", without "[Errno 98]"
        return f"{exc.filename}: {exc.strerror}" if exc.filename else str(exc.strerror)
    text = str(exc)
    return text or type(exc).__name__
