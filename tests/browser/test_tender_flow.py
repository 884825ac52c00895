"""A cleaning tender from publication to award through the pages (§3): the officer creates and
publishes it with a deadline moments ahead, three demo vendors bid under seal (one replaces its
bid), the officer opens at the deadline and draws five experts from the pool, each expert declares
and scores, the officer closes the evaluation and awards, and the draft contract shows."""

from __future__ import annotations

import os
import random
import re
import time
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in
from vendorgov.demo import ACCOUNTS

pytestmark = pytest.mark.browser

ZONE = ZoneInfo(os.environ.get("VENDORGOV_TIMEZONE", "Asia/Shanghai"))
# Enough for the officer to publish and three vendors to bid on a slow machine.
BIDDING_SECONDS = 40
PROPOSAL = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
# demo vendor user → total price; jiekang first bids higher, then replaces its bid.
BIDS = {"jiekang": "2,850,000.00", "huakang": "2,780,000.00", "jingmei": "2,700,000.00"}
EXPERTS = [f"expert{n}" for n in range(1, 6)]
# The panel page lists its members by display name only.
DISPLAY_NAMES = {username: name for username, _role, name, _vendor in ACCOUNTS}


@contextmanager
def session(browser, live_server, username: str, phone: bool = False):
    """A browser context logged in as `username` (a phone-sized one if asked)."""
    viewport = {"width": 390, "height": 844} if phone else {"width": 1280, "height": 900}
    context = browser.new_context(base_url=live_server, viewport=viewport)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.on("dialog", lambda dialog: dialog.accept())
    log_in(page, username)
    try:
        yield page
    finally:
        context.close()


def open_tender_page(page, reference: str) -> None:
    if page.locator("button.menu-toggle").is_visible():  # on a phone the menu opens first
        page.click("button.menu-toggle")
    page.click("nav.mainnav >> text=Tenders")
    page.click(f"a:has-text('{reference}')")


