"""Service events in (JSON, CSV, XLSX), idempotent and all-or-nothing; SLA month stored."""

import io
from datetime import date
from decimal import Decimal
from fractions import Fraction

import pandas as pd
import pytest

from tests.conftest import new_vendor, unique
from vendorgov.contracts import drafting as contract_drafting
from vendorgov.contracts.rules import Clause, Terms
from vendorgov.sla.tables import ServiceEvent

PROBLEM = "application/problem+json"


async def signed_contract(world, clauses) -> int:
    officer = world.principals["procurement"]
    vendor_id = await new_vendor(world, categories=["porter"])
    contract_id, version_id = await contract_drafting.create_contract(
        officer,
        contract_drafting.ContractInput(
            number=unique("HT-SLA"),
            title="运送服务合同",
            vendor_id=vendor_id,
            category="porter",
            start_date=date(2026, 1, 1),
            end_date=date(2027, 12, 31),
            monthly_fee=Decimal("74800.00"),
        ),
        Terms(effective_from=date(2026, 1, 1), monthly_fee=Decimal("74800.00"), clauses=clauses),
    )
    await contract_drafting.sign(officer, version_id)
    return contract_id


RESPOND = Clause(
    code="SLA-1",
    name="急诊标本10分钟内接单",
    kind="response_within",
    target=Decimal(90),
    minimum=Decimal(50),
    weight=Decimal(1),
    threshold_minutes=10,
)


def event(external_id, reported, responded=None, **extra):
    return {
        "external_id": external_id,
        "category": "delivery",
        "priority": "emergency",
        "reported_at": reported,
        "responded_at": responded,
        **extra,
    }


async def stored(contract_id):
    return (
        await ServiceEvent.select()
        .where(ServiceEvent.contract == contract_id)
        .order_by(ServiceEvent.external_id)
    )


async def test_reimporting_the_same_ids_updates_and_never_duplicates(api, world):
    contract_id = await signed_contract(world, [RESPOND])
    url = f"/api/contracts/{contract_id}/events"
    async with api("supervisor") as c:
        first = await c.post(
            url,
            json=[
                event("HD-1", "2026-10-08 09:00", "2026-10-08 09:05"),
                event("HD-2", "2026-10-08 10:00"),
            ],
        )
        assert first.status_code == 200, first.text
        assert (first.json()["inserted"], first.json()["updated"]) == (2, 0)
        again = await c.post(
            url, json=[event("HD-2", "2026-10-08 10:00", "2026-10-08T10:04:00+08:00")]
        )
        assert (again.json()["inserted"], again.json()["updated"]) == (0, 1)
    rows = await stored(contract_id)
    assert [r["external_id"] for r in rows] == ["HD-1", "HD-2"]
    # 10:04 local is 02:04 UTC
    assert rows[1]["responded_at"].isoformat().startswith("2026-10-08T02:04:00")


async def test_one_bad_row_and_nothing_is_written_with_a_per_row_report(api, world):
    contract_id = await signed_contract(world, [RESPOND])
    batch = [
        event("HD-10", "2026-10-08 09:00", "2026-10-08 09:05"),
        event("HD-11", "2026-10-08 09:00", "2026-10-08 08:55"),  # responded before reported
        event("HD-12", "yesterday", satisfaction=7),  # two problems
        event("HD-13", "2026-10-08 09:00", priority="whenever"),
    ]
    async with api("supervisor") as c:
        refused = await c.post(f"/api/contracts/{contract_id}/events", json=batch)
        assert refused.status_code == 422
        assert refused.headers["content-type"].startswith(PROBLEM)
        problems = {(e["field"], e["rule"]) for e in refused.json()["errors"]}
        assert problems == {
            ("rows[2].responded_at", "not_before_reported"),
            ("rows[3].reported_at", "time"),
            ("rows[3].satisfaction", "range_1_5"),
            ("rows[4].priority", "one_of"),
        }
        assert await stored(contract_id) == []
        partial = await c.post(
            f"/api/contracts/{contract_id}/events", params={"skip_invalid": "true"}, json=batch
        )
    report = partial.json()
    assert (report["inserted"], report["invalid"]) == (1, 3)
    assert {e["row"] for e in report["errors"]} == {2, 3, 4}
    assert [r["external_id"] for r in await stored(contract_id)] == ["HD-10"]


