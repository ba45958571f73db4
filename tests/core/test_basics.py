"""Small pieces: durations, settings, data generation."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

import tdm
from tdm import DataGen


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("90s", 90), ("15m", 900), ("1h", 3600), ("2d", 172800), ("1h30m", 5400), (" 1W ", 604800)],
)
def test_durations(text: str, seconds: int) -> None:
    """People's durations become timedeltas."""
    assert tdm.parse_duration(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize("text", ["", "1", "h", "1 h", "-1h", "1y", "soon"])
def test_bad_durations(text: str) -> None:
    """Anything else is refused with the accepted form."""
    with pytest.raises(ValueError, match="expected a duration such as '90s'"):
        tdm.parse_duration(text)


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
    assert "<td>books</td><td>1</td>" in report._repr_html_()
