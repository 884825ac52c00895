"""Service requests (§9) through the API: filed, routed, accepted, on site, resolved with a
photo, rated; complaints drafted; bad input refused with nothing written; vendor isolation;
races; requests measured by the month's SLA clauses like imported events."""

from __future__ import annotations

import asyncio
import base64
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

import pytest

from tests.conftest import PNG, http_client, new_vendor, unique
from tests.integration.servicedesk_support import PHOTO, make_desk, new_request, signed_contract
from vendorgov.accounts import service as accounts
from vendorgov.accounts.roles import Role
from vendorgov.audit import service as audit
from vendorgov.audits.tables import Finding
from vendorgov.locations import service as locations
from vendorgov.locations.tables import Location
from vendorgov.servicedesk import routing
from vendorgov.servicedesk.tables import ServiceRequest
from vendorgov.sla import service as sla
from vendorgov.sla.measure import Month
from vendorgov.sla.tables import ServiceEvent


@pytest.fixture
def as_(app):
    @asynccontextmanager
    async def _as(token: str):
        async with http_client(app) as c:
            c.headers["Authorization"] = f"Bearer {token}"
            yield c

    return _as


@pytest.fixture
async def desk(world):
    return await make_desk(world)


async def count_requests() -> int:
    return await ServiceRequest.count()


async def file(as_, desk, who="nurse", **overrides) -> dict:
    async with as_(desk.tokens[who]) as c:
        response = await c.post("/api/service/requests", json=new_request(desk, **overrides))
    assert response.status_code == 201, response.text
    return response.json()


async def step(as_, desk, who, request_id, name, **body):
    async with as_(desk.tokens[who]) as c:
        return await c.post(f"/api/service/requests/{request_id}/{name}", json=body or None)


async def test_a_request_goes_through_its_life_and_is_its_service_event(as_, desk):
    filed = await file(as_, desk)
    assert filed["number"].startswith("SR-") and filed["status"] == "submitted"
    assert filed["contract"] == desk.contract_a and filed["channel"] == "ward"
    # the due times come from the contract's tightest clauses
    reported = datetime.fromisoformat(filed["reported_at"])
    assert datetime.fromisoformat(filed["response_due_at"]) - reported == timedelta(minutes=30)
    assert datetime.fromisoformat(filed["resolution_warn_at"]) - reported == timedelta(minutes=96)
    rid = filed["id"]
    accepted = await step(as_, desk, "worker_a", rid, "accept")
    assert accepted.status_code == 200 and accepted.json()["assignee_name"] == "报修测试 worker_a"
    # the same worker again: the request as it is; the other worker: it is not theirs
    again = await step(as_, desk, "worker_a", rid, "accept")
    assert (
        again.status_code == 200 and again.json()["accepted_at"] == accepted.json()["accepted_at"]
    )
    assert (await step(as_, desk, "worker_a2", rid, "arrive")).status_code == 409
    assert (await step(as_, desk, "worker_a", rid, "arrive")).status_code == 200
    resolved = await step(as_, desk, "worker_a", rid, "resolve", photo_base64=PHOTO, note="已拖干")
    assert resolved.status_code == 200 and resolved.json()["resolution_photo_id"]
    rated = await step(as_, desk, "nurse", rid, "rate", rating=5, comment="很快")
    assert rated.status_code == 200 and rated.json()["status"] == "confirmed"
    event = await ServiceEvent.select().where(ServiceEvent.external_id == filed["number"]).first()
    assert event["contract"] == desk.contract_a and event["satisfaction"] == 5
    assert event["responded_at"] is not None and event["resolved_at"] is not None
    assert event["location_id"] == desk.ward and event["complaint"] is False
    # the ward (another nurse of it? no: the kiosk of the ward) sees it; vendor B does not
    async with as_(desk.tokens["kiosk"]) as c:
        assert (await c.get(f"/api/service/requests/{rid}")).status_code == 200
    async with as_(desk.tokens["manager_b"]) as c:
        assert (await c.get(f"/api/service/requests/{rid}")).status_code == 404


