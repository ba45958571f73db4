"""A newcomer's first hour, as real processes: ``tdm serve --demo`` in one terminal; in
another, in the same project and with nothing exported, ``tdm run`` and a pytest file using
the plugin reach the shop it started. A shop that cannot be reached is named with the setting
(and the file) that pointed there."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import httpx2

from tdm.boundary import write_demo_env

from .serve_process import run_tdm, serving

SHOP_SETTINGS = ("AUTH_SERVICE_URL", "BACKEND_URL", "AUTH_DB_URL", "BACKEND_DB_URL",
                 "TEST_DATA_MANAGER_URL", "PORT")  # fmt: skip
ADMIN = {"email": "admin@shop.test", "password": "Admin-Passw0rd"}

PYTEST_FILE = """
import json
import os
from pathlib import Path

import httpx2


async def test_a_user_with_orders(tdm_session):
    assert "BACKEND_URL" not in os.environ  # nothing was exported
    data = await tdm_session.run("user-with-orders", order_count=2)
    auth = tdm_session.manager.settings.get("AUTH_SERVICE_URL")
    backend = tdm_session.manager.settings.get("BACKEND_URL")
    login = {"email": data.user.email, "password": data.user.password}
    token = httpx2.post(f"{auth}/auth/login", json=login).json()["accessToken"]
    mine = httpx2.get(f"{backend}/api/orders", headers={"Authorization": f"Bearer {token}"})
    assert len(mine.json()["items"]) == 2
    Path("seen.json").write_text(json.dumps({"backend": backend, "email": data.user.email}))
"""


def terminal() -> dict[str, str]:
    """A fresh terminal's environment: no tdm or shop setting at all."""
    return {k: v for k, v in os.environ.items()
            if k not in SHOP_SETTINGS and not k.startswith(("TDM_", "SUT_"))}  # fmt: skip


def _users(auth: str) -> list[str]:
    token = httpx2.post(f"{auth}/auth/login", json=ADMIN, trust_env=False).json()["accessToken"]
    listed = httpx2.get(f"{auth}/auth/users", params={"limit": 100},
                        headers={"Authorization": f"Bearer {token}"}, trust_env=False)  # fmt: skip
    return [u["email"] for u in listed.json()["items"]]


def test_a_second_terminal_needs_no_exports(tmp_path: Path) -> None:
    project = tmp_path / "shop-tests"
    (project / "tests").mkdir(parents=True)
    (project / "pyproject.toml").write_text("[project]\nname = 'shop-tests'\n")
    (project / "pytest.ini").write_text("[pytest]\nasyncio_mode = auto\n")
    (project / "tests" / "test_first.py").write_text(PYTEST_FILE)
    # Free ports stand in for the design's 8000 and 8001, which another run may hold.
    first = {**terminal(), "SUT_AUTH_PORT": "0", "SUT_BACKEND_PORT": "0"}
    with serving(["--demo", "--port", "0"], first, project, until="Stop with Ctrl-C") as served:
        auth = served.urls["Auth Service (demo shop)"]
        backend = served.urls["Backend (demo shop)"]
        settings_file = project / ".tdm" / "demo.env"
        assert f"(through {settings_file})" in "".join(served.printed)
        assert settings_file.stat().st_mode & 0o077 == 0, "only its owner reads it"

        ran = run_tdm("run", "user-with-orders", "--order-count", "2", "--json",
                      env=terminal(), cwd=project / "tests")  # fmt: skip
        assert ran.returncode == 0, ran.stderr
        made = json.loads(ran.stdout)
        assert made["data"]["user"]["email"] in _users(auth)

        tested = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
            env=terminal(), cwd=project, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        assert tested.returncode == 0, tested.stdout + tested.stderr
        seen = json.loads((project / "seen.json").read_text())
        assert seen["backend"] == backend
        assert seen["email"] not in _users(auth), "the test's data was removed after it"

        cleaned = run_tdm("cleanup", "--run", made["runId"], env=terminal(), cwd=project)
        assert cleaned.returncode == 0, cleaned.stderr
        assert made["data"]["user"]["email"] not in _users(auth)
    assert not settings_file.exists(), "the settings go when the demo stops"


def test_an_unreachable_shop_names_the_setting_and_its_file(tmp_path: Path) -> None:
    """Settings from a running demo's file are named with the file: the error says which URL
    failed, why, and where that URL came from."""
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'p'\n")
    closed = "http://127.0.0.1:9"  # the discard port: nothing listens there
    settings_file = tmp_path / ".tdm" / "demo.env"
    # Written for this process, which is alive: the file counts.
    write_demo_env(settings_file, {"AUTH_SERVICE_URL": closed, "BACKEND_URL": closed})
    ran = run_tdm("run", "user-with-orders", env=terminal(), cwd=tmp_path)
    assert ran.returncode == 1
    # The user and its products are made at once: whichever request failed first is named.
    source = re.escape(f"in {settings_file})")
    named = rf"(POST|GET) {closed}/\S+ \(from (AUTH_SERVICE_URL|BACKEND_URL) {source}"
    assert re.search(named, ran.stderr), ran.stderr
    assert "the connection was refused" in ran.stderr
    assert "Error(" not in ran.stderr
