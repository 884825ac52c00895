"""Every page of every role on a 390 × 844 phone: nothing wider than the screen.

The pages come from the app itself (every GET route whose handler renders a Template), never
from a list kept here, so a page added later is checked without touching this test. Path
parameters are filled the way a user reaches a page: by following the links (htmx GETs, and the
addresses shown for QR codes) of the pages the role can already see, starting from the
parameterless ones, with the demo hospital's data. A route the role is refused (403) or cannot
reach is skipped for that role; a route no role reaches fails the test, so a page cannot escape
by being unlinked.
Screenshots of every page go to tests/browser/artifacts/phone/<role>/."""

from __future__ import annotations

import itertools
import re
import shutil
import warnings
from collections import Counter, deque
from urllib.parse import urlsplit

import pytest
from litestar.response import Template
from litestar.routes import HTTPRoute

from tests.browser.conftest import ARTIFACTS, log_in
from vendorgov.app import create_app
from vendorgov.demo import ACCOUNTS

pytestmark = pytest.mark.browser
WIDTH = 390
PHONE = {"viewport": {"width": WIDTH, "height": 844}, "is_mobile": True, "has_touch": True}
# Tries per route and role: the first few linked instances may be refused (another vendor's
# bid, a tender not yet open), a later one not.
TRIES = 3
PARAMETER = re.compile(r"\{(\w+):(\w+)\}")
PATTERNS = {"int": r"\d+", "str": r"[^/]+", "path": r".+"}

# Elements sticking out of the viewport, outermost first (their descendants are not listed
# again), or a document wider than the viewport. Zero-sized and hidden elements do not count.
OVERFLOW_JS = """
(width) => {
  const found = [];
  const root = document.documentElement;
  if (root.scrollWidth > width) found.push(`document ${root.scrollWidth}px wide`);
  const describe = (el) => {
    const cls = typeof el.className === 'string' && el.className.trim()
      ? '.' + el.className.trim().split(/\\s+/).join('.') : '';
    return `${el.tagName.toLowerCase()}${cls} "${(el.textContent || '').trim().slice(0, 40)}"`;
  };
  for (const el of document.body.querySelectorAll('*')) {
    if (found.some((f) => f.el && f.el.contains(el))) continue;
    const box = el.getBoundingClientRect();
    if (!box.width || !box.height || getComputedStyle(el).visibility === 'hidden') continue;
    if (box.right > width + 1 || box.left < -1) {
      const span = `${Math.round(box.left)}..${Math.round(box.right)}px`;
      found.push({el, text: `${describe(el)} spans ${span}`});
      if (found.length > 6) break;
    }
  }
  return found.map((f) => typeof f === 'string' ? f : f.text);
}
"""

# Controls a thumb must hit: at least 44 px tall (checkboxes count through their label).
SMALL_TARGETS_JS = """
() => {
  const small = [];
  const selector = 'button, a.button, select, summary, nav a, label:has(> input[type=checkbox]),'
    + ' input:not([type=hidden]):not([type=checkbox]):not([type=radio]),'
    + ' :not(label) > input[type=checkbox]';
  for (const el of document.querySelectorAll(selector)) {
    const box = el.getBoundingClientRect();
    if (!box.width || !box.height || getComputedStyle(el).visibility === 'hidden') continue;
    if (box.height < 43.5) {
      const text = (el.textContent || el.name || '').trim().slice(0, 30);
      small.push(`${el.tagName.toLowerCase()} "${text}" ${Math.round(box.height)}px`);
    }
  }
  return small.slice(0, 6);
}
"""


def get_routes() -> tuple[list[str], list[str]]:
    """The app's GET paths, and among them its HTML pages: the handlers rendering a Template
    (downloads, redirects, JSON and the API return other types)."""
    paths, pages = set(), set()
    for route in create_app().routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            if "GET" in handler.http_methods:
                paths.add(route.path)
                if handler.parsed_fn_signature.return_type.annotation is Template:
                    pages.add(route.path)
    return sorted(paths), sorted(pages)


def route_pattern(path: str) -> re.Pattern:
    """`/tenders/{tender_id:int}` → `^/tenders/(?P<tender_id>\\d+)$`."""
    parts = PARAMETER.split(path)
    regex = "".join(
        re.escape(part) if i % 3 == 0 else f"(?P<{part}>{PATTERNS[parts[i + 1]]})"
        for i, part in enumerate(parts)
        if i % 3 != 2
    )
    return re.compile(f"^{regex}$")


def fill(route: str, values: dict[str, list[str]]) -> list[str]:
    """Paths for a route from parameter values seen in links (the first few combinations)."""
    names = [name for name, _ in PARAMETER.findall(route)]
    combinations = itertools.product(*(values.get(name, [])[:TRIES] for name in names))
    return [
        PARAMETER.sub(lambda m, c=iter(combo): next(c), route)
        for combo in itertools.islice(combinations, TRIES)
    ]


def one_account_per_role() -> list[tuple[str, str]]:
    accounts: dict[str, str] = {}
    for username, role, _, _ in ACCOUNTS:
        accounts.setdefault(role, username)
    return sorted(accounts.items())


# Where a user can go from a page: links, htmx GETs, GET forms submitted as they stand, and the
# addresses a page shows as text for people to pass on (a survey's ward links, which its QR
# codes carry: the anonymous answer page opens only with its ward in the query).
LINKS_JS = """
() => {
  const shownAddresses = () => {
    const found = [];
    const texts = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    while (texts.nextNode()) {
      for (const text of texts.currentNode.data.match(/https?:\\/\\/[^\\s"'<>]+/g) || []) {
        try { found.push(new URL(text)); } catch { /* not an address after all */ }
      }
    }
    return found;
  };
  return Array.from(document.querySelectorAll('a[href], [hx-get], form[method=get i][action]'),
    (el) => {
      const url = new URL(el.getAttribute('href') || el.getAttribute('hx-get')
        || el.getAttribute('action'), location.href);
      if (el.tagName === 'FORM') url.search = new URLSearchParams(new FormData(el)).toString();
      return url;
    })
    .concat(shownAddresses())
    .filter((url) => url.origin === location.origin).map((url) => url.pathname + url.search);
}
"""

