"""The Auth Service over HTTP: registration, login, tokens and the admin user endpoints."""

from __future__ import annotations

import asyncio
import time

import httpx2
import pytest

from tdm_sut import _tokens

SECRET = "tests-secret-0123456789"
PASSWORD = "s3cret-Passw0rd"


def _register(shop, email, password=PASSWORD, full_name="Ann Example"):
    return shop.auth.post(
        "/auth/register", json={"email": email, "password": password, "fullName": full_name}
    )


def test_health(shop):
    """The Auth Service reports itself healthy."""
    answer = shop.auth.get("/auth/health")
    assert (answer.status_code, answer.json()) == (200, {"status": "ok"})


def test_register_creates_a_user_without_exposing_the_password(shop):
    """Registering answers 201 with the user, stores the email lower-case and only a hash."""
    email = f"{shop.unique('Ann')}@Example.COM"
    answer = _register(shop, email)
    assert answer.status_code == 201
    user = answer.json()
    assert set(user) == {"id", "email", "fullName", "isAdmin", "createdAt"}
    assert (user["email"], user["fullName"], user["isAdmin"]) == (
        email.lower(),
        "Ann Example",
        False,
    )
    assert user["createdAt"].endswith("Z")
    [(stored,)] = shop.sql("auth", "SELECT password_hash FROM users WHERE id = :id", id=user["id"])
    assert stored.startswith("scrypt$")
    assert "s3cret" not in stored


def test_register_rejects_a_taken_email_in_any_case(shop):
    """A second registration of an email, whatever its case, answers 409."""
    email = f"{shop.unique('dup')}@example.com"
    assert _register(shop, email).status_code == 201
    answer = _register(shop, email.upper())
    assert answer.status_code == 409
    assert answer.json()["error"] == "conflict"
    rows = shop.sql("auth", "SELECT count(*) FROM users WHERE email = :e", e=email)
    assert rows[0][0] == 1


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"email": "not-an-email"}, "email"),
        ({"password": "short1"}, "password"),
        ({"password": "no-digits-here"}, "password"),
        ({"password": "1234567890"}, "password"),
        ({"fullName": "   "}, "fullName"),
    ],
    ids=[
        "bad-email",
        "short-password",
        "password-without-digit",
        "password-without-letter",
        "blank-name",
    ],
)
def test_register_validates_each_field(shop, changes, field):
    """Bad emails, weak passwords and blank names answer 422 naming the field."""
    body = {"email": f"{shop.unique()}@example.com", "password": "s3cret-Passw0rd", "fullName": "A"}
    answer = shop.auth.post("/auth/register", json={**body, **changes})
    assert answer.status_code == 422
    assert [f["field"] for f in answer.json()["fields"]] == [field]


def test_register_names_a_missing_name(shop):
    """Leaving out fullName answers 422 naming it."""
    body = {"email": f"{shop.unique()}@example.com", "password": "s3cret-Passw0rd"}
    answer = shop.auth.post("/auth/register", json=body)
    assert answer.status_code == 422
    [error] = answer.json()["fields"]
    assert error["field"] == "fullName"
    assert error["got"] == "nothing"


def test_login_issues_a_signed_expiring_token(shop, user):
    """Login answers a bearer HS256 token whose claims name the user and expire after the TTL."""
    answer = shop.auth.post(
        "/auth/login", json={"email": user.email.upper(), "password": user.password}
    )
    assert answer.status_code == 200
    body = answer.json()
    assert (body["tokenType"], body["expiresIn"]) == ("bearer", 600)
    claims = _tokens.verify(body["accessToken"], SECRET)
    assert (claims.user_id, claims.email, claims.is_admin) == (user.id, user.email, False)
    assert claims.expires_at - claims.issued_at == 600


@pytest.mark.parametrize("which", ["wrong-password", "unknown-email"])
def test_login_rejects_wrong_credentials(shop, user, which):
    """A wrong password or an unknown email answers 401."""
    body = {"email": user.email, "password": "Wrong-Passw0rd"}
    if which == "unknown-email":
        body = {"email": f"{shop.unique()}@example.com", "password": user.password}
    answer = shop.auth.post("/auth/login", json=body)
    assert answer.status_code == 401
    assert answer.json()["error"] == "unauthorized"


def test_me_answers_the_token_user(shop, user):
    """/auth/me answers the user the token belongs to."""
    answer = shop.auth.get("/auth/me", headers=user.headers)
    assert answer.status_code == 200
    assert (answer.json()["id"], answer.json()["email"]) == (user.id, user.email)


def _token(user_id, *, secret=SECRET, ttl=600, now=None):
    return _tokens.issue(
        user_id=user_id, email="x@example.com", is_admin=True, secret=secret, ttl=ttl, now=now
    )


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer not-a-token"},
        {"Authorization": "Basic YWRtaW46YWRtaW4="},
        {"Authorization": "Bearer " + _token(1, secret="some-other-secret")},
        {"Authorization": "Bearer " + _token(1, ttl=60, now=time.time() - 3600)},
    ],
    ids=["no-token", "garbage-token", "basic-auth", "wrong-secret", "expired"],
)
def test_me_rejects_missing_bad_and_expired_tokens(shop, headers):
    """Without a valid, unexpired token /auth/me answers 401 with a Bearer challenge."""
    answer = shop.auth.get("/auth/me", headers=headers)
    assert answer.status_code == 401
    assert answer.json()["error"] == "unauthorized"
    assert answer.headers["www-authenticate"] == "Bearer"


