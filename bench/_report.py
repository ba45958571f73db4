"""The table every benchmark prints: one row per measurement, a verdict per target, a summary."""

from __future__ import annotations

import tdm

__all__ = ["Row", "render", "verdict"]

Row = tuple[str, str, str, str]
"""(benchmark, median or rate, ratio against the baseline of the same run, target)"""

MET, NOT_MET = "met", "NOT met"


def verdict(value: float, bound: float, unit: str = "x") -> str:
    """A row's target column: ``<= 1.15x: met`` (``unit`` as the bound is written)."""
    return f"<= {bound:g}{unit}: {MET if value <= bound else NOT_MET}"


def render(rows: list[Row]) -> str:
    """The table, then one line counting the targets met and naming those that are not."""
    table = str(tdm.Table(("benchmark", "median", "ratio", "target"), tuple(rows)))
    judged = [(name.strip(), target) for name, _, _, target in rows if target.endswith(MET)]
    missed = [f"{name} ({target})" for name, target in judged if target.endswith(NOT_MET)]
    if not judged:
        return table
    summary = f"targets: {len(judged) - len(missed)} of {len(judged)} met"
    return table + "\n" + summary + "".join(f"\n  NOT met: {m}" for m in missed)
