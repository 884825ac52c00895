"""Account security: hostile login input is a failed login, weak passwords are refused naming
the rule, a reset or deactivation ends sessions and tokens at once and a reactivation revives
none, account changes made at the same moment stay consistent, and the login rate limit trusts
X-Forwarded-For only from the configured proxies."""

from __future__ import annotations

import asyncio
import dataclasses
import socket
from ipaddress import ip_network

import httpx
import uvicorn

from tests.conftest import PASSWORD, csrf_token, http_client, log_in, unique
from vendorgov.accounts import service as accounts
from vendorgov.accounts.tables import Account
from vendorgov.app import create_app
from vendorgov.audit.tables import AuditEntry
from vendorgov.cli import SERVER_OPTIONS
from vendorgov.settings import get_settings

NEW_PASSWORD = "blue-lantern-river-42"


async def temp_account(world, role: str = "finance") -> tuple[str, int]:
    username = unique(f"sec.{role}")
    user_id = await accounts.create_account(
        world.principals["admin"],
        username=username,
        password=PASSWORD,
        role=role,
        display_name="安全测试",
    )
    return username, user_id


async def _version(user_id: int) -> int:
    row = await Account.select(Account.credentials_version).where(Account.user == user_id).first()
    return row["credentials_version"]


async def _entries(user_id: int, action: str) -> int:
    return await AuditEntry.count().where(
        (AuditEntry.entity == "account")
        & (AuditEntry.entity_id == str(user_id))
        & (AuditEntry.action == action)
    )


async def test_hostile_login_input_is_a_failed_login_not_a_500(client):
    for username, password in [
        ("t.finance", "x" * 129),
        ("t.finance", "p" * 1_000_000),
        ("u" * 10_000, PASSWORD),
    ]:
        response = await log_in(client, username, password)
        assert response.status_code == 401, (username[:20], response.status_code)
        assert "Wrong username or password" in response.text
    # A NUL byte is refused for every form before any handler runs (web/input.py).
    response = await log_in(client, "t.fin\x00ance", PASSWORD)
    assert response.status_code == 422 and "username" in response.text
    assert (await log_in(client, "t.finance")).status_code == 302


async def test_weak_passwords_are_refused_naming_the_rule(login, world):
    username = unique("weak.user")
    async with login("admin") as c:
        token = await csrf_token(c, "/accounts")
        cases = {
            "aaaaaaaaaa": "most common passwords",
            "1234567890": "most common passwords",
            f"{username.upper()}!x": "must not contain the username",
            "x" * 129: "at most 128 characters",
            "short": "at least 10 characters",
        }
        for password, message in cases.items():
            response = await c.post(
                "/accounts",
                data={
                    "_csrf_token": token,
                    "username": username,
                    "display_name": "弱密码",
                    "password": password,
                    "role": "supervisor",
                },
            )
            assert response.status_code == 422, password[:20]
            assert message in response.text, password[:20]
        assert await accounts.user_id_for(username) is None

        _, user_id = await temp_account(world)
        for password in ("1234567890", "y" * 500):
            reset = await c.post(
                f"/accounts/{user_id}/password", data={"_csrf_token": token, "password": password}
            )
            assert reset.status_code == 422
    async with http_client(c._transport.app) as fresh:  # type: ignore[attr-defined]
        assert (
            await log_in(fresh, (await accounts.principal_for_user(user_id)).username)
        ).status_code == 302


async def test_a_password_reset_ends_sessions_and_tokens_at_once(login, world, app):
    username, user_id = await temp_account(world)
    _, token = await accounts.create_token(await accounts.principal_for_user(user_id), "sync")
    async with http_client(app) as user:
        assert (await log_in(user, username)).status_code == 302
        assert (await user.get("/", follow_redirects=False)).status_code == 200
        me = await user.get("/api/me", headers={"Authorization": f"Bearer {token}"})
        assert me.status_code == 200
        async with login("admin") as admin:
            form = await csrf_token(admin, "/accounts")
            reset = await admin.post(
                f"/accounts/{user_id}/password",
                data={"_csrf_token": form, "password": NEW_PASSWORD},
                follow_redirects=False,
            )
            assert reset.status_code == 302
        ended = await user.get("/", follow_redirects=False)
        assert ended.status_code == 302 and ended.headers["location"].startswith("/login")
        refused = await user.get("/api/me", headers={"Authorization": f"Bearer {token}"})
        assert refused.status_code == 401
        assert (await log_in(user, username, PASSWORD)).status_code == 401
        assert (await log_in(user, username, NEW_PASSWORD)).status_code == 302
        assert (await user.get("/", follow_redirects=False)).status_code == 200


