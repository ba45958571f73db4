"""Tokens (HS256 JWT from the standard library) and password hashes."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import pytest

from tdm_sut import _tokens
from tdm_sut._passwords import hash_password, verify_password

SECRET = "unit-secret"


def _token(**changes):
    claims = {
        "sub": "7",
        "email": "a@b.cd",
        "adm": False,
        "iat": 100,
        "exp": 200,
        "iss": "tdm-sut-auth",
    }
    return _tokens.encode({**claims, **changes}, SECRET)


def test_issued_tokens_verify_with_their_claims():
    """issue() and verify() agree on every claim."""
    token = _tokens.issue(user_id=7, email="a@b.cd", is_admin=True, secret=SECRET, ttl=60, now=1000)
    claims = _tokens.verify(token, SECRET, now=1059)
    assert claims == _tokens.Claims(
        user_id=7, email="a@b.cd", is_admin=True, issued_at=1000, expires_at=1060
    )


def test_tokens_are_standard_hs256_jwts():
    """The token is header.payload.signature with an HMAC-SHA256 signature anyone can check."""
    token = _tokens.issue(
        user_id=7, email="a@b.cd", is_admin=False, secret=SECRET, ttl=60, now=1000
    )
    header, payload, signature = token.split(".")

    def decode(segment):
        return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))

    assert json.loads(decode(header)) == {"alg": "HS256", "typ": "JWT"}
    assert json.loads(decode(payload)) == {
        "sub": "7",
        "email": "a@b.cd",
        "adm": False,
        "iat": 1000,
        "exp": 1060,
        "iss": "tdm-sut-auth",
    }
    expected = hmac.new(SECRET.encode(), f"{header}.{payload}".encode(), hashlib.sha256).digest()
    assert decode(signature) == expected


@pytest.mark.parametrize(
    ("token", "message"),
    [
        (_token(), "expired"),
        (_token(exp=10**10, iss="someone-else"), "not issued"),
        (_token(exp=10**10, sub="abc"), "subject"),
        (_token(exp=10**10, sub="\u0663"), "subject"),
        (_token(exp=10**10, sub=7), "subject"),
        (_token(exp=10**10, adm="yes"), "admin"),
        (_token(exp="never"), "not an integer"),
        (_token(exp=True), "not an integer"),
        ("a.b", "three parts"),
        ("a.b.c", "not JSON"),
        ("é.b.c", "malformed"),
        ("x" * 5000, "malformed"),
    ],
    ids=[
        "expired",
        "issuer",
        "subject-text",
        "subject-unicode-digit",
        "subject-number",
        "admin-flag-text",
        "expiry-text",
        "expiry-bool",
        "two-parts",
        "garbage",
        "non-ascii",
        "too-long",
    ],
)
def test_bad_tokens_are_refused_with_a_reason(token, message):
    """Malformed, expired or oddly-claimed tokens raise TokenError saying why."""
    with pytest.raises(_tokens.TokenError, match=message):
        _tokens.verify(token, SECRET, now=1000)


def test_a_changed_payload_breaks_the_signature():
    """Swapping in another payload (becoming admin) fails the signature check."""
    token = _token(exp=10**10)
    forged = _token(exp=10**10, adm=True, email="x").split(".")[1]
    header, _, signature = token.split(".")
    with pytest.raises(_tokens.TokenError, match="signature"):
        _tokens.verify(f"{header}.{forged}.{signature}", SECRET)
    with pytest.raises(_tokens.TokenError, match="signature"):
        _tokens.verify(token, "another-secret")


def test_unsigned_tokens_are_refused():
    """A token whose header says alg none is refused before anything else."""
    header = base64.urlsafe_b64encode(b'{"alg":"none"}').rstrip(b"=").decode()
    payload = _token(exp=10**10).split(".")[1]
    with pytest.raises(_tokens.TokenError, match="HS256"):
        _tokens.verify(f"{header}.{payload}.", SECRET)


def test_password_hashes_are_salted_scrypt():
    """Hashes name scrypt and their cost, differ per call, and verify only the right password."""
    first, second = hash_password("s3cret-pw", cost=2**10), hash_password("s3cret-pw", cost=2**10)
    assert first.startswith("scrypt$1024$8$1$")
    assert first != second
    assert verify_password("s3cret-pw", first)
    assert not verify_password("s3cret-pX", first)


@pytest.mark.parametrize(
    "stored", ["", "plain", "bcrypt$1$2$3$4$5", "scrypt$x$8$1$AAAA$AAAA", "scrypt$1024$8$1$!!$AAAA"]
)
def test_malformed_hashes_never_verify(stored):
    """A stored value that is not one of our hashes verifies nothing and raises nothing."""
    assert not verify_password("anything1", stored)
