"""The vendor registry's page forms (register, edit, status, contact, qualification, delete)
refused the one way every page form is (web.errors.FormRetry): the page they were sent from
comes back with what was typed and each message beside its field — in Chinese by default, in
English when the browser asks for it — and nothing is saved."""

import html
import re
from contextlib import asynccontextmanager

from tests.conftest import PDF, csrf_token, http_client, log_in, new_vendor, unique
from vendorgov.vendors import service as vendors
from vendorgov.vendors.tables import Contact, Qualification, Vendor

BASE = "http://testserver.local"
BAD_CHECK = "91330100716105852A"  # its check character should be F


@asynccontextmanager
async def officer(app, language: str | None):
    """A procurement officer's browser; `language` None sends no Accept-Language (zh-CN)."""
    async with http_client(app) as c:
        assert (await log_in(c, "t.procurement")).status_code in (302, 303)
        if language is None:
            del c.headers["Accept-Language"]
        else:
            c.headers["Accept-Language"] = language
        yield c


async def submit(client, page: str, action: str, data: dict, files: dict | None = None):
    """Posts a form as a browser does: from `page`, whose address is the Referer."""
    token = await csrf_token(client, page)
    return await client.post(
        action,
        data={"_csrf_token": token, **data},
        files=files,
        headers={"Referer": BASE + page},
    )


def beside(page: str, name: str) -> str:
    """The message right after the input (or textarea) called `name`."""
    match = re.search(
        rf'name="{re.escape(name)}"[^>]*>(?:[^<]*</textarea>)?'
        r'(?:\s*<div class="hint">[^<]*</div>)?\s*<div class="error">([^<]+)</div>',
        page,
    )
    assert match, f"no message beside {name}"
    return html.unescape(match[1])


def ticked(page: str) -> set[str]:
    return set(re.findall(r'name="categories" value="([a-z_]+)" checked', page))


async def test_a_refused_registration_keeps_the_input_in_chinese_by_default(app, world):
    name = unique("重试保洁公司")
    async with officer(app, None) as c:
        page = await submit(
            c,
            "/vendors/new",
            "/vendors",
            {
                "name": name,
                "uscc": BAD_CHECK,
                "categories": ["cleaning", "laundry"],
                "phone": "电话待定",
                "email": "not-an-address",
                "bank_account": "6222 0202 0000 1234",
            },
        )
    assert page.status_code == 422
    assert '<html lang="zh-CN"' in page.text and "新增服务商" in page.text  # the form, in Chinese
    assert f'value="{name}"' in page.text and 'value="6222 0202 0000 1234"' in page.text
    assert ticked(page.text) == {"cleaning", "laundry"}
    assert beside(page.text, "uscc") == "统一社会信用代码校验位应为 F，不是 A，请核对"
    assert beside(page.text, "phone") == "联系电话只能包含数字、空格、+、- 和括号"
    assert beside(page.text, "email") == "电子邮箱格式不正确，应类似 name@example.com"
    assert beside(page.text, "bank_name") == "填写了银行账号时，请填写开户银行"
    # The list above the form names fields by their labels, never by their codes.
    assert "<strong>uscc</strong>" not in page.text and "bank_account</" not in page.text
    assert await Vendor.count().where(Vendor.name == name) == 0


async def test_a_refused_registration_in_english(app, world):
    name = unique("Retry Cleaning")
    async with officer(app, "en-US,en;q=0.9") as c:
        page = await submit(
            c, "/vendors/new", "/vendors", {"name": name, "uscc": BAD_CHECK, "phone": "call us"}
        )
    assert page.status_code == 422
    assert '<html lang="en"' in page.text and f'value="{name}"' in page.text
    assert ticked(page.text) == set()
    assert "check character should be F" in beside(page.text, "uscc")
    assert beside(page.text, "phone") == "Phone: use digits, spaces, +, - and parentheses only."
    assert "choose at least one service category" in page.text
    assert await Vendor.count().where(Vendor.name == name) == 0


