"""A second, small system of a different shape than the shop, and its tdm kinds.

The "library" keeps authors and books in SQLite behind a Starlette API: ids are UUID strings
chosen by the server, an API key header instead of tokens, books refer to authors, deleting an
author who still has books answers 409, and a deleted thing answers 410 Gone (not 404).
Its tdm kinds below use nothing but tdm's public API, as any team's own code would.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Annotated, Any, Literal

import attrs
import httpx2
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

import tdm

API_KEY = "library-key"


class LibraryDB:
    """The library's storage; tests read it directly to check outcomes in the system itself."""

    def __init__(self, path: str) -> None:
        self.conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self.conn.execute("PRAGMA foreign_keys=ON")
        self.conn.executescript(
            """
            CREATE TABLE IF NOT EXISTS authors (id TEXT PRIMARY KEY, name TEXT UNIQUE NOT NULL);
            CREATE TABLE IF NOT EXISTS books (
                id TEXT PRIMARY KEY, isbn TEXT UNIQUE NOT NULL, title TEXT NOT NULL,
                author_id TEXT NOT NULL REFERENCES authors(id));
            CREATE TABLE IF NOT EXISTS tombstones (id TEXT PRIMARY KEY);
            """
        )
        self.fail_deletes: set[str] = set()

    def count(self, table: str) -> int:
        assert table in {"authors", "books"}
        return int(self.conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])  # noqa: S608

    def exists(self, table: str, entity_id: str) -> bool:
        assert table in {"authors", "books"}
        sql = f"SELECT 1 FROM {table} WHERE id=?"  # noqa: S608
        return self.conn.execute(sql, (entity_id,)).fetchone() is not None


def create_library_app(db: LibraryDB) -> Starlette:
    def authorised(request: Request) -> bool:
        return request.headers.get("x-api-key") == API_KEY

    async def add_author(request: Request) -> Response:
        if not authorised(request):
            return JSONResponse({"message": "bad key"}, 401)
        body = await request.json()
        new_id = str(uuid.uuid4())
        try:
            db.conn.execute("INSERT INTO authors VALUES (?, ?)", (new_id, body["name"]))
        except sqlite3.IntegrityError:
            return JSONResponse({"message": "name taken"}, 409)
        return JSONResponse({"uuid": new_id, "name": body["name"]}, 201)

    async def add_book(request: Request) -> Response:
        if not authorised(request):
            return JSONResponse({"message": "bad key"}, 401)
        body = await request.json()
        new_id = str(uuid.uuid4())
        try:
            db.conn.execute(
                "INSERT INTO books VALUES (?, ?, ?, ?)",
                (new_id, body["isbn"], body["title"], body["authorUuid"]),
            )
        except sqlite3.IntegrityError:
            return JSONResponse({"message": "isbn taken or no such author"}, 409)
        return JSONResponse({"uuid": new_id, **body}, 201)

    async def find_books(request: Request) -> Response:
        rows = db.conn.execute(
            "SELECT id FROM books WHERE isbn=?", (request.query_params.get("isbn"),)
        ).fetchall()
        return JSONResponse({"results": [{"uuid": r[0]} for r in rows]})

    async def remove(request: Request) -> Response:
        if not authorised(request):
            return JSONResponse({"message": "bad key"}, 401)
        table = request.path_params["table"]
        entity_id = request.path_params["entity_id"]
        if entity_id in db.fail_deletes:
            return JSONResponse({"message": "storage is read-only"}, 400)
        if db.conn.execute("SELECT 1 FROM tombstones WHERE id=?", (entity_id,)).fetchone():
            return JSONResponse({"message": "gone"}, 410)
        try:
            sql = f"DELETE FROM {table} WHERE id=?"  # noqa: S608 - table comes from the route
            deleted = db.conn.execute(sql, (entity_id,)).rowcount
        except sqlite3.IntegrityError:
            return JSONResponse({"message": "author still has books"}, 409)
        if not deleted:
            return JSONResponse({"message": "unknown"}, 404)
        db.conn.execute("INSERT INTO tombstones VALUES (?)", (entity_id,))
        return JSONResponse({"deleted": entity_id})

    return Starlette(
        routes=[
            Route("/authors", add_author, methods=["POST"]),
            Route("/books", add_book, methods=["POST"]),
            Route("/books", find_books, methods=["GET"]),
            Route("/{table:str}/{entity_id:str}", remove, methods=["DELETE"]),
        ]
    )


# -- the library's tdm definitions, through the public API only -------------------------------


@attrs.frozen
class AuthorSpec:
    name: str


@attrs.frozen
class Author:
    uuid: str
    name: str


@attrs.frozen
class BookSpec:
    title: str
    isbn: str
    author_uuid: str | None = None


@attrs.frozen
class Book:
    uuid: str
    title: str
    isbn: str
    author_uuid: str


