"""Every list the same way (issue 15): pages with a total, sorting, filters, search, a CSV
export of the filtered set, 422s naming a bad page or sort, and a number of queries per page
that does not grow with the rows (measured on a scenario of 5 and one of 60 of each)."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from tests.conftest import PASSWORD, random_uscc, unique
from tests.integration.test_sla_events import RESPOND
from tests.integration.test_tenders import tender_input
from tests.querycount import queries
from vendorgov.accounts import service as accounts
from vendorgov.audits import notices as audit_notices
from vendorgov.audits import service as audits
from vendorgov.contracts import drafting as contract_drafting
from vendorgov.contracts.rules import Terms
from vendorgov.payments import run_view
from vendorgov.payments.tables import PaymentRun, Statement
from vendorgov.sla import service as sla
from vendorgov.sla.measure import Month
from vendorgov.sla.tables import ServiceEvent
from vendorgov.tenders import publication
from vendorgov.vendors import registry as vendor_registry
from vendorgov.vendors.rules import VendorInput


@dataclass
class Scenario:
    tag: str
    username: str  # the officer who made everything: the audit trail's actor filter
    vendor_id: int
    contracts: list[int]
    numbers: list[str]
    notice_numbers: list[str]
    tender_references: list[str]
    run_id: int


async def build(world, n: int) -> Scenario:
    """n vendors, n contracts of the first vendor, n findings on its first contract, n notices
    on its second, n service events on the first, n draft tenders, and a payment run with a
    statement for each contract (stored as the month-end stores them)."""
    admin, supervisor = world.principals["admin"], world.principals["supervisor"]
    tag = unique("列表")
    username = f"lists.{tag.rsplit('-', 1)[1]}"
    officer = await accounts.principal_for_user(
        await accounts.create_account(
            admin, username=username, password=PASSWORD, role="procurement", display_name=tag
        )
    )
    vendor_ids = [
        await vendor_registry.create_vendor(
            officer,
            VendorInput(name=f"{tag} 保洁 {i:02d}", uscc=random_uscc(), categories=["cleaning"]),
        )
        for i in range(n)
    ]
    terms = Terms(
        effective_from=date(2026, 1, 1), monthly_fee=Decimal("50000.00"), clauses=[RESPOND]
    )
    contract_ids, numbers = [], []
    for i in range(n):
        number = f"{tag}-HT-{i:02d}"
        contract_id, version_id = await contract_drafting.create_contract(
            officer,
            contract_drafting.ContractInput(
                number=number,
                title=f"保洁服务合同 {i:02d}",
                vendor_id=vendor_ids[0],
                category="cleaning",
                start_date=date(2026, 1, 1),
                end_date=date(2027, 12, 31) + timedelta(days=i),
                monthly_fee=Decimal("50000.00"),
            ),
            terms,
        )
        if i < 2:
            await contract_drafting.sign(officer, version_id)
        contract_ids.append(contract_id)
        numbers.append(number)
    found = datetime(2026, 10, 1, tzinfo=UTC)
    for i in range(n):
        description = '=HYPERLINK("x")' if i == 0 else f"{tag} 地面未清洁 {i:02d}"
        await audits.raise_finding(
            supervisor,
            audits.FindingInput(
                contract_id=contract_ids[0],
                source="inspection",
                severity=("minor", "major", "critical")[i % 3],
                category=f"病区走廊 {i % 4}",
                description=description,
                found_at=found + timedelta(hours=i),
            ),
        )
    notice_numbers = []
    for i in range(n):
        finding_id = await audits.raise_finding(
            supervisor,
            audits.FindingInput(
                contract_id=contract_ids[1],
                source="complaint",
                severity="minor",
                category="投诉",
                description=f"{tag} 投诉 {i:02d}",
                found_at=found + timedelta(hours=i),
            ),
        )
        notice = await audit_notices.get_notice(
            supervisor, await audit_notices.issue_notice(supervisor, [finding_id])
        )
        notice_numbers.append(notice["number"])
    reported = datetime(2026, 10, 5, tzinfo=UTC)
    await ServiceEvent.insert(
        *[
            ServiceEvent(
                contract=contract_ids[0],
                external_id=f"T-{i:03d}",
                category="保洁",
                priority="emergency",
                location=("门诊", "病区")[i % 2],
                reported_at=reported + timedelta(hours=i),
                # Every third answered late: it misses SLA-1 (within 10 minutes).
                responded_at=reported + timedelta(hours=i, minutes=30 if i % 3 == 0 else 4),
                updated_at=reported,
            )
            for i in range(n)
        ]
    )
    await sla.compute_month(supervisor, contract_ids[0], Month(2026, 10))
    references = [f"{tag}-ZB-{i:02d}" for i in range(n)]
    for i, reference in enumerate(references):
        await publication.create_tender(
            officer, tender_input(reference=reference, title=f"{tag} 招标 {i:02d}")
        )
    # A month of its own: no other test computes 2001, and the revision is unique to the tag.
    run = await PaymentRun.insert(
        PaymentRun(
            month="2001-01",
            revision=int(tag.rsplit("-", 1)[1]),
            status="computed",
            computed_by=username,
            computed_by_id=officer.user_id,
            computed_at=datetime.now(UTC),
        )
    )
    await Statement.insert(
        *[
            Statement(
                run=run[0]["id"],
                contract=contract_id,
                vendor_id=vendor_ids[0],
                components="{}",
                weights="{}",
                score=Decimal("95.00") - i,
                grade="ABCD"[i % 4],
                pay_percent=Decimal("100.00"),
                base=Decimal("50000.00"),
                deductions=Decimal(i) + Decimal("0.01"),
                net=Decimal("49999.99") - i,
                lines="[]",
                termination_review=int(i % 4 == 3),
            )
            for i, contract_id in enumerate(contract_ids)
        ]
    )
    return Scenario(
        tag,
        username,
        vendor_ids[0],
        contract_ids,
        numbers,
        notice_numbers,
        references,
        run[0]["id"],
    )


@pytest.fixture(scope="session")
async def small(world) -> Scenario:
    return await build(world, 5)


@pytest.fixture(scope="session")
async def large(world) -> Scenario:
    return await build(world, 60)


@dataclass
class Listing:
    api: str
    page: str
    export: str | None
    filters: dict
    sort: str  # a sort key whose values are unique, and the item field holding them
    field: str
    search: dict  # a search that finds exactly one item
    keyset: bool = False


def listing(name: str, s: Scenario) -> Listing:
    first = s.contracts[0]
    return {
        "vendors": Listing(
            "/api/vendors",
            "/vendors",
            "/vendors/export.csv",
            {"q": s.tag},
            "name",
            "name",
            {"q": f"{s.tag} 保洁 03"},
        ),
        "contracts": Listing(
            "/api/contracts",
            "/contracts",
            "/contracts/export.csv",
            {"vendor_id": s.vendor_id},
            "number",
            "number",
            {"vendor_id": s.vendor_id, "q": s.numbers[3]},
        ),
        "findings": Listing(
            "/api/findings",
            "/findings",
            "/findings/export.csv",
            {"contract_id": first, "status": "open"},
            "found_at",
            "found_at",
            {"contract_id": first, "q": f"{s.tag} 地面未清洁 03"},
        ),
        "notices": Listing(
            "/api/notices",
            "/notices",
            "/notices/export.csv",
            {"vendor_id": s.vendor_id},
            "number",
            "number",
            {"vendor_id": s.vendor_id, "q": s.notice_numbers[3]},
        ),
        "events": Listing(
            f"/api/contracts/{first}/events",
            f"/contracts/{first}/events",
            None,
            {},
            "external_id",
            "external_id",
            {"q": "T-003"},
        ),
        "audit": Listing(
            "/api/audit/entries",
            "/audit",
            "/audit/export.csv",
            {"actor": s.username, "entity": "contract"},
            "at",
            "at",
            {"actor": s.username, "entity": "contract", "entity_id": str(s.contracts[3])},
            keyset=True,
        ),
        "tenders": Listing(
            "/api/tenders",
            "/tenders",
            "/tenders/export.csv",
            {"q": s.tag},
            "reference",
            "reference",
            {"q": s.tender_references[3]},
        ),
        "run": Listing(
            f"/api/payments/runs/{s.run_id}/statements",
            f"/month-end/runs/{s.run_id}",
            f"/month-end/runs/{s.run_id}/statements.csv",
            {},
            "contract",
            "contract_number",
            {"q": s.numbers[3]},
        ),
    }[name]


LISTS = ["vendors", "contracts", "findings", "notices", "events", "audit", "tenders", "run"]


async def _all_pages(c, lst: Listing, params: dict) -> list[dict]:
    """Every item, following pages (or the keyset cursor) to the end."""
    items, page, cursor = [], 1, None
    while True:
        query = {**params, "page": page} if not lst.keyset else dict(params)
        if cursor is not None:
            query["cursor"] = cursor
        body = (await c.get(lst.api, params=query)).json()
        items += body["items"]
        if lst.keyset:
            cursor = body["next_cursor"]
            if cursor is None:
                return items
        else:
            if page >= body["pages"]:
                return items
            page += 1


@pytest.mark.parametrize("name", LISTS)
async def test_pages_cover_the_filtered_set_once_with_its_total(api, large, name):
    lst = listing(name, large)
    async with api("admin") as c:
        first = (await c.get(lst.api, params=lst.filters)).json()
        everything = await _all_pages(c, lst, lst.filters)
    assert first["page_size"] == 50 and len(first["items"]) == 50
    assert first["total"] >= 60 and len(everything) == first["total"]
    assert len({item["id"] for item in everything}) == first["total"]  # no overlap, no gap
    if lst.keyset:
        assert first["next_cursor"] == first["items"][-1]["id"]
    else:
        assert first["pages"] == -(-first["total"] // 50) and first["next_cursor"] is None


@pytest.mark.parametrize("name", LISTS)
async def test_sorted_both_ways_and_searched(api, large, name):
    lst = listing(name, large)
    params = {**lst.filters, "page_size": 200}
    async with api("admin") as c:
        up = (await c.get(lst.api, params={**params, "sort": lst.sort})).json()["items"]
        down = (await c.get(lst.api, params={**params, "sort": f"-{lst.sort}"})).json()["items"]
        found = (await c.get(lst.api, params=lst.search)).json()
    values = [item[lst.field] for item in up]
    assert values == sorted(values) and len(values) >= 60
    assert [item[lst.field] for item in down] == sorted(values, reverse=True)
    assert found["total"] == 1 and len(found["items"]) == 1


@pytest.mark.parametrize("name", LISTS)
async def test_bad_page_or_sort_is_a_422_naming_the_field(api, small, name):
    lst = listing(name, small)
    async with api("admin") as c:
        for params, field in (
            ({"sort": "password"}, "sort"),
            ({"sort": "-nope"}, "sort"),
            ({"page": 0}, "page"),
            ({"page_size": 201}, "page_size"),
            ({"page_size": 0}, "page_size"),
            ({"cursor": -1}, "cursor"),
        ):
            response = await c.get(lst.api, params={**lst.filters, **params})
            assert response.status_code == 422, (params, response.text)
            assert field in {e["field"] for e in response.json()["errors"]}
        not_a_number = await c.get(lst.api, params={**lst.filters, "page": "x"})
        assert not_a_number.status_code == 400 and "page" in not_a_number.text


@pytest.mark.parametrize("name", [n for n in LISTS if n != "events"])
async def test_export_holds_the_whole_filtered_set_neutralised(api, login, large, name):
    lst = listing(name, large)
    async with api("admin") as c:
        total = (await c.get(lst.api, params=lst.filters)).json()["total"]
    async with login("admin") as c:
        response = await c.get(lst.export, params=lst.filters)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(rows) == total + 1  # the header, then every row of every page
    if name == "findings":
        assert any("'=HYPERLINK" in cell for row in rows for cell in row)
        assert not any(cell.startswith("=") for row in rows for cell in row)


@pytest.mark.parametrize("name", LISTS)
async def test_pages_link_pages_sorts_and_the_export(login, large, name):
    lst = listing(name, large)
    async with login("admin") as c:
        page = await c.get(lst.page, params=lst.filters)
        second = await c.get(lst.page, params={**lst.filters, "page": 2, "sort": lst.sort})
    assert page.status_code == 200 and second.status_code == 200
    assert 'rel="next"' in page.text and "in all" in page.text
    assert "sort=" in page.text
    if lst.export:
        assert lst.export in page.text
    if not lst.keyset:
        assert 'rel="prev"' in second.text


@pytest.mark.parametrize("name", LISTS)
async def test_queries_per_page_do_not_grow_with_rows(api, login, small, large, monkeypatch, name):
    few, many = listing(name, small), listing(name, large)
    async with api("admin") as c:
        api_counts = [
            await queries(c, monkeypatch, lst.api, {**lst.filters, "page_size": 200})
            for lst in (few, many)
        ]
    async with login("admin") as c:
        page_counts = [
            await queries(c, monkeypatch, lst.page, {**lst.filters, "page_size": 200})
            for lst in (few, many)
        ]
    assert api_counts[0] == api_counts[1] and page_counts[0] == page_counts[1]
    assert 0 < api_counts[1] <= 8 and 0 < page_counts[1] <= 20


async def test_dashboards_are_bounded_and_link_to_the_filtered_lists(login, large, monkeypatch):
    counts = {}
    for role in ("admin", "supervisor", "procurement", "finance", "vendor"):
        async with login(role) as c:
            counts[role] = await queries(c, monkeypatch, "/", {})
            home = await c.get("/")
        assert home.status_code == 200
    async with login("supervisor") as c:
        supervision = await c.get("/supervision")
    assert supervision.status_code == 200 and "/findings?status=open" in supervision.text
    assert "Inspections today (" in supervision.text
    # A fixed handful whatever the data (the scaling tests above check the growth); one more
    # when the per-process name cache is read again (at most every 30 s, before a request).
    # The vendor's is the largest: its tenders, results, statements, contracts and notices.
    assert 0 < min(counts.values()) and max(counts.values()) <= 34


async def test_filters_of_findings_notices_contracts_and_events(api, large):
    first = large.contracts[0]
    async with api("admin") as c:
        critical = await c.get(
            "/api/findings", params={"contract_id": first, "severity": "critical"}
        )
        dated = await c.get(
            "/api/findings",
            params={"contract_id": first, "found_from": "2026-10-02", "found_to": "2026-10-02"},
        )
        backwards = await c.get(
            "/api/findings",
            params={"contract_id": first, "found_from": "2026-10-03", "found_to": "2026-10-02"},
        )
        due = await c.get("/api/notices", params={"vendor_id": large.vendor_id, "due": "soon"})
        bad_due = await c.get("/api/notices", params={"due": "someday"})
        running = await c.get(
            "/api/contracts", params={"vendor_id": large.vendor_id, "status": "active"}
        )
        drafts = await c.get(
            "/api/contracts", params={"vendor_id": large.vendor_id, "status": "draft"}
        )
        missed = await c.get(
            f"/api/contracts/{first}/events", params={"month": "2026-10", "missed": "SLA-1"}
        )
        missed_no_month = await c.get(f"/api/contracts/{first}/events", params={"missed": "SLA-1"})
        ward = await c.get(f"/api/contracts/{first}/events", params={"location": "病区"})
    assert critical.json()["total"] == 20
    assert {f["severity"] for f in critical.json()["items"]} == {"critical"}
    # Found 2026-10-02 in the hospital's zone (UTC+8): the hours 16:00 on 10-01 to 15:59 UTC.
    assert dated.json()["total"] == 24
    assert backwards.status_code == 422 and backwards.json()["errors"][0]["field"] == "date_to"
    assert due.status_code == 200 and bad_due.status_code == 422
    assert running.json()["total"] == 2 and drafts.json()["total"] == 58
    assert missed.json()["total"] == 20
    assert all(e["missed_clauses"] == ["SLA-1"] for e in missed.json()["items"])
    assert missed_no_month.status_code == 422
    assert missed_no_month.json()["errors"][0]["field"] == "month"
    assert ward.json()["total"] == 30


async def test_a_vendor_pages_through_its_own_rows_only(api, large):
    async with api("vendor") as c:
        findings = await c.get("/api/findings", params={"contract_id": large.contracts[0]})
        contracts_page = await c.get("/api/contracts", params={"vendor_id": large.vendor_id})
        vendors_page = await c.get("/api/vendors", params={"q": large.tag})
        events = await c.get(f"/api/contracts/{large.contracts[0]}/events")
    assert findings.json()["total"] == 0 and contracts_page.json()["total"] == 0
    assert vendors_page.json()["total"] == 0
    assert events.status_code in (403, 404)
    async with api("finance") as c:
        assert (await c.get("/api/audit/entries")).status_code == 403


@pytest.mark.parametrize(
    "role, path, sort",
    [
        ("procurement", "/api/tenders", "bid_deadline"),
        ("supervisor", "/api/checklists", "name"),
        ("finance", "/api/payments/runs", "month"),
        ("vendor", "/api/payments/statements", "month"),
        ("supervisor", "/api/inspection-plans", "month"),
        ("supervisor", "/api/audit-assignments", "period_from"),
    ],
)
async def test_the_other_lists_answer_in_the_same_shape(api, role, path, sort):
    async with api(role) as c:
        first = await c.get(path, params={"page_size": 2, "sort": f"-{sort}"})
        bad = await c.get(path, params={"sort": "secret"})
    assert first.status_code == 200, first.text
    body = first.json()
    assert set(body) == {"items", "total", "page", "pages", "page_size", "next_cursor"}
    assert body["page_size"] == 2 and len(body["items"]) <= 2
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "sort"


async def test_accounts_and_tokens_pages_are_paged(login, large):
    async with login("admin") as c:
        accounts_page = await c.get("/accounts", params={"q": large.username})
        everyone = await c.get("/accounts", params={"page_size": 2, "sort": "username"})
        tokens = await c.get("/tokens", params={"page_size": 1})
        bad = await c.get("/accounts", params={"sort": "password"})
    assert large.username in accounts_page.text and "1 in all" in accounts_page.text
    assert 'rel="next"' in everyone.text
    assert tokens.status_code == 200 and "in all" in tokens.text
    assert bad.status_code == 422


async def test_a_runs_page_totals_grades_and_filters_every_statement(api, login, large):
    """The run page aggregates in SQL: totals to the cent and grade counts over all 60
    statements, though it shows 50; grade and review filters narrow the list."""
    summary = await run_view.summary(large.run_id)
    assert summary["count"] == 60 and summary["grades"] == {"A": 15, "B": 15, "C": 15, "D": 15}
    assert summary["totals"]["base"] == Decimal("3000000.00")
    assert summary["totals"]["deductions"] == sum(Decimal(i) + Decimal("0.01") for i in range(60))
    assert summary["totals"]["net"] == sum(Decimal("49999.99") - i for i in range(60))
    assert summary["flagged"] == 15
    async with api("finance") as c:
        graded = (
            await c.get(f"/api/payments/runs/{large.run_id}/statements", params={"grade": "D"})
        ).json()
        flagged = (
            await c.get(f"/api/payments/runs/{large.run_id}/statements", params={"review": "true"})
        ).json()
        bad = await c.get(f"/api/payments/runs/{large.run_id}/statements", params={"grade": "E"})
        missing = await c.get("/api/payments/runs/999999999/statements")
    assert graded["total"] == 15 and {s["grade"] for s in graded["items"]} == {"D"}
    assert flagged["total"] == 15 and all(s["termination_review"] for s in flagged["items"])
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "grade"
    assert missing.status_code == 404
    async with login("finance") as c:
        page = await c.get(f"/month-end/runs/{large.run_id}")
    assert "Total (60 contracts)" in page.text and "2,998,229.40" in page.text
    assert "15 flagged for termination review" in page.text
    async with api("vendor") as c:
        assert (await c.get(f"/api/payments/runs/{large.run_id}/statements")).status_code == 403


async def test_tender_filters_and_what_a_vendor_may_list(api, large):
    async with api("procurement") as c:
        drafts = await c.get("/api/tenders", params={"q": large.tag, "status": "draft"})
        cleaning = await c.get("/api/tenders", params={"q": large.tag, "category": "security"})
        bad = await c.get("/api/tenders", params={"status": "sealed"})
    assert drafts.json()["total"] == 60 and cleaning.json()["total"] == 0
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "status"
    async with api("vendor") as c:  # drafts are never a vendor's to see
        assert (await c.get("/api/tenders", params={"q": large.tag})).json()["total"] == 0
    async with api("supervisor") as c:
        assert (await c.get("/api/tenders")).status_code == 403


async def test_the_audit_trail_shows_values_readably_and_people_by_name(login, large):
    async with login("admin") as c:
        page = await c.get("/audit", params={"actor": large.username, "entity": "vendor"})
        csv_text = (
            await c.get("/audit/export.csv", params={"actor": large.username, "entity": "vendor"})
        ).content.decode("utf-8-sig")
        bad = await c.get("/audit", params={"date_from": "2026-10-03", "date_to": "2026-10-02"})
    assert page.status_code == 200
    # A vendor's categories (a list) read as the category's name, not "['cleaning']"; no
    # dict reprs.
    assert "<ins>Cleaning</ins>" in page.text, re.findall(r"<ins>[^<]*</ins>", page.text)[:5]
    assert "[&#39;" not in page.text and "{&#39;" not in page.text
    assert f">{large.tag}</a>" in page.text and f">{large.username}<" not in page.text
    rows = list(csv.DictReader(io.StringIO(csv_text)))
    assert len(rows) == 60
    assert bad.status_code == 422


async def test_the_plans_page_offers_the_running_contracts_found_not_every_one(login, large):
    async with login("supervisor") as c:
        found = await c.get("/inspection-plans", params={"contract_q": large.tag})
        filtered = await c.get("/inspection-plans", params={"month": "2019-01"})
        bad = await c.get("/inspection-plans", params={"month": "January"})
    # Two of the scenario's contracts are signed (running); drafts are never offered.
    assert found.status_code == 200
    assert large.numbers[0] in found.text and large.numbers[1] in found.text
    assert large.numbers[2] not in found.text
    assert "0 in all" in filtered.text and bad.status_code == 422


async def test_the_phone_form_offers_running_contracts_a_page_at_a_time(login, large):
    async with login("supervisor") as c:
        both = await c.get("/inspections/new", params={"q": large.tag})
        one = await c.get("/inspections/new", params={"q": large.numbers[1]})
        every = await c.get("/inspections/new")
    assert "Which service do you inspect?" in both.text and "2 in all" in both.text
    assert f"contract_id={large.contracts[0]}" in both.text
    assert "Which service do you inspect?" not in one.text  # the only match: its form
    assert every.status_code == 200 and every.text.count("/inspections/new?contract_id=") <= 50


async def test_the_month_end_runs_filter_by_month(login, large):
    async with login("finance") as c:
        month = await c.get("/month-end", params={"month": "2001-01"})
        bad = await c.get("/month-end", params={"month": "2001-13"})
    assert f"/month-end/runs/{large.run_id}" in month.text and bad.status_code == 422


async def test_the_contract_page_links_its_events_list(login, large):
    async with login("supervisor") as c:
        page = await c.get(f"/contracts/{large.contracts[0]}")
    assert f'href="/contracts/{large.contracts[0]}/events"' in page.text


async def test_vendor_pickers_offer_the_vendors_found_not_every_one(login, large):
    async with login("admin") as c:
        accounts_page = await c.get("/accounts", params={"vendor_q": f"{large.tag} 保洁 03"})
        contract_form = await c.get("/contracts/new", params={"vendor_q": large.tag})
        everyone = await c.get("/contracts/new")
    assert f"{large.tag} 保洁 03" in accounts_page.text
    assert f"{large.tag} 保洁 04" not in accounts_page.text
    # 60 vendors match the tag: the picker offers the first 50 by name.
    assert f"{large.tag} 保洁 49" in contract_form.text
    assert f"{large.tag} 保洁 50" not in contract_form.text
    assert everyone.text.count("<option value=") <= 50 + 20  # vendors, plus the categories
