"""A procurement officer registers a vendor with a qualification, through the pages."""

import random

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in
from vendorgov.vendors.rules import USCC_ALPHABET, uscc_check_character

pytestmark = pytest.mark.browser


def valid_uscc() -> str:
    body = "91" + "".join(random.choice(USCC_ALPHABET) for _ in range(15))
    return body + uscc_check_character(body)


def test_register_vendor_with_qualification_then_find_it(page, tmp_path):
    name = f"武汉浏览器测试保洁有限公司{random.randrange(10**6)}"
    log_in(page, "wang.min")
    page.click("nav.mainnav >> text=Vendors")
    page.click("text=Register a vendor")
    page.fill("#f-name", name)
    page.fill("#f-uscc", valid_uscc())
    page.check("input[name=categories][value=cleaning]")
    page.fill("#f-phone", "027-8366 0000")
    page.click("button:has-text('Register')")
    expect(page.locator("h1")).to_contain_text(name)
    expect(page.locator(".flash.ok")).to_contain_text("registered")

    scan = tmp_path / "iso9001.pdf"
    scan.write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n")
    page.click("summary:has-text('Add a qualification')")
    page.select_option("#f-kind", "iso9001")
    page.fill("#f-number", "00124Q31245R2M")
    page.fill("#f-issued_on", "2025-03-01")
    page.fill("#f-expires_on", "2028-02-28")
    page.set_input_files("#f-scan", str(scan))
    page.click("button:has-text('Upload')")
    expect(page.locator("#qualifications + .table-wrap")).to_contain_text("00124Q31245R2M")

    history = page.locator("#history")
    expect(history).to_contain_text("add_qualification")
    expect(history).to_contain_text("create")

    page.click("nav.mainnav >> text=Vendors")
    page.fill("#q", name[-10:])  # live search through htmx, no submit
    expect(page.locator("#vendor-rows")).to_contain_text(name)
    expect(page.locator("#vendor-rows tr")).to_have_count(1)


def test_corrupted_uscc_is_explained_inline_and_nothing_is_created(page):
    name = f"校验失败服务商{random.randrange(10**6)}"
    code = valid_uscc()
    corrupted = code[:-1] + ("0" if code[-1] != "0" else "1")
    log_in(page, "wang.min")
    page.goto("/vendors/new")
    page.fill("#f-name", name)
    page.fill("#f-uscc", corrupted)
    page.check("input[name=categories][value=security]")
    page.click("button:has-text('Register')")
    expect(page.locator(".field.has-error .error")).to_contain_text("check character")
    expect(page.locator("#f-name")).to_have_value(name)
    page.goto(f"/vendors?q={name}")
    expect(page.locator("#vendor-rows")).to_contain_text("No vendor matches")


def test_vendor_user_has_no_registry(page):
    log_in(page, "jiekang")
    expect(page.locator("nav.mainnav")).not_to_contain_text("Vendors")
    response = page.goto("/vendors/new")
    assert response.status == 403
    expect(page.locator("h1")).to_contain_text("403")
