"""Tables and diagrams, as a person sees them: aligned, formatted and wrapped text; styled
HTML; entities drawn as boxes with arrows to what they refer to."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime

import tdm
from tdm_scenarios import UserWithOrders
from tdm_scenarios._entities import Order, OrderItem, User


def _svg(text: str) -> ET.Element:
    return ET.fromstring(text)  # noqa: S314 -- our own SVG, not untrusted input


ADDRESS = "Ada Lovelace\n12 Long Road\nSpringfield, IL 62704"


def _order(number: int, total: float, items: int) -> Order:
    lines = [OrderItem(100 + number * 10 + i, 7 + i, f"Teapot {i}", 1, 9.5) for i in range(items)]
    return Order(number, f"ORD-{number:06d}", 4, "shipped", ADDRESS, total, lines)


def test_a_table_as_text() -> None:
    orders = [_order(1, 22.4, 1), _order(2, 110.25, 3)]
    text = tdm.table(orders, columns=["number", "total", "shippingAddress", "items"]).text(80)
    lines = text.splitlines()
    assert lines[0].split() == ["number", "total", "shippingAddress", "items"]
    assert "22.40" in lines[2], "a column's decimals alike"
    assert "110.25" in text
    assert lines[2].index("22.40") + len("22.40") == lines[5].index("110.25") + len("110.25"), (
        "numbers right-aligned"
    )
    assert "1 item" in lines[2]
    assert "3 items" in text
    assert "12 Long Road" in lines[3], "an address keeps its lines"
    assert repr(tdm.table(orders)) == str(tdm.table(orders)), "a REPL shows the text too"


def test_long_text_wraps_to_the_width() -> None:
    table = tdm.table([{"what": "word " * 40, "n": 1}])
    text = table.text(60)
    assert max(len(line) for line in text.splitlines()) <= 60
    assert text.count("word") == 40


def test_a_table_as_html() -> None:
    page = tdm.table([{"name": "<b>x</b>", "total": 3.5, "address": ADDRESS}])._repr_html_()
    assert page.startswith('<table class="tdm-table" style=')
    assert "&lt;b&gt;x&lt;/b&gt;" in page, "escaped"
    assert re.search(r'text-align:right">3\.50</td>', page)
    assert "white-space:pre-line" in page, "line breaks kept"
    assert "Ada Lovelace\n12 Long Road" in page


def _user() -> User:
    return User(4, "ada@example.com", "pw-12345678", "Ada Lovelace", False)


def test_a_scenario_result_as_a_diagram() -> None:
    data = UserWithOrders(_user(), [_order(1, 22.4, 2), _order(2, 9.5, 1)])
    drawn = tdm.diagram(data)
    titles = {n.title: n for n in drawn.nodes}
    assert {"user 4", "order 1", "order 2", "item 110", "item 111", "item 120"} <= (set(titles))
    assert titles["product 7"].ghost, "referred to, not returned"
    assert not titles["user 4"].ghost
    assert titles["user 4"].label == "ada@example.com"
    edges = {(a[1], b[0], b[1], why) for a, b, why in drawn.edges}
    assert ("1", "user", "4", "user") in edges, "an order refers to its user"
    assert ("110", "order", "1", "in") in edges, "an order line is held by its order"
    assert ("110", "product", "7", "product") in edges
    svg = _svg(drawn._repr_svg_())
    ns = "{http://www.w3.org/2000/svg}"
    assert len(svg.findall(f".//{ns}path[@marker-end]")) == len(drawn.edges)
    assert len(svg.findall(f".//{ns}g")) == len(drawn.nodes)
    boxes = {g.find(f"{ns}text").text: float(g.find(f"{ns}rect").get("x")) for g in svg.iter(
        f"{ns}g")}  # fmt: skip
    assert boxes["user 4"] < boxes["order 1"] < boxes["item 110"], "referred to: leftwards"
    assert "order 1 ORD-000001  [-> user 4]" in str(drawn)


def test_a_clients_answer_draws_the_same() -> None:
    answer = tdm.to_json(UserWithOrders(_user(), [_order(1, 22.4, 2)]))
    assert {n.title for n in tdm.diagram(answer).nodes} == {
        n.title for n in tdm.diagram(UserWithOrders(_user(), [_order(1, 22.4, 2)])).nodes
    }


def _record(kind: str, entity_id: str, refs: tuple[tuple[str, str], ...] = ()) -> (
    tdm.TrackingRecord
):  # fmt: skip
    return tdm.TrackingRecord(
        tracking_id=f"t-{kind}-{entity_id}", kind=kind, target="shop", state="created",
        entity_id=entity_id, label=f"{kind} label", lookup=None, refs=refs, run_id="run-x",
        session_id="s", test_id=None, scenario=None, params=None, seed=1,
        created_at=datetime.now(UTC),
    )  # fmt: skip


def test_ledger_records_as_a_diagram() -> None:
    records = [
        _record("user", "4"),
        _record("order", "1", (("user", "4"), ("product", "7"))),
        _record("cartItem", "3", (("user", "4"), ("product", "7"))),
    ]
    drawn = tdm.diagram(records)
    assert [n.title for n in drawn.nodes if n.ghost] == ["product 7"]
    assert len(drawn.edges) == 4
    assert _svg(drawn.svg).tag.endswith("svg")
    assert tdm.diagram([]).nodes == ()
    assert _svg(tdm.diagram([]).svg) is not None, "an empty picture still draws"