async def test_a_refused_edit_keeps_the_typed_values_not_the_stored_ones(app, world):
    vendor_id = await new_vendor(world, categories=["security"], phone="027-1234 5678")
    before = await vendors.get_vendor(world.principals["admin"], vendor_id)
    edit = f"/vendors/{vendor_id}/edit"
    async with officer(app, None) as c:
        page = await submit(
            c,
            edit,
            edit,
            {
                "name": before["name"],
                "uscc": before["uscc"],
                "categories": ["cleaning", "catering"],
                "phone": "027-8765 4321",
                "email": "li@@example",
                "revision": str(before["revision"]),
            },
        )
    assert page.status_code == 422
    assert 'value="027-8765 4321"' in page.text and 'value="li@@example"' in page.text
    assert ticked(page.text) == {"cleaning", "catering"}  # as typed, not the stored security
    assert beside(page.text, "email") == "电子邮箱格式不正确，应类似 name@example.com"
    after = await vendors.get_vendor(world.principals["admin"], vendor_id)
    assert after["phone"] == "027-1234 5678" and after["categories"] == ["security"]


async def test_a_stale_edit_comes_back_with_what_changed_in_words(app, world):
    vendor_id = await new_vendor(world)
    stored = await vendors.get_vendor(world.principals["admin"], vendor_id)
    edit = f"/vendors/{vendor_id}/edit"
    typed = {
        "name": stored["name"],
        "uscc": stored["uscc"],
        "categories": ["cleaning"],
        "revision": "1",
    }
    async with officer(app, None) as c:
        first = await submit(c, edit, edit, {**typed, "address": "武汉市江岸区"})
        assert first.status_code == 200  # saved: revision 2
        page = await submit(c, edit, edit, {**typed, "address": "武汉市武昌区"})
    assert page.status_code == 409
    assert 'value="武汉市武昌区"' in page.text
    assert "他人已修改了该服务商信息" in html.unescape(page.text)
    assert "修改项：地址" in html.unescape(page.text)


async def test_a_refused_status_change_opens_its_form_with_the_reason_kept(app, world):
    vendor_id = await new_vendor(world)
    detail = f"/vendors/{vendor_id}"
    async with officer(app, None) as c:
        page = await submit(
            c,
            detail,
            f"{detail}/status",
            {"action": "suspend", "reason": "连续两月考核不合格", "until": ""},
        )
    assert page.status_code == 422
    assert '<option value="suspend" selected' in page.text
    assert "连续两月考核不合格</textarea>" in page.text
    assert beside(page.text, "until") == "暂停截止日期：暂停须设定截止日期。"
    assert (await vendors.get_vendor(world.principals["admin"], vendor_id))["status"] == "active"


async def test_a_refused_qualification_keeps_its_number_and_says_why_in_english(app, world):
    vendor_id = await new_vendor(world)
    detail = f"/vendors/{vendor_id}"
    number = unique("鄂公保服字")
    async with officer(app, "en") as c:
        page = await submit(
            c,
            detail,
            f"{detail}/qualifications",
            {
                "kind": "security_service_permit",
                "number": number,
                "issued_on": "2026-03-01",
                "expires_on": "2025-03-01",
            },
            files={"scan": ("permit.pdf", PDF, "application/pdf")},
        )
    assert page.status_code == 422
    assert '<details class="card" open>' in page.text  # the form is shown open
    assert f'value="{number}"' in page.text and 'value="2025-03-01"' in page.text
    assert beside(page.text, "expires_on") == (
        "Expiry date: must be after the issue date; check both dates."
    )
    assert await Qualification.count().where(Qualification.number == number) == 0


async def test_a_refused_contact_is_shown_in_its_own_form_only(app, world):
    vendor_id = await new_vendor(world)
    detail = f"/vendors/{vendor_id}"
    async with officer(app, None) as c:
        page = await submit(
            c, detail, f"{detail}/contacts", {"name": "王建国", "title": "项目经理"}
        )
    assert page.status_code == 422
    assert 'value="王建国"' in page.text and 'value="项目经理"' in page.text
    assert beside(page.text, "phone") == "请填写联系电话或电子邮箱"
    # The status form beside it is not refilled with the contact's input.
    assert '<textarea id="f-reason" name="reason" rows="2"></textarea>' in page.text
    assert await Contact.count().where(Contact.vendor == vendor_id) == 0


async def test_deleting_a_vendor_with_accounts_says_why_on_its_page(app, world):
    detail = f"/vendors/{world.vendor_a}"  # the vendor user t.vendor belongs to it
    async with officer(app, None) as c:
        page = await submit(c, detail, f"{detail}/delete", {})
    assert page.status_code == 409
    assert "用户账号、合同或投标引用了该服务商" in html.unescape(page.text)
    assert await Vendor.exists().where(Vendor.id == world.vendor_a)
