"""Who may use the HTTP API and ``/mcp``, and from where: one middleware in front of both.

In order, each refusal a tdm error with the JSON error shape:

1. headers over the limits (``_limits``): 431 ``header_too_large``;
2. a ``Host`` that is not a loopback name, an IP address or listed in ``TDM_ALLOWED_HOSTS``
   (``TDM_MCP_ALLOWED_HOSTS`` is read too): 421 ``misdirected_request``. DNS rebinding needs a
   name the attacker controls, so IP addresses are safe to answer;
3. an ``Origin`` that is neither the server's own nor listed in ``TDM_ALLOWED_ORIGINS``: 403
   ``forbidden``. Listed origins get CORS answers (preflights included);
4. with ``TDM_API_TOKEN`` set (several tokens, comma separated, for rotation): a request other
   than ``/api/health`` without ``Authorization: Bearer <token>``: 401 ``unauthorized``;
5. a request with an ``Origin`` (a browser's) whose body is not ``application/json``: 415.
   Requests without one (curl, scripts, tdm's clients) may send JSON under another type.

Every answer carries ``Cache-Control: no-store``. ``/mcp`` bodies are read here, bounded like
the API's (413) and checked for their nesting (422), then handed on.
"""

from __future__ import annotations

import fnmatch
import hmac
import ipaddress
from collections.abc import Sequence

import attrs
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

import tdm
from tdm.boundary import (
    Forbidden,
    MisdirectedRequest,
    RequestRefused,
    Unauthorized,
    UnsupportedMediaType,
)

from ._errors import error_response
from ._limits import check_depth, check_headers
from ._requests import read_bytes

__all__ = ["TOKEN_SETTING", "Access", "AccessMiddleware"]

TOKEN_SETTING = "TDM_API_TOKEN"  # noqa: S105 -- the setting's name, not a token
HOSTS_SETTING = "TDM_ALLOWED_HOSTS"
HOSTS_ALIAS = "TDM_MCP_ALLOWED_HOSTS"
ORIGINS_SETTING = "TDM_ALLOWED_ORIGINS"
MIN_TOKEN = 16
OPEN_PATHS = frozenset({"/api/health"})
"""What answers without a token: the health a CI job waits for."""

_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
_CORS_HEADERS = (
    "Authorization, Content-Type, Accept, X-TDM-Run-Id, X-TDM-Test-Id, X-TDM-Seed, "
    "Mcp-Session-Id, Mcp-Protocol-Version, Last-Event-ID"
)


