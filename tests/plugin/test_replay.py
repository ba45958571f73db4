"""A failed test's replay line builds the same data again; every run has a base seed, which
xdist workers share; async tests run in pytest-asyncio's strict mode too."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest

from .test_pytest_plugin import INI, env

pytest_plugins = ["pytester"]
pytestmark = pytest.mark.usefixtures("seeded")
__all__ = ["env"]  # the fixture, shared with the plugin's other tests

RECORDS = """
import json, os
from pathlib import Path

async def test_records_then_fails(tdm_session):
    data = await tdm_session.run("user-with-orders", order_count=2)
    seen = {"seed": tdm_session.seed, "name": data.user.full_name, "email": data.user.email,
            "addresses": sorted(o.shipping_address for o in data.orders)}  # placed at once
    with (Path(os.environ["OUT_DIR"]) / "seen.jsonl").open("a") as out:
        out.write(json.dumps(seen) + "\\n")
    assert data.user.full_name == "Nobody", "fails on purpose"
"""

NOTES = """
import json, os
from pathlib import Path

def _note(name, seed):
    (Path(os.environ["OUT_DIR"]) / f"{name}.json").write_text(json.dumps(seed))
"""

REPLAY = re.compile(r"the same data again: (pytest .+ --tdm-seed \d+) \(or tdm\.session")


def _rows(out: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in (out / "seen.jsonl").read_text().splitlines()]


def test_the_replay_line_rebuilds_the_failed_tests_data(
    pytester: pytest.Pytester, env: Path
) -> None:
    pytester.makepyfile(test_inner=RECORDS)
    first = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    first.assert_outcomes(failed=1)
    (replay,) = REPLAY.findall(first.stdout.str())
    words = shlex.split(replay)
    assert words[0] == "pytest"
    pytester.runpytest_inprocess("-p", "no:cacheprovider", *words[1:]).assert_outcomes(failed=1)
    pytester.runpytest_inprocess("-p", "no:cacheprovider").assert_outcomes(failed=1)
    original, replayed, another = _rows(env)
    assert replayed == original, "the same seed, name, email and addresses"
    assert another["seed"] != original["seed"], "a run without it has data of its own"
    assert another["email"] != original["email"]


def test_the_base_seed_is_in_the_header_and_shared_by_xdist_workers(
    pytester: pytest.Pytester, env: Path
) -> None:
    """Under xdist the controller's base seed reaches every worker: the header's seed replays
    each test's data in a plain run."""
    pytester.makepyfile(
        test_inner=NOTES
        + "".join(
            f"\nasync def test_{n}(tdm_session):\n    _note('{n}', tdm_session.seed)\n"
            for n in ("a", "b", "c", "d")
        )
    )
    spread = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-n", "2")
    spread.assert_outcomes(passed=4)
    (base,) = re.findall(r"tdm: base seed (\d+) \(the same data again: --tdm-seed \1\)",
                         spread.stdout.str())  # fmt: skip
    under_xdist = {p.stem: json.loads(p.read_text()) for p in env.glob("*.json")}
    pytester.runpytest_inprocess("-p", "no:cacheprovider", "--tdm-seed", base).assert_outcomes(
        passed=4
    )
    plain = {p.stem: json.loads(p.read_text()) for p in env.glob("*.json")}
    assert plain == under_xdist
    assert len(set(plain.values())) == 4, "each test has a seed of its own"


def test_async_tests_run_in_strict_mode(pytester: pytest.Pytester, env: Path) -> None:
    """Without asyncio_mode = auto, an async test asking for tdm_session still runs."""
    pytester.makeini(INI.replace("asyncio_mode = auto", "asyncio_mode = strict"))
    pytester.makepyfile(
        test_inner="""
        async def test_strict(tdm_session):
            user = await tdm_session.create("user")
            assert user.email.endswith("@example.com")

        class TestInAClass:
            async def test_too(self, tdm_session):
                assert (await tdm_session.create("user")).id
        """
    )
    pytester.runpytest_inprocess("-p", "no:cacheprovider").assert_outcomes(passed=2)
