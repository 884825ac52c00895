"""On a phone: a ward nurse opens a place's QR link and files a request; the vendor's cleaner
accepts it, records arrival and resolves it with a photo; the nurse rates it 2, and the
supervisor finds the drafted complaint finding and confirms it. No page scrolls sideways."""

import random
import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_inspection_flow import phone_page
from tests.conftest import PNG

pytestmark = pytest.mark.browser
NO_SIDEWAYS = "document.documentElement.scrollWidth <= window.innerWidth"


def test_request_filed_handled_rated_and_complaint_confirmed(browser, live_server, tmp_path):
    what = f"护士站洗手池堵塞 #{random.randrange(10**6)}"
    photo = tmp_path / "done.png"
    photo.write_bytes(PNG)

    context, page = phone_page(browser, live_server, "hsz.zy5")
    # the place's id as its QR label encodes it (/at/<id>)
    page.goto("/service/places?q=BY-ZY-5F-03")
    place_id = page.locator("input[name=location_id]").first.get_attribute("value")
    page.goto(f"/at/{place_id}")
    page.wait_for_url(re.compile(r"/service/new\?location_id=\d+$"))
    expect(page.locator("#f-place")).to_have_value(re.compile("护士站"))
    assert page.evaluate(NO_SIDEWAYS)
    page.select_option("#f-category", "cleaning")
    page.fill("#f-description", what)
    page.fill("#f-contact_phone", "8501")
    page.click("button:has-text('File the request')")
    page.wait_for_url(re.compile(r"/service/requests/\d+$"))
    request_url = page.url
    expect(page.locator("body")).to_contain_text(what)
    assert page.evaluate(NO_SIDEWAYS)
    context.close()

    context, page = phone_page(browser, live_server, "jiekang.w1")
    page.goto("/service/requests")
    assert page.evaluate(NO_SIDEWAYS)
    page.goto(request_url)
    page.click("button:has-text('Accept')")
    page.click("button:has-text('I am on site')")
    page.locator("#f-rphoto").set_input_files(str(photo))
    page.fill("#f-note", "已疏通")
    page.click("button:has-text('Resolved')")
    expect(page.locator("body")).to_contain_text("已疏通")
    context.close()

    context, page = phone_page(browser, live_server, "hsz.zy5")
    page.goto(request_url)
    page.locator("input[name=rating][value='2']").check()
    page.fill("#f-comment", "等了很久")
    page.click("button:has-text('Confirm and rate')")
    expect(page.locator("body")).to_contain_text("awaits a supervisor")
    context.close()

    context, page = phone_page(browser, live_server, "li.qiang")
    page.goto(request_url)
    expect(page.locator("h2")).to_contain_text("Drafted complaint finding")
    page.click("button:has-text('Confirm the finding')")
    expect(page.locator("body")).to_contain_text("confirmed as a finding")
    page.goto("/service/board")
    assert page.evaluate(NO_SIDEWAYS)
    context.close()
