"""Finance closes last month through the pages: zhao.li computes it, logs out, sun.yan approves
it (the computing user cannot), and a statement PDF is downloaded."""

import io
import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from tests.browser.conftest import log_in

pytestmark = pytest.mark.browser


def last_month() -> str:
    """The month before the current one in the demo hospital's zone: it has ended, and the
    demo has three months of events up to it."""
    today = datetime.now(ZoneInfo("Asia/Shanghai"))
    year, month = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
    return f"{year}-{month:02d}"


def test_month_end_computed_by_one_approved_by_another_statement_downloaded(page):
    month = last_month()
    log_in(page, "zhao.li")
    page.click("nav.mainnav >> text=Month-end")
    expect(page.locator("h1")).to_contain_text("Monthly assessment and settlement")
    page.fill("#f-month", month)
    page.fill("#f-reason", "月末结算（浏览器测试）")
    page.click("button:has-text('Compute')")
    # The computation runs as a job; its page updates itself, then links the run.
    expect(page.locator(".flash.ok")).to_contain_text(f"{month} computed", timeout=30_000)
    page.click("text=Open the run")
    expect(page.locator("h1")).to_contain_text(re.compile(rf"{month} · revision \d+"))
    expect(page.locator("h1 .badge")).to_have_text("Computed")
    run_url = page.url
    assert re.search(r"/month-end/runs/\d+$", run_url), run_url
    # The one who computed it cannot approve it.
    expect(page.locator("text=Waiting for another finance user's approval.")).to_be_visible()
    expect(page.locator("button:has-text('Approve and lock')")).to_have_count(0)
    rows = page.locator("table.data tbody tr")
    assert rows.count() >= 5  # every demo contract in force
    expect(rows.first.locator("td").nth(6)).to_contain_text(re.compile(r"\d,\d{3}\.\d{2}"))

    page.click("button:has-text('Log out')")
    page.wait_for_url(re.compile(r"/login"))

    log_in(page, "sun.yan")
    page.goto(run_url)
    page.click("button:has-text('Approve and lock')")
    expect(page.locator(".flash.ok")).to_contain_text("Approved and locked")
    expect(page.locator("h1 .badge")).to_have_text("Approved")
    # People by display name, never the login.
    expect(page.locator("p.muted").first).to_contain_text("by 孙燕")

    first = page.locator("table.data tbody tr").first
    number = first.locator("td").first.inner_text().strip()
    pdf_link = first.locator("a:has-text('PDF')")
    href = pdf_link.get_attribute("href")
    assert re.fullmatch(r"/month-end/runs/\d+/contracts/\d+/statement\.pdf", href), href
    # The download as the browser makes it: the logged-in session's cookies, the same URL.
    response = page.request.get(href)
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    assert f'filename="{number}-{month}-r' in response.headers["content-disposition"]
    body = response.body()
    assert body.startswith(b"%PDF-")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(body)).pages)
    compact = text.replace(" ", "").replace("\n", "")
    assert number in compact and "考核结算单" in compact