def make_registry(app: Starlette) -> tdm.Registry:
    """The library's registry; its target talks to ``app`` in process over ASGI."""
    registry = tdm.Registry("library")

    @registry.target("library")
    @asynccontextmanager
    async def library_client(settings: tdm.Settings) -> AsyncIterator[tdm.HttpService]:
        transport = httpx2.ASGITransport(app=app)
        headers = {"x-api-key": settings.get("LIBRARY_API_KEY", API_KEY)}
        async with httpx2.AsyncClient(
            transport=transport, base_url="http://library", headers=headers
        ) as client:
            yield tdm.HttpService("library", client, retries=settings.http_retries)

    async def delete(client: tdm.HttpService, table: str, record: tdm.TrackingRecord) -> bool:
        path = f"/{table}/{record.entity_id}"
        response = await client.request("DELETE", path, expect=(200, 404, 410))
        return response.status_code == 200

    @registry.kind
    class Authors(tdm.Kind[tdm.HttpService, AuthorSpec, Author]):
        name, plural, target, spec = "author", "authors", "library", AuthorSpec

        def build(self, gen: tdm.DataGen) -> AuthorSpec:
            return AuthorSpec(name=gen.unique(gen.faker.name()))

        async def create(self, client: tdm.HttpService, spec: AuthorSpec) -> Author:
            body = (await client.request("POST", "/authors", json={"name": spec.name})).json()
            return Author(uuid=body["uuid"], name=body["name"])

        def entity_id(self, entity: Author) -> str:
            return entity.uuid

        def label(self, entity: Author) -> str:
            return entity.name

        async def delete(self, client: tdm.HttpService, record: tdm.TrackingRecord) -> bool:
            return await delete(client, "authors", record)

    @registry.kind
    class Books(tdm.Kind[tdm.HttpService, BookSpec, Book]):
        name, plural, target, spec = "book", "books", "library", BookSpec

        def build(self, gen: tdm.DataGen) -> BookSpec:
            return BookSpec(
                title=gen.faker.catch_phrase(), isbn=gen.unique(gen.faker.isbn13(), sep=":")
            )

        async def prepare(self, session: tdm.Session, spec: BookSpec) -> BookSpec:
            if spec.author_uuid is not None:
                return spec
            author = await session.create("author")
            return attrs.evolve(spec, author_uuid=author.uuid)

        def lookup(self, spec: BookSpec) -> Mapping[str, Any]:
            return {"isbn": spec.isbn}

        def refs(self, spec: BookSpec) -> list[tdm.Ref]:
            return [("author", spec.author_uuid)] if spec.author_uuid else []

        async def create(self, client: tdm.HttpService, spec: BookSpec) -> Book:
            payload = {"title": spec.title, "isbn": spec.isbn, "authorUuid": spec.author_uuid}
            body = (await client.request("POST", "/books", json=payload)).json()
            return Book(body["uuid"], body["title"], body["isbn"], body["authorUuid"])

        def entity_id(self, entity: Book) -> str:
            return entity.uuid

        def label(self, entity: Book) -> str:
            return entity.isbn

        async def delete(self, client: tdm.HttpService, record: tdm.TrackingRecord) -> bool:
            return await delete(client, "books", record)

        async def find(self, client: tdm.HttpService, lookup: Mapping[str, Any]) -> list[str]:
            found = await client.request("GET", "/books", params={"isbn": lookup["isbn"]})
            return [row["uuid"] for row in found.json()["results"]]

    return registry


def add_scenarios(registry: tdm.Registry) -> None:
    """The library's scenarios (registered per registry so every test gets fresh ones)."""

    @registry.scenario
    async def author_with_books(
        s: tdm.Session,
        book_count: Annotated[int, tdm.Field(ge=1, le=5, description="How many books")] = 2,
        shelf: Literal["fiction", "poetry"] = "fiction",
        note: str | None = None,
    ) -> dict[str, Any]:
        """An author with a few books."""
        author = await s.create("author")
        books = await s.create_many("book", book_count, author_uuid=author.uuid)
        return {"author": author, "books": books, "shelf": shelf, "note": note}

    @registry.scenario
    async def half_built(s: tdm.Session, fail_at: Literal["create", "after"] = "create") -> None:
        """Creates an author and a book, then fails."""
        author = await s.create("author")
        await s.create("book", author_uuid=author.uuid)
        if fail_at == "create":
            await s.create("book", author_uuid="no-such-author")
        raise RuntimeError("the scenario's own code failed")

    @registry.scenario
    async def nested(s: tdm.Session) -> dict[str, Any]:
        """Runs another scenario inside."""
        inner = await s.run("author-with-books", book_count=1)
        extra = await s.create("author")
        return {"inner": inner, "extra": extra}
