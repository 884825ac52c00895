"""The interface language: the account's choice, else the browser's, zh-CN by default; the
header's switch; and the lang attribute that says which one a page is in."""

import asyncio
import re

from tests.conftest import PASSWORD, csrf_token, http_client, log_in, new_vendor, unique
from vendorgov.accounts import service as accounts
from vendorgov.accounts.tables import Account
from vendorgov.audit.tables import AuditEntry
from vendorgov.vendors import registry as vendor_registry
from vendorgov.vendors import service as vendors
from vendorgov.vendors.rules import VendorInput

LANG_RE = re.compile(r'<html lang="([^"]+)"')


def page_lang(response) -> str:
    match = LANG_RE.search(response.text)
    assert match, response.text[:300]
    return match.group(1)


async def test_browser_language_decides_before_login_and_zh_cn_is_the_default(app):
    async with http_client(app) as c:
        for header, lang in [
            ("zh-CN,zh;q=0.9,en;q=0.8", "zh-CN"),
            ("en-US,en;q=0.9", "en"),
            ("fr-FR,fr;q=0.9", "zh-CN"),  # neither of ours: Chinese
            ("fr;q=1,en;q=0.5", "en"),
        ]:
            c.headers["Accept-Language"] = header
            assert page_lang(await c.get("/login")) == lang, header
        del c.headers["Accept-Language"]
        assert page_lang(await c.get("/login")) == "zh-CN"
        assert page_lang(await c.get("/login?lang=en")) == "en"


async def test_switch_before_login_keeps_the_choice_in_a_cookie(app):
    async with http_client(app) as c:
        c.headers["Accept-Language"] = "zh-CN"
        token = await csrf_token(c)
        response = await c.post(
            "/language",
            data={"language": "en", "next": "/login?next=/vendors", "_csrf_token": token},
            follow_redirects=False,
        )
        assert response.status_code in (302, 303)
        assert response.headers["location"] == "/login?next=/vendors"
        assert c.cookies.get("vg_lang") == "en"
        assert page_lang(await c.get("/login")) == "en"


async def test_switch_refuses_a_request_without_the_csrf_token(app):
    async with http_client(app) as c:
        await c.get("/login")
        response = await c.post("/language", data={"language": "en"}, follow_redirects=False)
        assert response.status_code == 403
        assert c.cookies.get("vg_lang") is None


async def test_switch_never_redirects_off_site(app):
    async with http_client(app) as c:
        token = await csrf_token(c)
        response = await c.post(
            "/language",
            data={"language": "en", "next": "//evil.example/", "_csrf_token": token},
            follow_redirects=False,
        )
        assert response.headers["location"] == "/"


async def test_a_logged_in_users_choice_is_kept_on_the_account_and_follows_them(app, world):
    username = unique("t.lang")
    user_id = await accounts.create_account(
        world.principals["admin"],
        username=username,
        password=PASSWORD,
        role="supervisor",
        display_name="语言测试",
    )
    async with http_client(app) as c:
        c.headers["Accept-Language"] = "en"
        assert (await log_in(c, username)).status_code == 302
        home = await c.get("/")
        assert page_lang(home) == "en"
        token = await csrf_token(c, "/")
        await c.post("/language", data={"language": "zh_CN", "_csrf_token": token})
        row = await Account.select(Account.language).where(Account.user == user_id).first()
        assert row["language"] == "zh_CN"
        home = await c.get("/")
        assert page_lang(home) == "zh-CN"
        # Translated navigation, and the switch offers the other language.
        assert ">供应商<" in home.text or ">服务商<" in home.text
        assert 'value="en"' in home.text and ">English<" in home.text
        # A repeated choice changes nothing and records nothing new.
        await c.post("/language", data={"language": "zh_CN", "_csrf_token": token})
        entries = await AuditEntry.count().where(
            (AuditEntry.entity == "account")
            & (AuditEntry.entity_id == str(user_id))
            & (AuditEntry.action == "set_language")
        )
        assert entries == 1
    # Another browser that prefers English still gets the account's Chinese.
    async with http_client(app) as other:
        other.headers["Accept-Language"] = "en"
        await log_in(other, username)
        assert page_lang(await other.get("/")) == "zh-CN"


async def test_an_unknown_language_changes_nothing(app, world):
    async with http_client(app) as c:
        await log_in(c, "t.finance")
        token = await csrf_token(c, "/")
        await c.post("/language", data={"language": "fr", "_csrf_token": token})
        assert page_lang(await c.get("/")) == "en"


async def test_the_history_panel_shows_labelled_formatted_values(app, world):
    admin = world.principals["admin"]
    vendor_id = await new_vendor(world, categories=["cleaning"])
    vendor = await vendors.get_vendor(admin, vendor_id)
    changed = VendorInput(
        name=vendor["name"], uscc=vendor["uscc"], categories=["cleaning", "security"]
    )
    await vendor_registry.update_vendor(admin, vendor_id, changed)
    async with http_client(app) as c:
        c.headers["Accept-Language"] = "zh-CN"
        await log_in(c, "t.procurement")
        panel = (await c.get(f"/vendors/{vendor_id}/history")).text
    assert "<th>服务类别</th>" in panel and "保洁、安保" in panel
    assert "[&#39;cleaning" not in panel and "['cleaning" not in panel


async def test_the_profile_page_offers_the_language_and_saves_it_on_the_account(app, world):
    username = unique("t.profile")
    user_id = await accounts.create_account(
        world.principals["admin"],
        username=username,
        password=PASSWORD,
        role="finance",
        display_name="资料页测试",
    )
    async with http_client(app) as c:
        await log_in(c, username)
        profile = await c.get("/tokens")
        assert 'id="f-language"' in profile.text
        assert '<option value="en" lang="en" selected>English</option>' in profile.text
        token = await csrf_token(c, "/tokens")
        saved = await c.post(
            "/language", data={"language": "zh_CN", "next": "/tokens", "_csrf_token": token}
        )
        assert str(saved.url).endswith("/tokens") and page_lang(saved) == "zh-CN"
    row = await Account.select(Account.language).where(Account.user == user_id).first()
    assert row["language"] == "zh_CN"


async def test_concurrent_choices_of_the_same_language_record_one_change(app, world):
    username = unique("t.race")
    user_id = await accounts.create_account(
        world.principals["admin"],
        username=username,
        password=PASSWORD,
        role="supervisor",
        display_name="并发测试",
    )
    async with http_client(app) as c:
        await log_in(c, username)
        token = await csrf_token(c, "/")
        answers = await asyncio.gather(
            *(
                c.post(
                    "/language",
                    data={"language": "zh_CN", "_csrf_token": token},
                    follow_redirects=False,
                )
                for _ in range(6)
            )
        )
    assert {a.status_code for a in answers} == {302}
    entries = await AuditEntry.count().where(
        (AuditEntry.entity_id == str(user_id)) & (AuditEntry.action == "set_language")
    )
    assert entries == 1


async def test_history_and_trail_show_people_by_display_name(app, world, login):
    vendor_id = await new_vendor(world)  # created by the admin ("Test admin", t.admin)
    async with login("admin") as c:
        panel = (await c.get(f"/vendors/{vendor_id}/history")).text
        trail = (await c.get("/audit?entity=vendor&entity_id=" + str(vendor_id))).text
    assert '<span class="who">Test admin</span>' in panel and "t.admin" not in panel
    assert ">Test admin</a>" in trail
