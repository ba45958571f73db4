"""Names on either side of the boundary: Python speaks snake_case, every wire camelCase.

Paths name a value inside nested input (``items[0].product_id``). They are kept as tokens in
Python names and rendered for whichever side gave the input.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Literal

__all__ = ["Naming", "Path", "camel", "parse_path", "render_path", "snake"]

Naming = Literal["python", "json"]
"""Which names a caller speaks: ``"python"`` (snake_case) or ``"json"`` (camelCase)."""

Path = tuple[str | int, ...]

_HUMP = re.compile(r"(?<=[a-z0-9])([A-Z])")
_TOKEN = re.compile(r"\[(\d+)\]|\[['\"]?([^\]'\"]*)['\"]?\]|([^.\[\]]+)")


def camel(name: str) -> str:
    """``order_count`` -> ``orderCount`` (a name without underscores is left alone)."""
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def snake(name: str) -> str:
    """``orderCount`` -> ``order_count``."""
    return _HUMP.sub(r"_\1", name).lower()


def parse_path(text: str) -> Path:
    """``"items[0].product_id"`` -> ``("items", 0, "product_id")``."""
    tokens: list[str | int] = []
    for index, key, name in _TOKEN.findall(text):
        tokens.append(int(index) if index else (key or name))
    return tuple(tokens)


def render_path(path: Iterable[str | int], naming: Naming, *, verbatim_last: bool = False) -> str:
    """Tokens as a dotted path in ``naming``; ``verbatim_last`` keeps the last name as given
    (an unknown key is shown the way the caller wrote it)."""
    tokens = list(path)
    parts: list[str] = []
    for position, token in enumerate(tokens):
        if isinstance(token, int):
            parts.append(f"[{token}]")
            continue
        keep = verbatim_last and position == len(tokens) - 1
        name = token if keep or naming == "python" else camel(token)
        parts.append(f".{name}" if parts else name)
    return "".join(parts)