async def test_routing_takes_the_deepest_route_and_names_whom_to_ask(as_, desk, world):
    at_other = await file(as_, desk, location_id=desk.other_building)
    assert at_other["contract"] == desk.contract_b
    before = await count_requests()
    async with as_(desk.tokens["nurse"]) as c:
        none = await c.post("/api/service/requests", json=new_request(desk, category="security"))
        unknown = await c.post("/api/service/requests", json=new_request(desk, location_id=10**8))
    assert none.status_code == 422
    (error,) = none.json()["errors"]
    assert error["field"] == "category" and error["rule"] == "no_route"
    # It names the supervisors to ask (the first few by login, whoever they are).
    supervisors = await accounts.active_accounts(Role.supervisor)
    assert supervisors and supervisors[0]["display_name"] in error["message"]
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "location_id"
    assert await count_requests() == before


async def test_photos_must_be_small_images(as_, desk, monkeypatch):
    from vendorgov import settings

    before = await count_requests()
    monkeypatch.setenv("VENDORGOV_SERVICE_PHOTO_BYTES", "2000")
    settings.get_settings.cache_clear()
    try:
        async with as_(desk.tokens["nurse"]) as c:
            text = base64.b64encode(b"not an image at all").decode()
            body = new_request(desk, photo_base64=text)
            not_image = await c.post("/api/service/requests", json=body)
            big = base64.b64encode(PNG + b"\0" * 3000).decode()
            too_big = await c.post(
                "/api/service/requests", json=new_request(desk, photo_base64=big)
            )
            body = new_request(desk, photo_base64="@@")
            garbled = await c.post("/api/service/requests", json=body)
    finally:
        monkeypatch.undo()
        settings.get_settings.cache_clear()
    assert not_image.status_code == 422 and not_image.json()["errors"][0]["rule"] == "file_type"
    assert too_big.status_code == 422 and too_big.json()["errors"][0]["rule"] == "max_size"
    assert garbled.status_code == 422
    assert await count_requests() == before


async def test_rating_once_by_the_filer_and_a_low_rating_drafts_a_complaint(as_, desk, world):
    filed = await file(as_, desk)
    rid = filed["id"]
    for name in ("accept", "arrive"):
        await step(as_, desk, "worker_a", rid, name)
    no_photo = await step(as_, desk, "worker_a", rid, "resolve", note="好了")
    assert no_photo.status_code == 422 and no_photo.json()["errors"][0]["field"] == "photo"
    await step(as_, desk, "worker_a", rid, "resolve", photo_base64=PHOTO)
    stranger = await step(as_, desk, "nurse2", rid, "rate", rating=1)
    assert stranger.status_code in (403, 404)
    bad = await step(as_, desk, "nurse", rid, "rate", rating=6)
    assert bad.status_code == 422
    rated = await step(as_, desk, "nurse", rid, "rate", rating=2, comment="地面还是湿的")
    assert rated.status_code == 200 and rated.json()["complaint_review"] == "pending"
    twice = await step(as_, desk, "nurse", rid, "rate", rating=4)
    assert twice.status_code == 409
    row = await ServiceRequest.select().where(ServiceRequest.id == rid).first()
    assert row["rating"] == 2 and row["rating_comment"] == "地面还是湿的"
    # the supervisor confirms: a complaint finding of the contract, at the place
    async with as_(world.tokens["supervisor"]) as c:
        confirmed = await c.post(
            f"/api/service/requests/{rid}/complaint",
            json={"decision": "confirm", "severity": "minor"},
        )
        repeat = await c.post(
            f"/api/service/requests/{rid}/complaint", json={"decision": "dismiss", "reason": "x"}
        )
    assert confirmed.status_code == 200 and repeat.status_code == 409
    finding = await Finding.select().where(Finding.id == confirmed.json()["finding_id"]).first()
    assert finding["source"] == "complaint" and finding["contract"] == desk.contract_a
    assert finding["location_id"] == desk.ward and filed["number"] in finding["description"]


async def test_a_dismissed_complaint_is_no_complaint_event(as_, desk, world):
    filed = await file(as_, desk, complaint=True)
    assert filed["complaint_review"] == "pending"
    async with as_(world.tokens["supervisor"]) as c:
        empty = await c.post(
            f"/api/service/requests/{filed['id']}/complaint", json={"decision": "dismiss"}
        )
        done = await c.post(
            f"/api/service/requests/{filed['id']}/complaint",
            json={"decision": "dismiss", "reason": "误报"},
        )
    assert empty.status_code == 422 and done.status_code == 200
    event = await ServiceEvent.select().where(ServiceEvent.external_id == filed["number"]).first()
    assert event["complaint"] is False


