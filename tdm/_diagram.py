"""A picture of what was made and how it hangs together: entities and their references.

``tdm.diagram(data)`` draws a scenario's result (the objects a session returns, or a client's
JSON answer); ``tdm.diagram(records)`` draws ledger records (a run's, say), linked by the
references each kind declared. Entities are boxes in columns, the ones others refer to on the
left; an arrow goes from an entity to what it refers to (an order to its user, an order line to
its product), and to what holds it (an order line to its order). What is referred to but not
among them (a baseline product) is a dashed box. Jupyter shows the SVG; ``str()`` lists the
same in text. Drawn by tdm itself: no graph layout program is needed.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from ._convert import to_json
from ._ledger import TrackingRecord
from ._names import camel
from ._words import singular

__all__ = ["Diagram", "Node", "diagram"]

_LABEL_FIELDS = ("email", "number", "name", "title", "sku", "slug", "label", "productName",
                 "fullName", "reference")  # fmt: skip
_PALETTE = ("#3b82c4", "#2f9e6e", "#c9782a", "#8a5cc2", "#c2495b", "#3a9aa6", "#7a8a2e")
_BOX_W, _BOX_H, _GAP_X, _GAP_Y, _MARGIN = 210, 46, 90, 18, 16


@attrs.frozen
class Node:
    """One entity in a diagram: its kind, id and label; ``ghost`` when it is only referred to."""

    kind: str
    id: str
    label: str = ""
    ghost: bool = False

    @property
    def key(self) -> tuple[str, str]:
        return (_plain(self.kind), self.id)

    @property
    def title(self) -> str:
        return f"{self.kind} {self.id}"


def _plain(kind: str) -> str:
    """``cartItem``, ``cart_item`` and ``shop:cartItem`` are one kind."""
    return re.sub(r"[_\s-]", "", kind.rsplit(":", 1)[-1]).lower()


def _kind_of(item: Any, field: str | None) -> str:
    """The field an entity was found under names its kind (``orders`` -> ``order``), as in a
    client's answer; at the top, its class does."""
    if field:
        return singular(field)
    name = type(item).__name__ if attrs.has(type(item)) else "entity"
    return name[:1].lower() + name[1:]


def _label(data: Mapping[str, Any]) -> str:
    for key in _LABEL_FIELDS:
        value = data.get(key)
        if isinstance(value, str | int) and str(value):
            return str(value)
    return ""


class _Collect:
    """Walks a result: every object with an ``id`` is an entity; ``*Id`` fields and nesting
    are its references."""

    def __init__(self) -> None:
        self.nodes: dict[tuple[str, str], Node] = {}
        self.edges: list[tuple[tuple[str, str], tuple[str, str], str]] = []
        self.refs: list[tuple[tuple[str, str], str, str]] = []  # (from, kind, id)

    def walk(self, value: Any, field: str | None = None, holder: Node | None = None) -> None:
        if isinstance(value, list | tuple):
            for item in value:
                self.walk(item, field, holder)
            return
        data: Mapping[str, Any]
        children: Mapping[str, Any]
        if attrs.has(type(value)):
            data = to_json(value)
            children = {camel(f.name): getattr(value, f.name) for f in attrs.fields(type(value))}
        elif isinstance(value, Mapping):
            data = children = value
        else:
            return
        node = None
        if isinstance(data.get("id"), str | int) and not isinstance(data["id"], bool):
            node = Node(_kind_of(value, field), str(data["id"]), _label(data))
            self.nodes.setdefault(node.key, node)
            if holder is not None:
                self.edges.append((node.key, holder.key, "in"))
            for key, ref in data.items():
                if key.endswith("Id") and isinstance(ref, str | int) and not isinstance(ref, bool):
                    self.refs.append((node.key, key[:-2], str(ref)))
        for key, child in children.items():
            if isinstance(child, Mapping | list | tuple) or attrs.has(type(child)):
                self.walk(child, str(key), node or holder)


def _layers(
    nodes: Mapping[tuple[str, str], Node], edges: list[tuple[Any, Any, str]]
) -> list[list[Node]]:
    """Columns: an entity sits right of everything it refers to."""
    targets: dict[tuple[str, str], list[tuple[str, str]]] = {k: [] for k in nodes}
    for source, target, _ in edges:
        targets[source].append(target)
    depth: dict[tuple[str, str], int] = {}

    def of(key: tuple[str, str], seen: frozenset[tuple[str, str]]) -> int:
        if key not in depth:
            parents = [t for t in targets[key] if t not in seen]
            depth[key] = 1 + max((of(t, seen | {key}) for t in parents), default=-1)
        return depth[key]

    for key in nodes:
        of(key, frozenset())
    columns: list[list[Node]] = [[] for _ in range(max(depth.values(), default=-1) + 1)]
    for key, node in nodes.items():
        columns[depth[key]].append(node)
    # Order each column by where what it refers to sits: fewer crossing arrows.
    place: dict[tuple[str, str], float] = {}
    for column in columns:

        def weight(n: Node) -> float:
            linked = [place[t] for t in targets[n.key] if t in place]
            return sum(linked) / len(linked) if linked else float("inf")

        column.sort(key=lambda n: (weight(n), n.kind, n.id.zfill(12)))
        for row, node in enumerate(column):
            place[node.key] = row
    return columns


