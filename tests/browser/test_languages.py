"""Every page of every role, read in a browser in Chinese and in English: no catalog message
left in the other language.

In zh-CN, a page's visible text must not contain the English msgid (longer than three
characters) of a message whose Chinese translation differs: that is English the page forgot to
translate. In English, it must not contain a Chinese translation (of four characters or more)
of a message: a Chinese interface string left on an English page. Data (names, places) is in
Chinese in both, and bilingual labels are fine in English, so the English check only looks for
whole translated sentences and labels the catalog holds.

Two kinds of text in the audit trail are left out of the search (see `visible_text`): the
codes it records and its filters take as typed (`data-code`: an entity such as `contract`, an
action such as `file`), and the recorded values of its before → after cells (`data-recorded`):
a clause's name (响应及时率), a document's file name (招标文件.pdf) or a tender criterion ("投标报价
Price") is what users entered, formatted by humane (labels, statuses, amounts in the page's
language) but never translated, so neither check can tell its words from the interface's. The
field names beside them (field_label) are searched.
"""

from __future__ import annotations

import re
from functools import cache

import pytest
from babel.messages.pofile import read_po

from tests.browser.conftest import log_in
from vendorgov.demo import ACCOUNTS, VENDORS
from vendorgov.i18n import LOCALE_DIR
from vendorgov.surveys.demo import SURVEYS
from vendorgov.vendors.rules import CATEGORY_LABELS

pytestmark = pytest.mark.browser

# One account of each role.
USERS = list({role: username for username, role, _, _ in reversed(ACCOUNTS)}.items())


# The demo's names and titles are data, in Chinese in both languages ("陈教授 (评标专家)" is a
# person's name, "电梯维保服务外包合同" a contract's title, not untranslated labels): they are taken
# out of the text before it is searched.
DATA = sorted(
    [display for _, _, display, _ in ACCOUNTS]
    + [vendor[0] for vendor in VENDORS]
    + [f"{chinese}服务外包合同" for _, chinese in CATEGORY_LABELS.values()]  # demo contracts
    + [survey[0] for survey in SURVEYS],
    key=len,
    reverse=True,
)


def without_data(text: str) -> str:
    for name in DATA:
        text = text.replace(name, " ")
    return text


@cache
def catalog() -> list[tuple[str, str]]:
    """(msgid, zh_CN translation) of every message without placeholders that the Chinese
    interface writes differently."""
    path = LOCALE_DIR / "zh_CN" / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as handle:
        messages = read_po(handle, locale="zh_CN")
    pairs = []
    for message in messages:
        msgid = message.id if isinstance(message.id, str) else message.id[0]
        text = message.string if isinstance(message.string, str) else message.string[0]
        if msgid and text and text != msgid and "%(" not in msgid:
            pairs.append((msgid, text))
    return pairs


def english_left(text: str) -> list[str]:
    """Catalog msgids that stand as words of their own in `text` (not inside another word)."""
    return sorted(
        msgid
        for msgid, _ in catalog()
        if len(msgid) > 3 and re.search(rf"(?<![A-Za-z]){re.escape(msgid)}(?![A-Za-z])", text)
    )


def chinese_left(text: str) -> list[str]:
    return sorted(zh for _, zh in catalog() if len(zh) >= 4 and zh in text)


# Hidden while the text is read (then shown again): the audit trail's codes and recorded values.
SKIPPED = "[data-code], [data-recorded]"


def visible_text(page) -> str:
    return page.evaluate(
        """selector => {
            const hidden = [...document.querySelectorAll(selector)];
            const before = hidden.map(element => element.style.display);
            hidden.forEach(element => { element.style.display = "none"; });
            const text = document.body.innerText;
            hidden.forEach((element, i) => { element.style.display = before[i]; });
            return text;
        }""",
        SKIPPED,
    )


def nav_paths(page) -> list[str]:
    return page.eval_on_selector_all("nav.mainnav a", "links => links.map(a => a.pathname)")


def walk(browser, live_server, locale: str, username: str, find) -> dict[str, list[str]]:
    """Logs `username` in with a browser that prefers `locale`, opens every page of the
    navigation and returns, by path, what `find` reports in each page's visible text."""
    context = browser.new_context(
        base_url=live_server, locale=locale, viewport={"width": 1280, "height": 900}
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto("/login")
        found = {"/login": find(without_data(visible_text(page)))}
        log_in(page, username)
        for path in nav_paths(page):
            if path.startswith("/admin"):
                continue  # Piccolo Admin is not ours to translate
            page.goto(path)
            assert page.locator("html").get_attribute("lang") == locale
            found[path] = find(without_data(visible_text(page)))
        return {path: left for path, left in found.items() if left}
    finally:
        context.close()


@pytest.mark.parametrize(("role", "username"), USERS)
def test_chinese_pages_hold_no_untranslated_english(browser, live_server, role, username):
    left = walk(browser, live_server, "zh-CN", username, english_left)
    assert not left, f"English left on {role}'s pages: {left}"


@pytest.mark.parametrize(("role", "username"), USERS)
def test_english_pages_hold_no_chinese_interface_text(browser, live_server, role, username):
    left = walk(browser, live_server, "en", username, chinese_left)
    assert not left, f"Chinese interface text on {role}'s English pages: {left}"
