"""Tables of entities and records that read well in a terminal and render in Jupyter."""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs

from ._convert import to_json

__all__ = ["Table", "table"]


def _cell(value: Any) -> str:
    if isinstance(value, list):
        return (
            f"[{len(value)} items]"
            if value and isinstance(value[0], dict)
            else ", ".join(map(_cell, value))
        )
    if isinstance(value, dict):
        return ", ".join(f"{k}={_cell(v)}" for k, v in value.items())
    if value is None:
        return ""
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
    rows: tuple[tuple[str, ...], ...]

    def __len__(self) -> int:
        return len(self.rows)

    def __str__(self) -> str:
        widths = [
            max([len(c), *(len(r[i]) for r in self.rows)]) for i, c in enumerate(self.columns)
        ]
        line = "  ".join(c.ljust(w) for c, w in zip(self.columns, widths, strict=True))
        lines = [line.rstrip(), "  ".join("-" * w for w in widths)]
        lines += [
            "  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip()
            for r in self.rows
        ]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        head = "".join(f"<th>{html.escape(c)}</th>" for c in self.columns)
        body = "".join(
            "<tr>" + "".join(f"<td>{html.escape(v)}</td>" for v in r) + "</tr>" for r in self.rows
        )
        return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


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
    return Table(tuple(columns), tuple(tuple(_cell(row.get(c)) for c in columns) for row in rows))