# A page has the base layout's viewport; an htmx fragment (a list's rows, a polled status)
# has not, and a browser lays it out 980 px wide.
IS_PAGE_JS = "() => !!document.querySelector('meta[name=viewport]')"


def check(page, url: str, shot: str) -> list[str]:
    """The problems of the page open at phone size; a screenshot saved."""
    overflow = page.evaluate(OVERFLOW_JS, WIDTH)
    small = page.evaluate(SMALL_TARGETS_JS)
    page.screenshot(path=shot, full_page=True)
    problems = [f"{url}: overflows: {'; '.join(overflow)}"] if overflow else []
    if small:
        problems.append(f"{url}: taps under 44 px: {'; '.join(small)}")
    return problems


class Visit:
    """One role's walk: follow links from the parameterless pages; then try the routes no link
    led to with parameter values seen in any link (a tender id from /tenders/3 for
    /tenders/3/bids); then follow the links of those pages too."""

    def __init__(self, page, role: str, paths: list[str], pages: list[str]):
        self.page, self.role = page, role
        self.folder = ARTIFACTS / "phone" / role
        self.folder.mkdir(parents=True, exist_ok=True)
        self.pages = {path: route_pattern(path) for path in pages}
        self.every = [route_pattern(path) for path in paths]
        self.values: dict[str, list[str]] = {}
        self.done: set[str] = set()
        self.problems: list[str] = []

    def run(self) -> None:
        self.walk(path for path in self.pages if "{" not in path)
        unreached = [route for route in self.pages if route not in self.done]
        self.walk(url for route in unreached for url in fill(route, self.values))

    def walk(self, start) -> None:
        queue, tried = deque(start), Counter()
        while queue:
            url = queue.popleft()
            path = urlsplit(url).path
            route = next(r for r, rx in self.pages.items() if rx.match(path))
            if route in self.done or tried[route] >= TRIES:
                continue
            tried[route] += 1
            response = self.page.goto(url)
            if response is None or response.status != 200 or urlsplit(self.page.url).path != path:
                continue  # refused, gone, or redirected (to the login page for anonymous)
            self.done.add(route)
            if not self.page.evaluate(IS_PAGE_JS):
                continue  # an htmx fragment, checked inside the page that includes it
            slug = re.sub(r"\W+", "_", url).strip("_") or "home"
            shot = str(self.folder / f"{slug}.png")
            self.problems += check(self.page, f"{self.role} {url}", shot)
            for link in self.page.evaluate(LINKS_JS):
                path = urlsplit(link).path
                self.learn(path)
                if any(rx.match(path) for r, rx in self.pages.items() if r not in self.done):
                    queue.append(link)

    def learn(self, path: str) -> None:
        for rx in self.every:
            if match := rx.match(path):
                for name, value in match.groupdict().items():
                    if value not in self.values.setdefault(name, []):
                        self.values[name].append(value)


def visit(browser, live_server, role: str, username: str | None, paths, pages) -> Visit:
    context = browser.new_context(base_url=live_server, **PHONE)
    page = context.new_page()
    page.set_default_timeout(15_000)
    if username:
        log_in(page, username)
    walk = Visit(page, role, paths, pages)
    walk.run()
    context.close()
    return walk


def inspect_today(browser, live_server) -> None:
    """The supervisor logs an inspection, as on a ward round: the demo's inspections are all
    in the past, and only today's are linked (from /supervision) to their page."""
    context = browser.new_context(base_url=live_server, **PHONE)
    page = context.new_page()
    log_in(page, dict(one_account_per_role())["supervisor"])
    page.goto("/supervision")
    starts = page.locator("a.button[href^='/inspections/new?contract_id=']")
    for href in [starts.nth(i).get_attribute("href") for i in range(starts.count())]:
        page.goto(href)
        if page.locator("#inspection-form").count():
            break  # a contract whose service has a checklist
    page.fill("#f-location", "门诊楼3楼卫生间")
    items = page.locator("fieldset.item")
    for index in range(items.count()):
        items.nth(index).locator("label.choice.pass").click()
    page.click("button:has-text('Submit inspection')")
    page.wait_for_url(re.compile(r"/inspections/\d+$"))
    context.close()


def test_every_page_of_every_role_fits_a_phone(browser, live_server):
    shutil.rmtree(ARTIFACTS / "phone", ignore_errors=True)
    inspect_today(browser, live_server)
    paths, pages = get_routes()
    walks = [visit(browser, live_server, "anonymous", None, paths, ["/login"])]
    walks += [
        visit(browser, live_server, role, username, paths, pages)
        for role, username in one_account_per_role()
    ]
    assert not [p for w in walks for p in w.problems], "\n".join(
        p for w in walks for p in w.problems
    )
    reached = {route for w in walks for route in w.done}
    known = {name for w in walks for name in w.values}
    unreached = [route for route in pages if route not in reached]
    # A route whose parameter no page ever links (the status of a job just started by a POST)
    # cannot be reached by walking; any other unreached page is a failure.
    linked = [r for r in unreached if all(n in known for n, _ in PARAMETER.findall(r))]
    assert not linked, f"pages no role could open though their parameters are linked: {linked}"
    if unreached:
        warnings.warn(f"pages no link of the demo leads to: {unreached}", stacklevel=1)
