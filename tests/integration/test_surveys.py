"""Surveys (§10): the versioned builder, the anonymous phone page and its one-answer rules,
results per contract and ward with quota shortfall, the export, the satisfaction component of
the month-end (§6), permissions, and concurrent submissions from one device."""

from __future__ import annotations

import asyncio
import io
import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction

import pypdf
from openpyxl import load_workbook

from tests.conftest import CSRF_RE, http_client, new_vendor, unique
from tests.integration.jobs_support import computed_run
from vendorgov.contracts import drafting as contract_drafting
from vendorgov.contracts import service as contract_service
from vendorgov.contracts.rules import Terms
from vendorgov.locations import service as locations
from vendorgov.sla import service as sla
from vendorgov.sla.measure import Month
from vendorgov.surveys import results, rules, service
from vendorgov.surveys.tables import SurveyAnswer

TOKEN_RE = re.compile(r'name="token" value="([^"]+)"')
VERSION_RE = re.compile(r'name="version" value="(\d+)"')
QUESTIONS = ["保洁是否及时", "环境是否整洁", "服务态度"]


async def a_contract(world, category: str = "cleaning") -> int:
    officer = world.principals["procurement"]
    contract_id, version_id = await contract_drafting.create_contract(
        officer,
        contract_drafting.ContractInput(
            number=unique("HT-SV"),
            title="病区保洁服务合同",
            # vendor A offers cleaning only
            vendor_id=world.vendor_a
            if category == "cleaning"
            else await new_vendor(world, categories=[category]),
            category=category,
            start_date=date(2026, 1, 1),
            end_date=date(2031, 12, 31),
            monthly_fee=Decimal("100000.00"),
        ),
        Terms(effective_from=date(2026, 1, 1), monthly_fee=Decimal("100000.00")),
    )
    await contract_drafting.sign(officer, version_id)
    return contract_id


async def a_ward(world, name: str = "5楼东区") -> int:
    admin = world.principals["admin"]
    parent = None
    for kind, label in (("campus", "本院区"), ("building", "住院部"), ("floor", "5楼")):
        parent = await locations.create(admin, kind, label, unique(kind[:2].upper()), parent)
    return await locations.create(admin, "area", name, unique("W"), parent)


async def a_survey(world, wards: dict[int, int], contract_ids=(), categories=(), open_it=True):
    supervisor = world.principals["supervisor"]
    survey_id = await service.create(
        supervisor,
        rules.Definition(
            unique("住院患者满意度"),
            "patient",
            QUESTIONS,
            list(contract_ids),
            list(categories),
            wards,
        ),
    )
    if open_it:
        await service.set_status(supervisor, survey_id, "open")
    return survey_id


async def open_form(phone, survey_id: int, ward: int) -> dict:
    page = await phone.get(f"/s/{survey_id}?w={ward}")
    assert page.status_code == 200, page.text
    return {
        "token": TOKEN_RE.search(page.text).group(1),
        "version": VERSION_RE.search(page.text).group(1),
        "w": str(ward),
        "questions": str(len(QUESTIONS)),
    }


def filled(form: dict, scores: list, comment: str = "") -> dict:
    answers = {f"q{i}": "" if s is None else str(s) for i, s in enumerate(scores, start=1)}
    return {**form, **answers, "comment": comment}


async def answer(phone, survey_id: int, ward: int, scores: list, comment: str = ""):
    form = await open_form(phone, survey_id, ward)
    return await phone.post(
        f"/s/{survey_id}", data=filled(form, scores, comment), follow_redirects=False
    )


async def stored(survey_id: int) -> int:
    return await SurveyAnswer.count().where(SurveyAnswer.survey == survey_id)


def at(moment: datetime):
    return lambda: moment