@attrs.frozen
class Diagram:
    """Entities and the references between them, as SVG (Jupyter) and as text."""

    nodes: tuple[Node, ...]
    edges: tuple[tuple[tuple[str, str], tuple[str, str], str], ...]
    """``(from, to, why)``: ``why`` is ``"in"`` for what holds an entity, else the field."""

    def _columns(self) -> list[list[Node]]:
        return _layers({n.key: n for n in self.nodes}, list(self.edges))

    def _colour(self, kind: str) -> str:
        kinds = sorted({_plain(n.kind) for n in self.nodes})
        return _PALETTE[kinds.index(_plain(kind)) % len(_PALETTE)]

    @property
    def svg(self) -> str:
        """The diagram as an SVG document."""
        columns = self._columns()
        where: dict[tuple[str, str], tuple[int, int]] = {}
        for c, column in enumerate(columns):
            for r, node in enumerate(column):
                where[node.key] = (_MARGIN + c * (_BOX_W + _GAP_X), _MARGIN + r * (_BOX_H + _GAP_Y))
        width = _MARGIN * 2 + max(len(columns), 1) * (_BOX_W + _GAP_X) - _GAP_X
        rows = max((len(c) for c in columns), default=1)
        height = _MARGIN * 2 + rows * (_BOX_H + _GAP_Y) - _GAP_Y
        parts = [
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" font-family="system-ui, sans-serif" font-size="12">',
            '<defs><marker id="tdm-arrow" viewBox="0 0 10 10" refX="9" refY="5" '
            'markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
            '<path d="M0,0 L10,5 L0,10 z" fill="#6b7785"/></marker></defs>',
        ]
        for source, target, why in self.edges:
            (x1, y1), (x2, y2) = where[source], where[target]
            start, end = (x1, y1 + _BOX_H / 2), (x2 + _BOX_W, y2 + _BOX_H / 2)
            bend = max(abs(start[0] - end[0]) / 2, 30)
            dash = ' stroke-dasharray="4 3"' if why == "in" else ""
            parts.append(
                f'<path d="M{start[0]},{start[1]} C{start[0] - bend},{start[1]} '
                f'{end[0] + bend},{end[1]} {end[0]},{end[1]}" fill="none" stroke="#6b7785" '
                f'stroke-width="1.3"{dash} marker-end="url(#tdm-arrow)"><title>'
                f"{html.escape(why)}</title></path>"
            )
        for node in self.nodes:
            x, y = where[node.key]
            colour = self._colour(node.kind)
            border = ' stroke-dasharray="5 3"' if node.ghost else ""
            fill = "#ffffff" if node.ghost else "#f7f9fb"
            label = node.label if len(node.label) <= 27 else node.label[:26] + "…"
            parts += [
                f"<g><title>{html.escape(f'{node.title} {node.label}'.strip())}</title>",
                f'<rect x="{x}" y="{y}" width="{_BOX_W}" height="{_BOX_H}" rx="6" fill="{fill}" '
                f'stroke="{colour}" stroke-width="1.5"{border}/>',
                f'<rect x="{x}" y="{y}" width="6" height="{_BOX_H}" rx="3" fill="{colour}"/>',
                f'<text x="{x + 14}" y="{y + 19}" font-weight="600" fill="{colour}">'
                f"{html.escape(node.title)}</text>",
                f'<text x="{x + 14}" y="{y + 36}" fill="#36414d">{html.escape(label)}</text></g>',
            ]
        parts.append("</svg>")
        return "\n".join(parts)

    def _repr_svg_(self) -> str:
        return self.svg

    def __str__(self) -> str:
        by_key = {n.key: n for n in self.nodes}
        lines = []
        for column in self._columns():
            for node in column:
                links = [f"{why} {by_key[t].title}" if why == "in" else f"-> {by_key[t].title}"
                         for s, t, why in self.edges if s == node.key]  # fmt: skip
                ghost = " (not among them)" if node.ghost else ""
                label = f" {node.label}" if node.label else ""
                lines.append(f"{node.title}{label}{ghost}" + (f"  [{', '.join(links)}]"
                                                              if links else ""))  # fmt: skip
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"<tdm.Diagram of {len(self.nodes)} entities, {len(self.edges)} references>"


def _finish(collect: _Collect) -> Diagram:
    for source, kind, ref in collect.refs:
        key = (_plain(kind), ref)
        if key not in collect.nodes:
            collect.nodes[key] = Node(kind, ref, ghost=True)
        if key != source:
            collect.edges.append((source, key, kind))
    edges = list(dict.fromkeys(collect.edges))
    return Diagram(tuple(collect.nodes.values()), tuple(edges))


def diagram(what: Any) -> Diagram:
    """A :class:`Diagram` of a scenario's result (objects or JSON) or of ledger records."""
    items = list(what) if isinstance(what, Iterable) and not isinstance(what, Mapping) else []
    if items and all(isinstance(r, TrackingRecord) for r in items):
        return _of_records(items)
    collect = _Collect()
    collect.walk(what)
    return _finish(collect)


def _of_records(records: list[TrackingRecord]) -> Diagram:
    collect = _Collect()
    for record in records:
        node = Node(record.kind, record.entity_id or "(pending)", record.label or "")
        collect.nodes.setdefault(node.key, node)
        collect.refs += [(node.key, kind, ref) for kind, ref in record.refs]
    return _finish(collect)
