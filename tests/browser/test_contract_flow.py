"""A procurement officer creates, signs, amends and compares a contract through the pages."""

import random

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in

pytestmark = pytest.mark.browser


def test_create_sign_amend_and_compare(page):
    number = f"HT-2027-{random.randrange(10**5):05d}"
    page.on("dialog", lambda dialog: dialog.accept())
    log_in(page, "wang.min")
    page.click("nav.mainnav >> text=Contracts")
    page.click("text=New contract")
    page.fill("#f-number", number)
    page.fill("#f-title", "病区保洁服务合同")
    page.select_option("#f-vendor_id", label="武汉洁康医院保洁服务有限公司")
    page.select_option("#f-category", "cleaning")
    page.fill("#f-start_date", "2027-01-01")
    page.fill("#f-end_date", "2028-12-31")
    page.fill("#f-monthly_fee", "126500.00")
    page.click("button:has-text('Create')")
    expect(page.locator("h1")).to_contain_text(f"{number} · version 1")

    page.fill("input[name=clauses-0-code]", "SLA-1")
    page.fill("input[name=clauses-0-name]", "保洁呼叫30分钟响应")
    page.select_option("select[name=clauses-0-kind]", "response_within")
    page.fill("input[name=clauses-0-threshold_minutes]", "30")
    page.fill("input[name=clauses-0-target]", "95")
    page.fill("input[name=clauses-0-minimum]", "80")
    page.click("button:has-text('Save draft')")
    expect(page.locator(".flash.ok")).to_contain_text("Draft saved")
    page.click("button:has-text('Sign version 1')")
    expect(page.locator(".flash.ok")).to_contain_text("signed")

    page.click("summary:has-text('Amend the contract')")
    page.fill("#f-amend-reason", "提高响应及时率目标")
    page.fill("#f-amend-from", "2027-07-01")
    page.click("button:has-text('Create the amendment draft')")
    expect(page.locator("h1")).to_contain_text("version 2")
    expect(page.locator("input[name=clauses-0-target]")).to_have_value("95")
    page.fill("input[name=clauses-0-target]", "98")
    page.click("button:has-text('Save draft')")
    page.click("button:has-text('Sign version 2')")
    expect(page.locator(".flash.ok")).to_contain_text("Version 2 signed")

    page.click("button:has-text('Compare')")
    change = page.locator("#clause-SLA-1")
    expect(change).to_contain_text("Target")  # labelled, not the field code
    expect(change.locator("del")).to_have_text("95")
    expect(change.locator("ins")).to_have_text("98")