async def test_builder_keeps_answered_versions_and_edits_unanswered_ones(api, app, world):
    contract_id = await a_contract(world)
    ward = await a_ward(world)
    body = {
        "title": "门诊患者满意度",
        "audience": "patient",
        "questions": QUESTIONS,
        "contract_ids": [contract_id],
        "quotas": [{"location_id": ward, "monthly_quota": 30}],
    }
    async with api("supervisor") as c:
        created = await c.post("/api/surveys", json=body)
        assert created.status_code == 201, created.text
        survey_id = created.json()["id"]
        # Not answered yet: a new question changes version 1 in place.
        edited = await c.put(f"/api/surveys/{survey_id}", json={**body, "questions": QUESTIONS[:2]})
        assert edited.json() == {"version": 1}
        opened = await c.post(f"/api/surveys/{survey_id}/status", json={"status": "open"})
        assert opened.json() == {"status": "open"}
    async with http_client(app) as phone:
        form = await open_form(phone, survey_id, ward)
        form["questions"] = "2"
        sent = await phone.post(
            f"/s/{survey_id}", data=filled(form, [5, 4]), follow_redirects=False
        )
        assert sent.status_code == 303, sent.text
    async with api("supervisor") as c:
        # The title and quota are not part of a version: still version 1.
        same = await c.put(
            f"/api/surveys/{survey_id}",
            json={**body, "questions": QUESTIONS[:2], "title": "门诊患者满意度（新）"},
        )
        assert same.json() == {"version": 1}
        changed = await c.put(f"/api/surveys/{survey_id}", json=body)
        assert changed.json() == {"version": 2}
        detail = (await c.get(f"/api/surveys/{survey_id}")).json()
        assert [(v["number"], len(v["questions"]), v["answers"]) for v in detail["versions"]] == [
            (2, 3, 0),
            (1, 2, 1),
        ]
        assert detail["wards"][0]["link"].endswith(f"/s/{survey_id}?w={ward}")
        answers = (await c.get(f"/api/surveys/{survey_id}/answers")).json()
        assert [(a["version"], a["scores"]) for a in answers["items"]] == [
            (detail["versions"][1]["id"], [5, 4])
        ]
        bad = await c.post(
            "/api/surveys",
            json={**body, "audience": "visitors", "questions": [], "contract_ids": [10**6]},
        )
        assert bad.status_code == 422
        assert {e["field"] for e in bad.json()["errors"]} == {
            "audience",
            "questions",
            "contract_ids",
        }


async def test_builder_pages_and_qr_sheet(login, world):
    contract_id = await a_contract(world)
    ward = await a_ward(world, "6楼西区")
    code = (await locations.get(world.principals["admin"], ward))["code"]
    async with login("supervisor") as c:
        page = await c.get("/surveys")
        token = CSRF_RE.search(page.text).group(1)
        form = {
            "_csrf_token": token,
            "title": "员工满意度",
            "audience": "staff",
            "questions": "响应速度\n\n服务质量",
            "contract_ids": str(contract_id),
            "quotas": f"{code} 12\nNO-SUCH-PLACE 3",
        }
        refused = await c.post("/surveys", data=form)
        assert refused.status_code == 422
        assert "NO-SUCH-PLACE" in refused.text and "员工满意度" in refused.text  # input kept
        ticked = f'name="contract_ids" value="{contract_id}" checked'
        assert ticked in refused.text  # the chosen contract stays ticked
        made = await c.post("/surveys", data={**form, "quotas": f"{code} 12"})
        assert made.status_code == 200 and "version 1" in made.text
        assert ticked in made.text  # the edit form shows what it covers
        survey_id = int(re.search(r"/surveys/(\d+)/qr.pdf", made.text).group(1))
        pdf = await c.get(f"/surveys/{survey_id}/qr.pdf")
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    pages = pypdf.PdfReader(io.BytesIO(pdf.content)).pages
    text = " ".join(" ".join(page.extract_text() for page in pages).split())  # labels wrap
    assert "本院区 住院部 5楼 6楼西区" in text and "员工满意度" in text
    detail = await service.detail(world.principals["supervisor"], survey_id, "http://x")
    assert detail["current"]["questions"] == ["响应速度", "服务质量"]
    assert [(w["location_id"], w["monthly_quota"]) for w in detail["wards"]] == [(ward, 12)]


