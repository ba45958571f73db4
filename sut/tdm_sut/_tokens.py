"""HS256 JSON Web Tokens with the standard library: enough for the shop, nothing more."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import time
from collections.abc import Mapping
from typing import Any

import attrs

ISSUER = "tdm-sut-auth"
_HEADER = {"alg": "HS256", "typ": "JWT"}
_MAX_TOKEN_LENGTH = 4096
_USER_ID = re.compile(r"[1-9][0-9]{0,8}")


class TokenError(ValueError):
    """A token that is malformed, wrongly signed or expired; the message says which."""


@attrs.frozen
class Claims:
    """What a valid token says about its bearer."""

    user_id: int
    email: str
    is_admin: bool
    issued_at: int
    expires_at: int


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise TokenError("the token is not base64url") from exc


def _sign(signing_input: str, secret: str) -> bytes:
    return hmac.new(secret.encode(), signing_input.encode("ascii"), hashlib.sha256).digest()


def _json_segment(payload: Mapping[str, Any]) -> str:
    return _b64encode(json.dumps(payload, separators=(",", ":")).encode())


def encode(claims: Mapping[str, Any], secret: str) -> str:
    """Sign ``claims`` (any JSON object) as an HS256 JWT."""
    signing_input = f"{_json_segment(_HEADER)}.{_json_segment(claims)}"
    return f"{signing_input}.{_b64encode(_sign(signing_input, secret))}"


def issue(
    *, user_id: int, email: str, is_admin: bool, secret: str, ttl: int, now: float | None = None
) -> str:
    """A token for a user, valid for ``ttl`` seconds from ``now``."""
    issued_at = int(time.time() if now is None else now)
    claims = {
        "sub": str(user_id),
        "email": email,
        "adm": is_admin,
        "iat": issued_at,
        "exp": issued_at + ttl,
        "iss": ISSUER,
    }
    return encode(claims, secret)


def _load_segment(segment: str, what: str) -> dict[str, Any]:
    try:
        value = json.loads(_b64decode(segment))
    except (ValueError, RecursionError) as exc:
        raise TokenError(f"the token {what} is not JSON") from exc
    if not isinstance(value, dict):
        raise TokenError(f"the token {what} is not a JSON object")
    return value


def _int_claim(payload: Mapping[str, Any], name: str) -> int:
    value = payload.get(name)
    if isinstance(value, bool) or not isinstance(value, int):
        raise TokenError(f"the token claim {name!r} is not an integer")
    return value


def verify(token: str, secret: str, *, now: float | None = None) -> Claims:
    """The claims of a token signed with ``secret`` that has not expired."""
    if len(token) > _MAX_TOKEN_LENGTH or not token.isascii():
        raise TokenError("the token is malformed")
    parts = token.split(".")
    if len(parts) != 3:
        raise TokenError("the token does not have three parts")
    header_segment, payload_segment, signature_segment = parts
    header = _load_segment(header_segment, "header")
    if header.get("alg") != "HS256":
        raise TokenError("the token is not signed with HS256")
    expected = _sign(f"{header_segment}.{payload_segment}", secret)
    if not hmac.compare_digest(expected, _b64decode(signature_segment)):
        raise TokenError("the token signature is wrong")
    payload = _load_segment(payload_segment, "payload")
    if payload.get("iss") != ISSUER:
        raise TokenError(f"the token was not issued by {ISSUER}")
    expires_at = _int_claim(payload, "exp")
    if expires_at <= (time.time() if now is None else now):
        raise TokenError("the token has expired")
    subject, email, is_admin = payload.get("sub"), payload.get("email"), payload.get("adm")
    if not isinstance(subject, str) or not _USER_ID.fullmatch(subject):
        raise TokenError("the token subject is not a user id")
    if not isinstance(email, str) or not isinstance(is_admin, bool):
        raise TokenError("the token lacks the email or admin claims")
    return Claims(
        user_id=int(subject),
        email=email,
        is_admin=is_admin,
        issued_at=_int_claim(payload, "iat"),
        expires_at=expires_at,
    )
