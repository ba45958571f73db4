"""Where a running demo's settings are found: the project's ``.tdm/demo.env``.

``tdm serve --demo`` writes the settings that reach the systems it started (their URLs and
databases, the tdm API's URL, the ledger) to ``<project>/.tdm/demo.env`` and removes the file
when it stops. Whatever runs in the same project (``tdm run``, pytest, a notebook,
``tdm.session()``) reads it for the settings its environment does not set, so a second
terminal needs no ``export``. A file whose process is gone (killed, say) is ignored.

The file is ``KEY=value`` lines after comment lines, one of which names the process
(``# pid 1234``); it is readable by its owner only, as it may hold a demo admin's password.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

__all__ = ["demo_env_path", "read_demo_env", "remove_demo_env", "write_demo_env"]

FILE_NAME = "demo.env"
_PID = re.compile(r"^# pid (\d+)\s*$", re.MULTILINE)


def demo_env_path(project: Path) -> Path:
    """``<project>/.tdm/demo.env`` (``project``: see :func:`tdm.boundary.project_dir`)."""
    return project / ".tdm" / FILE_NAME


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def write_demo_env(path: Path, env: Mapping[str, str], *, pid: int | None = None) -> None:
    """Write ``env`` for process ``pid`` (default: this one), readable by its owner only."""
    pid = os.getpid() if pid is None else pid
    for key, value in env.items():
        if "\n" in value or "\n" in key or "=" in key:
            raise ValueError(f"{key!r} cannot be written to {path} as one line")
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [
        "# Written by `tdm serve --demo`: the settings of the systems it started. tdm reads",
        "# them for whatever the environment does not set, while that process runs.",
        f"# pid {pid}",
        f"# started {datetime.now(UTC).isoformat(timespec='seconds')}",
        *(f"{key}={value}" for key, value in env.items()),
    ]
    temporary = path.with_name(f".{path.name}.{pid}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write("\n".join(lines) + "\n")
    temporary.replace(path)  # whole or not at all, for a reader in another process


def _parse(text: str) -> tuple[int | None, dict[str, str]]:
    found = _PID.search(text)
    values = {}
    for line in text.splitlines():
        if line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        values[key.strip()] = value
    return (int(found.group(1)) if found else None), values


def read_demo_env(path: Path) -> dict[str, str]:
    """The settings in ``path``; empty when there is no such file or its process is gone."""
    try:
        text = path.read_text(encoding="utf-8")
    except (FileNotFoundError, NotADirectoryError, PermissionError, UnicodeDecodeError):
        return {}
    pid, values = _parse(text)
    if pid is None or not _alive(pid):
        return {}
    return values


def remove_demo_env(path: Path, *, pid: int | None = None) -> None:
    """Remove ``path`` if process ``pid`` (default: this one) wrote it."""
    pid = os.getpid() if pid is None else pid
    with contextlib.suppress(FileNotFoundError, UnicodeDecodeError):
        if _parse(path.read_text(encoding="utf-8"))[0] == pid:
            path.unlink()