async def test_one_answer_per_device_and_day_and_no_replayed_form(app, world, monkeypatch):
    contract_id = await a_contract(world)
    ward = await a_ward(world)
    survey_id = await a_survey(world, {ward: 10}, [contract_id])
    today = datetime.now(UTC)
    async with http_client(app) as phone:
        first = await answer(phone, survey_id, ward, [5, 4, None], "卫生间很干净")
        assert first.status_code == 303 and first.headers["location"] == f"/s/{survey_id}/thanks"
        again = await answer(phone, survey_id, ward, [1, 1, 1])
        assert again.status_code == 409
        assert "already answered this survey today" in again.text
        assert 'name="token"' not in again.text  # no form to send again
        assert await stored(survey_id) == 1
        # The next day the same phone may answer again; the same form sent twice may not.
        form = await open_form(phone, survey_id, ward)
        monkeypatch.setattr(service, "_now", at(today + timedelta(days=1)))
        next_day = await phone.post(
            f"/s/{survey_id}", data=filled(form, [3, 3, 3]), follow_redirects=False
        )
        assert next_day.status_code == 303
        monkeypatch.setattr(service, "_now", at(today + timedelta(days=2)))
        replayed = await phone.post(
            f"/s/{survey_id}", data=filled(form, [3, 3, 3]), follow_redirects=False
        )
        assert replayed.status_code == 409 and "already sent" in replayed.text
    async with http_client(app) as other_phone:  # another device, same day: its own answer
        assert (await answer(other_phone, survey_id, ward, [2, 2, 2])).status_code == 303
    assert await stored(survey_id) == 3


async def test_closed_survey_bad_scores_and_forged_forms_write_nothing(app, world):
    contract_id = await a_contract(world)
    ward, elsewhere = await a_ward(world), await a_ward(world, "急诊")
    survey_id = await a_survey(world, {ward: 10}, [contract_id])
    async with http_client(app) as phone:
        form = await open_form(phone, survey_id, ward)
        bad = await phone.post(
            f"/s/{survey_id}", data=filled(form, [7, 4, 0], "留言保留"), follow_redirects=False
        )
        assert bad.status_code == 422
        assert bad.text.count('<div class="error">Use a whole number from 1 to 5') == 2
        assert "留言保留" in bad.text  # the comment is kept
        none = await phone.post(
            f"/s/{survey_id}", data=filled(form, [None, None, None]), follow_redirects=False
        )
        assert none.status_code == 422 and "Answer at least one question" in none.text
        forged = await phone.post(
            f"/s/{survey_id}",
            data={**filled(form, [5, 5, 5]), "token": "abc.def"},
            follow_redirects=False,
        )
        assert forged.status_code == 422 and "reload the page" in forged.text
        wrong_ward = await phone.post(
            f"/s/{survey_id}",
            data={**filled(form, [5, 5, 5]), "w": str(elsewhere)},
            follow_redirects=False,
        )
        assert wrong_ward.status_code == 422
        assert (await phone.get(f"/s/{survey_id}?w={elsewhere}")).status_code == 422
        async with http_client(app) as cookieless:  # a cross-site POST carries no device cookie
            sent = await cookieless.post(f"/s/{survey_id}", data=filled(form, [5, 5, 5]))
            assert sent.status_code == 422 and "needs cookies" in sent.text
        await service.set_status(world.principals["supervisor"], survey_id, "closed")
        closed = await phone.post(
            f"/s/{survey_id}", data=filled(form, [5, 5, 5]), follow_redirects=False
        )
        assert closed.status_code == 409 and "closed" in closed.text
        page = await phone.get(f"/s/{survey_id}?w={ward}")
        assert page.status_code == 409 and 'name="token"' not in page.text
        assert (await phone.get(f"/s/{10**6}?w={ward}")).status_code == 404
    assert await stored(survey_id) == 0


