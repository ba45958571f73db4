"""The TypeScript client (clients/typescript): it type-checks, a misspelt scenario parameter
does not compile, its own tests pass against a real ``tdm serve --demo`` that needs a token
(the client sends the one of ``TDM_API_TOKEN``; without it the server answers 401), the
design's Playwright test passes in Chromium with two workers and leaves nothing in the shop, a
failing test's report holds its data, and the packed package installs and imports."""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import tarfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2

import tdm

from .conftest import NPM_TIMEOUT, PACKAGE, Demo, run

TSC = str(PACKAGE / "node_modules" / ".bin" / "tsc")
PLAYWRIGHT = str(PACKAGE / "node_modules" / ".bin" / "playwright")
RUN_TIMEOUT = 300
TYPE_CHECKS = PACKAGE / "test" / "types" / "scenarios.ts"


def _output(done: Any) -> str:
    return f"exit {done.returncode}\n--- stdout\n{done.stdout}\n--- stderr\n{done.stderr}"


def test_the_package_type_checks(npm_package: Path) -> None:
    """``tsc`` (strict, no emit) over the sources, the tests and the config: no error, and
    every ``@ts-expect-error`` of the type checks is an error indeed."""
    done = run([TSC, "-p", "tsconfig.json"], timeout=RUN_TIMEOUT)
    assert done.returncode == 0, _output(done)


def test_a_misspelt_parameter_does_not_compile(npm_package: Path) -> None:
    """Without their ``@ts-expect-error`` lines, the type checks fail exactly where those
    lines were, the misspelt ``orderCont`` named, ``orderCount`` suggested."""
    source = TYPE_CHECKS.read_text()
    expected = [n + 1 for n, line in enumerate(source.splitlines(), 1)
                if line.strip().startswith("// @ts-expect-error")]  # fmt: skip
    assert len(expected) >= 8
    where = PACKAGE / ".tmp" / f"types-{uuid.uuid4().hex[:8]}"
    where.mkdir(parents=True)
    try:
        (where / "stripped.ts").write_text(re.sub(r"// @ts-expect-error.*", "", source))
        (where / "tsconfig.json").write_text(json.dumps({
            "extends": "../../tsconfig.json",
            "compilerOptions": {"rootDir": "../.."},
            "include": ["stripped.ts"],
        }))  # fmt: skip
        done = run([TSC, "-p", str(where / "tsconfig.json")], timeout=RUN_TIMEOUT)
    finally:
        shutil.rmtree(where)
    assert done.returncode != 0, _output(done)
    errors = re.findall(r"stripped\.ts\((\d+),\d+\): error (TS\d+): (.*)", done.stdout)
    assert sorted({int(line) for line, _, _ in errors}) == expected, _output(done)
    misspelt = [e for e in errors if "'orderCont'" in e[2]]
    assert misspelt, _output(done)
    assert "Did you mean to write 'orderCount'?" in misspelt[0][2]
    assert any("'\"lost\"' is not assignable" in e[2] for e in errors), _output(done)


def _env(demo: Demo, report: Path) -> dict[str, str]:
    chromium = shutil.which("chromium")
    assert chromium, "Chromium is missing: README's test command installs it (apt-get)"
    env = {k: v for k, v in os.environ.items() if not k.startswith("TDM_")}
    return {
        **env,
        "TEST_DATA_MANAGER_URL": demo.api,
        "TDM_API_TOKEN": demo.token,
        "AUTH_SERVICE_URL": demo.auth,
        "BACKEND_URL": demo.backend,
        "CHROMIUM": chromium,
        "TDM_JSON_REPORT": str(report),
        "FORCE_COLOR": "0",
    }


def _playwright(demo: Demo, tmp_path: Path, *args: str) -> tuple[Any, dict[str, Any]]:
    """Playwright's run and its JSON report; the token appears in neither."""
    report = tmp_path / "report.json"
    done = run([PLAYWRIGHT, "test", "--output", str(tmp_path / "results"), *args],
               timeout=RUN_TIMEOUT, env=_env(demo, report))  # fmt: skip
    assert report.is_file(), _output(done)
    text = report.read_text()
    assert demo.token not in done.stdout + done.stderr + text, "the token is in the output"
    return done, json.loads(text)


def _results(suite: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any], dict[str, Any]]]:
    """(title, test, result) of every test in a JSON report."""
    for spec in suite.get("specs", []):
        for test in spec["tests"]:
            for result in test["results"]:
                yield spec["title"], test, result
    for child in suite.get("suites", []):
        yield from _results(child)


def _all_results(report: dict[str, Any]) -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    return [r for suite in report["suites"] for r in _results(suite)]


def _notes(test: dict[str, Any], kind: str) -> list[str]:
    return [a["description"] for a in test["annotations"] if a["type"] == kind]


