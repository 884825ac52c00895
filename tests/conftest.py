"""Test set-up: a fresh database (SQLite file, or PostgreSQL when VENDORGOV_TEST_DATABASE_URL
names one), migrated once per session, with one account per role and two vendors.

Tests create their own data with unique names and USCCs (see `new_vendor`), so they do not
depend on each other's leftovers and need no per-test truncation.
"""

from __future__ import annotations

import os
import random
import re
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

_DATA_DIR = Path(tempfile.mkdtemp(prefix="vendorgov-test-"))
os.environ["VENDORGOV_DATA_DIR"] = str(_DATA_DIR)
os.environ["VENDORGOV_DATABASE_URL"] = os.environ.get(
    "VENDORGOV_TEST_DATABASE_URL", f"sqlite:///{_DATA_DIR / 'test.sqlite3'}"
)
os.environ["VENDORGOV_LOGIN_ATTEMPTS_PER_MINUTE"] = "100000"
os.environ["VENDORGOV_SURVEY_ANSWERS_PER_MINUTE"] = "100000"
os.environ.setdefault("VENDORGOV_TIMEZONE", "Asia/Shanghai")
# No dispute window unless a test opens one: most tests approve a run right after computing it.
os.environ.setdefault("VENDORGOV_DISPUTE_WINDOW_DAYS", "0")
# Tenders in the fixtures close within hours; the §3a minimum bid periods are tested on their
# own (test_tender_sealing.py) with the defaults.
for _method in ("OPEN", "CONSULTATION", "NEGOTIATION"):
    os.environ.setdefault(f"VENDORGOV_BID_PERIOD_DAYS_{_method}", "0")

import httpx  # noqa: E402
import pytest
from piccolo.apps.user.tables import BaseUser

# 600,000 PBKDF2 rounds per login is right for production and needlessly slow for tests.
BaseUser._pbkdf2_iteration_count = 1_000

from vendorgov import db
from vendorgov.accounts import service as accounts
from vendorgov.accounts.roles import Principal, Role
from vendorgov.app import create_app
from vendorgov.audit.service import SYSTEM
from vendorgov.i18n import current_locale, using_locale
from vendorgov.vendors import registry as vendor_registry
from vendorgov.vendors.rules import USCC_ALPHABET, VendorInput, uscc_check_character

# Tests read pages, documents and messages in English (the msgids); the Chinese catalog is
# checked on its own. Set before pytest-asyncio's runner copies this context for every test.
current_locale.set("en")

PASSWORD = "correct-horse-battery"
IS_POSTGRES = os.environ["VENDORGOV_DATABASE_URL"].startswith("postgres")


def random_uscc(rng: random.Random = random.Random()) -> str:
    first17 = (
        "91"
        + "".join(rng.choice("0123456789") for _ in range(6))
        + "".join(rng.choice(USCC_ALPHABET) for _ in range(9))
    )
    return first17 + uscc_check_character(first17)


def unique(prefix: str) -> str:
    return f"{prefix}-{random.randrange(10**9):09d}"


@dataclass
class World:
    """Accounts by role (principals), the two seeded vendors, and API tokens by role."""

    principals: dict[str, Principal]
    tokens: dict[str, str]
    vendor_a: int
    vendor_b: int


async def _reset_postgres() -> None:
    engine = db.engine()
    await engine.run_ddl("DROP SCHEMA IF EXISTS public CASCADE")
    await engine.run_ddl("CREATE SCHEMA public")