async def test_page_is_phone_sized_without_inline_script_or_style(app, world):
    contract_id = await a_contract(world)
    ward = await a_ward(world)
    survey_id = await a_survey(world, {ward: 1}, [contract_id])
    async with http_client(app) as phone:
        page = await phone.get(f"/s/{survey_id}?w={ward}")
    assert 'name="viewport" content="width=device-width' in page.text
    assert "style=" not in page.text and "<style" not in page.text
    assert not re.search(r"<script(?![^>]*\bsrc=)", page.text)
    cookie = page.headers["set-cookie"]
    assert "vg_device=" in cookie and "HttpOnly" in cookie and "Path=/s/" in cookie


async def test_results_per_contract_and_ward_with_shortfall_and_export(
    api, login, app, world, monkeypatch
):
    # Category coverage: every elevator contract (none else in the tests), October 2030.
    ours, theirs_category = await a_contract(world, "elevator"), await a_contract(world, "elevator")
    ward_a, ward_b = await a_ward(world, "A区"), await a_ward(world, "B区")
    survey_id = await a_survey(world, {ward_a: 3, ward_b: 1}, categories=["elevator"])
    monkeypatch.setattr(service, "_now", at(datetime(2030, 10, 8, 2, tzinfo=UTC)))
    for ward, scores in ((ward_a, [5, 4, 3]), (ward_a, [3, 3, 4]), (ward_b, [4, None, None])):
        async with http_client(app) as phone:
            assert (
                await answer(phone, survey_id, ward, scores, "=cmd|' /C calc'!A0")
            ).status_code == 303
    async with api("supervisor") as c:
        got = await c.get(f"/api/survey-results?month=2030-10&contract_id={ours}&sort=ward")
        assert got.status_code == 200, got.text
        rows = [
            (
                r["ward"].split()[-1],
                r["answers"],
                r["satisfied"],
                r["share"],
                r["quota"],
                r["shortfall"],
            )
            for r in got.json()["items"]
        ]
        assert rows == [("A区", 2, 1, "50", 3, 1), ("B区", 1, 1, "100", 1, 0)]
        paged = (await c.get("/api/survey-results?month=2030-10&page_size=1")).json()
        assert paged["total"] >= 4 and len(paged["items"]) == 1
        csv = await c.get(f"/api/survey-results/export?month=2030-10&contract_id={ours}")
        assert csv.status_code == 200
        lines = csv.content.decode("utf-8-sig").splitlines()
        assert lines[0].startswith("month 月份,contract 合同")
        assert len(lines) == 3 and lines[1].endswith(",2,1,50.00,3,1")
        xlsx = await c.get(f"/api/survey-results/export?month=2030-10&contract_id={ours}&fmt=xlsx")
        sheet = load_workbook(io.BytesIO(xlsx.content)).active
        assert [cell.value for cell in sheet[2]][-5:] == [2, 1, 50, 3, 1]
        assert (await c.get("/api/survey-results?month=2030-13")).status_code == 422
        # searched by the contract's number (any case), instead of picked from every contract
        number = got.json()["items"][0]["contract_number"]
        found = (await c.get(f"/api/survey-results?month=2030-10&q={number.lower()}")).json()
        assert [r["contract_id"] for r in found["items"]] == [ours, ours]
        searched = await c.get(f"/api/survey-results/export?month=2030-10&q={number}")
        assert len(searched.content.decode("utf-8-sig").splitlines()) == 3
    async with login("supervisor") as c:
        page = await c.get(f"/surveys/results?month=2030-10&q={number}")
        assert page.status_code == 200
        assert page.text.count(f"<td>{number}</td>") == 2  # A区 and B区
        assert "<select" not in page.text
        assert f"/surveys/results/export?month=2030-10&amp;q={number}" in page.text
        nothing = await c.get("/surveys/results?month=2030-10&q=no-such-contract")
        assert "A区" not in nothing.text
    assert (await results.satisfaction_shares([ours, theirs_category], Month(2030, 10))) == {
        ours: Fraction(200, 3),
        theirs_category: Fraction(200, 3),
    }