async def test_vendors_see_and_act_only_on_their_own(as_, desk):
    mine = await file(as_, desk)
    theirs = await file(as_, desk, location_id=desk.other_building)
    async with as_(desk.tokens["worker_b"]) as c:
        assert (await c.post(f"/api/service/requests/{mine['id']}/accept")).status_code == 404
        listed = (
            await c.get("/api/service/requests", params={"status": "open", "page_size": 200})
        ).json()
    ids = {r["id"] for r in listed["items"]}
    assert theirs["id"] in ids and mine["id"] not in ids
    assert all(r["vendor_id"] == desk.vendor_b for r in listed["items"])
    async with as_(desk.tokens["manager_a"]) as c:
        # a manager assigns to its own worker, never to another vendor's
        other = await c.post(
            f"/api/service/requests/{mine['id']}/assign",
            json={"assignee_id": desk.people["worker_b"].user_id},
        )
        ok = await c.post(
            f"/api/service/requests/{mine['id']}/assign",
            json={"assignee_id": desk.people["worker_a2"].user_id},
        )
    assert other.status_code == 422 and ok.status_code == 200
    assert (await step(as_, desk, "worker_a", mine["id"], "arrive")).status_code == 409
    assert (await step(as_, desk, "worker_a2", mine["id"], "arrive")).status_code == 200
    row = await ServiceRequest.select().where(ServiceRequest.id == mine["id"]).first()
    assert row["assignee_id"] == desk.people["worker_a2"].user_id and row["status"] == "on_site"
    # hospital roles that are no part of the desk
    async with as_(desk.tokens["nurse"]) as c:
        assert (
            await c.post(
                f"/api/service/requests/{mine['id']}/resolve", json={"photo_base64": PHOTO}
            )
        ).status_code == 403


async def test_two_workers_accepting_at_once_one_wins(as_, desk):
    filed = await file(as_, desk)
    async with as_(desk.tokens["worker_a"]) as a, as_(desk.tokens["worker_a2"]) as b:
        responses = await asyncio.gather(
            a.post(f"/api/service/requests/{filed['id']}/accept"),
            b.post(f"/api/service/requests/{filed['id']}/accept"),
        )
    assert sorted(r.status_code for r in responses) == [200, 409]
    winner = next(r for r in responses if r.status_code == 200).json()
    row = await ServiceRequest.select().where(ServiceRequest.id == filed["id"]).first()
    assert row["assignee_id"] == winner["assignee_id"]


async def test_two_ratings_at_once_store_one(as_, desk):
    filed = await file(as_, desk)
    for name in ("accept", "arrive"):
        await step(as_, desk, "worker_a", filed["id"], name)
    await step(as_, desk, "worker_a", filed["id"], "resolve", photo_base64=PHOTO)
    async with as_(desk.tokens["nurse"]) as c:
        responses = await asyncio.gather(
            c.post(f"/api/service/requests/{filed['id']}/rate", json={"rating": 5}),
            c.post(f"/api/service/requests/{filed['id']}/rate", json={"rating": 1}),
        )
    assert sorted(r.status_code for r in responses) == [200, 409]
    kept = next(r for r in responses if r.status_code == 200).json()["rating"]
    row = await ServiceRequest.select().where(ServiceRequest.id == filed["id"]).first()
    assert row["rating"] == kept


async def test_the_same_client_token_files_once(as_, desk):
    async with as_(desk.tokens["nurse"]) as c:
        body = new_request(desk, client_token=f"tap-{desk.ward}")
        responses = await asyncio.gather(
            c.post("/api/service/requests", json=body), c.post("/api/service/requests", json=body)
        )
    codes = sorted(r.status_code for r in responses)
    assert codes in ([201, 201], [201, 409])
    assert (
        await ServiceRequest.count().where(ServiceRequest.client_token == f"tap-{desk.ward}") == 1
    )


