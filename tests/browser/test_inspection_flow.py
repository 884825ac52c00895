"""On a phone: a supervisor logs an inspection with one failed item and a photo and issues a
notice; the vendor acknowledges and responds; the supervisor verifies it fixed."""

import random
import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in
from tests.conftest import PNG

pytestmark = pytest.mark.browser
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


def phone_page(browser, live_server, username):
    context = browser.new_context(base_url=live_server, **PHONE)
    page = context.new_page()
    page.set_default_timeout(10_000)
    log_in(page, username)
    return context, page


def test_inspection_notice_response_and_verification_on_a_phone(browser, live_server, tmp_path):
    note = f"卫生间地面积水 #{random.randrange(10**6)}"
    photo = tmp_path / "toilet.png"
    photo.write_bytes(PNG)

    context, page = phone_page(browser, live_server, "li.qiang")
    page.goto("/supervision")
    page.click("a.button:has-text('武汉洁康')")
    expect(page.locator("h1")).to_contain_text("On-site inspection")
    page.fill("#f-location", "住院部5楼东区")
    items = page.locator("fieldset.item")
    for index in range(items.count()):
        choice = "fail" if index == 1 else "pass"
        items.nth(index).locator(f"label.choice.{choice}").click()
    items.nth(1).locator("input[name^=note_]").fill(note)
    items.nth(1).locator("input[type=file]").set_input_files(str(photo))
    page.click("button:has-text('Submit inspection')")
    page.wait_for_url(re.compile(r"/inspections/\d+$"))
    expect(page.locator("img.thumb")).to_have_count(1)

    page.goto("/findings")
    page.locator("tr", has_text=note).locator("input[type=checkbox]").check()
    page.click("button:has-text('Issue a rectification notice')")
    page.wait_for_url(re.compile(r"/notices/\d+$"))
    notice_url = page.url
    number = page.locator("h1").inner_text().split()[-1]
    expect(page.locator("body")).to_contain_text(note)
    context.close()

    context, page = phone_page(browser, live_server, "jiekang")
    page.goto(notice_url)
    page.click("button:has-text('Acknowledge receipt')")
    expect(page.locator(".flash.ok")).to_contain_text("Notice status: Acknowledged")
    page.fill("#f-note", "已清理积水并更换防滑垫，加强每小时巡查")
    page.click("button:has-text('Send the response')")
    expect(page.locator(".flash.ok")).to_contain_text("Notice status: Responded")
    context.close()

    context, page = phone_page(browser, live_server, "li.qiang")
    page.goto(notice_url)
    expect(page.locator("body")).to_contain_text("已清理积水并更换防滑垫")
    page.click("button:has-text('Verified: fixed')")
    expect(page.locator(".flash.ok")).to_contain_text("Notice status: Closed")
    page.goto(f"/notices?all=true&q={number}")
    expect(page.locator("tr", has_text=number)).to_contain_text("closed")
    context.close()