def test_me_rejects_the_token_of_a_deleted_user(shop, user):
    """Once a user is deleted, their still-valid token no longer answers /auth/me."""
    assert shop.auth.delete(f"/auth/users/{user.id}", headers=shop.admin.headers).status_code == 204
    assert shop.auth.get("/auth/me", headers=user.headers).status_code == 401


def test_admin_lists_users_filtered_by_email(shop, user):
    """The email filter matches exactly and case-insensitively."""
    answer = shop.auth.get(
        "/auth/users", params={"email": user.email.upper()}, headers=shop.admin.headers
    )
    assert answer.status_code == 200
    body = answer.json()
    assert (body["total"], body["limit"], body["offset"]) == (1, 50, 0)
    assert [item["id"] for item in body["items"]] == [user.id]


def test_admin_lists_users_in_pages(shop, user, other_user):
    """limit and offset page through users in id order; total counts them all."""
    first = shop.auth.get("/auth/users", params={"limit": 1}, headers=shop.admin.headers).json()
    assert len(first["items"]) == 1
    assert first["total"] >= 3
    last = shop.auth.get(
        "/auth/users", params={"limit": 2, "offset": first["total"] - 2}, headers=shop.admin.headers
    ).json()
    assert [item["id"] for item in last["items"]] == [user.id, other_user.id]


def test_admin_creates_an_admin_who_may_use_admin_endpoints(shop):
    """A user the admin creates with isAdmin gets an admin token the Backend honours."""
    new_admin = shop.new_user(admin=True)
    claims = _tokens.verify(new_admin.token, SECRET)
    assert claims.is_admin
    answer = shop.api.post(
        "/api/categories", json={"name": shop.unique()}, headers=new_admin.headers
    )
    assert answer.status_code == 201


def test_admin_create_user_rejects_a_taken_email(shop, user):
    """Creating a user whose email is taken answers 409."""
    body = {"email": user.email, "password": "s3cret-Passw0rd", "fullName": "X", "isAdmin": False}
    answer = shop.auth.post("/auth/users", json=body, headers=shop.admin.headers)
    assert answer.status_code == 409


def test_admin_resets_a_user_in_place(shop, user):
    """PATCH changes the password, name and admin flag and keeps the id; 404 for no user."""
    changes = {"password": "n3w-Passw0rd", "fullName": "Renamed", "isAdmin": True}
    answer = shop.auth.patch(f"/auth/users/{user.id}", json=changes, headers=shop.admin.headers)
    assert answer.status_code == 200
    assert (answer.json()["id"], answer.json()["fullName"], answer.json()["isAdmin"]) == (
        user.id, "Renamed", True
    )  # fmt: skip
    old = shop.auth.post("/auth/login", json={"email": user.email, "password": user.password})
    assert old.status_code == 401
    assert shop.login(user.email, "n3w-Passw0rd")
    bad = shop.auth.patch(f"/auth/users/{user.id}", json={"password": "x"},
                          headers=shop.admin.headers)  # fmt: skip
    assert bad.status_code == 422
    missing = shop.auth.patch("/auth/users/999999", json={}, headers=shop.admin.headers)
    assert missing.status_code == 404
    refused = shop.auth.patch(f"/auth/users/{user.id}", json={}, headers=user.headers)
    assert refused.status_code in (401, 403)


def test_admin_deletes_a_user(shop, user):
    """Deleting answers 204, removes the row and the login; deleting again answers 404."""
    assert shop.auth.delete(f"/auth/users/{user.id}", headers=shop.admin.headers).status_code == 204
    assert shop.sql("auth", "SELECT id FROM users WHERE id = :id", id=user.id) == []
    answer = shop.auth.post("/auth/login", json={"email": user.email, "password": user.password})
    assert answer.status_code == 401
    again = shop.auth.delete(f"/auth/users/{user.id}", headers=shop.admin.headers)
    assert (again.status_code, again.json()["error"]) == (404, "not_found")


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/auth/users"), ("POST", "/auth/users"), ("DELETE", "/auth/users/1")],
    ids=["list", "create", "delete"],
)
def test_user_admin_endpoints_refuse_customers(shop, user, method, path):
    """A customer gets 403 and an anonymous caller 401 from the admin user endpoints."""
    body = {"email": f"{shop.unique()}@example.com", "password": "s3cret-Passw0rd", "fullName": "X"}
    json = body if method == "POST" else None
    answer = shop.auth.request(method, path, json=json, headers=user.headers)
    assert (answer.status_code, answer.json()["error"]) == (403, "forbidden")
    assert shop.auth.request(method, path, json=json).status_code == 401
    assert shop.sql("auth", "SELECT id FROM users WHERE id = :id", id=shop.admin.id)


def test_bootstrap_admin_exists(shop):
    """The bootstrap admin from the settings exists, is an admin, and can sign in."""
    rows = shop.sql("auth", "SELECT is_admin FROM users WHERE email = 'admin@shop.test'")
    assert [bool(row[0]) for row in rows] == [True]
    assert _tokens.verify(shop.admin.token, SECRET).is_admin


async def test_concurrent_registrations_of_one_email(shop):
    """Of ten simultaneous registrations of one email exactly one succeeds; the rest get 409."""
    body = {"email": f"{shop.unique()}@example.com", "password": PASSWORD, "fullName": "Racer"}
    async with httpx2.AsyncClient(
        base_url=shop.thread.auth_url, trust_env=False, timeout=30
    ) as client:
        answers = await asyncio.gather(
            *(client.post("/auth/register", json=body) for _ in range(10))
        )
    assert sorted(answer.status_code for answer in answers) == [201] + [409] * 9
    rows = shop.sql("auth", "SELECT count(*) FROM users WHERE email = :e", e=body["email"])
    assert rows[0][0] == 1
