"""An invited tender from publication to the result notice through the pages (§3, §3a): the
officer invites three cleaning vendors and publishes; one asks a question and the officer's
answer reaches every bidder without naming who asked; the three bid (one on a phone); the
officer opens at the deadline, the panel scores, the officer closes and awards, then publishes
the result notice; a losing bidder, on a phone, reads its own rank and files a challenge."""

from __future__ import annotations

import os
import random
import time
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in
from tests.browser.test_tender_flow import DISPLAY_NAMES, open_tender_page, session
from vendorgov.demo import ACCOUNTS, BIDDING_VENDOR, VENDORS

pytestmark = pytest.mark.browser

ZONE = ZoneInfo(os.environ.get("VENDORGOV_TIMEZONE", "Asia/Shanghai"))
# Enough to invite, publish, ask, answer and bid three times on a slow machine.
BIDDING_SECONDS = 75
# demo vendor user → price (jingmei's is lowest and wins: every expert scores alike).
BIDS = {"jiekang": "2,850,000.00", "huakang": "2,780,000.00", "jingmei": "2,700,000.00"}
VENDOR_NAMES = {u: [*VENDORS, BIDDING_VENDOR][v][0] for u, _r, _n, v in ACCOUNTS if u in BIDS}
EXPERTS = [f"expert{n}" for n in range(1, 6)]
QUESTION = "投标报价是否包含保洁耗材？"
ANSWER = "包含。投标报价应包含全部保洁耗材及设备费用。"


def seat_and_score_panel(page, browser, live_server, reference: str) -> None:
    """The panel, in one place: the officer draws five experts from the cleaning pool (the
    demo's pool holds exactly the five), each declares no conflict and scores every bid
    alike."""
    page.click("nav.tabs >> text=Panel")
    page.fill("#f-count", "5")
    page.check("#f-confirm-draw")
    page.click("button:has-text('Draw the experts')")
    expect(page.locator(".flash.ok")).to_contain_text("5 experts drawn at random")
    for expert in EXPERTS:
        with session(browser, live_server, expert) as evaluator:
            open_tender_page(evaluator, reference)
            evaluator.click("text=Declare conflicts of interest")
            evaluator.click("button:has-text('Declare')")
            expect(evaluator.locator(".flash.ok")).to_contain_text("Declaration recorded")
            scores = evaluator.locator("input[name^=score-]")
            expect(scores).to_have_count(6)  # 3 bids × (plan, staffing)
            for i in range(6):
                scores.nth(i).fill("80")
            evaluator.click("button:has-text('Submit final scores')")
            expect(evaluator.locator(".flash.ok")).to_contain_text("Scores submitted")
    page.reload()


