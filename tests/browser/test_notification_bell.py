"""The bell: sun.yan (finance) has a page open while zhao.li computes a month-end; without a
reload, sun.yan's bell counts one more unread item, and it leads to the run to approve."""

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in

pytestmark = pytest.mark.browser


def two_months_ago() -> str:
    today = datetime.now(ZoneInfo("Asia/Shanghai"))
    month = today.month - 2
    year = today.year + (month - 1) // 12
    return f"{year}-{(month - 1) % 12 + 1:02d}"


def unread(page) -> int:
    count = page.locator("#bell .count")
    return int(count.get_attribute("data-unread")) if count.count() else 0


def test_the_bell_shows_another_users_action_and_links_to_it(browser, live_server):
    viewer = browser.new_context(base_url=live_server, viewport={"width": 390, "height": 844})
    actor = browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 900})
    try:
        reviewer = viewer.new_page()
        log_in(reviewer, "sun.yan")
        expect(reviewer.locator("#bell[hx-trigger^='every']")).to_be_attached()
        before = unread(reviewer)

        computing = actor.new_page()
        log_in(computing, "zhao.li")
        computing.goto("/month-end")
        month = two_months_ago()
        computing.fill("#f-month", month)
        computing.fill("#f-reason", "补算（提醒测试）")
        computing.click("button:has-text('Compute')")
        expect(computing.locator(".flash.ok")).to_contain_text(f"{month} computed", timeout=30_000)

        # No reload: the bell polls.
        expect(reviewer.locator("#bell .count")).to_have_attribute(
            "data-unread", str(before + 1), timeout=15_000
        )
        reviewer.click("#bell")
        reviewer.wait_for_url(re.compile(r"/inbox"))
        item = reviewer.locator("ul.inbox li.unread").first
        expect(item).to_contain_text(month)
        item.locator("button").click()
        reviewer.wait_for_url(re.compile(r"/month-end/runs/\d+$"))
        expect(reviewer.locator("h1")).to_contain_text(month)
        # Opened, it is read: the bell (once loaded) counts what it counted before.
        expect(reviewer.locator("#bell[hx-trigger^='every']")).to_be_attached()
        assert unread(reviewer) == before
    finally:
        viewer.close()
        actor.close()