@pytest.fixture(scope="session")
async def world() -> World:
    from piccolo.apps.migrations.commands.forwards import run_forwards

    async with db.lifespan_connections():
        if IS_POSTGRES:
            await _reset_postgres()
        result = await run_forwards("all")
        assert result.success, result.message
        admin_id = await accounts.create_account(
            SYSTEM, username="t.admin", password=PASSWORD, role="admin", display_name="Test admin"
        )
        admin = await accounts.principal_for_user(admin_id)
        vendor_a = await vendor_registry.create_vendor(
            admin,
            VendorInput(name="武汉测试保洁有限公司 A", uscc=random_uscc(), categories=["cleaning"]),
        )
        vendor_b = await vendor_registry.create_vendor(
            admin,
            VendorInput(name="武汉测试安保有限公司 B", uscc=random_uscc(), categories=["security"]),
        )
        principals = {"admin": admin}
        for role in Role:
            if role is Role.admin:
                continue
            user_id = await accounts.create_account(
                admin,
                username=f"t.{role.value}",
                password=PASSWORD,
                role=role.value,
                display_name=f"Test {role.value}",
                vendor_id=vendor_a if role is Role.vendor else None,
            )
            principals[role.value] = await accounts.principal_for_user(user_id)
        other_id = await accounts.create_account(
            admin,
            username="t.vendor_b",
            password=PASSWORD,
            role="vendor",
            display_name="Vendor B user",
            vendor_id=vendor_b,
        )
        principals["vendor_b"] = await accounts.principal_for_user(other_id)
        # Month-end runs are reviewed by a finance user other than the one who computed them.
        for name in ("finance_b", "finance_c"):
            reviewer_id = await accounts.create_account(
                admin,
                username=f"t.{name}",
                password=PASSWORD,
                role="finance",
                display_name=f"Test {name}",
            )
            principals[name] = await accounts.principal_for_user(reviewer_id)
        tokens = {
            name: (await accounts.create_token(p, "tests"))[1] for name, p in principals.items()
        }
        yield World(principals, tokens, vendor_a, vendor_b)


@pytest.fixture(scope="session")
async def app(world):
    return create_app()


def http_client(app) -> httpx.AsyncClient:
    """A client calling the app in the test's own event loop (Litestar's AsyncTestClient runs
    it in a portal thread, where PostgreSQL pool connections made in this loop cannot go).
    The `world` fixture keeps the database open, so the app's lifespan is not needed."""
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://testserver.local",
        follow_redirects=True,
        # The tests read the English interface unless they ask for another language (the
        # accounts choose none, so the browser's language decides; see test_i18n.py).
        headers={"Accept-Language": "en"},
    )


@contextmanager
def in_chinese(client: httpx.AsyncClient):
    """Printed documents are Chinese-first: fetch them as a zh-CN user does (the request's
    language, and this context's for the app called in the test's own task)."""
    client.headers["Accept-Language"] = "zh-CN"
    try:
        with using_locale("zh_CN"):
            yield
    finally:
        client.headers["Accept-Language"] = "en"


@pytest.fixture
async def client(app):
    """An anonymous browser-like client (cookies kept)."""
    async with http_client(app) as c:
        yield c


CSRF_RE = re.compile(r'name="_csrf_token" value="([^"]+)"')


async def csrf_token(client: httpx.AsyncClient, path: str = "/login") -> str:
    page = await client.get(path)
    match = CSRF_RE.search(page.text)
    assert match, f"no CSRF field on {path}"
    return match.group(1)


async def log_in(client: httpx.AsyncClient, username: str, password: str = PASSWORD):
    token = await csrf_token(client)
    return await client.post(
        "/login",
        data={"username": username, "password": password, "_csrf_token": token, "next": "/"},
        follow_redirects=False,
    )


@pytest.fixture
def login(app):
    """`async with login("procurement") as c:` a client logged in with that role's account."""
    from contextlib import asynccontextmanager

    @asynccontextmanager
    async def _login(role: str):
        async with http_client(app) as c:
            response = await log_in(c, f"t.{role}")
            assert response.status_code in (302, 303), response.text
            yield c

    return _login


@pytest.fixture
def api(app, world):
    """`async with api("finance") as c:` a client sending that role's bearer token."""
    from contextlib import asynccontextmanager

    @asynccontextmanager
    async def _api(role: str):
        async with http_client(app) as c:
            c.headers["Authorization"] = f"Bearer {world.tokens[role]}"
            yield c

    return _api


async def new_vendor(world: World, **overrides) -> int:
    data = dict(name=unique("测试服务商"), uscc=random_uscc(), categories=["cleaning"])
    data.update(overrides)
    return await vendor_registry.create_vendor(world.principals["admin"], VendorInput(**data))


PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00"
    b"\x00\x90wS\xde\x00\x00\x00\x0cIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N"
    b"\x00\x00\x00\x00IEND\xaeB`\x82"
)