async def test_reactivation_revives_no_session_or_token(world, app):
    admin = world.principals["admin"]
    username, user_id = await temp_account(world)
    _, token = await accounts.create_token(await accounts.principal_for_user(user_id), "sync")
    async with http_client(app) as user:
        assert (await log_in(user, username)).status_code == 302
        await accounts.set_active(admin, user_id, False)
        await accounts.set_active(admin, user_id, True)
        stale = await user.get("/", follow_redirects=False)
        assert stale.status_code == 302 and stale.headers["location"].startswith("/login")
        bearer = {"Authorization": f"Bearer {token}"}
        assert (await user.get("/api/me", headers=bearer)).status_code == 401
        assert (await log_in(user, username)).status_code == 302
        assert (await user.get("/", follow_redirects=False)).status_code == 200


async def test_concurrent_deactivations_change_the_account_once(login, world):
    _, user_id = await temp_account(world)
    before = await _version(user_id)
    async with login("admin") as first, login("admin") as second:
        forms = [await csrf_token(c, "/accounts") for c in (first, second)]
        responses = await asyncio.gather(
            *[
                c.post(
                    f"/accounts/{user_id}/active",
                    data={"_csrf_token": form, "active": "0"},
                    follow_redirects=False,
                )
                for c, form in zip((first, second), forms, strict=True)
            ]
        )
    # Idempotent: both see the account deactivated, and it was deactivated once.
    assert [r.status_code for r in responses] == [302, 302]
    assert (await accounts.principal_for_user(user_id)) is None
    assert await _entries(user_id, "deactivate") == 1
    assert await _version(user_id) == before + 1


async def test_the_same_username_created_twice_at_once_is_one_account(login):
    username = unique("twin")
    async with login("admin") as first, login("admin") as second:
        forms = [await csrf_token(c, "/accounts") for c in (first, second)]
        responses = await asyncio.gather(
            *[
                c.post(
                    "/accounts",
                    data={
                        "_csrf_token": form,
                        "username": username,
                        "display_name": "双胞胎",
                        "password": PASSWORD,
                        "role": "supervisor",
                    },
                    follow_redirects=False,
                )
                for c, form in zip((first, second), forms, strict=True)
            ]
        )
    assert sorted(r.status_code for r in responses) == [302, 409]
    assert await accounts.user_id_for(username) is not None


def _client_at(app, address: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, client=(address, 40000)),
        base_url="http://testserver.local",
    )


async def test_a_forged_forwarded_for_does_not_escape_the_login_limit(world):
    app = create_app(dataclasses.replace(get_settings(), login_attempts_per_minute=3))
    async with _client_at(app, "203.0.113.7") as c:
        codes = []
        for i in range(5):
            c.headers["X-Forwarded-For"] = f"198.51.100.{i}"
            codes.append((await log_in(c, "t.finance", "wrong-password")).status_code)
    assert codes == [401, 401, 401, 429, 429]


async def test_behind_a_trusted_proxy_each_client_has_its_own_limit(world):
    settings = dataclasses.replace(
        get_settings(),
        login_attempts_per_minute=3,
        trusted_proxies=(ip_network("10.0.0.0/8"),),
    )
    app = create_app(settings)
    async with _client_at(app, "10.0.0.2") as proxy:
        proxy.headers["X-Forwarded-For"] = "198.51.100.1"
        first = [(await log_in(proxy, "t.finance", "wrong-password")).status_code for _ in range(4)]
        # The same client writing another address in front: the proxy appended the real one.
        proxy.headers["X-Forwarded-For"] = "192.0.2.99, 198.51.100.1"
        forged = (await log_in(proxy, "t.finance", "wrong-password")).status_code
        proxy.headers["X-Forwarded-For"] = "198.51.100.2"
        other = (await log_in(proxy, "t.finance")).status_code
    assert first == [401, 401, 401, 429] and forged == 429
    assert other == 302


async def test_the_server_as_run_does_not_take_a_local_clients_forwarded_for(world):
    """uvicorn's own proxy headers would trust X-Forwarded-For from 127.0.0.1: served with
    `vendorgov serve`'s options, a local client's forged addresses still share one limit."""
    app = create_app(dataclasses.replace(get_settings(), login_attempts_per_minute=3))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", lifespan="off", **SERVER_OPTIONS
    )
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve())
    try:
        while not server.started:
            await asyncio.sleep(0.02)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as c:
            codes = []
            for i in range(4):
                c.headers["X-Forwarded-For"] = f"198.51.100.{i}"
                codes.append((await log_in(c, "t.finance", "wrong-password")).status_code)
    finally:
        server.should_exit = True
        await serving
    assert codes == [401, 401, 401, 429]