async def test_an_anonymous_answer_changes_the_month_ends_satisfaction_component(
    api, app, world, monkeypatch
):
    """May 2026: posted responses 5, 3, 2 → 1 of 3 satisfied = 100/3. Then two anonymous
    answers: (5 + 3) / 2 = 4 → satisfied (mean ≥ 4, exact); (4 + 3) / 2 = 3.5 → not, its
    skipped question left out. Pooled: 2 of 5 = 40. The month has no SLA events and no
    inspections, so the score is (20 × 40 + 10 × 100) / 30 = 60.00."""
    contract_id = await a_contract(world)
    ward = await a_ward(world)
    survey_id = await a_survey(world, {ward: 5}, [contract_id])
    await sla.add_surveys(
        world.principals["supervisor"],
        contract_id,
        [sla.SurveyInput("patient", s, "2026-05-03") for s in (5, 3, 2)],
    )
    may = Month(2026, 5)
    assert (await results.satisfaction_shares([contract_id], may))[contract_id] == Fraction(100, 3)
    # 23:30 on 31 May in Shanghai is still May there (15:30 UTC).
    monkeypatch.setattr(service, "_now", at(datetime(2026, 5, 31, 15, 30, tzinfo=UTC)))
    for scores in ([5, 3, None], [4, None, 3]):
        async with http_client(app) as phone:
            assert (await answer(phone, survey_id, ward, scores)).status_code == 303
    assert (await results.satisfaction_shares([contract_id], may))[contract_id] == 40
    async with api("finance") as c:
        run_id = await computed_run(
            c, {"month": "2026-05", "contract_ids": [contract_id], "reason": "surveys"}
        )
        run = (await c.get(f"/api/payments/runs/{run_id}")).json()
    (statement,) = [s for s in run["statements"] if s["contract"] == contract_id]
    assert statement["components_exact"]["satisfaction"] == "40"
    assert statement["score"] == "60.00"


async def test_permissions(api, login, app, world):
    theirs = await a_contract(world)
    ward = await a_ward(world)
    survey_id = await a_survey(world, {ward: 2}, [theirs])
    month = results.month_or_current("")
    async with http_client(app) as phone:
        assert (await answer(phone, survey_id, ward, [5, 5, 5])).status_code == 303
    for role in ("vendor", "procurement", "finance", "auditor", "evaluator"):
        async with api(role) as c:
            assert (await c.get("/api/surveys")).status_code == 403, role
            assert (await c.get(f"/api/surveys/{survey_id}/answers")).status_code == 403, role
    async with api("vendor") as c:  # vendor A's contract: its own results, without comments
        rows = (await c.get(f"/api/survey-results?month={month}&contract_id={theirs}")).json()
        assert [(r["answers"], r["satisfied"]) for r in rows["items"]] == [(1, 1)]
        assert "comment" not in rows["items"][0]
    async with api("vendor_b") as c:
        rows = (await c.get(f"/api/survey-results?month={month}&contract_id={theirs}")).json()
        assert rows["items"] == []
        assert (await c.get(f"/api/survey-results/export?contract_id={theirs}")).content.count(
            b"\n"
        ) == 1  # the header only
    async with api("auditor") as c:
        assert (await c.get("/api/survey-results")).status_code == 403
    async with login("vendor") as c:
        assert (await c.get(f"/surveys/{survey_id}")).status_code == 403
        assert (await c.get("/surveys/results")).status_code == 200
    async with http_client(app) as anonymous:
        assert (await anonymous.get("/api/surveys")).status_code == 401
        assert str((await anonymous.get("/surveys")).url).endswith("/login?next=/surveys")


async def test_concurrent_answers_from_one_device_store_one(app, world):
    contract_id = await a_contract(world)
    ward = await a_ward(world)
    survey_id = await a_survey(world, {ward: 50}, [contract_id])
    async with http_client(app) as phone:
        forms = [await open_form(phone, survey_id, ward) for _ in range(12)]
        sent = await asyncio.gather(
            *[
                phone.post(f"/s/{survey_id}", data=filled(f, [4, 4, 4]), follow_redirects=False)
                for f in forms
            ]
        )
    assert sorted(r.status_code for r in sent) == [303] + [409] * 11
    assert await stored(survey_id) == 1