def test_invited_tender_to_the_result_notice_and_a_challenge(browser, live_server, page):
    reference = f"YQ-T-{random.randrange(10**6):06d}"
    next_year = date.today().year + 1
    page.on("dialog", lambda dialog: dialog.accept())

    # --- the officer creates the invited tender, invites three vendors, publishes ----------
    log_in(page, "wang.min")
    page.click("nav.mainnav >> text=Tenders")
    page.click("text=New tender")
    page.fill("#f-reference", reference)
    page.fill("#f-title", "门诊楼保洁服务采购项目")
    page.select_option("#f-category", "cleaning")
    page.select_option("#f-method", "invited")
    page.select_option("#f-evaluation_method", "comprehensive")
    page.fill("#f-budget_ceiling", "3000000.00")
    page.fill("#f-bid_security", "60000.00")  # 2% of the ceiling
    page.fill("#f-service_start", f"{next_year}-01-01")
    page.fill("#f-service_end", f"{next_year}-12-31")
    page.fill("input[name=clauses-0-code]", "SLA-1")
    page.fill("input[name=clauses-0-name]", "保洁呼叫30分钟响应")
    page.select_option("select[name=clauses-0-kind]", "response_within")
    page.fill("input[name=clauses-0-threshold_minutes]", "30")
    page.fill("input[name=clauses-0-target]", "95")
    page.fill("input[name=clauses-0-minimum]", "80")
    deadline = (datetime.now(ZONE) + timedelta(seconds=BIDDING_SECONDS)).replace(microsecond=0)
    if deadline.second == 0:
        deadline += timedelta(seconds=1)
    page.fill("#f-bid_deadline", deadline.strftime("%Y-%m-%dT%H:%M:%S"))
    page.click("button:has-text('Create draft')")
    expect(page.locator(".flash.ok")).to_contain_text("Draft tender created")
    for username in BIDS:
        page.select_option("#f-invite-vendor", label=VENDOR_NAMES[username])
        page.fill("#f-invite-reason", "院内同类项目服务记录良好，资质齐全。")
        page.click("#invitations button[type=submit]")
        expect(page.locator(".flash.ok")).to_contain_text("Vendor invited")
    expect(page.locator("#invitations tbody tr")).to_have_count(3)
    page.check("#f-confirm-publish")
    page.click("button:has-text('Publish')")
    expect(page.locator(".flash.ok")).to_contain_text("Published")

    # --- a clarification: asked by one bidder, answered to all without its name ------------
    with session(browser, live_server, "huakang") as vendor:
        open_tender_page(vendor, reference)
        vendor.fill("#f-question", QUESTION)
        vendor.click("button:has-text('Send the question')")
        expect(vendor.locator(".flash.ok")).to_contain_text("Question sent")
    page.reload()
    page.locator("#clarifications textarea[name=answer]").first.fill(ANSWER)
    page.click("button:has-text('Publish the answer')")
    expect(page.locator(".flash.ok")).to_contain_text("Clarification published")

    # --- the three invited vendors bid (jingmei on a phone) --------------------------------
    for username, price in BIDS.items():
        with session(browser, live_server, username, phone=username == "jingmei") as vendor:
            open_tender_page(vendor, reference)
            expect(vendor.locator("#clarifications")).to_contain_text(ANSWER)
            expect(vendor.locator("#clarifications")).not_to_contain_text(VENDOR_NAMES["huakang"])
            vendor.fill("#f-price", price)
            vendor.click("#bid-form button[type=submit]")
            expect(vendor.locator("h1")).to_contain_text("Bid receipt")

    # --- opening, panel, award ------------------------------------------------------------
    page.click("nav.tabs >> text=Overview")
    wait = (deadline - datetime.now(ZONE)).total_seconds()
    assert wait > 0, "inviting and bidding took longer than BIDDING_SECONDS"
    time.sleep(wait + 0.5)
    open_button = page.locator("#open-bids button")
    expect(open_button).to_be_enabled(timeout=15_000)
    page.check("#f-confirm-open")
    open_button.click()
    expect(page.locator(".flash.ok")).to_contain_text("Opened: 3 bid(s), 3 valid")
    seat_and_score_panel(page, browser, live_server, reference)
    page.click("button:has-text('Close the evaluation')")
    expect(page.locator(".flash.ok")).to_contain_text("Evaluation closed")
    expect(page.locator("#ranking tbody tr").first).to_contain_text(VENDOR_NAMES["jingmei"])
    page.check("#f-confirm-award")
    page.click("button:has-text('Award to candidate 1 and create the contract draft')")
    expect(page.locator(".flash.ok")).to_contain_text("Awarded")

    # --- the result notice ----------------------------------------------------------------
    open_tender_page(page, reference)
    page.click("nav.tabs >> text=Result notice")
    expect(page.locator("#notice-due")).to_contain_text("Due by")
    page.click("button:has-text('Publish the result notice')")  # not confirmed: refused
    expect(page.locator("#f-confirm-notice")).to_be_visible()
    page.check("#f-confirm-notice")
    page.click("button:has-text('Publish the result notice')")
    expect(page.locator(".flash.ok")).to_contain_text("Result notice published")
    expect(page.locator("#notice-winner")).to_contain_text(VENDOR_NAMES["jingmei"])
    expect(page.locator("#notice-candidates tbody tr")).to_have_count(3)
    expect(page.locator("#notice-panel")).to_contain_text(DISPLAY_NAMES["expert1"])

    # --- a losing bidder, on a phone, reads its rank and challenges ------------------------
    with session(browser, live_server, "jiekang", phone=True) as loser:
        open_tender_page(loser, reference)
        loser.click("nav.tabs >> text=Your result")
        expect(loser.locator("#own-rank")).to_contain_text("3 of 3 ranked bids")
        loser.click("nav.tabs >> text=Result notice")
        expect(loser.locator("#notice-winner")).to_contain_text(VENDOR_NAMES["jingmei"])
        expect(loser.locator("a:has-text('Award notice')")).to_have_count(0)
        loser.fill("#f-grounds", "我公司服务方案得分与其他投标人相同，请说明价格分计算过程。")
        loser.click("button:has-text('File the challenge')")
        expect(loser.locator(".flash.ok")).to_contain_text("Challenge filed")
        expect(loser.locator("#challenges")).to_contain_text("open: answer due")
        width = loser.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"the notice page scrolls sideways on a phone ({width}px)"

    # The officer sees the challenge to answer.
    page.reload()
    expect(page.locator("#challenges")).to_contain_text(VENDOR_NAMES["jiekang"])
    expect(page.locator("#challenges button:has-text('Send the answer')")).to_be_visible()
