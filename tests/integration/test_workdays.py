"""The working-day calendar (§3a): seeded from the package, edited by administrators (page and
API, audited, safe under concurrent edits), and used by the negotiation bid period."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, date, datetime, timedelta

import pytest

from tests.conftest import csrf_token
from tests.integration.test_tender_sealing import bid_periods, sealing_input  # noqa: F401
from vendorgov.audit.tables import AuditEntry
from vendorgov.errors import Forbidden, InvalidInput
from vendorgov.tenders import common, publication
from vendorgov.workdays import service
from vendorgov.workdays.tables import CalendarDay

# A year the package does not cover yet, so edits here touch nothing another test reads.
FAR = 2031


async def entries(day: date) -> list[dict]:
    rows = (
        await AuditEntry.select(AuditEntry.before, AuditEntry.after)
        .where((AuditEntry.entity == "calendar_day") & (AuditEntry.entity_id == day.isoformat()))
        .order_by(AuditEntry.id)
    )
    return [{k: json.loads(v) if isinstance(v, str) else v for k, v in r.items()} for r in rows]


async def test_a_year_is_seeded_from_the_package_with_national_day_and_its_make_up_days(api):
    async with api("procurement") as c:
        listed = await c.get("/api/workdays/days", params={"year": 2026, "page_size": 100})
        assert listed.status_code == 200, listed.text
        days = {d["day"]: (d["kind"], d["source"]) for d in listed.json()["items"]}
        # 1 October 2026 is a Thursday off; Saturday 10 October and Sunday 20 September are
        # make-up working days; Saturday 3 October (a weekend anyway) is not listed.
        assert days["2026-10-01"] == ("holiday", "package")
        assert days["2026-10-10"] == ("workday", "package")
        assert days["2026-09-20"] == ("workday", "package")
        assert "2026-10-03" not in days
        # From Thursday 8 October: Fri 9, Sat 10 (make-up), Mon 12.
        added = await c.get("/api/workdays/add", params={"start": "2026-10-08", "days": 3})
        assert added.json()["date"] == "2026-10-12"
        # Seeded once: reading again adds nothing.
        again = await c.get("/api/workdays/days", params={"year": 2026, "page_size": 100})
        assert again.json()["total"] == listed.json()["total"]
        for bad in ({"year": 1999}, {"year": "x"}):
            refused = await c.get("/api/workdays/days", params=bad)
            assert refused.status_code in (400, 422)
        refused = await c.get("/api/workdays/add", params={"start": "2026-10-08", "days": 999})
        assert refused.status_code == 422 and "days" in refused.text
        # Only administrators edit.
        denied = await c.put("/api/workdays/days/2031-05-06", json={"kind": "holiday"})
        assert denied.status_code == 403


async def test_an_administrator_edits_a_day_through_the_api_audited(api, world):
    day = date(FAR, 5, 6)  # a Tuesday
    async with api("admin") as c:
        set_ = await c.put(f"/api/workdays/days/{day}", json={"kind": "holiday", "name": "调整"})
        assert set_.status_code == 200, set_.text
        assert set_.json() == {
            "day": str(day),
            "kind": "holiday",
            "name": "调整",
            "source": "admin",
        }
        calendar = await service.calendar_for(day, day)
        assert not calendar.is_working_day(day)
        bad = await c.put(f"/api/workdays/days/{day}", json={"kind": "weekend", "name": ""})
        assert bad.status_code == 422 and "kind" in bad.text
        back = await c.put(f"/api/workdays/days/{day}", json={"kind": ""})
        assert back.json() == {"day": str(day), "kind": "", "name": "", "source": ""}
    assert (await service.calendar_for(day, day)).is_working_day(day)
    assert [(e["before"]["kind"], e["after"]["kind"]) for e in await entries(day)] == [
        ("", "holiday"),
        ("holiday", ""),
    ]
    with pytest.raises(Forbidden):
        await service.set_day(world.principals["procurement"], day, "holiday", "")
    with pytest.raises(InvalidInput):
        await service.set_day(world.principals["admin"], day, "holiday", "x" * 101)


async def test_the_calendar_page_shows_the_year_and_takes_an_administrators_change(login):
    day = date(FAR, 6, 7)  # a Saturday made a working day
    async with login("admin") as c:
        page = await c.get(f"/workdays?year={FAR}")
        assert page.status_code == 200 and "No holidays or make-up working days" in page.text
        token = await csrf_token(c, f"/workdays?year={FAR}")
        form = {"day": str(day), "kind": "workday", "name": "调休上班", "_csrf_token": token}
        saved = await c.post("/workdays", data=form)  # redirected back to the year
        assert saved.status_code == 200 and "调休上班" in saved.text and str(day) in saved.text
        refused = await c.post("/workdays", data={**form, "day": ""})
        assert refused.status_code in (400, 422) and "day" in refused.text
        form["kind"] = ""
        await c.post("/workdays", data=form)
    async with login("finance") as c:
        page = await c.get(f"/workdays?year={FAR}")
        assert page.status_code == 200 and 'action="/workdays"' not in page.text
        token = await csrf_token(c, "/workdays")
        denied = await c.post("/workdays", data={**form, "_csrf_token": token})
        assert denied.status_code == 403
    async with login("vendor") as c:
        assert (await c.get("/workdays")).status_code == 200  # the calendar is public


async def test_concurrent_edits_of_a_day_are_serialised_and_audited_once_each(app, api):
    day = date(FAR, 7, 8)
    async with api("admin") as c:
        same = await asyncio.gather(
            *[c.put(f"/api/workdays/days/{day}", json={"kind": "holiday"}) for _ in range(2)]
        )
        assert [r.status_code for r in same] == [200, 200]
        # The repeat changed nothing: one entry.
        assert len(await entries(day)) == 1
        different = await asyncio.gather(
            c.put(f"/api/workdays/days/{day}", json={"kind": "workday"}),
            c.put(f"/api/workdays/days/{day}", json={"kind": ""}),
        )
        assert [r.status_code for r in different] == [200, 200]
    # Each change's "before" is what the other left: the trail replays to the stored state.
    trail = await entries(day)
    assert len(trail) == 3
    assert all(
        a["after"]["kind"] == b["before"]["kind"] for a, b in zip(trail, trail[1:], strict=False)
    )
    row = await CalendarDay.select().where(CalendarDay.day == day).first()
    assert (row["kind"] if row else "") == trail[-1]["after"]["kind"]


async def test_negotiation_needs_three_working_days_on_the_calendar(world, api, bid_periods):  # noqa: F811
    """The administrator marks the next working days as holidays: a negotiation deadline 3
    calendar days ahead is now short, and the refusal names the first allowed moment."""
    officer = world.principals["procurement"]
    now = datetime.now(UTC)
    today = common.local(now).date()
    # Make the next 7 days holidays: 3 working days now end at least a week later.
    off = [today + timedelta(days=i) for i in range(1, 8)]
    async with api("admin") as c:
        for d in off:
            assert (await c.put(f"/api/workdays/days/{d}", json={"kind": "holiday"})).is_success
    try:
        short = await publication.create_tender(
            officer, sealing_input(now + timedelta(days=3, hours=1), "negotiation")
        )
        with pytest.raises(InvalidInput) as refused:
            await publication.publish(officer, short)
        message = refused.value.errors[0].message
        assert "at least 3 working days after publication" in message
        calendar = await service.calendar_for(today, today + timedelta(days=40))
        from vendorgov.workdays.rules import add_working_days

        first = add_working_days(calendar, today, 3)
        assert first > off[-1] and f"not before {first:%Y-%m-%d}" in message
        enough = datetime.combine(first + timedelta(days=1), datetime.min.time(), UTC)
        await publication.publish(
            officer,
            await publication.create_tender(officer, sealing_input(enough, "negotiation")),
        )
    finally:
        async with api("admin") as c:
            for d in off:
                await c.put(f"/api/workdays/days/{d}", json={"kind": ""})