async def test_requests_and_imported_events_are_measured_together(as_, desk, world):
    filed = await file(as_, desk)
    for name in ("accept", "arrive"):
        await step(as_, desk, "worker_a", filed["id"], name)
    # an imported event of the same contract, late
    reported = datetime.fromisoformat(filed["reported_at"])
    async with as_(world.tokens["supervisor"]) as c:
        imported = await c.post(
            f"/api/contracts/{desk.contract_a}/events",
            json=[
                {
                    "external_id": "HD-LATE-1",
                    "category": "cleaning",
                    "priority": "urgent",
                    "reported_at": reported.isoformat(),
                    "responded_at": (reported + timedelta(hours=2)).isoformat(),
                }
            ],
        )
    assert imported.status_code in (200, 201), imported.text
    from vendorgov.settings import get_settings

    month = Month.parse(reported.astimezone(get_settings().zone).strftime("%Y-%m"))
    outcome = await sla.compute_month(world.principals["supervisor"], desk.contract_a, month)
    respond = next(r for r in outcome.results if r.code == "SLA-1")
    assert respond.events == 2 and respond.attained == 50  # the request on time, the import late
    assert outcome.events == 2


async def test_escalation_with_a_moved_clock(as_, desk, world):
    from vendorgov.notifications.tables import Notification
    from vendorgov.servicedesk import service

    filed = await file(as_, desk)
    reported = datetime.fromisoformat(filed["reported_at"])
    manager, worker = desk.people["manager_a"], desk.people["worker_a"]
    supervisor = world.principals["supervisor"]

    async def inbox(person, kind):
        return await Notification.count().where(
            (Notification.user == person.user_id)
            & (Notification.kind == kind)
            & (Notification.link == f"/service/requests/{filed['id']}")
        )

    early = await service.escalate(reported + timedelta(minutes=20))
    assert filed["id"] not in [e["id"] for e in early]
    assert await inbox(manager, "service.due_soon") == 0
    raised = await service.escalate(reported + timedelta(minutes=25))  # 83 % of 30 minutes
    assert {"id": filed["id"], "number": filed["number"], "step": "response", "level": 1} in raised
    assert (
        await inbox(manager, "service.due_soon") == 1
        and await inbox(worker, "service.due_soon") == 0
    )
    assert await inbox(supervisor, "service.late") == 0
    await service.escalate(reported + timedelta(minutes=26))  # nothing new
    assert await inbox(manager, "service.due_soon") == 1
    await service.escalate(reported + timedelta(minutes=31))
    assert await inbox(supervisor, "service.late") == 1
    # the board shows it late at that moment, and only due soon before
    from vendorgov.servicedesk import board

    agent = world.principals["agent"]
    late = await board.board(agent, reported + timedelta(minutes=31))
    soon = await board.board(agent, reported + timedelta(minutes=25))
    cleaning = next(c for c in late["categories"] if c["category"] == "cleaning")
    assert cleaning["states"]["breached"] >= 1 and soon["due_soon"] >= 1
    row = await ServiceRequest.select().where(ServiceRequest.id == filed["id"]).first()
    assert row["response_escalation"] == 2 and row["resolution_escalation"] == 0


async def test_auto_confirm_after_the_set_hours(as_, desk):
    from vendorgov.servicedesk import service

    filed = await file(as_, desk)
    for name in ("accept", "arrive"):
        await step(as_, desk, "worker_a", filed["id"], name)
    resolved = (
        await step(as_, desk, "worker_a", filed["id"], "resolve", photo_base64=PHOTO)
    ).json()
    at = datetime.fromisoformat(resolved["resolved_at"])
    await service.auto_confirm(at + timedelta(hours=71))
    row = await ServiceRequest.select().where(ServiceRequest.id == filed["id"]).first()
    assert row["status"] == "resolved"
    assert await service.auto_confirm(at + timedelta(hours=72, seconds=1)) >= 1
    row = await ServiceRequest.select().where(ServiceRequest.id == filed["id"]).first()
    assert row["status"] == "confirmed" and row["rating"] is None
    assert (await step(as_, desk, "nurse", filed["id"], "rate", rating=4)).status_code == 409


async def test_hotline_console_caller_lookup_and_place_search(as_, desk, world):
    async with as_(world.tokens["agent"]) as c:
        filed = await c.post(
            "/api/service/requests", json=new_request(desk, contact_phone="13800765432")
        )
        assert filed.status_code == 201 and filed.json()["channel"] == "hotline"
        recent = (await c.get("/api/service/callers", params={"phone": "13800765432"})).json()
        # By pinyin initials: every test's desk has a 东区护士站, and the search answers the
        # first 20; by code: this desk's own.
        by_initials = (await c.get("/api/service/places", params={"q": "dqhsz"})).json()
        code = (await Location.select(Location.code).where(Location.id == desk.ward).first())[
            "code"
        ]
        by_code = (await c.get("/api/service/places", params={"q": code})).json()
        figures = await c.get("/api/service/figures", params={"month": "2026-13"})
    assert recent[0]["id"] == filed.json()["id"]
    assert by_initials and all(p["full_name"].endswith("东区护士站") for p in by_initials)
    assert [p["id"] for p in by_code] == [desk.ward]
    assert figures.status_code == 422
    async with as_(desk.tokens["nurse"]) as c:
        assert (await c.get("/api/service/board")).status_code == 403
        assert (
            await c.get("/api/service/callers", params={"phone": "13800765432"})
        ).status_code == 403


