"""What the Backend's lifespan opens, and how handlers reach it."""

from __future__ import annotations

import attrs
import httpx2
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import Request

from tdm_sut._settings import ShopSettings


@attrs.frozen
class BackendState:
    settings: ShopSettings
    engine: AsyncEngine
    auth_client: httpx2.AsyncClient
    """Reaches the Auth Service for the login page; tests may inject an in-process one."""


def state_of(request: Request) -> BackendState:
    state = request.app.state.backend
    assert isinstance(state, BackendState)
    return state


def engine_of(request: Request) -> AsyncEngine:
    return state_of(request).engine