async def test_csv_and_xlsx_files_duplicates_and_bad_files(api, world):
    contract_id = await signed_contract(world, [RESPOND])
    url = f"/api/contracts/{contract_id}/events/import"
    csv = (
        "external_id,category,priority,location,reported_at,responded_at,resolved_at,"
        "satisfaction,complaint\n"
        "HD-20,delivery,紧急,急诊科,2026-10-09 08:00,2026-10-09 08:03,,5,否\n"
        "HD-21,delivery,routine,病理科,2026-10-09 09:00,,,,no\n"
        "HD-20,delivery,emergency,急诊科,2026-10-09 08:00,2026-10-09 08:09,,4,no\n"
    )
    async with api("procurement") as c:
        response = await c.post(
            url, files={"file": ("events.csv", csv.encode("gb18030"), "text/csv")}
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert (body["inserted"], body["updated"]) == (2, 0)
        assert body["notes"] == ["row 3: external_id HD-20 repeats row 1; the later row wins"]
        workbook = io.BytesIO()
        pd.DataFrame(
            [
                {
                    "external_id": "HD-22",
                    "category": "delivery",
                    "priority": "urgent",
                    "reported_at": pd.Timestamp("2026-10-10 07:30"),
                    "responded_at": pd.Timestamp("2026-10-10 07:41"),
                }
            ]
        ).to_excel(workbook, index=False)
        xlsx = await c.post(
            url, files={"file": ("events.xlsx", workbook.getvalue(), "application/vnd.ms-excel")}
        )
        assert xlsx.status_code == 200, xlsx.text
        for name, content, rule in [
            ("empty.csv", b"", "required"),
            ("photo.xlsx", b"\x89PNG\r\n\x1a\nnot a workbook", "file_type"),
            ("wrong.csv", b"ticket,when\nA,2026-10-01\n", "columns"),
        ]:
            bad = await c.post(url, files={"file": (name, content, "text/csv")})
            assert bad.status_code == 422, name
            assert bad.json()["errors"][0]["rule"] == rule, name
    rows = {r["external_id"]: r for r in await stored(contract_id)}
    assert set(rows) == {"HD-20", "HD-21", "HD-22"}
    assert rows["HD-20"]["satisfaction"] == 4  # the later row won
    assert rows["HD-21"]["priority"] == "routine" and rows["HD-20"]["location"] == "急诊科"


async def test_month_is_computed_stored_and_recomputed_identically(api, world):
    contract_id = await signed_contract(world, [RESPOND])
    async with api("supervisor") as c:
        await c.post(
            f"/api/contracts/{contract_id}/events",
            json=[
                event("E1", "2026-10-01 00:30", "2026-10-01 00:35"),  # 1st, 00:30 local: October
                event("E2", "2026-10-12 14:00", "2026-10-12 14:25"),  # 25 min: miss
                event("E3", "2026-10-31 23:55"),  # young at month end: measured in November
            ],
        )
        computed = (await c.post(f"/api/contracts/{contract_id}/sla/2026-10")).json()
        again = (await c.post(f"/api/contracts/{contract_id}/sla/2026-10")).json()
        read = (await c.get(f"/api/contracts/{contract_id}/sla/2026-10")).json()
        bad_month = await c.post(f"/api/contracts/{contract_id}/sla/2026-13")
    assert computed == again == read
    (clause,) = computed["clauses"]
    assert clause["events"] == 2 and Decimal(str(clause["attained"])) == 50
    assert Decimal(str(clause["score"])) == 0 and clause["met"] is False
    assert Decimal(str(computed["sla_component"])) == 0
    assert bad_month.status_code == 422


@pytest.mark.parametrize("role", ["finance", "vendor", "evaluator", "auditor"])
async def test_only_importers_push_events(api, world, role):
    contract_id = await signed_contract(world, [RESPOND])
    async with api(role) as c:
        response = await c.post(
            f"/api/contracts/{contract_id}/events", json=[event("X1", "2026-10-08 09:00")]
        )
    assert response.status_code in (403, 404)
    assert await stored(contract_id) == []


async def test_surveys_are_checked_all_or_nothing_and_give_the_satisfaction_share(api, world):
    from vendorgov.sla.measure import Month
    from vendorgov.surveys.results import satisfaction_shares

    async def satisfaction_share(contract_id, month):
        return (await satisfaction_shares([contract_id], month))[contract_id]

    contract_id = await signed_contract(world, [RESPOND])
    url = f"/api/contracts/{contract_id}/surveys"
    async with api("supervisor") as c:
        bad = await c.post(
            url,
            json=[
                {"respondent_type": "patient", "score": 5, "responded_on": "2026-10-03"},
                {"respondent_type": "visitor", "score": 6, "responded_on": "2026-10-33"},
            ],
        )
        assert bad.status_code == 422
        assert {(e["field"], e["rule"]) for e in bad.json()["errors"]} == {
            ("responses[2].respondent_type", "one_of"),
            ("responses[2].score", "range_1_5"),
            ("responses[2].responded_on", "date"),
        }
        assert await satisfaction_share(contract_id, Month(2026, 10)) is None
        ok = await c.post(
            url,
            json=[
                {"respondent_type": "patient", "score": s, "responded_on": f"2026-10-0{i + 1}"}
                for i, s in enumerate([5, 4, 3])
            ]
            + [{"respondent_type": "staff", "score": 4, "responded_on": "2026-11-01"}],
        )
        assert ok.status_code == 201 and ok.json() == {"stored": 4}
    # October: 2 of 3 responses score 4 or 5
    assert await satisfaction_share(contract_id, Month(2026, 10)) == Fraction(200, 3)
    assert await satisfaction_share(contract_id, Month(2026, 11)) == Decimal("100.00")


async def test_scorecard_page_with_chart_and_missed_event_drill_down(api, login, world):
    contract_id = await signed_contract(world, [RESPOND])
    async with api("supervisor") as c:
        await c.post(
            f"/api/contracts/{contract_id}/events",
            json=[
                event("SC-1", "2026-10-05 08:00", "2026-10-05 08:04"),
                event("SC-2", "2026-10-06 08:00", "2026-10-06 08:30"),
            ],
        )
    async with login("supervisor") as c:
        page = await c.get(f"/contracts/{contract_id}/scorecard", params={"month": "2026-10"})
        assert page.status_code == 200 and "has not been computed yet" in page.text
        token = page.text.split('name="_csrf_token" value="')[1].split('"')[0]
        await c.post(
            f"/contracts/{contract_id}/scorecard", data={"_csrf_token": token, "month": "2026-10"}
        )
        page = await c.get(f"/contracts/{contract_id}/scorecard", params={"month": "2026-10"})
        assert "<svg" in page.text and "50.0%" in page.text and "SC-2" in page.text
        assert "SC-1</a>" not in page.text  # only missed events are listed
        event_id = page.text.split('href="/events/')[1].split('"')[0]
        detail = await c.get(f"/events/{event_id}")
        assert "30.0 min" in detail.text and "2026-10-06 08:00:00" in detail.text
    async with login("vendor") as c:  # another vendor's contract is hidden
        assert (await c.get(f"/contracts/{contract_id}/scorecard")).status_code == 404
        assert (await c.get(f"/events/{event_id}")).status_code == 404


async def test_several_contracts_in_one_run_match_each_computed_alone(api, world):
    """The month-end run reads every contract's events in one query: each contract's results
    must be the ones it gets alone, and a September event still open at 1 October is read."""
    from vendorgov.sla import service as sla
    from vendorgov.sla.measure import Month

    first = await signed_contract(world, [RESPOND])
    second = await signed_contract(world, [RESPOND])
    async with api("supervisor") as c:
        await c.post(
            f"/api/contracts/{first}/events",
            json=[
                event("A1", "2026-10-03 09:00", "2026-10-03 09:04"),
                event("A2", "2026-10-04 09:00", "2026-10-04 09:30"),  # a miss
            ],
        )
        await c.post(
            f"/api/contracts/{second}/events",
            json=[
                # Reported 23:55 on 30 September, answered on 1 October within 10 minutes:
                # measured in October (open and young at September's end).
                event("B1", "2026-09-30 23:55", "2026-10-01 00:02"),
                event("B2", "2026-10-05 10:00", "2026-10-05 10:05"),
                event("B3", "2026-09-12 10:00", "2026-09-12 10:01"),  # done in September
            ],
        )
    supervisor = world.principals["supervisor"]
    month = Month.parse("2026-10")
    together = await sla.compute_months(supervisor, month, [first, second])
    alone = [await sla.compute_month(supervisor, cid, month) for cid in (first, second)]
    assert [(o.contract_id, o.sla_component, o.events) for o in together] == [
        (o.contract_id, o.sla_component, o.events) for o in alone
    ]
    by_contract = {o.contract_id: o for o in together}
    assert by_contract[first].results[0].events == 2
    assert by_contract[first].results[0].attained == Decimal(50)
    assert by_contract[second].results[0].events == 2  # B1 and B2; B3 belongs to September
    assert by_contract[second].results[0].attained == Decimal(100)
    assert by_contract[second].events == 1  # reported in October: B2 only
