"""Plain-text output of the ``tdm`` command: aligned tables and error messages."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, TextIO

import tdm

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
    """What went wrong, for a person: one line, or a line per bad field."""
    if isinstance(exc, tdm.InvalidParameters):
        lines = [f"invalid parameters for {exc.subject}:"]
        lines += [f"  {p.message}" for p in exc.problems]
        return "\n".join(lines)
    if isinstance(exc, tdm.TargetUnavailable):
        return f"cannot reach the system under test: {exc}"
    if isinstance(exc, tdm.ScenarioFailed):
        return str(exc)
    if isinstance(exc, tdm.TdmError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"
