"""One ledger wherever you stand: every surface finds the project's ``.tdm/ledger.sqlite3``
from any of its folders, so a cleanup in a subfolder removes what ``tdm serve`` made at the
root."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx2

from tdm.boundary import default_ledger_path, project_dir

from ..support import lines_until_blank, listening

TDM = str(Path(sys.executable).parent / "tdm")


def test_the_project_is_found_from_any_folder(tmp_path: Path) -> None:
    """The nearest .tdm/ above wins; else the nearest project root; else where one stands."""
    root = tmp_path / "project"
    deep = root / "tests" / "e2e"
    deep.mkdir(parents=True)
    assert project_dir(deep) == deep  # nothing marks a project yet
    (root / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    assert project_dir(deep) == root
    assert default_ledger_path(deep) == root / ".tdm" / "ledger.sqlite3"
    (root / "tests" / ".tdm").mkdir()
    assert project_dir(deep) == root / "tests"


def test_cleanup_in_a_subfolder_finds_what_serve_made_at_the_root(tmp_path: Path) -> None:
    """``tdm serve --demo`` at the project root, ``tdm cleanup --run`` in a subfolder: same
    ledger (neither is told where it is), and the data is gone from the shop."""
    root = tmp_path / "project"
    sub = root / "tests" / "browser"
    sub.mkdir(parents=True)
    (root / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    env = {k: v for k, v in os.environ.items()
           if k not in ("TDM_LEDGER", "AUTH_SERVICE_URL", "BACKEND_URL", "AUTH_DB_URL",
                        "BACKEND_DB_URL", "SUT_DATA_DIR", "PORT")}  # fmt: skip
    with subprocess.Popen(
        [TDM, "serve", "--demo", "--port", "0"], env=env, cwd=root, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
    ) as server:  # fmt: skip
        try:
            printed = lines_until_blank(server)
            api = listening(printed, "tdm API")
            auth = listening(printed, "Auth Service (demo shop)")
            made = httpx2.post(f"{api}/api/users", json={"count": 2}, trust_env=False,
                               headers={"X-TDM-Run-Id": "made-at-the-root"})  # fmt: skip
            assert made.status_code == 201, made.text
            emails = [u["email"] for u in made.json()["users"]]
            health = httpx2.get(f"{api}/api/health", trust_env=False).json()
            assert health["ledger"] == str(root / ".tdm" / "ledger.sqlite3")
            shop = {**env, "AUTH_SERVICE_URL": auth,
                    "BACKEND_URL": listening(printed, "Backend (demo shop)")}  # fmt: skip
            cleaned = subprocess.run(
                [TDM, "cleanup", "--run", "made-at-the-root"], env=shop, cwd=sub,
                capture_output=True, text=True, timeout=60,
            )  # fmt: skip
            assert cleaned.returncode == 0, cleaned.stderr
            assert "removed 2 users" in cleaned.stdout
            assert f"ledger: {root / '.tdm' / 'ledger.sqlite3'}" in cleaned.stdout
            token = httpx2.post(
                f"{auth}/auth/login",
                trust_env=False,
                json={"email": "admin@shop.test", "password": "Admin-Passw0rd"},
            ).json()["accessToken"]
            for email in emails:
                found = httpx2.get(
                    f"{auth}/auth/users",
                    params={"email": email},
                    headers={"Authorization": f"Bearer {token}"},
                    trust_env=False,
                )
                assert found.json()["items"] == []
        finally:
            server.send_signal(signal.SIGINT)
            server.wait(timeout=30)
    assert (root / ".tdm" / "demo").is_dir()