async def test_the_month_end_counts_requests_with_imported_events(as_, api, desk, monkeypatch):
    from itertools import count

    from tests.integration.jobs_support import computed_run
    from vendorgov.servicedesk import service
    from vendorgov.settings import get_settings

    # The server's clock in an ended month (a run needs one): a minute passes at every step.
    minutes = count()
    start = datetime(2026, 10, 14, 1, 0, tzinfo=UTC)
    monkeypatch.setattr(service, "_now", lambda: start + timedelta(minutes=next(minutes)))
    for _ in range(2):  # two requests handled in time
        filed = await file(as_, desk)
        for name in ("accept", "arrive"):
            await step(as_, desk, "worker_a", filed["id"], name)
        await step(as_, desk, "worker_a", filed["id"], "resolve", photo_base64=PHOTO)
    reported = datetime.fromisoformat(filed["reported_at"])
    async with api("supervisor") as c:  # and one help-desk event, late on both counts
        pushed = await c.post(
            f"/api/contracts/{desk.contract_a}/events",
            json=[
                {
                    "external_id": "HD-LATE-2",
                    "category": "cleaning",
                    "priority": "urgent",
                    "reported_at": reported.isoformat(),
                    "responded_at": (reported + timedelta(hours=1)).isoformat(),
                    "resolved_at": (reported + timedelta(hours=3)).isoformat(),
                }
            ],
        )
        assert pushed.status_code == 200
    month = reported.astimezone(get_settings().zone).strftime("%Y-%m")
    async with api("finance") as c:
        run_id = await computed_run(
            c, {"month": month, "contract_ids": [desk.contract_a], "reason": "requests"}
        )
        run = (await c.get(f"/api/payments/runs/{run_id}")).json()
    (statement,) = [s for s in run["statements"] if s["contract"] == desk.contract_a]
    # both clauses: 2 of 3 in time → (200/3 − 50) / (90 − 50) × 100 = 125/3 each
    assert statement["components_exact"]["sla"] == "125/3"


async def test_requests_filed_together_for_a_vendor_with_nobody_to_notify(as_, desk, world):
    """With nobody to tell (a vendor without accounts, not a complaint) a request is one
    statement, which PostgreSQL commits together with the others waiting (group_commit): each
    still gets its own number and event, a repeated client_token still files once, and the
    audit chain stays intact."""
    supervisor = world.principals["supervisor"]
    silent = await new_vendor(world)  # no accounts: nobody to notify
    contract = await signed_contract(world, silent)
    annex = await locations.create(
        supervisor, "building", "后勤楼", unique("SD-HQ"), desk.campus, "hql"
    )
    await routing.add_route(supervisor, "cleaning", annex, contract)
    token = unique("tap")
    bodies = [new_request(desk, location_id=annex, description=f"楼道清扫 {n}") for n in range(8)]
    bodies += [new_request(desk, location_id=annex, client_token=token)] * 3
    async with as_(desk.tokens["nurse"]) as c:
        responses = await asyncio.gather(*(c.post("/api/service/requests", json=b) for b in bodies))
    assert [r.status_code for r in responses[:8]] == [201] * 8
    assert sorted(r.status_code for r in responses[8:]) in (
        [201, 201, 201],
        [201, 201, 409],
        [201, 409, 409],
    )
    filed = [r.json() for r in responses if r.status_code == 201]
    assert len({f["id"] for f in filed}) == 9  # the repeats answer with the first request
    assert all(f["contract"] == contract for f in filed)
    rows = await ServiceRequest.select(ServiceRequest.number).where(
        ServiceRequest.contract == contract
    )
    assert len({r["number"] for r in rows}) == len(rows) == 9
    assert await ServiceEvent.count().where(ServiceEvent.contract == contract) == 9
    assert (await audit.verify()).intact