def _data_attachments(result: dict[str, Any]) -> list[dict[str, Any]]:
    return [json.loads(base64.b64decode(a["body"])) for a in result["attachments"]
            if a["name"] == "test-data"]  # fmt: skip


def _suite_run(stdout: str) -> str:
    found = re.search(r"suite run (\S+);", stdout)
    assert found, stdout
    return found.group(1)


def _runs(demo: Demo, prefix: str) -> dict[str, dict[str, Any]]:
    """The runs the server lists whose id starts with ``prefix``."""
    answer = httpx2.get(f"{demo.api}/api/runs", params={"limit": 1000},
                        headers={"Authorization": f"Bearer {demo.token}"})  # fmt: skip
    assert answer.status_code == 200, answer.text
    return {r["runId"]: r for r in answer.json()["items"] if r["runId"].startswith(prefix)}


def test_the_package_tests_pass_against_tdm(npm_package: Path, demo: Demo, tmp_path: Path) -> None:
    """The client's own tests (Playwright's runner, no browser) against the demo server, which
    needs a token: none is skipped (the one of a server with a token among them, and those of
    held runs and of a create whose answer a proxy drops)."""
    done, report = _playwright(demo, tmp_path, "--project", "unit")
    assert done.returncode == 0, _output(done)
    assert (report["stats"]["unexpected"], report["stats"]["skipped"]) == (0, 0)
    assert report["stats"]["expected"] >= 29
    titles = {title for title, _, _ in _all_results(report)}
    assert any("refuses a call without it" in t for t in titles), titles
    assert any("holds it while open" in t for t in titles), titles
    assert any("lost is sent again with its key" in t for t in titles), titles


def test_the_design_test_in_chromium_leaves_nothing(
    npm_package: Path, demo: Demo, tmp_path: Path
) -> None:
    """Section 7.1's test (only its imports changed) and the fixture tests pass with two
    workers; each worker has its own run, which it holds while it lives (the runner holds the
    suite's: a spec sees both held); the test marked ``test.fail()`` reports its data;
    afterwards the shop holds nothing they created, another run's data is untouched, and no
    run of the suite is held any more."""
    neighbour_run = f"run-neighbour-{uuid.uuid4().hex[:6]}"
    with tdm.Client(demo.api, run_id=neighbour_run, token=demo.token) as neighbour:
        neighbour.seed()  # the suite's setup seeds it too; the baseline stays
        (other,) = neighbour.create("user")["entities"]
        users_before = {u["id"] for u in demo.shop.users()}
        orders_before = {o["id"] for o in demo.shop.orders()}

        done, report = _playwright(demo, tmp_path, "--project", "e2e", "--workers", "2",
                                   "--grep-invert", "@deliberate-failure")  # fmt: skip

        assert done.returncode == 0, _output(done)
        results = _all_results(report)
        by_title = {title: (test, result) for title, test, result in results}
        assert by_title["user can view their order history"][1]["status"] == "passed"
        assert (report["stats"]["expected"], report["stats"]["unexpected"]) == (len(results), 0)
        suite = _suite_run(done.stdout)
        for title, test, result in results:
            expected_run = f"{suite}-w{result['parallelIndex']}"
            assert _notes(test, "tdm-run") in ([], [expected_run]), title
            attachments = len(_data_attachments(result))
            assert attachments == (0 if result["status"] == "passed" else 1), title
        assert {r["parallelIndex"] for _, _, r in results} <= {0, 1}
        assert by_title["the worker holds its run, and the runner the suite's, while the suite "
                        "runs"][1]["status"] == "passed"  # fmt: skip
        runs = _runs(demo, suite)
        assert suite in runs, runs
        assert {r["state"] for r in runs.values()} <= {"expired", "kept"}, runs
        assert all(r["holder"] is None and r["records"] == 0 for r in runs.values()), runs

        failed_test, failed = by_title["keeps its data in the report"]
        assert failed_test["expectedStatus"] == failed["status"] == "failed"
        (data,) = _data_attachments(failed)
        (user,) = [json.loads(u) for u in _notes(failed_test, "created-user")]
        assert re.fullmatch(r"\d+", data["seed"])
        assert data["runId"] == f"{suite}-w{failed['parallelIndex']}"
        assert [e["result"]["data"]["user"] for e in data["created"]] == [user]
        assert data["cleanup"]["complete"] is True

        created = [json.loads(u) for _, t, _ in results for u in _notes(t, "created-user")]
        assert len(created) == 5
        for user in created:
            assert demo.shop.users(user["email"]) == [], user
            assert demo.shop.orders(user["id"]) == [], user
        assert f"tdm: removed 1 entity left by suite run {suite}" in done.stdout
        assert {u["id"] for u in demo.shop.users()} == users_before
        assert {o["id"] for o in demo.shop.orders()} == orders_before
        assert [u["id"] for u in demo.shop.users(other["email"])] == [other["id"]]
        neighbour.cleanup()
    assert demo.shop.users(other["email"]) == []