def _names(raw: str | None) -> tuple[str, ...]:
    return tuple(n.strip() for n in (raw or "").split(",") if n.strip())


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def _split_host(host: str) -> str:
    """The name of a ``Host`` value, without its port or brackets, lower case."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1:].partition("]")[0]
    return host.rpartition(":")[0] if host.count(":") == 1 else host


@attrs.frozen
class Access:
    """The access settings: tokens, extra hosts, extra origins."""

    tokens: tuple[str, ...] = ()
    hosts: tuple[str, ...] = ()
    origins: tuple[str, ...] = ()

    @classmethod
    def from_settings(cls, settings: tdm.Settings) -> Access:
        tokens = _names(settings.get(TOKEN_SETTING))
        if any(len(t) < MIN_TOKEN for t in tokens):
            raise tdm.ConfigError(
                TOKEN_SETTING, "***",
                f"tokens of at least {MIN_TOKEN} characters, comma separated (make one with "
                "python -c 'import secrets; print(secrets.token_urlsafe(32))')",
            )  # fmt: skip
        hosts = _names(settings.get(HOSTS_SETTING)) + _names(settings.get(HOSTS_ALIAS))
        origins = _names(settings.get(ORIGINS_SETTING))
        return cls(tokens, tuple(h.lower() for h in hosts), tuple(o.lower() for o in origins))

    def host_allowed(self, host: str) -> bool:
        name = _split_host(host)
        if name == "localhost" or _is_ip(name):
            return True
        for entry in self.hosts:
            subject = host.strip().lower() if ":" in entry else name
            if fnmatch.fnmatchcase(subject, entry):
                return True
        return False

    def listed_origin(self, origin: str) -> bool:
        return any(fnmatch.fnmatchcase(origin.lower(), entry) for entry in self.origins)

    def token_accepted(self, authorization: str | None) -> bool:
        scheme, _, given = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not given.strip():
            return False
        presented = given.strip().encode()
        return any(hmac.compare_digest(presented, t.encode()) for t in self.tokens)


def _own_origin(origin: str, host: str) -> bool:
    """Whether ``origin`` (``scheme://host[:port]``) names the host the request was sent to."""
    scheme, sep, rest = origin.lower().partition("://")
    return bool(sep) and scheme in ("http", "https") and rest.rstrip("/") == host.strip().lower()


@attrs.frozen
class _Verdict:
    """What the checks decided: a refusal, or the CORS origin to answer (if any)."""

    refusal: RequestRefused | None = None
    cors: str | None = None
    preflight: bool = False


def _check(access: Access, scope: Scope, headers: Headers) -> _Verdict:
    raw: Sequence[tuple[bytes, bytes]] = scope.get("headers", [])
    check_headers(raw)
    host = headers.get("host", "")
    if not host or not access.host_allowed(host):
        shown = repr(host[:100]) if host else "none"
        raise MisdirectedRequest(
            f"this server does not answer for Host {shown}: it answers loopback names, IP "
            f"addresses and the names in {HOSTS_SETTING} (a guard against DNS rebinding)"
        )
    origin = headers.get("origin")
    method = scope["method"]
    cors = None
    if origin is not None and not _own_origin(origin, host):
        if not access.listed_origin(origin):
            raise Forbidden(
                f"pages of {origin[:100]!r} may not use this tdm server: only its own origin "
                f"and those listed in {ORIGINS_SETTING} may"
            )
        cors = origin
    if method == "OPTIONS" and origin is not None and "access-control-request-method" in headers:
        return _Verdict(cors=cors or origin, preflight=True)
    if access.tokens and scope["path"] not in OPEN_PATHS:
        authorization = headers.get("authorization")
        if not access.token_accepted(authorization):
            problem = "its token is not accepted" if authorization else "it sends no token"
            raise Unauthorized(
                f"this tdm server needs a token and {problem}: send Authorization: Bearer "
                f"<token>, a token of {TOKEN_SETTING}"
            )
    if origin is not None and (method in _BODY_METHODS or _has_body(headers)):
        media = headers.get("content-type", "").partition(";")[0].strip().lower()
        if media != "application/json" and not media.endswith("+json"):
            raise UnsupportedMediaType(
                "a request from a browser (it has an Origin header) must send its body as "
                f"application/json; it is {media or 'not declared'}"
            )
    return _Verdict(cors=cors)


def _has_body(headers: Headers) -> bool:
    length = headers.get("content-length", "0").strip()
    return "transfer-encoding" in headers or (length != "0" and length != "")


def _cors_headers(origin: str) -> dict[str, str]:
    return {
        "Access-Control-Allow-Origin": origin,
        "Access-Control-Expose-Headers": "Mcp-Session-Id, X-TDM-Run-Id",
        "Vary": "Origin",
    }


class AccessMiddleware:
    """The checks above, in front of an ASGI app (the whole tdm app: ``/api`` and ``/mcp``)."""

    def __init__(self, app: ASGIApp, access: Access) -> None:
        self.app, self.access = app, access

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        try:
            verdict = _check(self.access, scope, headers)
            if verdict.preflight:
                await self._preflight(scope, receive, send, verdict.cors or "")
                return
            if scope["path"].startswith("/mcp") and scope["method"] in _BODY_METHODS:
                receive = await _bounded(scope, receive)
        except RequestRefused as exc:
            await self._refuse(scope, receive, send, exc, headers.get("origin"))
            return
        await self.app(scope, receive, _answering(send, verdict.cors))

    async def _refuse(
        self, scope: Scope, receive: Receive, send: Send, exc: Exception, origin: str | None
    ) -> None:
        extra = {"Cache-Control": "no-store"}
        if isinstance(exc, Unauthorized):
            extra["WWW-Authenticate"] = 'Bearer realm="tdm"'
        if origin is not None and self.access.listed_origin(origin):
            extra.update(_cors_headers(origin))  # so that the page can read why
        response = error_response(Request(scope), exc, headers=extra)
        await response(scope, receive, send)

    async def _preflight(self, scope: Scope, receive: Receive, send: Send, origin: str) -> None:
        from starlette.responses import Response

        headers = {
            **_cors_headers(origin),
            "Access-Control-Allow-Methods": "GET, POST, DELETE, OPTIONS",
            "Access-Control-Allow-Headers": _CORS_HEADERS,
            "Access-Control-Max-Age": "600",
            "Cache-Control": "no-store",
        }
        await Response(status_code=204, headers=headers)(scope, receive, send)


async def _bounded(scope: Scope, receive: Receive) -> Receive:
    """The body read (413 over the limit) and checked for nesting (422), then replayed."""
    raw = await read_bytes(Request(scope, receive))
    check_depth(raw)
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": raw, "more_body": False}
        return await receive()

    return replay


def _answering(send: Send, cors: str | None) -> Send:
    """``send``, adding ``Cache-Control: no-store`` (and CORS headers for a listed origin)."""
    added = [(b"cache-control", b"no-store")]
    if cors:
        added += [(k.lower().encode("latin-1"), v.encode("latin-1"))
                  for k, v in _cors_headers(cors).items()]  # fmt: skip
    replaced = {name for name, _ in added}

    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            kept = [h for h in message.get("headers", ()) if h[0].lower() not in replaced]
            message["headers"] = kept + added
        await send(message)

    return wrapped
