"""The shop's demo takes the design's ports when they are free and says so when it cannot."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx2

import tdm
from tdm_scenarios._demo import DESIGN_PORTS, shop_demo


@contextmanager
def occupied() -> Iterator[int]:
    """A port something listens on for the block."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _port(url: str) -> int:
    return int(url.rsplit(":", 1)[1])


def test_the_design_ports_are_the_preference() -> None:
    assert DESIGN_PORTS == {"auth": 8001, "backend": 8000}


async def test_a_free_preferred_port_is_used_a_taken_one_is_not(tmp_path: Path) -> None:
    with occupied() as taken:
        wanted = free_port()
        preferred = {"auth": taken, "backend": wanted}
        async with shop_demo(tdm.Settings(env={}), tmp_path, preferred=preferred) as demo:
            auth, backend = demo.env["AUTH_SERVICE_URL"], demo.env["BACKEND_URL"]
            assert _port(backend) == wanted
            assert _port(auth) not in (taken, 0)
            async with httpx2.AsyncClient(trust_env=False) as http:
                assert (await http.get(f"{auth}/auth/health")).status_code == 200
            moved = [n for n in demo.notes if n.startswith("Port ")]
            assert moved == [
                f"Port {taken} (the design's Auth Service port) is in use, so the Auth Service "
                f"listens on {auth} instead (SUT_AUTH_PORT chooses a port)."
            ]


async def test_a_port_setting_wins(tmp_path: Path) -> None:
    """SUT_AUTH_PORT and SUT_BACKEND_PORT choose (0: a free port), whatever is preferred."""
    wanted = free_port()
    settings = tdm.Settings(env={"SUT_AUTH_PORT": str(wanted), "SUT_BACKEND_PORT": "0"})
    with occupied() as taken:
        preferred = {"auth": taken, "backend": taken}
        async with shop_demo(settings, tmp_path, preferred=preferred) as demo:
            assert _port(demo.env["AUTH_SERVICE_URL"]) == wanted
            assert _port(demo.env["BACKEND_URL"]) != taken
            assert not [n for n in demo.notes if n.startswith("Port ")]
