"""Installing tdm adds only tdm-prefixed modules, in editable and in built installs alike;
tdm itself imports none of the packages that build on it."""

from __future__ import annotations

import ast
import importlib.util
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
OURS = {"tdm", "tdm_sut", "tdm_server", "tdm_scenarios"}


@pytest.mark.parametrize("name", ["sut", "server", "scenarios"])
def test_generic_names_are_not_importable(name: str) -> None:
    """The editable install this suite runs on exposes no generic top-level module."""
    assert importlib.util.find_spec(name) is None


@pytest.mark.parametrize("name", sorted(OURS))
def test_our_packages_are_importable(name: str) -> None:
    assert importlib.util.find_spec(name) is not None


def test_wheel_holds_only_our_packages(tmp_path: Path) -> None:
    """A built wheel has the same four top-level packages and nothing else."""
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(tmp_path), str(ROOT)],
        check=True, capture_output=True,
    )  # fmt: skip
    (wheel,) = tmp_path.glob("tdm-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        tops = {n.split("/")[0] for n in archive.namelist() if not n.startswith("tdm-")}
        (points,) = [n for n in archive.namelist() if n.endswith("entry_points.txt")]
        entry_points = archive.read(points)
    assert tops == OURS
    assert b"tdm_scenarios:registry" in entry_points


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def test_tdm_imports_none_of_its_dependents() -> None:
    """Dependencies point one way: scenarios, server and the shop use tdm, never the reverse."""
    offenders = {
        str(path.relative_to(ROOT)): bad
        for path in (ROOT / "tdm").rglob("*.py")
        if (bad := _imports(path) & {"tdm_sut", "tdm_server", "tdm_scenarios"})
    }
    assert offenders == {}


def test_the_shop_does_not_know_tdm() -> None:
    """The reference shop is a system under test; it must not depend on tdm."""
    offenders = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "sut").rglob("*.py")
        if _imports(path) & {"tdm", "tdm_server", "tdm_scenarios"}
    ]
    assert offenders == []
