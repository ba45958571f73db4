"""Small pieces: durations, settings, data generation, bounds of spec fields."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Annotated

import attrs
import pytest

import tdm
from tdm import DataGen
from tdm.boundary import Parameters, parse_duration


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("90s", 90), ("15m", 900), ("1h", 3600), ("2d", 172800), ("1h30m", 5400), (" 1W ", 604800)],
)
def test_durations(text: str, seconds: int) -> None:
    """People's durations become timedeltas."""
    assert parse_duration(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize("text", ["", "1", "h", "1 h", "-1h", "1y", "soon"])
def test_bad_durations(text: str) -> None:
    """Anything else is refused with the accepted form."""
    with pytest.raises(ValueError, match="expected a duration such as '90s'"):
        parse_duration(text)


def test_durations_beyond_the_calendar_are_the_longest() -> None:
    """A duration timedelta cannot hold is the longest one (nothing is that old)."""
    assert (
        parse_duration("1000000000d")
        == parse_duration("999999999d")
        == timedelta.max.days * (timedelta(days=1))
    )


async def test_a_cleanup_older_than_the_calendar_removes_nothing(manager: tdm.Manager) -> None:
    """``olderThan: 740000d`` reaches back before year 1: nothing was made then."""
    report = await manager.cleanup(older_than="740000d")
    assert report.total_deleted == 0
    assert report.complete


@attrs.frozen
class _Line:
    quantity: Annotated[int, tdm.Field(ge=1, le=5, description="Units")] = 1


@attrs.frozen
class _Spec:
    code: Annotated[str, tdm.Field(pattern=r"[A-Z]{3}", max_length=3)]
    price: Annotated[float, tdm.Field(ge=0.01, multiple_of=0.01)]
    lines: Annotated[list[_Line] | None, tdm.Field(min_length=1)] = None
    note: str = attrs.field(default="", metadata={"description": "Free text"})


def test_spec_fields_carry_their_bounds() -> None:
    """``Annotated[..., tdm.Field(...)]`` on a spec field bounds its schema and its
    validation, at the top and inside nested attrs classes (there, in the schema)."""
    params = Parameters.of_spec(_Spec)
    props = params.schema()["properties"]
    assert props["code"] == {"type": "string", "maxLength": 3, "pattern": "^(?:[A-Z]{3})$"}
    assert props["price"] == {"type": "number", "minimum": 0.01, "multipleOf": 0.01}
    lines = props["lines"]["anyOf"][0]
    assert lines["minItems"] == 1
    assert lines["items"]["properties"]["quantity"] == {
        "type": "integer", "minimum": 1, "maximum": 5, "description": "Units"
    }  # fmt: skip
    assert props["note"]["description"] == "Free text"
    good = {"code": "ABC", "price": 0.07, "lines": [{"quantity": 2}]}
    assert params.validate("spec", good, naming="json")["price"] == 0.07
    with pytest.raises(tdm.InvalidParameters) as info:
        params.validate("spec", {"code": "abc", "price": 0.015, "lines": []}, naming="json")
    expected = {p.field_in("json"): p.expected for p in info.value.problems}
    assert expected["code"] == "a string of at most 3 characters matching [A-Z]{3}"
    assert expected["price"] == "a number of at least 0.01 in steps of 0.01"
    assert expected["lines"].endswith("of at least 1 items")


def test_settings_from_env() -> None:
    """TDM_ settings are read and validated; other keys stay available to targets."""
    settings = tdm.Settings.from_env(
        {
            "TDM_LEDGER": "ledger/x.db",
            "TDM_RUN_ID": "r1",
            "TDM_CONCURRENCY": "3",
            "BACKEND_URL": "u",
        }
    )
    assert (settings.ledger_path, settings.run_id, settings.concurrency) == (
        Path("ledger/x.db"),
        "r1",
        3,
    )
    assert settings.get("BACKEND_URL") == "u"
    assert settings.get("MISSING", "d") == "d"
    assert settings.get("TDM_CONCURRENCY", 1, int) == 3


def test_run_ids_are_fresh() -> None:
    """Without TDM_RUN_ID every process gets its own run id."""
    assert tdm.Settings.from_env({}).run_id != tdm.Settings.from_env({}).run_id


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {"TDM_CONCURRENCY": "0"},
            "setting TDM_CONCURRENCY has value '0': expected a whole number",
        ),
        ({"TDM_CLEANUP_TIMEOUT": "x"}, "setting TDM_CLEANUP_TIMEOUT has value 'x'"),
    ],
)
def test_bad_settings_name_the_key(env: dict[str, str], message: str) -> None:
    """A bad setting fails with its key, its value and what was expected."""
    with pytest.raises(tdm.ConfigError, match=message):
        tdm.Settings.from_env(env)


def test_settings_cast_errors() -> None:
    """Casting a target's setting names the key too."""
    settings = tdm.Settings(env={"FLAG": "maybe", "N": "x"})
    with pytest.raises(tdm.ConfigError, match="setting FLAG has value 'maybe': expected a boolean"):
        settings.get("FLAG", False, bool)
    with pytest.raises(tdm.ConfigError, match="setting N"):
        settings.get("N", 0, int)


def test_datagen_is_reproducible_and_unique() -> None:
    """Same seed and number give the same values; tokens differ per entity and per seed."""
    a, b = DataGen(7), DataGen(7)
    first = [a.next().email() for _ in range(3)]
    assert first == [b.next().email() for _ in range(3)]
    assert len(set(first)) == 3
    assert all(a.namespace in e for e in first)
    assert DataGen(8).namespace != a.namespace
    assert len(a.namespace) == 8


async def test_records_and_reports_render_as_tables(manager: tdm.Manager) -> None:
    """Ledger records, entities and reports turn into text and HTML tables."""
    async with manager.session(keep=True) as s:
        await s.create("book")
    records = await manager.tracked()
    text = str(tdm.table(records, columns=["kind", "label", "state"]))
    assert text.splitlines()[0].split() == ["kind", "label", "state"]
    assert "author" in text
    assert "book" in text
    report = await manager.cleanup(all=True)
    assert re.search(r">books</td><td [^>]*>1</td>", report._repr_html_())
