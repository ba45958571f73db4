"""The stockroom: a small e-commerce system of another team, shaped unlike the reference shop.

Categories, products and orders with order lines, in SQLite behind a Starlette API with a token
header. Products live under their category (deleting one needs both ids); order lines go with
their order and cannot be deleted on their own (405); a category with products answers 409.
Tests read the database directly to check outcomes in the system itself.
"""

from __future__ import annotations

import sqlite3
import threading
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

TOKEN = "stockroom-key"


class StockroomDB:
    def __init__(self, path: str) -> None:
        self.conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self.lock = threading.Lock()
        self.conn.execute("PRAGMA foreign_keys=ON")
        self.conn.executescript(
            """
            CREATE TABLE IF NOT EXISTS categories (
                id INTEGER PRIMARY KEY, slug TEXT UNIQUE NOT NULL, title TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS products (
                id INTEGER PRIMARY KEY, code TEXT UNIQUE NOT NULL, title TEXT NOT NULL,
                price_cents INTEGER NOT NULL,
                category_id INTEGER NOT NULL REFERENCES categories(id));
            CREATE TABLE IF NOT EXISTS orders (id INTEGER PRIMARY KEY, reference TEXT UNIQUE);
            CREATE TABLE IF NOT EXISTS lines (
                id INTEGER PRIMARY KEY,
                order_id INTEGER NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
                product_id INTEGER NOT NULL REFERENCES products(id), qty INTEGER NOT NULL);
            """
        )

    def rows(self, sql: str, *args: Any) -> list[dict[str, Any]]:
        with self.lock:
            cursor = self.conn.execute(sql, args)
            names = [d[0] for d in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def count(self, table: str) -> int:
        assert table in {"categories", "products", "orders", "lines"}
        return int(self.rows(f"SELECT COUNT(*) AS n FROM {table}")[0]["n"])  # noqa: S608

    def insert(self, sql: str, *args: Any) -> int:
        """Run an INSERT; the new row's id."""
        with self.lock:
            return int(self.conn.execute(sql, args).lastrowid or 0)

    def execute(self, sql: str, *args: Any) -> int:
        """Run a statement; how many rows it changed."""
        with self.lock:
            return int(self.conn.execute(sql, args).rowcount)


def create_stockroom_app(db: StockroomDB) -> Starlette:
    def allowed(request: Request) -> bool:
        return request.headers.get("authorization") == f"Token {TOKEN}"

    def refused() -> Response:
        return JSONResponse({"problem": "missing or wrong token"}, 401)

    def conflict(message: str) -> Response:
        return JSONResponse({"problem": message}, 409)

    async def categories(request: Request) -> Response:
        if not allowed(request):
            return refused()
        if request.method == "GET":
            slug = request.query_params.get("slug")
            found = db.rows("SELECT * FROM categories WHERE slug = ?", slug) if slug else []
            return JSONResponse({"data": found})
        body = await request.json()
        try:
            new = db.insert("INSERT INTO categories (slug, title) VALUES (?, ?)",
                             body["slug"], body["title"])  # fmt: skip
        except sqlite3.IntegrityError:
            return conflict("slug taken")
        return JSONResponse(db.rows("SELECT * FROM categories WHERE id = ?", new)[0], 201)

    async def category(request: Request) -> Response:
        if not allowed(request):
            return refused()
        cid = int(request.path_params["cid"])
        try:
            gone = db.execute("DELETE FROM categories WHERE id = ?", cid)
        except sqlite3.IntegrityError:
            return conflict("the category still has products")
        return Response(status_code=204 if gone else 404)

    async def products(request: Request) -> Response:
        if not allowed(request):
            return refused()
        if request.method == "GET":
            code = request.query_params.get("code")
            found = db.rows("SELECT * FROM products WHERE code = ?", code) if code else []
            return JSONResponse({"data": found})
        body = await request.json()
        cid = int(request.path_params["cid"])
        try:
            new = db.insert(
                "INSERT INTO products (code, title, price_cents, category_id) VALUES (?, ?, ?, ?)",
                body["code"], body["title"], body["price_cents"], cid,
            )  # fmt: skip
        except sqlite3.IntegrityError:
            return conflict("code taken, or no such category")
        return JSONResponse(db.rows("SELECT * FROM products WHERE id = ?", new)[0], 201)

    async def product(request: Request) -> Response:
        if not allowed(request):
            return refused()
        cid, pid = int(request.path_params["cid"]), int(request.path_params["pid"])
        try:
            gone = db.execute("DELETE FROM products WHERE id = ? AND category_id = ?", pid, cid)
        except sqlite3.IntegrityError:
            return conflict("the product is on orders")
        return Response(status_code=204 if gone else 404)

    def order_json(oid: int) -> dict[str, Any]:
        (order,) = db.rows("SELECT * FROM orders WHERE id = ?", oid)
        return {**order, "lines": db.rows("SELECT * FROM lines WHERE order_id = ?", oid)}

    async def orders(request: Request) -> Response:
        if not allowed(request):
            return refused()
        if request.method == "GET":
            ref = request.query_params.get("reference")
            found = db.rows("SELECT id FROM orders WHERE reference = ?", ref) if ref else []
            return JSONResponse({"data": [order_json(o["id"]) for o in found]})
        body = await request.json()
        try:
            oid = db.insert("INSERT INTO orders (reference) VALUES (?)", body["reference"])
            for line in body["lines"]:
                db.insert("INSERT INTO lines (order_id, product_id, qty) VALUES (?, ?, ?)",
                          oid, line["product_id"], line["qty"])  # fmt: skip
        except sqlite3.IntegrityError:
            return conflict("reference taken, or no such product")
        return JSONResponse(order_json(oid), 201)

    async def order(request: Request) -> Response:
        if not allowed(request):
            return refused()
        gone = db.execute("DELETE FROM orders WHERE id = ?", int(request.path_params["oid"]))
        return Response(status_code=204 if gone else 404)

    async def lines(request: Request) -> Response:
        if not allowed(request):
            return refused()
        oid = int(request.path_params["oid"])
        if request.method == "GET":
            return JSONResponse({"data": db.rows("SELECT * FROM lines WHERE order_id = ?", oid)})
        body = await request.json()
        try:
            new = db.insert("INSERT INTO lines (order_id, product_id, qty) VALUES (?, ?, ?)",
                             oid, body["product_id"], body["qty"])  # fmt: skip
        except sqlite3.IntegrityError:
            return conflict("no such order or product")
        return JSONResponse(db.rows("SELECT * FROM lines WHERE id = ?", new)[0], 201)

    async def line(request: Request) -> Response:
        return JSONResponse({"problem": "order lines go with their order"}, 405)

    async def health(request: Request) -> Response:
        return JSONResponse({"ok": True})

    return Starlette(
        routes=[
            Route("/health", health),
            Route("/categories", categories, methods=["GET", "POST"]),
            Route("/categories/{cid:int}", category, methods=["DELETE"]),
            Route("/categories/{cid:int}/products", products, methods=["POST"]),
            Route("/categories/{cid:int}/products/{pid:int}", product, methods=["DELETE"]),
            Route("/products", products, methods=["GET"]),
            Route("/orders", orders, methods=["GET", "POST"]),
            Route("/orders/{oid:int}", order, methods=["DELETE"]),
            Route("/orders/{oid:int}/lines", lines, methods=["GET", "POST"]),
            Route("/orders/{oid:int}/lines/{lid:int}", line, methods=["DELETE"]),
        ]
    )
