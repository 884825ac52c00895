"""A rejected page form comes back on the page it was sent from, with what was typed and each
message beside its field (web.errors.FormRetry), never a bare error page; the API keeps
problem+json with field codes, its messages in the caller's language."""

import html
import re

from tests.conftest import csrf_token, http_client, log_in, unique
from vendorgov.accounts import service as accounts
from vendorgov.contracts.tables import Contract

BASE = "http://testserver.local"


def field_error(page: str, name: str) -> str:
    """The inline message under the input called `name`."""
    match = re.search(
        rf'name="{re.escape(name)}"[^>]*>(?:\s*<div class="hint">[^<]*</div>)?'
        r'\s*<div class="error">([^<]+)</div>',
        page,
    )
    assert match, f"no inline error under {name}"
    return html.unescape(match[1])


async def post_from(client, page: str, action: str, data: dict):
    """Submits a form the way a browser does: from `page`, whose address is the Referer."""
    token = await csrf_token(client, page)
    return await client.post(
        action, data={"_csrf_token": token, **data}, headers={"Referer": BASE + page}
    )


async def test_contract_draft_keeps_the_input_and_marks_each_field(login, world):
    number = unique("HT-RETRY")
    async with login("procurement") as c:
        page = await post_from(
            c,
            "/contracts/new",
            "/contracts/",
            {
                "number": number,
                "title": "门诊楼保洁服务",
                "vendor_id": str(world.vendor_a),
                "category": "cleaning",
                "start_date": "2027-01-01",
                "end_date": "2026-13-40",
                "monthly_fee": "12万",
            },
        )
        assert page.status_code == 422
        assert "Invalid input</h1>" not in page.text  # the form, not the error page
        assert f'value="{number}"' in page.text and 'value="门诊楼保洁服务"' in page.text
        assert f'value="{world.vendor_a}" selected' in page.text
        assert "is not a number" in field_error(page.text, "monthly_fee")
        assert "is not a date" in field_error(page.text, "end_date")
        assert field_error(page.text, "end_date").count("2026-13-40") == 1
    assert await Contract.count().where(Contract.number == number) == 0


async def test_vendor_registration_in_chinese_names_the_field_and_what_to_do(app, world):
    name = unique("校验服务商")
    async with http_client(app) as c:
        c.headers["Accept-Language"] = "zh-CN"
        await log_in(c, "t.procurement")
        page = await post_from(
            c, "/vendors/new", "/vendors", {"name": name, "uscc": "91330100716105852A"}
        )
        assert page.status_code == 422
        assert f'value="{name}"' in page.text
        assert field_error(page.text, "uscc") == "统一社会信用代码校验位应为 F，不是 A，请核对"


async def test_account_form_keeps_input_but_never_the_password(login, world):
    username = unique("retry.user")
    async with login("admin") as c:
        page = await post_from(
            c,
            "/accounts",
            "/accounts",
            {
                "username": username,
                "display_name": "重试 用户",
                "password": "aaaaaaaaaa",
                "role": "supervisor",
            },
        )
        assert page.status_code == 422
        assert f'value="{username}"' in page.text and 'value="重试 用户"' in page.text
        assert "aaaaaaaaaa" not in page.text
        assert "most common passwords" in field_error(page.text, "password")
        assert '<option value="supervisor" selected' in page.text
    assert await accounts.user_id_for(username) is None


async def test_a_conflict_comes_back_on_the_page_too(login, world):
    async with login("admin") as c:
        me = world.principals["admin"].user_id
        page = await post_from(c, "/accounts", f"/accounts/{me}/active", {"active": ""})
        assert page.status_code == 409
        assert "cannot deactivate your own account" in page.text
        assert "<h1>409" not in page.text


async def test_a_page_without_inline_messages_lists_them_above_its_content(login, world):
    async with login("admin") as c:
        page = await post_from(
            c, "/locations", "/locations", {"kind": "galaxy", "name": "X", "code": unique("G")}
        )
        assert page.status_code == 422
        assert 'role="alert"' in page.text and 'action="/locations/import"' in page.text


async def test_without_a_referer_the_error_page_lists_each_message_once(login, world):
    async with login("procurement") as c:
        token = await csrf_token(c, "/vendors/new")
        page = await c.post(
            "/contracts/", data={"_csrf_token": token, "number": "", "monthly_fee": "abc"}
        )
        assert page.status_code == 422
        assert page.text.count("“abc” is not a number") == 1


async def test_a_referer_from_another_site_is_not_followed(login, world):
    async with login("procurement") as c:
        token = await csrf_token(c, "/contracts/new")
        page = await c.post(
            "/contracts/",
            data={"_csrf_token": token, "monthly_fee": "abc"},
            headers={"Referer": "http://evil.example/contracts/new"},
        )
        assert page.status_code == 422 and "Please correct the following" in page.text


async def test_the_api_keeps_field_codes_with_messages_in_the_callers_language(api, world):
    body = {"name": unique("API 校验"), "uscc": "91330100716105852A", "categories": ["cleaning"]}
    async with api("procurement") as c:
        english = await c.post("/api/vendors", json=body)
        c.headers["Accept-Language"] = "zh-CN"
        chinese = await c.post("/api/vendors", json=body)
    for response in (english, chinese):
        assert response.status_code == 422
        assert response.headers["content-type"].startswith("application/problem+json")
        assert [(e["field"], e["rule"]) for e in response.json()["errors"]] == [
            ("uscc", "uscc_check")
        ]
    assert "check character should be F" in english.json()["errors"][0]["message"]
    assert chinese.json()["errors"][0]["message"] == "统一社会信用代码校验位应为 F，不是 A，请核对"
