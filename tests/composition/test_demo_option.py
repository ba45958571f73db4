"""A team's own system started for a test run: the stockroom's registry declares a demo
(``registry.add_demo``), and ``pytest --tdm-demo --tdm-registry stockroom`` starts it, points
tdm at it, and stops it afterwards."""

from __future__ import annotations

import json
from pathlib import Path

import httpx2
import pytest

pytest_plugins = ["pytester"]

STOCKED = """
import json, os
from pathlib import Path

import httpx2


async def test_a_stocked_order(tdm_session):
    data = await tdm_session.run("stocked-order", product_count=1)
    url = os.environ["STOCKROOM_URL"]
    found = httpx2.get(f"{url}/categories", params={"slug": data.category.slug},
                       headers={"authorization": "Token stockroom-key"})
    assert [c["id"] for c in found.json()["data"]] == [data.category.id]
    (Path(os.environ["OUT_DIR"]) / "seen.json").write_text(
        json.dumps({"url": url, "slug": data.category.slug}))
"""


def test_a_teams_system_is_started_for_the_run(
    pytester: pytest.Pytester, installed: dict[str, str], tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    for key, value in installed.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("STOCKROOM_URL", raising=False)
    monkeypatch.delenv("TDM_LEDGER", raising=False)
    monkeypatch.setenv("OUT_DIR", str(tmp_path))
    pytester.makeini("[pytest]\nasyncio_mode = auto\n")
    pytester.makepyfile(test_stocked=STOCKED)
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "--tdm-demo", "--tdm-registry", "stockroom"
    )
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["  Stockroom: http://127.0.0.1:*"])
    assert "demo shop" not in result.stdout.str(), "only the selected registry's demo"
    seen = json.loads((tmp_path / "seen.json").read_text())
    with pytest.raises(httpx2.ConnectError):
        httpx2.get(f"{seen['url']}/health", trust_env=False)
