"""A running demo's settings file: read for what the environment does not set, ignored once
its process is gone or with TDM_DEMO_ENV=off, removed only by the process that wrote it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import tdm
from tdm.boundary import read_demo_env, remove_demo_env, write_demo_env


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'p'\n")
    (tmp_path / "deep" / "er").mkdir(parents=True)
    monkeypatch.chdir(tmp_path / "deep" / "er")
    monkeypatch.delenv("TDM_DEMO_ENV", raising=False)
    for key in ("AUTH_SERVICE_URL", "BACKEND_URL", "TDM_LEDGER"):
        monkeypatch.delenv(key, raising=False)
    return tmp_path


def _dead_pid() -> int:
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    return int(done.stdout)


def test_settings_fill_in_from_a_live_demo(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = project / ".tdm" / "demo.env"
    write_demo_env(path, {"AUTH_SERVICE_URL": "http://127.0.0.1:1", "BACKEND_URL": "http://b",
                          "TDM_LEDGER": str(project / "l.sqlite3")})  # fmt: skip
    monkeypatch.setenv("BACKEND_URL", "http://127.0.0.1:2")
    settings = tdm.Settings.from_env()
    assert settings.get("AUTH_SERVICE_URL") == "http://127.0.0.1:1"
    assert settings.get("BACKEND_URL") == "http://127.0.0.1:2", "the environment wins"
    assert settings.ledger_path == project / "l.sqlite3"
    assert settings.describe("AUTH_SERVICE_URL") == f"AUTH_SERVICE_URL in {path}"
    assert settings.describe("BACKEND_URL") == "BACKEND_URL"
    assert tdm.Settings.from_env(demo_env=False).get("AUTH_SERVICE_URL") is None
    assert tdm.Settings.from_env({}).get("AUTH_SERVICE_URL") is None, "only os.environ"
    monkeypatch.setenv("TDM_DEMO_ENV", "off")
    assert tdm.Settings.from_env().get("AUTH_SERVICE_URL") is None


def test_clients_find_a_live_demos_api(project: Path) -> None:
    write_demo_env(project / ".tdm" / "demo.env", {"TEST_DATA_MANAGER_URL": "http://127.0.0.1:7"})
    with tdm.Client.from_env() as client:
        assert client.base_url == "http://127.0.0.1:7"


def test_a_dead_demos_file_is_ignored(project: Path) -> None:
    path = project / ".tdm" / "demo.env"
    write_demo_env(path, {"AUTH_SERVICE_URL": "http://127.0.0.1:1"}, pid=_dead_pid())
    assert read_demo_env(path) == {}
    assert tdm.Settings.from_env().get("AUTH_SERVICE_URL") is None


def test_only_its_writer_removes_it(tmp_path: Path) -> None:
    path = tmp_path / ".tdm" / "demo.env"
    write_demo_env(path, {"A_URL": "http://x"}, pid=_dead_pid())
    remove_demo_env(path)
    assert path.exists()
    write_demo_env(path, {"A_URL": "http://x"})
    assert read_demo_env(path) == {"A_URL": "http://x"}
    assert path.stat().st_mode & 0o777 == 0o600
    remove_demo_env(path)
    assert not path.exists()
    with pytest.raises(ValueError, match="as one line"):
        write_demo_env(path, {"A": "two\nlines"})
