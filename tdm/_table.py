"""Tables of entities and records that read well in a terminal and render in Jupyter.

A :class:`Table` keeps the values it was given and formats them when shown: numbers right
aligned, a column's decimals alike (``22.40``), nested lists as counts (``2 items``), nested
objects inline, long text wrapped and line breaks kept (an address on its lines). ``str()``
and ``repr()`` give aligned text (``rich`` draws it; a rich console prints the table itself);
Jupyter shows a styled HTML table.
"""

from __future__ import annotations

import html
import io
import shutil
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs
from rich import box
from rich.console import Console, ConsoleOptions, RenderResult
from rich.table import Table as RichTable

from ._convert import to_json
from ._words import count

__all__ = ["Table", "table"]

_MAX_DECIMALS = 6
_CELL = (
    "padding:4px 10px;border-bottom:1px solid #e3e6ea;vertical-align:top;"
    "white-space:pre-line;max-width:28em;overflow-wrap:anywhere;"
)
_HEAD = (
    "padding:6px 10px;border-bottom:2px solid #9aa4b1;background:#f3f5f8;font-weight:600;"
    "white-space:nowrap;"
)
_TABLE = (
    "border-collapse:collapse;margin:4px 0;font-family:system-ui,-apple-system,'Segoe UI',"
    "sans-serif;font-size:13px;color:#1f2933;"
)


def _words(name: str) -> str:
    """``cartItems`` -> ``cart items``."""
    return "".join(f" {c.lower()}" if c.isupper() else c for c in name).strip()


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _decimals(value: float) -> int:
    text = f"{value:.{_MAX_DECIMALS}f}".rstrip("0")
    return len(text.split(".", 1)[1]) if "." in text else 0


def _text(value: Any, column: str) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        if value and isinstance(value[0], Mapping):
            return count(len(value), _words(column) if column.endswith("s") else "items")
        return ", ".join(_text(v, column) for v in value)
    if isinstance(value, Mapping):
        return ", ".join(f"{k}={_text(v, str(k))}" for k, v in value.items())
    return str(value)


def _row(item: Any) -> Mapping[str, Any]:
    if isinstance(item, Mapping):
        return item
    if attrs.has(type(item)):
        data = to_json(item)
        return data if isinstance(data, dict) else {"value": data}
    return {"value": item}


@attrs.frozen
class Table:
    """Rows with named columns; ``str()`` gives text, Jupyter shows HTML."""

    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]

    def __len__(self) -> int:
        return len(self.rows)

    def numeric(self, index: int) -> bool:
        """Whether a column holds numbers only (they are right-aligned)."""
        values = [r[index] for r in self.rows if r[index] is not None]
        return bool(values) and all(_is_number(v) for v in values)

    def cells(self) -> list[list[str]]:
        """Every row's values as shown: a numeric column's decimals alike (at least two,
        as for prices, once any value has a fraction)."""
        shown = [[_text(v, c) for v, c in zip(r, self.columns, strict=True)] for r in self.rows]
        for index in range(len(self.columns)):
            floats = [r[index] for r in self.rows if isinstance(r[index], float)]
            if not self.numeric(index) or not floats:
                continue
            places = max(_decimals(v) for v in floats)
            places = max(places, 2) if places else 0
            for row, values in zip(shown, self.rows, strict=True):
                if _is_number(values[index]):
                    row[index] = f"{values[index]:.{places}f}"
        return shown

    def _rich(self) -> RichTable:
        drawn = RichTable(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False,
                          header_style="bold", expand=False)  # fmt: skip
        for index, column in enumerate(self.columns):
            right = self.numeric(index)
            drawn.add_column(column, justify="right" if right else "left", overflow="fold",
                             no_wrap=right, max_width=None if right else 48)  # fmt: skip
        for row in self.cells():
            drawn.add_row(*row)
        return drawn

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield self._rich()

    def text(self, width: int | None = None) -> str:
        """The table as aligned text, ``width`` characters at most (default: the terminal's)."""
        width = width or shutil.get_terminal_size((120, 24)).columns
        out = io.StringIO()
        console = Console(file=out, width=width, color_system=None, highlight=False,
                          force_jupyter=False, force_terminal=False)  # fmt: skip
        console.print(self._rich())
        return "\n".join(line.rstrip() for line in out.getvalue().splitlines()).strip("\n")

    def __str__(self) -> str:
        return self.text()

    def __repr__(self) -> str:
        return self.text()

    def _repr_html_(self) -> str:
        aligns = ["right" if self.numeric(i) else "left" for i in range(len(self.columns))]
        head = "".join(
            f'<th style="{_HEAD}text-align:{a}">{html.escape(c)}</th>'
            for c, a in zip(self.columns, aligns, strict=True)
        )
        body = "".join(
            "<tr>"
            + "".join(
                f'<td style="{_CELL}text-align:{a}">{html.escape(v)}</td>'
                for v, a in zip(row, aligns, strict=True)
            )
            + "</tr>"
            for row in self.cells()
        )
        return (
            f'<table class="tdm-table" style="{_TABLE}"><thead><tr>{head}</tr></thead>'
            f"<tbody>{body}</tbody></table>"
        )


def table(items: Iterable[Any], columns: Sequence[str] | None = None) -> Table:
    """A :class:`Table` of entities, records or mappings (camelCase columns for attrs ones).

    Nested lists show as a count, nested objects inline: ``tdm.table(data.orders)``.
    """
    rows = [_row(item) for item in items]
    if columns is None:
        seen: dict[str, None] = {}
        for row in rows:
            seen.update(dict.fromkeys(row))
        columns = list(seen)
    return Table(tuple(columns), tuple(tuple(row.get(c) for c in columns) for row in rows))
