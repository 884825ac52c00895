"""The inspection form as an offline web app, on a phone: opened once with a connection, it
opens again without one (from the service worker's copy); answers and a photo given offline
survive a reload; submitted offline, the inspection waits on the device and is stored once
when the connection returns."""

import random
import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_inspection_flow import phone_page
from tests.conftest import PNG

pytestmark = pytest.mark.browser
KEPT = "async () => !!(await caches.match(location.href))"


def test_inspection_answered_offline_survives_a_reload_and_is_stored_once(
    browser, live_server, tmp_path
):
    place = f"离线检查{random.randrange(10**6)}"
    note = f"地面湿滑 {place}"
    photo = tmp_path / "floor.png"
    photo.write_bytes(PNG)
    context, page = phone_page(browser, live_server, "li.qiang")
    manifest = page.evaluate("fetch('/manifest.webmanifest').then((r) => r.json())")
    assert manifest["display"] == "standalone" and manifest["icons"]
    page.goto("/supervision")
    page.click("a.button:has-text('武汉洁康')")
    expect(page.locator("h1")).to_contain_text("On-site inspection")
    form_url = page.url
    page.wait_for_function(KEPT, polling=200)  # the service worker keeps the form

    context.set_offline(True)
    page.fill("#f-location", place)
    items = page.locator("fieldset.item")
    count = items.count()
    for index in range(count):
        items.nth(index).locator(f"label.choice.{'fail' if index == 0 else 'pass'}").click()
    items.nth(0).locator("input[name^=note_]").fill(note)
    items.nth(0).locator("input[type=file]").set_input_files(str(photo))
    expect(items.nth(0).locator(".kept-photos img")).to_have_count(1)

    page.reload()  # no connection: the service worker's copy of the form
    assert page.url == form_url
    items = page.locator("fieldset.item")
    expect(items).to_have_count(count)
    expect(page.locator("#draft-status")).to_contain_text("Restored")
    expect(page.locator("#f-location")).to_have_value(place)
    expect(items.nth(0).locator("input[value=fail]")).to_be_checked()
    expect(items.nth(count - 1).locator("input[value=pass]")).to_be_checked()
    expect(items.nth(0).locator("input[name^=note_]")).to_have_value(note)
    expect(items.nth(0).locator(".kept-photos img")).to_have_count(1)

    page.click("button:has-text('Submit inspection')")
    expect(page.locator("#draft-status")).to_contain_text("No connection")
    page.reload()  # still queued after a reload, and still not sent
    expect(page.locator("#draft-status")).to_contain_text("No connection")

    context.set_offline(False)  # the outbox sends it
    page.wait_for_url(re.compile(r"/inspections/\d+$"))
    expect(page.locator("body")).to_contain_text(place)
    expect(page.locator("img.thumb")).to_have_count(1)
    page.goto("/supervision")
    expect(page.locator("li", has_text=place)).to_have_count(1)
    page.goto(form_url)  # the draft is gone with its sending: a fresh form
    expect(page.locator("#f-location")).to_have_value("")
    context.close()
