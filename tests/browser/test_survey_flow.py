"""A supervisor takes a ward's survey link; a patient answers it anonymously on a phone
(390 × 844, no sideways scrolling), cannot answer again the same day from that phone, and the
answer shows up on the survey's page."""

import random
import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS, log_in

pytestmark = pytest.mark.browser
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


def test_a_patient_answers_a_ward_survey_on_a_phone(browser, live_server, page):
    comment = f"护士站附近卫生间很干净 #{random.randrange(10**6)}"
    log_in(page, "li.qiang")
    page.goto("/surveys")
    page.click("a:has-text('住院患者满意度调查')")
    survey_url = page.url
    link = page.locator("td.mono", has_text="/s/").first.inner_text().strip()
    assert re.search(r"/s/\d+\?w=\d+$", link)

    phone = browser.new_context(base_url=live_server, **PHONE)
    patient = phone.new_page()
    patient.set_default_timeout(10_000)
    patient.goto(link)
    expect(patient.locator("h1")).to_have_text("住院患者满意度调查")
    assert patient.evaluate("document.documentElement.scrollWidth") <= 390
    questions = patient.locator("fieldset.item")
    for index in range(questions.count()):
        if index != 2:  # one question left out: it does not count in the mean
            questions.nth(index).locator("label.choice.score", has_text="5").click()
    patient.fill("#f-comment", comment)
    ARTIFACTS.mkdir(exist_ok=True)
    patient.screenshot(path=str(ARTIFACTS / "survey_on_a_phone.png"), full_page=True)
    patient.click("button:has-text('Send')")
    expect(patient.locator("h1")).to_have_text("Thank you")

    patient.goto(link)  # the same phone, the same day
    questions = patient.locator("fieldset.item")
    questions.nth(0).locator("label.choice.score", has_text="4").click()
    patient.click("button:has-text('Send')")
    expect(patient.locator(".flash.error")).to_contain_text("already answered this survey today")
    assert patient.evaluate("document.documentElement.scrollWidth") <= 390
    phone.close()

    page.goto(survey_url)
    row = page.locator("tr", has_text=comment)
    expect(row).to_have_count(1)
    expect(row).to_contain_text("5 5 – 5")