async def test_a_close_racing_answers_leaves_none_after_it(app, world):
    contract_id = await a_contract(world)
    ward = await a_ward(world)
    survey_id = await a_survey(world, {ward: 50}, [contract_id])
    phones = [http_client(app) for _ in range(8)]
    forms = [await open_form(p, survey_id, ward) for p in phones]
    supervisor = world.principals["supervisor"]
    outcome = await asyncio.gather(
        service.set_status(supervisor, survey_id, "closed"),
        *[
            p.post(f"/s/{survey_id}", data=filled(f, [5, 5, 5]), follow_redirects=False)
            for p, f in zip(phones, forms, strict=True)
        ],
    )
    codes = sorted(r.status_code for r in outcome[1:])
    assert set(codes) <= {303, 409}
    assert await stored(survey_id) == codes.count(303)
    late = await phones[1].post(f"/s/{survey_id}", data=filled(forms[1], [5, 5, 5]))
    assert late.status_code == 409 and "closed" in late.text
    for p in phones:
        await p.aclose()


async def test_answers_are_rate_limited_per_client_address(world):
    from dataclasses import replace

    from vendorgov.app import create_app
    from vendorgov.settings import get_settings

    limited = create_app(replace(get_settings(), survey_answers_per_minute=2))
    contract_id = await a_contract(world)
    ward = await a_ward(world)
    survey_id = await a_survey(world, {ward: 50}, [contract_id])
    codes = []
    for _ in range(3):
        async with http_client(limited) as phone:  # a new device each time, one address
            codes.append((await answer(phone, survey_id, ward, [5, 5, 5])).status_code)
    assert codes == [303, 303, 429]
    assert await stored(survey_id) == 2


async def test_concurrent_edits_and_opens_of_a_survey(api, app, world):
    """Two editors change an answered survey at once: the first makes version 2, the second
    (waiting on the survey's lock) changes that unanswered version in place; two opens at
    once record one change."""
    from vendorgov.audit import service as audit

    contract_id = await a_contract(world)
    ward = await a_ward(world)
    survey_id = await a_survey(world, {ward: 5}, [contract_id])
    async with http_client(app) as phone:
        assert (await answer(phone, survey_id, ward, [5, 5, 5])).status_code == 303
    body = {"title": "并发编辑", "contract_ids": [contract_id]}
    body["quotas"] = [{"location_id": ward, "monthly_quota": 5}]
    async with api("supervisor") as c:
        edits = await asyncio.gather(
            c.put(f"/api/surveys/{survey_id}", json={**body, "questions": ["甲", "乙"]}),
            c.put(f"/api/surveys/{survey_id}", json={**body, "questions": ["丙"]}),
        )
        assert [e.status_code for e in edits] == [200, 200]
        assert sorted(e.json()["version"] for e in edits) == [2, 2]
        versions = (await c.get(f"/api/surveys/{survey_id}")).json()["versions"]
        assert [(v["number"], v["answers"]) for v in versions] == [(2, 0), (1, 1)]
        assert versions[1]["questions"] == QUESTIONS  # the answered version is untouched
        await c.post(f"/api/surveys/{survey_id}/status", json={"status": "closed"})
        opens = await asyncio.gather(
            *[c.post(f"/api/surveys/{survey_id}/status", json={"status": "open"}) for _ in range(4)]
        )
        assert {o.status_code for o in opens} == {200}
    actions = [e["action"] for e in await audit.history("survey", survey_id)]
    assert actions.count("open") == 2  # a_survey's, and one of the four


