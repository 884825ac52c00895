"""Month-end boundaries computed by hand (domain rules §6, §7): exact components, a clause pooled
across an amendment, revisions that carry the other contracts over, and a run returned for
correction. Each test has a month of its own, so that the month's revisions hold its contracts."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from tests.conftest import csrf_token, new_vendor, unique
from tests.integration.jobs_support import computed_run
from vendorgov.audit import service as audit
from vendorgov.audits import service as audits
from vendorgov.contracts import drafting as contract_drafting
from vendorgov.contracts.rules import Clause, Terms
from vendorgov.inspections import service as inspections
from vendorgov.payments import reading as payment_reading
from vendorgov.payments import service as payments
from vendorgov.sla import service as sla
from vendorgov.sla.measure import Month

D = Decimal
RESPOND = Clause("SLA-1", "响应及时率", "response_within", D(95), D(90), D(1), threshold_minutes=30)


async def contract_with(world, terms: Terms, amended: Terms | None = None) -> int:
    """A signed cleaning contract from 1 January 2026 (and an amendment, signed)."""
    officer = world.principals["procurement"]
    contract_id, version_id = await contract_drafting.create_contract(
        officer,
        contract_drafting.ContractInput(
            number=unique("HT-EX"),
            title="病区保洁服务合同",
            vendor_id=await new_vendor(world),
            category="cleaning",
            start_date=date(2026, 1, 1),
            end_date=date(2027, 12, 31),
            monthly_fee=terms.monthly_fee,
        ),
        terms,
    )
    await contract_drafting.sign(officer, version_id)
    if amended is not None:
        draft = await contract_drafting.amend(
            officer, contract_id, "补充协议：调整月费", amended.effective_from
        )
        await contract_drafting.update_draft(officer, draft, amended, None)
        await contract_drafting.sign(officer, draft)
    return contract_id


def plain_terms(**kw) -> Terms:
    return Terms(effective_from=date(2026, 1, 1), monthly_fee=D("100000.00"), **kw)


async def test_the_issues_boundary_month_is_graded_a_through_service_and_api(api, world):
    # SLA 100 (2 events, both in time); inspections 83.00, 87.95 and 90.00 (mean 5219/60 =
    # 86.98333…); satisfaction 19 of 20 = 95; audit 100 − 1 (a minor audit finding) = 99.
    # (40 × 100 + 30 × 5219/60 + 20 × 95 + 10 × 99) / 100 = 94.995 → 95.00 → A, pay 100 %.
    # Rounding the mean first gave 86.98 → 94.99 → B and withheld 2,000.00.
    contract_id = await contract_with(world, plain_terms(clauses=[RESPOND]))
    supervisor = world.principals["supervisor"]
    items = [
        {"key": k, "text": k, "weight": w, "severity": "minor"}
        for k, w in (("a", "83"), ("b", "17"), ("c", "87.95"), ("d", "12.05"), ("e", "90"))
    ] + [{"key": "f", "text": "f", "weight": "10", "severity": "minor"}]
    template = await inspections.save_template(supervisor, "cleaning", unique("边界"), items)
    for day, passed, failed in ((3, "a", "b"), (10, "c", "d"), (17, "e", "f")):
        results = {k: "na" for k in "abcdef"} | {passed: "pass", failed: "fail"}
        await inspections.submit(
            supervisor,
            inspections.InspectionInput(
                contract_id,
                template,
                "routine",
                "住院部",
                datetime(2026, 7, day, 2, tzinfo=UTC),
                results,
            ),
        )
    await audits.raise_finding(
        supervisor,
        audits.FindingInput(
            contract_id,
            "audit",
            "minor",
            "标识",
            "第三方审计：标识不清",
            found_at=datetime(2026, 7, 20, 2, tzinfo=UTC),
        ),
    )
    await sla.add_surveys(
        supervisor,
        contract_id,
        [sla.SurveyInput("patient", 5 if i < 19 else 2, f"2026-07-{i + 1:02d}") for i in range(20)],
    )
    async with api("supervisor") as c:
        pushed = await c.post(
            f"/api/contracts/{contract_id}/events",
            json=[
                {
                    "external_id": f"E{i}",
                    "category": "repair",
                    "priority": "urgent",
                    "reported_at": f"2026-07-0{i} 09:00",
                    "responded_at": f"2026-07-0{i} 09:10",
                }
                for i in (1, 2)
            ],
        )
        assert pushed.status_code == 200
    async with api("finance") as c:
        run_id = await computed_run(
            c, {"month": "2026-07", "contract_ids": [contract_id], "reason": "clean month"}
        )
        run = (await c.get(f"/api/payments/runs/{run_id}")).json()
    (statement,) = [s for s in run["statements"] if s["contract"] == contract_id]
    assert statement["components_exact"] == {
        "sla": "100",
        "inspection": "5219/60",
        "satisfaction": "95",
        "audit": "99",
    }
    assert statement["components"]["inspection"] == "86.98"  # shown to 2 decimals
    assert (statement["score"], statement["grade"], statement["net"]) == ("95.00", "A", "100000.00")
    assert [line["kind"] for line in statement["lines"]] == ["base"]  # nothing withheld


async def _amended_month(api, world, month: str, amended_clause: Clause) -> tuple[int, dict]:
    """A response clause 10/10 before an amendment on the 16th and 9/10 after (one reply in
    45 minutes): 19/20 = 95 % pooled. Only SLA and audit (clean: 100) have data."""
    first = Month.parse(month).first_day
    contract_id = await contract_with(
        world,
        plain_terms(clauses=[RESPOND]),
        Terms(
            effective_from=first.replace(day=16),
            monthly_fee=D("103000.00"),
            clauses=[amended_clause],
        ),
    )
    days = [(d, 10) for d in range(1, 11)] + [(d, 10) for d in range(17, 26)] + [(26, 45)]
    events = []
    for i, (day, minutes) in enumerate(days):
        reported = datetime(first.year, first.month, day, 9)
        events.append(
            {
                "external_id": f"R{i}",
                "category": "repair",
                "priority": "urgent",
                "reported_at": reported.isoformat(sep=" "),
                "responded_at": (reported + timedelta(minutes=minutes)).isoformat(sep=" "),
            }
        )
    async with api("supervisor") as c:
        assert (await c.post(f"/api/contracts/{contract_id}/events", json=events)).is_success
    async with api("finance") as c:
        run_id = await computed_run(
            c, {"month": month, "contract_ids": [contract_id], "reason": "exact month test"}
        )
        # Other tests' contracts of the same month are carried over into this revision.
        (statement,) = [
            s
            for s in (await c.get(f"/api/payments/runs/{run_id}")).json()["statements"]
            if s["contract"] == contract_id
        ]
        clauses = (await c.get(f"/api/contracts/{contract_id}/sla/{month}")).json()["clauses"]
    return contract_id, {"statement": statement, "clauses": clauses}


async def test_an_amendment_of_the_fee_alone_leaves_the_clause_whole(api, world):
    # 19/20 = 95 % meets the 95 % target → 100 (per version it was 100 and 50: mean 75).
    # Score (40 × 100 + 10 × 100) / 50 = 100 → A. Base: 100,000 × 15/30 + 103,000 × 15/30.
    _, got = await _amended_month(api, world, "2026-06", RESPOND)
    (clause,) = got["clauses"]
    # Stored to 4 decimals for display (SQLite returns them as REAL: compare as numbers).
    assert (clause["code"], clause["events"]) == ("SLA-1", 20)
    assert (D(clause["attained"]), D(clause["score"])) == (95, 100)
    assert clause["version_number"] == 2 and clause["missed_event_ids"]
    statement = got["statement"]
    # A clean month's audit-and-rectification component is 100, and it counts (§6).
    assert statement["components_exact"] == {
        "sla": "100",
        "inspection": None,
        "satisfaction": None,
        "audit": "100",
    }
    assert statement["weights"] == {"sla": "80.00", "audit": "20.00"}
    assert (statement["score"], statement["grade"]) == ("100.00", "A")
    bases = [line["amount"] for line in statement["lines"] if line["kind"] == "base"]
    assert bases == ["50000.00", "51500.00"] and statement["net"] == "101500.00"


async def test_an_amendment_of_the_target_scores_the_pool_with_the_new_one(api, world):
    # v2 raises the target to 98 with minimum 80 and weight 3: the pooled 95 % scores
    # 100 × (95 − 80) / (98 − 80) = 250/3 = 83.33…; SLA component 250/3 (one clause);
    # score (40 × 250/3 + 10 × 100) / 50 = 260/3 = 86.67 → C (pay 95 %).
    stricter = Clause("SLA-1", "响应及时率", "response_within", D(98), D(80), D(3), 30)
    _, got = await _amended_month(api, world, "2026-05", stricter)
    (clause,) = got["clauses"]
    assert [D(clause[k]) for k in ("attained", "score", "target")] == [95, D("83.3333"), 98]
    statement = got["statement"]
    assert statement["components_exact"]["sla"] == "250/3"
    assert statement["components"]["sla"] == "83.33"
    assert (statement["score"], statement["grade"]) == ("86.67", "C")
    # 31 days: 100,000 × 15/31 = 48,387.10; 103,000 × 16/31 = 53,161.29; 5 % of 101,548.39
    grade_line = next(line for line in statement["lines"] if line["kind"] == "grade")
    assert grade_line["amount"] == "5077.42" and statement["net"] == "96470.97"


async def test_recomputing_one_contract_carries_the_others_over(api, login, world):
    finance = world.principals["finance"]
    april = Month(2026, 4)
    first_id = await contract_with(world, plain_terms())
    second_id = await contract_with(world, plain_terms())
    whole = await payments.compute_run(finance, april, [first_id, second_id])
    # A late critical audit finding for the second contract only: audit 80, score 80 → C.
    await audits.raise_finding(
        world.principals["supervisor"],
        audits.FindingInput(
            second_id,
            "audit",
            "critical",
            "消毒",
            "第三方审计：消毒记录缺失",
            found_at=datetime(2026, 4, 20, 2, tzinfo=UTC),
        ),
    )
    partial = await payments.compute_run(finance, april, [second_id])
    before = {
        s["contract"]: s for s in (await payment_reading.get_run(finance, whole))["statements"]
    }
    run = await payment_reading.get_run(finance, partial)
    after = {s["contract"]: s for s in run["statements"]}
    assert set(after) == {first_id, second_id}  # the revision is the whole month
    carried, redone = after[first_id], after[second_id]
    assert carried["carried_over"] is True and redone["carried_over"] is False
    fields = ("score", "grade", "base", "deductions", "net", "lines", "components")
    assert {f: carried[f] for f in fields} == {f: before[first_id][f] for f in fields}
    assert (redone["score"], redone["grade"]) == (D("80.00"), "C")
    changes = await payment_reading.diff(finance, partial)
    assert [c["contract_number"] for c in changes] == [redone["contract_number"]]
    entry = (await audit.history("payment_run", partial))[0]
    assert (entry["after"]["recomputed"], entry["after"]["carried_over"]) == (1, 1)
    async with api("finance") as c:
        shown = (await c.get(f"/api/payments/runs/{partial}")).json()
    assert {s["contract"]: s["carried_over"] for s in shown["statements"]} == {
        first_id: True,
        second_id: False,
    }
    async with login("finance") as c:
        page = await c.get(f"/month-end/runs/{partial}")
    assert page.text.count("carried over</span>") == 1


async def test_a_reviewer_returns_a_run_for_correction(api, login, world):
    finance, reviewer = world.principals["finance"], world.principals["finance_b"]
    march = Month(2026, 3)
    contract_id = await contract_with(world, plain_terms())
    run_id = await payments.compute_run(finance, march, [contract_id])
    url = f"/api/payments/runs/{run_id}/return"
    async with api("finance") as c:  # the computing user
        own = await c.post(url, json={"reason": "自查"})
    async with api("admin") as c:
        by_admin = await c.post(url, json={"reason": "管理员"})
    async with api("finance_b") as c:
        empty = await c.post(url, json={"reason": "  "})
        too_long = await c.post(url, json={"reason": "长" * 2001})
    assert own.status_code == 403 and by_admin.status_code == 403
    assert empty.status_code == 422 and empty.json()["errors"][0]["field"] == "reason"
    assert too_long.status_code == 422
    async with login("finance_b") as c:
        page = await c.get(f"/month-end/runs/{run_id}")
        assert "Return for correction" in page.text
        token = await csrf_token(c, f"/month-end/runs/{run_id}")
        done = await c.post(
            f"/month-end/runs/{run_id}/return",
            data={"_csrf_token": token, "reason": "罚款依据缺少检查照片"},
        )
    assert done.status_code == 200 and "罚款依据缺少检查照片" in done.text
    assert "Approve and lock" not in done.text
    async with api("finance_c") as c:
        shown = (await c.get(f"/api/payments/runs/{run_id}")).json()
        approve = await c.post(f"/api/payments/runs/{run_id}/approve")
        again = await c.post(url, json={"reason": "再退"})
    assert (shown["status"], shown["returned_by"], shown["return_reason"]) == (
        "returned",
        "t.finance_b",
        "罚款依据缺少检查照片",
    )
    assert approve.status_code == 409 and "returned by t.finance_b" in approve.json()["detail"]
    assert again.status_code == 409
    entry = (await audit.history("payment_run", run_id))[0]
    assert entry["action"] == "return"
    assert run_id not in {r["id"] for r in await payment_reading.runs_awaiting_approval(finance)}
    # Corrected and computed again (no reason needed: nothing was approved); then approved.
    fixed = await payments.compute_run(finance, march, [contract_id])
    assert await payments.approve(reviewer, fixed) == []
    assert (await payment_reading.get_run(finance, fixed))["status"] == "approved"