def test_a_failing_test_reports_its_data(npm_package: Path, demo: Demo, tmp_path: Path) -> None:
    """A test that fails: one ``test-data`` attachment with what it created, as the API
    returned it, and its seed; its data removed all the same."""
    done, report = _playwright(demo, tmp_path, "--project", "e2e",
                               "--grep", "@deliberate-failure")  # fmt: skip
    assert done.returncode == 1, _output(done)
    ((title, test, result),) = _all_results(report)
    assert result["status"] == "failed"
    (data,) = _data_attachments(result)
    (user,) = [json.loads(u) for u in _notes(test, "created-user")]
    assert set(data) >= {"seed", "runId", "testId", "created", "cleanup"}
    assert re.fullmatch(r"\d+", data["seed"])
    assert title in data["testId"]
    (entry,) = data["created"]
    assert entry["operation"] == "scenario"
    assert entry["scenario"] == "user-with-orders"
    assert entry["result"]["data"]["user"] == user
    assert len(entry["result"]["data"]["orders"]) == 1
    assert entry["trackingIds"] == entry["result"]["trackingIds"]
    assert data["cleanup"]["deleted"]["orders"] == 1
    assert demo.shop.users(user["email"]) == []
    assert demo.shop.orders(user["id"]) == []


CONSUMER = """\
import { TestDataManager, TdmError } from "@tdm/client";
import { test, expect, typedTest, globalSetup } from "@tdm/client/playwright";
import type { ScenarioMap, KindMap } from "@tdm/client/shop";

const tdm = new TestDataManager<ScenarioMap, KindMap>({ baseUrl: "http://localhost:3001" });
const typed = typedTest<ScenarioMap, KindMap>();
export const checks = [tdm.runId, TdmError, test, expect, typed, globalSetup];
"""


def test_the_packed_package_installs_and_imports(npm_package: Path, tmp_path: Path) -> None:
    """``npm pack``'s tarball holds the built entries and no tests; installed in a project
    with @playwright/test, it type-checks there and loads from CommonJS and from ESM."""
    packed = run(["npm", "pack", "--ignore-scripts", "--json", "--pack-destination", str(tmp_path)],
                 timeout=RUN_TIMEOUT)  # fmt: skip
    assert packed.returncode == 0, _output(packed)
    (info,) = json.loads(packed.stdout)
    tarball = tmp_path / info["filename"]
    with tarfile.open(tarball) as archive:
        names = set(archive.getnames())
    for entry in ("index", "playwright", "shop"):
        assert {f"package/dist/{entry}.js", f"package/dist/{entry}.d.ts"} <= names
    assert not any("/test/" in name or (name.endswith(".ts") and ".d." not in name)
                   for name in names)  # fmt: skip

    lock = json.loads((PACKAGE / "package-lock.json").read_text())["packages"]
    pins = [f"{name}@{lock[f'node_modules/{name}']['version']}"
            for name in ("@playwright/test", "typescript", "@types/node")]  # fmt: skip
    project = tmp_path / "project"
    project.mkdir()
    (project / "package.json").write_text('{"name": "consumer", "private": true}')
    env = {**os.environ, "PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD": "1"}
    installed = run(["npm", "install", "--prefer-offline", "--no-audit", "--no-fund",
                     str(tarball), *pins], timeout=NPM_TIMEOUT, cwd=project, env=env)  # fmt: skip
    assert installed.returncode == 0, _output(installed)
    (project / "consumer.ts").write_text(CONSUMER)
    tsc = [str(project / "node_modules" / ".bin" / "tsc"), "--noEmit", "--strict",
           "--module", "nodenext", "--target", "es2022", "--lib", "es2023,dom",
           "--types", "node", "consumer.ts"]  # fmt: skip
    compiled = run(tsc, timeout=RUN_TIMEOUT, cwd=project)
    assert compiled.returncode == 0, _output(compiled)
    script = ("const { TestDataManager } = require('@tdm/client'); "
              "const { test } = require('@tdm/client/playwright'); "
              "console.log(typeof TestDataManager, typeof test.extend)")  # fmt: skip
    loaded = run(["node", "-e", script], timeout=RUN_TIMEOUT, cwd=project)
    assert loaded.stdout.split() == ["function", "function"], _output(loaded)
    module = ("import { TestDataManager } from '@tdm/client'; "
              "import { test } from '@tdm/client/playwright'; "
              "console.log(typeof TestDataManager, typeof test.extend)")  # fmt: skip
    imported = run(["node", "--input-type=module", "-e", module], timeout=RUN_TIMEOUT, cwd=project)
    assert imported.stdout.split() == ["function", "function"], _output(imported)
