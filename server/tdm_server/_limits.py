"""Bounds on what a request may carry: its head, its header values, its JSON's nesting.

- a request's head (request line and headers) over :data:`MAX_HEAD` bytes is answered 431 and
  the connection closed by the server's protocol (:class:`BoundedHttpTools`), before it is
  buffered any further;
- a header value over :data:`MAX_HEADER_VALUE` bytes, or headers over :data:`MAX_HEADERS`
  bytes together, are answered 431 by the access middleware (``_access``);
- a JSON body nesting arrays and objects deeper than :data:`MAX_DEPTH` is answered 422
  (``nested_too_deeply``); bodies over 1 MiB are answered 413 (``_requests.MAX_BODY``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from itertools import accumulate

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from tdm.boundary import HeaderTooLarge, NestedTooDeeply, error_json

__all__ = [
    "MAX_DEPTH",
    "MAX_HEAD",
    "MAX_HEADERS",
    "MAX_HEADER_VALUE",
    "BoundedHttpTools",
    "check_depth",
    "check_headers",
    "json_depth",
    "too_deep",
]

MAX_HEADER_VALUE = 8 * 1024
MAX_HEADERS = 32 * 1024
MAX_HEAD = 64 * 1024
MAX_DEPTH = 64

_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")


def json_depth(raw: bytes) -> int:
    """How deep a JSON text nests arrays and objects (brackets inside strings do not count)."""
    brackets = _STRING.sub(b"", raw).translate(None, _NOT_BRACKETS)
    steps = (1 if b in b"[{" else -1 for b in brackets)
    return max(accumulate(steps), default=0)


def too_deep() -> NestedTooDeeply:
    return NestedTooDeeply(f"the body nests arrays and objects deeper than {MAX_DEPTH} levels")


def check_depth(raw: bytes) -> None:
    """:class:`~tdm.boundary.NestedTooDeeply` when ``raw`` nests deeper than :data:`MAX_DEPTH`."""
    if json_depth(raw) > MAX_DEPTH:
        raise too_deep()


def check_headers(headers: Sequence[tuple[bytes, bytes]]) -> None:
    """:class:`~tdm.boundary.HeaderTooLarge` when a value or all of them are too large."""
    total = 0
    for name, value in headers:
        if len(value) > MAX_HEADER_VALUE:
            shown = name.decode("latin-1")[:100]
            raise HeaderTooLarge(
                f"the header {shown} is {len(value)} bytes long; at most {MAX_HEADER_VALUE} "
                "are accepted"
            )
        total += len(name) + len(value)
    if total > MAX_HEADERS:
        raise HeaderTooLarge(
            f"the headers are {total} bytes together; at most {MAX_HEADERS} are accepted"
        )


def _refusal(message: str) -> bytes:
    body = json.dumps(error_json(HeaderTooLarge(message))).encode()
    head = (
        "HTTP/1.1 431 Request Header Fields Too Large\r\n"
        "content-type: application/json\r\n"
        f"content-length: {len(body)}\r\n"
        "cache-control: no-store\r\n"
        "connection: close\r\n\r\n"
    )
    return head.encode("ascii") + body


class BoundedHttpTools(HttpToolsProtocol):
    """uvicorn's httptools protocol, refusing a request whose head outgrows :data:`MAX_HEAD`
    (the parser would buffer any amount of it).

    What arrives while a head is incomplete counts; a chunk in which a message ended is not
    counted (the end of a body and the start of the next head share it), so a head is bounded
    by :data:`MAX_HEAD` plus one read.
    """

    _head_bytes = 0
    _in_head = True
    _ended = False

    def data_received(self, data: bytes) -> None:
        self._ended = False
        super().data_received(data)
        if not self._in_head or self._ended or self.transport.is_closing():
            return
        self._head_bytes += len(data)
        if self._head_bytes > MAX_HEAD:
            self.transport.write(
                _refusal(f"the request's head is over {MAX_HEAD} bytes; at most that is accepted")
            )
            self.transport.close()

    def on_headers_complete(self) -> None:
        self._in_head, self._head_bytes = False, 0
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._in_head, self._ended = True, True
