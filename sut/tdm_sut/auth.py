"""The Auth Service: users, passwords and the tokens the Backend trusts."""

from __future__ import annotations

import contextlib
import functools
import logging
from collections.abc import AsyncIterator
from typing import Any

import anyio.to_thread
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tdm_sut import _db, _tokens
from tdm_sut._errors import EXCEPTION_HANDLERS, Conflict, NotFound, Unauthorized
from tdm_sut._http import (
    authenticate,
    authenticate_admin,
    created,
    listing,
    no_content,
    page_of,
    path_id,
    query_text,
    read_object,
    settings_of,
)
from tdm_sut._passwords import hash_password, verify_password
from tdm_sut._settings import ShopSettings
from tdm_sut._validation import Boolean, Email, Field, Password, Text

__all__ = ["create_app", "metadata", "users"]

logger = logging.getLogger("tdm_sut.auth")

metadata = sa.MetaData()
users = sa.Table(
    "users",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("email", sa.String(254), nullable=False),
    sa.Column("password_hash", sa.String(255), nullable=False),
    sa.Column("full_name", sa.String(200), nullable=False),
    sa.Column("is_admin", sa.Boolean, nullable=False, default=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint("email", name="uq_users_email"),
    sqlite_autoincrement=True,
)

_NEW_USER = (
    Field("email", Email()),
    Field("password", Password()),
    Field("fullName", Text(1, 200)),
)
_ADMIN_NEW_USER = (*_NEW_USER, Field("isAdmin", Boolean(), required=False))
_USER_CHANGES = (
    Field("password", Password(), required=False),
    Field("fullName", Text(1, 200), required=False),
    Field("isAdmin", Boolean(), required=False),
)
_CREDENTIALS = (
    Field("email", Text(1, 254)),
    Field("password", Text(1, 128, strip=False)),
)


def _engine(request: Request) -> AsyncEngine:
    engine = request.app.state.engine
    assert isinstance(engine, AsyncEngine)
    return engine


def _user_json(row: sa.Row[Any]) -> dict[str, Any]:
    return {
        "id": row.id,
        "email": row.email,
        "fullName": row.full_name,
        "isAdmin": row.is_admin,
        "createdAt": _db.iso(row.created_at),
    }


async def _user_by_email(connection: AsyncConnection, email: str) -> sa.Row[Any] | None:
    result = await connection.execute(sa.select(users).where(users.c.email == email.lower()))
    return result.first()


async def _insert_user(
    engine: AsyncEngine, settings: ShopSettings, body: dict[str, Any]
) -> dict[str, Any]:
    email = body["email"]
    async with engine.connect() as connection:
        if await _user_by_email(connection, email) is not None:
            raise Conflict(f"a user with email {email} already exists")
    password_hash = await anyio.to_thread.run_sync(
        functools.partial(hash_password, body["password"], cost=settings.scrypt_n)
    )
    values = {
        "email": email,
        "password_hash": password_hash,
        "full_name": body["fullName"],
        "is_admin": body.get("isAdmin", False),
        "created_at": _db.utc_now(),
    }
    try:
        async with engine.begin() as connection:
            result = await connection.execute(users.insert().values(values).returning(users))
            return _user_json(result.one())
    except sa.exc.IntegrityError:
        raise Conflict(f"a user with email {email} already exists") from None


async def register(request: Request) -> Response:
    body = await read_object(request, _NEW_USER)
    return created(await _insert_user(_engine(request), settings_of(request), body))


async def login(request: Request) -> Response:
    body = await read_object(request, _CREDENTIALS)
    settings = settings_of(request)
    async with _engine(request).connect() as connection:
        user = await _user_by_email(connection, body["email"])
    if user is None:  # spend the same time as for a wrong password
        await anyio.to_thread.run_sync(
            functools.partial(hash_password, body["password"], cost=settings.scrypt_n)
        )
        raise Unauthorized("wrong email or password")
    matches = await anyio.to_thread.run_sync(verify_password, body["password"], user.password_hash)
    if not matches:
        raise Unauthorized("wrong email or password")
    token = _tokens.issue(
        user_id=user.id,
        email=user.email,
        is_admin=user.is_admin,
        secret=settings.secret,
        ttl=settings.token_ttl,
    )
    return JSONResponse(
        {"accessToken": token, "tokenType": "bearer", "expiresIn": settings.token_ttl}
    )


async def me(request: Request) -> Response:
    claims = authenticate(request)
    async with _engine(request).connect() as connection:
        result = await connection.execute(sa.select(users).where(users.c.id == claims.user_id))
        user = result.first()
    if user is None:
        raise Unauthorized("the token's user no longer exists")
    return JSONResponse(_user_json(user))


async def list_users(request: Request) -> Response:
    authenticate_admin(request)
    page = page_of(request)
    email = query_text(request, "email", max_length=254)
    condition = sa.true() if email is None else users.c.email == email.lower()
    async with _engine(request).connect() as connection:
        total = await connection.scalar(
            sa.select(sa.func.count()).select_from(users).where(condition)
        )
        result = await connection.execute(
            sa.select(users)
            .where(condition)
            .order_by(users.c.id)
            .limit(page.limit)
            .offset(page.offset)
        )
        items = [_user_json(row) for row in result]
    return listing(items, total or 0, page)


async def create_user(request: Request) -> Response:
    authenticate_admin(request)
    body = await read_object(request, _ADMIN_NEW_USER)
    return created(await _insert_user(_engine(request), settings_of(request), body))


async def update_user(request: Request) -> Response:
    """An admin resets a user in place: password, full name, admin flag (each optional)."""
    authenticate_admin(request)
    user_id = path_id(request, "user")
    body = await read_object(request, _USER_CHANGES)
    values: dict[str, Any] = {}
    if "password" in body:
        cost = settings_of(request).scrypt_n
        values["password_hash"] = await anyio.to_thread.run_sync(
            functools.partial(hash_password, body["password"], cost=cost)
        )
    if "fullName" in body:
        values["full_name"] = body["fullName"]
    if "isAdmin" in body:
        values["is_admin"] = body["isAdmin"]
    async with _engine(request).begin() as connection:
        if values:
            await connection.execute(users.update().where(users.c.id == user_id).values(**values))
        user = (await connection.execute(sa.select(users).where(users.c.id == user_id))).first()
    if user is None:
        raise NotFound(f"there is no user {user_id}")
    return JSONResponse(_user_json(user))


async def delete_user(request: Request) -> Response:
    authenticate_admin(request)
    user_id = path_id(request, "user")
    async with _engine(request).begin() as connection:
        result = await connection.execute(users.delete().where(users.c.id == user_id))
    if result.rowcount == 0:
        raise NotFound(f"there is no user {user_id}")
    return no_content()


async def health(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def ensure_admin(engine: AsyncEngine, settings: ShopSettings) -> None:
    """Create the bootstrap admin unless a user with its email exists."""
    async with engine.connect() as connection:
        if await _user_by_email(connection, settings.admin_email) is not None:
            return
    body = {
        "email": settings.admin_email.lower(),
        "password": settings.admin_password,
        "fullName": "Shop Admin",
        "isAdmin": True,
    }
    with contextlib.suppress(Conflict):  # another process created it meanwhile
        await _insert_user(engine, settings, body)
        logger.info("created the bootstrap admin %s", body["email"])


def create_app(settings: ShopSettings) -> Starlette:
    """The Auth Service; its lifespan opens the database and creates schema and admin."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        engine = _db.create_engine(settings.auth_db_url)
        try:
            await _db.create_schema(engine, metadata)
            await ensure_admin(engine, settings)
            app.state.engine = engine
            yield
        finally:
            await engine.dispose()

    routes = [
        Route("/auth/health", health, methods=["GET"]),
        Route("/auth/register", register, methods=["POST"]),
        Route("/auth/login", login, methods=["POST"]),
        Route("/auth/me", me, methods=["GET"]),
        Route("/auth/users", list_users, methods=["GET"]),
        Route("/auth/users", create_user, methods=["POST"]),
        Route("/auth/users/{id:int}", update_user, methods=["PATCH"]),
        Route("/auth/users/{id:int}", delete_user, methods=["DELETE"]),
    ]
    app = Starlette(routes=routes, exception_handlers=EXCEPTION_HANDLERS, lifespan=lifespan)
    app.state.settings = settings
    return app
