"""The table every benchmark prints: one row per measurement."""

from __future__ import annotations

import tdm

__all__ = ["Row", "render"]

Row = tuple[str, str, str, str]
"""(benchmark, median or rate, ratio against the baseline of the same run, target)"""


def render(rows: list[Row]) -> str:
    return str(tdm.Table(("benchmark", "median", "ratio", "target"), tuple(rows)))
