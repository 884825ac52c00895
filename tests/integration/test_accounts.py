"""Log in and out, rate limiting, CSRF, sessions, API tokens and account administration."""

import dataclasses

import pytest

from tests.conftest import PASSWORD, csrf_token, http_client, log_in, unique
from vendorgov.accounts import service as accounts
from vendorgov.app import create_app
from vendorgov.settings import get_settings
from vendorgov.vendors import service as vendors


async def test_login_sets_a_fresh_session_and_logout_ends_it(client):
    await client.get("/login")
    client.cookies.set("vg_session", "planted-by-an-attacker", domain="testserver.local")
    response = await log_in(client, "t.supervisor")
    assert response.status_code == 302 and response.headers["location"] == "/"
    session_id = client.cookies.get("vg_session")
    assert session_id and session_id != "planted-by-an-attacker"
    home = await client.get("/")
    assert "Test supervisor" in home.text
    token = await csrf_token(client, "/")
    out = await client.post("/logout", data={"_csrf_token": token}, follow_redirects=False)
    assert out.status_code == 302 and out.headers["location"] == "/login"
    again = await client.get("/", follow_redirects=False)
    assert again.status_code == 302 and again.headers["location"].startswith("/login")


async def test_wrong_password_is_refused_without_saying_which_part(client):
    response = await log_in(client, "t.finance", "not-the-password")
    assert response.status_code == 401
    assert "Wrong username or password" in response.text
    unknown = await log_in(client, "nobody-here", PASSWORD)
    assert unknown.status_code == 401 and "Wrong username or password" in unknown.text


async def test_login_redirects_only_within_the_site(client):
    token = await csrf_token(client)
    response = await client.post(
        "/login",
        data={
            "username": "t.finance",
            "password": PASSWORD,
            "_csrf_token": token,
            "next": "//evil.example/steal",
        },
        follow_redirects=False,
    )
    assert response.headers["location"] == "/"


async def test_login_attempts_are_rate_limited(world):
    settings = dataclasses.replace(get_settings(), login_attempts_per_minute=3)
    async with http_client(create_app(settings)) as c:
        codes = [(await log_in(c, "t.finance", "wrong-password")).status_code for _ in range(4)]
        assert codes[:3] == [401, 401, 401]
        assert codes[3] == 429
        # Even the right password waits out the window.
        assert (await log_in(c, "t.finance")).status_code == 429


async def test_form_without_csrf_token_is_refused_and_changes_nothing(login, world):
    async with login("procurement") as c:
        response = await c.post(
            "/vendors",
            data={"name": "无令牌提交", "uscc": "91110108551385082Q", "categories": "cleaning"},
        )
        assert response.status_code == 403
    assert (await vendors.list_vendors(world.principals["admin"], q="无令牌提交")).items == []


async def test_stale_csrf_token_is_refused(login):
    async with login("procurement") as c:
        response = await c.post(
            "/vendors",
            data={
                "_csrf_token": "0" * 128,
                "name": "过期令牌",
                "uscc": "91110108551385082Q",
                "categories": "cleaning",
            },
        )
        assert response.status_code == 403


async def test_api_tokens_are_shown_once_stored_hashed_and_revocable(login, client):
    async with login("finance") as c:
        token = await csrf_token(c, "/tokens")
        page = await c.post("/tokens", data={"_csrf_token": token, "name": "accounting sync"})
        assert page.status_code == 201
        text = page.text.split('id="new-token">')[1].split("<")[0]
        assert text.startswith("vg_")
    me = await client.get("/api/me", headers={"Authorization": f"Bearer {text}"})
    assert me.status_code == 200 and me.json()["role"] == "finance"
    stored = [
        t
        for t in (await accounts.list_tokens(me.json()["user_id"])).items
        if t["name"] == "accounting sync"
    ][0]
    assert text not in str(stored) and stored["prefix"] == text[:10]
    async with login("finance") as c:
        token = await csrf_token(c, "/tokens")
        await c.post(f"/tokens/{stored['id']}/revoke", data={"_csrf_token": token})
    refused = await client.get("/api/me", headers={"Authorization": f"Bearer {text}"})
    assert refused.status_code == 401
    assert refused.headers["content-type"].startswith("application/problem+json")


async def test_session_cookie_does_not_authorise_the_api(login):
    async with login("admin") as c:
        response = await c.get("/api/vendors")
        assert response.status_code == 401
        assert "Bearer" in response.json()["detail"]


async def test_admin_creates_accounts_and_bad_input_is_named(login, world):
    username = unique("new.supervisor")
    async with login("admin") as c:
        token = await csrf_token(c, "/accounts")
        bad = await c.post(
            "/accounts",
            data={
                "_csrf_token": token,
                "username": username,
                "display_name": "X",
                "password": "short",
                "role": "janitor",
            },
        )
        assert bad.status_code == 422
        assert "unknown role" in bad.text and "at least 10 characters" in bad.text
        assert await accounts.user_id_for(username) is None
        vendor_without = await c.post(
            "/accounts",
            data={
                "_csrf_token": token,
                "username": username,
                "display_name": "X",
                "password": PASSWORD,
                "role": "vendor",
            },
        )
        assert vendor_without.status_code == 422 and "must name its vendor" in vendor_without.text
        ok = await c.post(
            "/accounts",
            data={
                "_csrf_token": token,
                "username": username,
                "display_name": "新督导",
                "password": PASSWORD,
                "role": "supervisor",
            },
            follow_redirects=False,
        )
        assert ok.status_code == 302
        taken = await c.post(
            "/accounts",
            data={
                "_csrf_token": token,
                "username": username,
                "display_name": "dup",
                "password": PASSWORD,
                "role": "supervisor",
            },
        )
        assert taken.status_code == 409
    async with http_client(c._transport.app) as fresh:  # type: ignore[attr-defined]
        assert (await log_in(fresh, username)).status_code == 302


@pytest.mark.parametrize("role", ["procurement", "supervisor", "finance", "vendor"])
async def test_only_admins_manage_accounts(login, role):
    async with login(role) as c:
        assert (await c.get("/accounts")).status_code == 403
        assert (await c.get("/admin/", follow_redirects=False)).status_code == 403


async def test_deactivated_account_loses_its_session_and_tokens(login, world, client):
    username = unique("temp.finance")
    admin = world.principals["admin"]
    user_id = await accounts.create_account(
        admin, username=username, password=PASSWORD, role="finance", display_name="临时"
    )
    principal = await accounts.principal_for_user(user_id)
    _, token = await accounts.create_token(principal, "temp")
    assert (await log_in(client, username)).status_code == 302
    await accounts.set_active(admin, user_id, False)
    assert (await client.get("/", follow_redirects=False)).status_code == 302
    assert (
        await client.get("/api/me", headers={"Authorization": f"Bearer {token}"})
    ).status_code == 401
    assert (await log_in(client, username)).status_code == 401