def test_tender_from_publication_to_award(browser, live_server, page):
    reference = f"ZB-T-{random.randrange(10**6):06d}"
    next_year = date.today().year + 1
    page.on("dialog", lambda dialog: dialog.accept())

    # --- the officer creates and publishes --------------------------------------------------
    log_in(page, "wang.min")
    page.click("nav.mainnav >> text=Tenders")
    page.click("text=New tender")
    page.fill("#f-reference", reference)
    page.fill("#f-title", "行政楼保洁服务采购")
    page.select_option("#f-category", "cleaning")
    page.select_option("#f-method", "open")
    page.select_option("#f-evaluation_method", "comprehensive")
    page.fill("#f-budget_ceiling", "3000000.00")
    page.fill("#f-service_start", f"{next_year}-01-01")
    page.fill("#f-service_end", f"{next_year}-12-31")
    page.fill("#f-scope", "行政楼 1–8 层日常保洁，服务期一年。")
    # The criteria start as price 30 / plan 40 / staffing 30; one SLA clause for the contract.
    expect(page.locator("input[name=criteria-0-key]")).to_have_value("price")
    page.fill("input[name=clauses-0-code]", "SLA-1")
    page.fill("input[name=clauses-0-name]", "保洁呼叫30分钟响应")
    page.select_option("select[name=clauses-0-kind]", "response_within")
    page.fill("input[name=clauses-0-threshold_minutes]", "30")
    page.fill("input[name=clauses-0-target]", "95")
    page.fill("input[name=clauses-0-minimum]", "80")
    deadline = (datetime.now(ZONE) + timedelta(seconds=BIDDING_SECONDS)).replace(microsecond=0)
    if deadline.second == 0:  # the browser would drop ":00" from the field's value
        deadline += timedelta(seconds=1)
    page.fill("#f-bid_deadline", deadline.strftime("%Y-%m-%dT%H:%M:%S"))
    page.click("button:has-text('Create draft')")
    expect(page.locator(".flash.ok")).to_contain_text("Draft tender created")
    expect(page.locator("h1")).to_contain_text(reference)
    page.check("#f-confirm-publish")  # irreversible: the box says what will happen
    page.click("button:has-text('Publish')")
    expect(page.locator(".flash.ok")).to_contain_text("Published")
    expect(page.locator("#open-bids button")).to_be_disabled()

    # --- three vendors bid under seal ------------------------------------------------------
    digests = {}
    for username, price in BIDS.items():
        with session(browser, live_server, username, phone=username == "jingmei") as vendor:
            open_tender_page(vendor, reference)
            if username == "jiekang":  # a first bid, replaced below: the latest counts
                vendor.fill("#f-price", "2,990,000.00")
                vendor.click("button:has-text('Submit the bid')")
                expect(vendor.locator(".flash.ok")).to_contain_text("received")
                vendor.click("text=Back to the tender")
            vendor.fill("#f-price", price)
            if username == "huakang":
                vendor.click("summary:has-text('Price lines')")
                vendor.fill("input[name=lines-0-item]", "保洁人员工资及社保")
                vendor.fill("input[name=lines-0-amount]", "2,000,000.00")
                vendor.fill("input[name=lines-1-item]", "耗材及设备")
                vendor.fill("input[name=lines-1-amount]", "780,000.00")
            vendor.set_input_files(
                "#f-files",
                files=[{"name": "技术方案.pdf", "mimeType": "application/pdf", "buffer": PROPOSAL}],
            )
            vendor.click("#bid-form button[type=submit]")
            expect(vendor.locator("h1")).to_contain_text("Bid receipt")
            digest = vendor.locator("#digest").inner_text().strip()
            assert re.fullmatch(r"[0-9a-f]{64}", digest)
            received = vendor.locator("#received-at").inner_text()
            assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", received)
            expect(vendor.locator("#canonical")).to_contain_text(price.replace(",", ""))
            if username == "jiekang":
                expect(vendor.locator(".flash.ok")).to_contain_text("replaces your earlier bid")
            digests[username] = digest

    # Before the deadline the officer sees that bids exist, never their prices.
    page.click("nav.tabs >> text=Bids")
    for digest in digests.values():
        expect(page.locator("table.data")).to_contain_text(digest)
    expect(page.locator("main")).not_to_contain_text("2,850,000")

    # --- the deadline passes: the officer opens -------------------------------------------
    page.click("nav.tabs >> text=Overview")
    wait = (deadline - datetime.now(ZONE)).total_seconds()
    assert wait > 0, "the bids took longer than BIDDING_SECONDS"
    time.sleep(wait + 0.5)
    open_button = page.locator("#open-bids button")
    expect(open_button).to_be_enabled(timeout=15_000)  # the page polls for the deadline
    page.check("#f-confirm-open")
    open_button.click()
    expect(page.locator(".flash.ok")).to_contain_text("Opened: 3 bid(s), 3 valid")
    for price in BIDS.values():
        expect(page.locator("table.data")).to_contain_text(price)
    expect(page.locator("table.data")).not_to_contain_text("2,990,000.00")
    expect(page.locator("table.data .badge.ok:has-text('matches')")).to_have_count(3)

    # --- the panel ----------------------------------------------------------------------
    # The demo's cleaning pool holds the five experts: a draw of five seats them all.
    page.click("nav.tabs >> text=Panel")
    page.fill("#f-count", "5")
    page.check("#f-confirm-draw")
    page.click("button:has-text('Draw the experts')")
    expect(page.locator(".flash.ok")).to_contain_text("5 experts drawn at random")
    for expert in EXPERTS:
        expect(page.locator("table.data").first).to_contain_text(DISPLAY_NAMES[expert])
    expect(page.locator("main")).to_contain_text("first draw")

    for n, expert in enumerate(EXPERTS):
        with session(browser, live_server, expert, phone=n == 0) as evaluator:
            open_tender_page(evaluator, reference)
            evaluator.click("text=Declare conflicts of interest")
            expect(evaluator.locator("fieldset")).to_contain_text("武汉洁康医院保洁服务有限公司")
            evaluator.click("button:has-text('Declare')")
            expect(evaluator.locator(".flash.ok")).to_contain_text("Declaration recorded")
            scores = evaluator.locator("input[name^=score-]")
            expect(scores).to_have_count(6)  # 3 bids × (plan, staffing)
            for i in range(6):
                scores.nth(i).fill(str(80 + (i + n) % 7))
            evaluator.click("button:has-text('Save draft')")
            expect(evaluator.locator(".flash.ok")).to_contain_text("Draft saved (6 scores)")
            evaluator.click("button:has-text('Submit final scores')")
            expect(evaluator.locator(".flash.ok")).to_contain_text("Scores submitted")

    # --- closing and award ---------------------------------------------------------------
    page.reload()
    expect(page.locator("table.data tbody tr .badge.ok")).to_have_count(5)
    page.click("button:has-text('Close the evaluation')")
    expect(page.locator(".flash.ok")).to_contain_text("Evaluation closed")
    ranking = page.locator("#ranking tbody tr")
    expect(ranking).to_have_count(3)
    expect(ranking.first).to_contain_text("candidate 1")
    first = ranking.first.locator("td").nth(1).inner_text().strip()
    # The award goes to candidate 1 (Order 87 Art. 68); the confirmation says who, at what
    # price, and the contract's monthly fees.
    expect(page.locator("#award input[name=bid_id]")).to_have_count(2)  # award, pass over
    confirm = page.locator("label[for=f-confirm-award]")
    expect(confirm).to_contain_text(f"candidate 1, {first}")
    expect(confirm).to_contain_text("monthly fees of")
    page.check("#f-confirm-award")
    page.click("button:has-text('Award to candidate 1 and create the contract draft')")
    expect(page.locator(".flash.ok")).to_contain_text("Awarded")
    expect(page.locator("h1")).to_contain_text(f"{reference}-C")
    expect(page.locator("main")).to_contain_text(first)
    assert re.search(r"/contracts/\d+$", page.url)