async def test_answers_to_an_answered_version_race_as_the_first_ones_do(app, world):
    """Once its version has an answer, an answer is one INSERT … SELECT … ON CONFLICT DO
    NOTHING: racing answers from one device still store one, a replayed form none, and a
    close racing answers leaves none after it."""
    contract_id = await a_contract(world)
    ward = await a_ward(world)
    survey_id = await a_survey(world, {ward: 50}, [contract_id])
    async with http_client(app) as first:
        assert (await answer(first, survey_id, ward, [5, 5, 5])).status_code == 303
    version = (await service.detail(world.principals["supervisor"], survey_id, ""))["current"]
    assert version["id"] in service._ANSWERED_VERSIONS  # the one-statement path from here on
    async with http_client(app) as phone:
        forms = [await open_form(phone, survey_id, ward) for _ in range(10)]
        sent = await asyncio.gather(
            *[
                phone.post(f"/s/{survey_id}", data=filled(f, [4, 4, 4]), follow_redirects=False)
                for f in forms
            ]
        )
        assert sorted(r.status_code for r in sent) == [303] + [409] * 9
        assert (
            "already answered this survey today"
            in next(r for r in sent if r.status_code == 409).text
        )
    async with http_client(app) as other:
        form = await open_form(other, survey_id, ward)
        bad = await other.post(f"/s/{survey_id}", data=filled(form, [6, 4, 4]))
        assert bad.status_code == 422
        done = await other.post(
            f"/s/{survey_id}", data=filled(form, [3, 3, 3]), follow_redirects=False
        )
        assert done.status_code == 303
        replay = await other.post(f"/s/{survey_id}", data=filled(form, [3, 3, 3]))
        assert replay.status_code == 409 and "already" in replay.text
    assert await stored(survey_id) == 3
    phones = [http_client(app) for _ in range(8)]
    forms = [await open_form(p, survey_id, ward) for p in phones]
    outcome = await asyncio.gather(
        service.set_status(world.principals["supervisor"], survey_id, "closed"),
        *[
            p.post(f"/s/{survey_id}", data=filled(f, [5, 5, 5]), follow_redirects=False)
            for p, f in zip(phones, forms, strict=True)
        ],
    )
    codes = sorted(r.status_code for r in outcome[1:])
    assert set(codes) <= {303, 409}
    assert await stored(survey_id) == 3 + codes.count(303)
    late = await phones[0].post(f"/s/{survey_id}", data=filled(forms[0], [5, 5, 5]))
    assert late.status_code == 409 and "closed" in late.text
    for p in phones:
        await p.aclose()


async def test_the_builder_finds_contracts_by_number_or_vendor(login, world):
    """The builder offers contracts by search (a picker of every contract was 140 KiB at
    2,000 contracts): up to 20 matches, the ticked ones kept whatever is typed."""
    # the other contract's vendor is a fresh one: searched by its name, it is the only match
    chosen, other = await a_contract(world), await a_contract(world, "laundry")
    contracts_by_id = {
        c["id"]: c for c in await contract_service.contract_labels(world.principals["supervisor"])
    }
    number = contracts_by_id[other]["number"]
    async with login("supervisor") as c:
        page = await c.get("/surveys")
        assert page.status_code == 200 and 'name="contract_q"' in page.text
        assert "<select" not in page.text.split('id="f-contract-search"')[1].split("</fieldset>")[0]
        found = await c.get(
            "/surveys/contract-choices",
            params={"contract_q": number.lower(), "contract_ids": [str(chosen)]},
        )
        assert found.status_code == 200
        assert f'value="{chosen}" checked' in found.text  # kept, ticked
        assert f'value="{other}">' in found.text  # found, not ticked
        assert found.text.count('name="contract_ids"') == 2
        vendor = contracts_by_id[other]["vendor_name"]
        by_vendor = await c.get("/surveys/contract-choices", params={"contract_q": vendor})
        assert f'value="{other}">' in by_vendor.text
        nothing = await c.get("/surveys/contract-choices", params={"contract_q": "no-such"})
        assert 'name="contract_ids"' not in nothing.text
        many = await c.get("/surveys/contract-choices")
        assert many.text.count('name="contract_ids"') <= 20
    async with login("vendor") as c:
        assert (await c.get("/surveys/contract-choices")).status_code == 403
