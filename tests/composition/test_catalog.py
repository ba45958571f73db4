"""Registries compose: names scoped by registry, a registry's own names first, qualification,
clear errors for ambiguous names, and kinds shaped unlike the shop's (checked in the stockroom)."""

from __future__ import annotations

from pathlib import Path

import pytest

import tdm

from ..stockroom import stockroom_tdm
from ..stockroom.stockroom_app import StockroomDB


async def test_an_ambiguous_name_says_how_to_qualify(both: tdm.Manager) -> None:
    """Both registries define category: plain is refused naming both; qualified works."""
    async with both.session() as s:
        with pytest.raises(tdm.AmbiguousName) as info:
            await s.create("category")
        assert str(info.value) == (
            "entity kind 'category' is defined by registries 'shop' and 'stockroom': say "
            "shop:category or stockroom:category, or select one registry (TDM_REGISTRIES, "
            "--registry)"
        )
        assert info.value.http_status == 422
        theirs = await s.create("stockroom:category")
        ours = await s.create("shop:category")
    assert theirs.slug.startswith("cat-")
    assert ours.name


async def test_a_registrys_own_names_come_first(
    both: tdm.Manager, stockroom_db: StockroomDB
) -> None:
    """The stockroom's scenario says "category" and "product": it gets its own, even with the
    shop selected; the report counts in qualified plurals where they are shared."""
    async with both.session() as s:
        data = await s.run("stocked-order", product_count=2)
        order_lines = stockroom_db.rows("SELECT * FROM lines WHERE order_id = ?", data.order.id)
        assert len(order_lines) == 3
        assert stockroom_db.count("categories") == 1
    report = s.report
    assert report is not None
    assert report.complete
    assert report.deleted["stockroom:categories"] == 1
    assert report.deleted["stockroom:products"] == 2
    assert report.deleted["stockroom:orders"] == 1
    assert report.deleted["lines"] == 1
    assert report.deleted["shop:categories"] == 0
    for table in ("categories", "products", "orders", "lines"):
        assert stockroom_db.count(table) == 0, table


async def test_a_child_removed_with_its_parent_does_not_block_it(
    both: tdm.Manager, stockroom_db: StockroomDB
) -> None:
    """An order line cannot be deleted on its own; it goes with its order, and counts."""
    async with both.session() as s:
        line = await s.create("line")
        with pytest.raises(tdm.CannotDelete):
            await s.kind("line").delete(await s.client("stockroom"), (await s.records())[-1])
        assert stockroom_db.count("lines") == 2  # the order's own line, and this one
    assert s.report is not None
    assert (s.report.complete, s.report.deleted["lines"]) == (True, 1)
    assert stockroom_db.rows("SELECT * FROM lines WHERE id = ?", line.id) == []
    assert stockroom_db.count("orders") == 0


async def test_a_removed_with_child_alone_reports_why_it_stays(
    both: tdm.Manager, stockroom_db: StockroomDB
) -> None:
    """Cleaning only the line (not its order) cannot remove it: it stays tracked, saying why."""
    async with both.session(keep=True) as s:
        line = await s.create("line")
    (record,) = [r for r in await both.tracked() if r.kind == "line"]
    report = await both.cleanup(tracking_ids=[record.tracking_id])
    assert [f.reason for f in report.failures] == [
        "the stockroom removes order lines only with their order"
    ]
    assert stockroom_db.rows("SELECT * FROM lines WHERE id = ?", line.id) != []
    assert (await both.cleanup(run_id="both")).complete
    assert stockroom_db.count("lines") == 0


async def test_delete_receives_the_whole_record(
    both: tdm.Manager, stockroom_db: StockroomDB
) -> None:
    """A product is deleted under its category: the kind reads it from the record's refs."""
    async with both.session() as s:
        product = await s.create("stockroom:product")
        assert stockroom_db.count("products") == 1
    assert stockroom_db.rows("SELECT * FROM products WHERE id = ?", product.id) == []


@pytest.mark.parametrize("kind", ["category", "product", "order"])
async def test_check_kind_passes_for_each_stockroom_kind(both: tdm.Manager, kind: str) -> None:
    """tdm.check_kind creates, finds by natural key, deletes and finds nothing."""
    checked = await tdm.check_kind(both, f"stockroom:{kind}")
    assert checked.kind == kind
    assert checked.lookup


async def test_check_kind_catches_a_wrong_natural_key(
    env: dict[str, str], tmp_path: Path, stockroom_db: StockroomDB
) -> None:
    """A kind whose natural key finds nothing fails at the find step, and leaves nothing."""
    registry = tdm.Registry("broken")
    registry.add_target("stockroom", stockroom_tdm.stockroom)

    @registry.kind
    class Sloppy(stockroom_tdm.Categories):
        """Looks categories up by their title, which the stockroom cannot search by."""

        def lookup(self, spec: stockroom_tdm.CategorySpec) -> dict[str, str]:
            return {"slug": spec.title}

    settings = tdm.Settings(ledger_path=tmp_path / "l.sqlite3", run_id="r", env=env)
    manager = tdm.Manager(settings, registry=registry)
    before = stockroom_db.count("categories")
    with pytest.raises(tdm.KindCheckFailed) as info:
        await tdm.check_kind(manager, "category")
    assert info.value.step == "find"
    assert "expected exactly" in str(info.value)
    assert stockroom_db.count("categories") == before
    manager.ledger.close()
