"""Notifications (issue 20): the inbox and its bell, every trigger, and delivery through the
outbox to a real local SMTP server (aiosmtpd) and a local webhook receiver: sent once,
retried with back-off, one failing channel never holding up another, quiet hours, digests."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import socket
import threading
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller

from tests.conftest import PASSWORD, csrf_token, unique
from tests.integration.test_payment_disputes import (  # noqa: F401 (window: a fixture)
    close_window,
    computed,
    session,
    vendor_user,
    window,
)
from tests.integration.test_payment_runs import october_contract
from tests.integration.test_races import _notice, loser, race
from tests.integration.test_tenders import bidder, published, seat_panel
from vendorgov.accounts import service as accounts
from vendorgov.accounts.roles import Role
from vendorgov.audits import notices as audit_notices
from vendorgov.audits import periods as audit_periods
from vendorgov.audits.tables import Notice
from vendorgov.jobs import worker
from vendorgov.notifications import delivery, service
from vendorgov.notifications.service import Audience, Event
from vendorgov.notifications.tables import (
    Delivery,
    GroupRobot,
    Notification,
    NotificationSettings,
)
from vendorgov.payments import disputes
from vendorgov.payments import jobs as payment_jobs
from vendorgov.payments import service as payments
from vendorgov.settings import get_settings
from vendorgov.sla.measure import Month
from vendorgov.tenders import alerts as tender_alerts
from vendorgov.tenders.tables import Tender


async def inbox_of(principal, kind: str | None = None) -> list[dict]:
    query = Notification.select().where(Notification.user == principal.user_id)
    if kind:
        query = query.where(Notification.kind == kind)
    return await query.order_by(Notification.id).output(load_json=True)


async def new_person(world, role: str, vendor_id: int | None = None):
    user_id = await accounts.create_account(
        world.principals["admin"],
        username=unique(f"t.n{role}"),
        password=PASSWORD,
        role=role,
        display_name=f"通知测试{role}",
        vendor_id=vendor_id,
    )
    return await accounts.principal_for_user(user_id)


# --- the inbox --------------------------------------------------------------------------


async def test_the_inbox_bell_open_and_read_and_nobody_elses(app, world, api):
    me, other = await new_person(world, "supervisor"), world.principals["finance"]
    event = Event(
        "notice.overdue",
        unique("test"),
        {"number": "ZG-1", "contract": "HT-9", "deadline": "d"},
        "/notices",
    )
    assert await service.notify(event, Audience(users=(me.user_id, other.user_id))) == 2
    # The same occurrence again tells nobody twice.
    await service.notify(event, Audience(users=(me.user_id,)))
    (item,) = await inbox_of(me)
    assert await service.unread_count(me.user_id) == 1

    async with session(app, me) as c:
        bell = await c.get("/inbox/bell")
        page = await c.get("/inbox")
        token = await csrf_token(c, "/inbox")
        opened = await c.post(f"/inbox/{item['id']}/open", data={"_csrf_token": token})
        again = await c.get("/inbox/bell")
        theirs = (await inbox_of(other))[0]
        foreign = await c.post(f"/inbox/{theirs['id']}/open", data={"_csrf_token": token})
    assert 'data-unread="1"' in bell.text and "ZG-1" in page.text
    assert opened.status_code == 200 and opened.url.path == "/notices"
    assert "data-unread" not in again.text
    assert foreign.status_code == 404
    assert (await inbox_of(other))[0]["read_at"] is None

    # The API: the list, the unread count, reading one (twice: the first time is kept).
    await service.notify(
        dataclasses.replace(event, subject=unique("test")), Audience(users=(other.user_id,))
    )
    async with api("finance") as c:
        listed = (await c.get("/api/inbox?unread=true")).json()
        count = (await c.get("/api/inbox/unread")).json()
        first = (await c.post(f"/api/inbox/{listed['items'][0]['id']}/read")).json()
        second = (await c.post(f"/api/inbox/{listed['items'][0]['id']}/read")).json()
        mine = await c.post(f"/api/inbox/{item['id']}/read")
    assert count["unread"] == listed["total"] >= 2
    assert "ZG-1" in listed["items"][0]["title"]
    assert first["read_at"] == second["read_at"] is not None
    assert mine.status_code == 404


async def test_many_events_at_once_reach_only_their_own_audiences(world):
    """A run's statements approved together: each vendor hears of its own statement only,
    the actor never, and a role's robot only of the events addressed to its role."""
    a1 = await new_person(world, "vendor", world.vendor_a)
    b1 = await new_person(world, "vendor", world.vendor_b)
    finance = await new_person(world, "finance")
    robot = GroupRobot(name="财务群", channel="webhook", url="json://127.0.0.1:9/x", role="finance")
    await robot.save()
    try:
        subject = unique("many")
        params = {"number": "HT-9", "ends": "2027-01-01", "vendor": "某公司"}
        written = await service.notify_many(
            [
                (
                    Event("contract.expiring", f"{subject}:a", params),
                    Audience(vendor_ids=(world.vendor_a,)),
                ),
                (
                    Event("contract.expiring", f"{subject}:b", params),
                    Audience(vendor_ids=(world.vendor_b,)),
                ),
                (
                    Event("contract.expiring", f"{subject}:f", params),
                    Audience(roles=(Role.finance,), not_user=finance.user_id),
                ),
            ]
        )
        keys = {
            r["key"]
            for r in await Notification.select(Notification.key).where(
                Notification.key.like(f"{subject}:%")
            )
        }
        assert f"{subject}:a:u{a1.user_id}" in keys and f"{subject}:b:u{b1.user_id}" in keys
        assert f"{subject}:a:u{b1.user_id}" not in keys and f"{subject}:b:u{a1.user_id}" not in keys
        assert not [k for k in keys if k.endswith(f":u{finance.user_id}")]
        assert written == len(keys)
        robot_keys = {
            r["key"] for r in await Delivery.select(Delivery.key).where(Delivery.robot == robot.id)
        }
        assert robot_keys == {f"{subject}:f:r{robot.id}:webhook"}
        assert await service.notify_many([]) == 0
    finally:
        await GroupRobot.update({GroupRobot.active: False}).where(GroupRobot.id == robot.id)


async def test_many_notifications_go_in_batches_within_the_driver_limit(world, monkeypatch):
    """A day's expiry warnings reach every contract's vendor: the inserts go INSERT_ROWS rows
    at a time (PostgreSQL takes at most 32,767 arguments a statement), all of them written."""
    people = [await new_person(world, "evaluator") for _ in range(3)]
    monkeypatch.setattr(service, "INSERT_ROWS", 2)
    subject = unique("batch")
    params = {"number": "HT-1", "ends": "2027-01-01", "vendor": "某公司"}
    written = await service.notify_many(
        [
            (
                Event("contract.expiring", f"{subject}:{n}", params),
                Audience(users=tuple(p.user_id for p in people)),
            )
            for n in range(3)
        ]
    )
    assert written == 9
    assert await Notification.count().where(Notification.key.like(f"{subject}:%")) == 9


async def test_two_reads_at_once_keep_one_time(world, api):
    me = world.principals["auditor"]
    await service.notify(
        Event("contract.expiring", unique("race"), {"number": "HT", "ends": "e", "vendor": "v"}),
        Audience(users=(me.user_id,)),
    )
    (item, *_) = await inbox_of(me, "contract.expiring")
    async with api("auditor") as c:
        first, second = await asyncio.gather(
            c.post(f"/api/inbox/{item['id']}/read"), c.post(f"/api/inbox/{item['id']}/read")
        )
    assert first.status_code == second.status_code == 200
    assert first.json()["read_at"] == second.json()["read_at"]


# --- triggers ---------------------------------------------------------------------------


async def test_notice_issued_answered_failed_overdue_and_due_soon(world):
    vendor, supervisor = world.principals["vendor"], world.principals["supervisor"]
    notice_id = await _notice(world)
    number = (await Notice.select(Notice.number).where(Notice.id == notice_id).first())["number"]
    issued = [n for n in await inbox_of(vendor, "notice.issued") if n["params"]["number"] == number]
    assert len(issued) == 1 and issued[0]["link"] == f"/notices/{notice_id}"
    assert not await inbox_of(world.principals["vendor_b"], "notice.issued") or all(
        n["params"]["number"] != number for n in await inbox_of(world.principals["vendor_b"])
    )

    await audit_notices.act(vendor, notice_id, "acknowledge")
    await audit_notices.act(vendor, notice_id, "respond", note="已清理并复查")
    answered = [
        n
        for n in await inbox_of(supervisor, "notice.response_submitted")
        if n["params"]["number"] == number
    ]
    assert len(answered) == 1

    # A failed verification sets a new deadline: the vendor hears of it again.
    await audit_notices.act(supervisor, notice_id, "verify_failed", note="仍有积水")
    issued = [n for n in await inbox_of(vendor, "notice.issued") if n["params"]["number"] == number]
    assert len(issued) == 2

    deadline = (await Notice.select(Notice.deadline).where(Notice.id == notice_id).first())[
        "deadline"
    ]
    hour = deadline.replace(minute=0, second=0, microsecond=0)
    for _ in range(2):  # the scheduler's period run twice tells once
        await audit_periods.becoming_due(
            hour - timedelta(days=1), hour - timedelta(days=1) + timedelta(hours=1)
        )
        await audit_periods.became_overdue(hour, hour + timedelta(hours=1))
    due = [n for n in await inbox_of(vendor, "notice.due_soon") if n["params"]["number"] == number]
    late_vendor = [
        n for n in await inbox_of(vendor, "notice.overdue") if n["params"]["number"] == number
    ]
    late_supervisor = [
        n for n in await inbox_of(supervisor, "notice.overdue") if n["params"]["number"] == number
    ]
    assert len(due) == len(late_vendor) == len(late_supervisor) == 1


@pytest.mark.usefixtures("window")
async def test_month_end_computed_returned_approved_and_disputes(world):
    computing, second = world.principals["finance"], world.principals["finance_b"]
    vendor_id, vendor, _ = await vendor_user(world)
    await october_contract(world, vendor_id)  # in force in April too, whatever ran before
    # Computed through the job, as the month-end page starts it: the other finance users hear.
    job_id = await payment_jobs.start_month_end(computing, Month.parse("2026-04"), None, "通知测试")
    await worker.wait(job_id, timeout=120)
    waiting = await inbox_of(second, "run.awaiting_approval")
    assert any(n["params"]["month"] == "2026-04" for n in waiting)
    assert not [
        n
        for n in await inbox_of(computing, "run.awaiting_approval")
        if n["params"]["month"] == "2026-04"
    ]

    run_id, (contract_id,) = await computed(world, "2026-03", vendor_id)
    await payments.return_run(second, run_id, "检查分数据缺失")
    returned = [
        n for n in await inbox_of(computing, "run.returned") if n["link"].endswith(f"/{run_id}")
    ]
    assert len(returned) == 1 and "检查分数据缺失" in returned[0]["params"]["reason"]

    run_id = await payments.compute_run(
        computing, Month.parse("2026-03"), [contract_id], reason="更正"
    )
    dispute_id = await disputes.raise_dispute(vendor, run_id, contract_id, "line:0", "扣款有误")
    assert any(n["params"]["month"] == "2026-03" for n in await inbox_of(second, "dispute.filed"))
    await disputes.rule(second, dispute_id, "reject", "依据检查记录")
    ruled = await inbox_of(vendor, "dispute.ruled")
    assert len(ruled) == 1 and ruled[0]["params"]["outcome"] == "rejected"
    await close_window(run_id)
    await payments.approve(second, run_id)
    approved = await inbox_of(vendor, "statement.approved")
    assert len(approved) == 1 and approved[0]["params"]["net"].startswith("¥")
    assert not await inbox_of(world.principals["vendor_b"], "dispute.ruled")


async def test_tender_published_panel_and_deadlines(world):
    elevator = await bidder(world, "elevator")
    cleaner = await bidder(world, "cleaning")
    tender_id = await published(world, category="elevator")
    heard = await inbox_of(elevator.principal, "tender.open_for_bids")
    assert [n["link"] for n in heard] == [f"/tenders/{tender_id}"]
    assert not [
        n for n in await inbox_of(cleaner.principal) if n["link"] == f"/tenders/{tender_id}"
    ]

    panel = await seat_panel(world, tender_id, 5)
    for p in panel:
        assert [
            n["kind"] for n in await inbox_of(p) if n["link"].startswith(f"/tenders/{tender_id}/")
        ] == ["tender.evaluator_assigned"]

    deadline = (await Tender.select(Tender.bid_deadline).where(Tender.id == tender_id).first())[
        "bid_deadline"
    ]
    start = deadline - timedelta(hours=24, minutes=1)
    await tender_alerts.deadlines_approaching(start, start + timedelta(hours=1))
    await tender_alerts.deadlines_approaching(start, start + timedelta(hours=1))
    assert len(await inbox_of(elevator.principal, "tender.deadline_approaching")) == 1
    start = deadline - timedelta(hours=1, minutes=1)
    await tender_alerts.deadlines_approaching(start, start + timedelta(hours=1))
    assert len(await inbox_of(panel[0], "tender.opening_approaching")) == 1
    officer = world.principals["procurement"]
    assert any(
        n["link"] == f"/tenders/{tender_id}"
        for n in await inbox_of(officer, "tender.opening_approaching")
    )


async def test_qualification_and_contract_expiry_warnings(world):
    from tests.integration.test_inspections_notices import cleaning_contract
    from vendorgov.contracts import lifecycle as contract_lifecycle
    from vendorgov.contracts import service as contracts
    from vendorgov.vendors import qualifications as vendor_qualifications

    vendor_id, vendor, _ = await vendor_user(world)
    contract_id = await cleaning_contract(world, vendor_id)
    ends = (await contracts.get_contract(world.principals["admin"], contract_id))["end_date"]
    await contract_lifecycle.contracts_crossing_warnings(ends)
    await contract_lifecycle.contracts_crossing_warnings(ends)
    warned = await inbox_of(vendor, "contract.expiring")
    assert len(warned) == 1 and warned[0]["link"] == f"/contracts/{contract_id}"
    assert any(
        n["link"] == f"/contracts/{contract_id}"
        for n in await inbox_of(world.principals["procurement"], "contract.expiring")
    )

    from tests.integration.test_tenders import PDF
    from vendorgov.files.service import Upload
    from vendorgov.vendors.rules import QualificationInput

    expires = date(2031, 5, 17)
    await vendor_qualifications.add_qualification(
        world.principals["admin"],
        vendor_id,
        QualificationInput("business_licence", unique("L"), date(2021, 5, 17), expires),
        Upload("licence.pdf", PDF),
    )
    await vendor_qualifications.qualifications_crossing_warnings(expires)
    warned = await inbox_of(vendor, "qualification.expiring")
    assert len(warned) == 1 and warned[0]["params"]["expires"] == "2031-05-17"


# --- delivery ---------------------------------------------------------------------------


class Receiver(BaseHTTPRequestHandler):
    """A webhook endpoint: records each message it acknowledged; answers 500 to the first
    `fail_first` requests."""

    received: list[dict]
    fail_first = 0

    def do_POST(self):
        body = self.rfile.read(int(self.headers["content-length"]))
        if self.server.fail_first > 0:
            self.server.fail_first -= 1
            self.send_response(500)
            self.end_headers()
            return
        self.server.received.append(
            {"path": self.path, "key": self.headers.get("X-Vendorgov-Delivery"), **json.loads(body)}
        )
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    server.received, server.fail_first = [], 0
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()


class Mailbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope)
        return "250 OK"


@pytest.fixture
def smtp():
    box = Mailbox()
    with socket.socket() as probe:  # a free port (the controller checks it can connect)
        probe.bind(("127.0.0.1", 0))
        box.port = probe.getsockname()[1]
    controller = Controller(box, hostname="127.0.0.1", port=box.port)
    controller.start()
    yield box
    controller.stop()


@pytest.fixture
def channels(monkeypatch, smtp, receiver):
    settings = dataclasses.replace(
        get_settings(),
        notify_email_url=f"mailto://127.0.0.1:{smtp.port}?from=vendorgov@hospital.test&mode=insecure",
        notify_sms_url=f"json://127.0.0.1:{receiver.server_port}/sms?:phone={{phone}}",
        public_url="https://vendorgov.hospital.test",
    )
    for module in (delivery, service):
        monkeypatch.setattr(module, "get_settings", lambda: settings)
    return settings


async def _drain(until: datetime | None = None) -> None:
    while await delivery.deliver_due(until):
        pass


async def _deliveries(subject: str) -> list[dict]:
    return await Delivery.select().where(Delivery.key.like(f"{subject}:%")).order_by(Delivery.id)


async def test_email_and_sms_go_out_once_in_the_persons_language(world, channels, smtp, receiver):
    person = await new_person(world, "supervisor")
    await service.save_settings(
        person,
        service.Choices(
            email="wang@hospital.test", phone="13800138000", email_on=True, sms_on=True
        ),
    )
    subject = unique("mail")
    event = Event(
        "notice.overdue",
        subject,
        {"number": "ZG-2026-0042", "contract": "HT-1", "deadline": "d"},
        "/notices/42",
    )
    await service.notify(event, Audience(users=(person.user_id,)))
    await _drain()
    await _drain()
    assert len(smtp.messages) == 1
    mail = smtp.messages[0]
    assert mail.rcpt_tos == ["wang@hospital.test"]
    assert "ZG-2026-0042" in mail.content.decode() or "ZG-2026-0042" in str(mail.content)
    (sms,) = [r for r in receiver.received if r["path"].startswith("/sms")]
    assert sms["phone"] == "13800138000" and "ZG-2026-0042" in sms["title"]
    assert "https://vendorgov.hospital.test/notices/42" in sms["message"]
    assert {d["status"] for d in await _deliveries(subject)} == {"sent"}


async def test_a_failure_waits_and_retries_and_a_dead_channel_blocks_no_other(
    world, channels, receiver
):
    role_robot = GroupRobot(
        name="保洁组群",
        channel="webhook",
        url=f"json://127.0.0.1:{receiver.server_port}/hook",
        role="auditor",
    )
    dead_robot = GroupRobot(
        name="失效机器人", channel="webhook", url="json://127.0.0.1:9/dead", role="auditor"
    )
    await role_robot.save()
    await dead_robot.save()
    try:
        receiver.fail_first = 1
        subject = unique("retry")
        await service.notify(
            Event(
                "contract.expiring",
                subject,
                {"number": "HT-7", "ends": "2027-01-01", "vendor": "某公司"},
            ),
            Audience(roles=(Role.auditor,)),
        )
        await _drain()
        rows = {r["robot"]: r for r in await _deliveries(subject)}
        first = rows[role_robot.id]
        assert first["status"] == "pending" and first["attempts"] == 1
        wait = first["next_attempt_at"] - datetime.now(UTC)
        assert timedelta(seconds=20) < wait <= timedelta(seconds=30)
        await _drain()  # not due yet: nothing goes out
        assert receiver.received == []
        await _drain(datetime.now(UTC) + timedelta(seconds=31))
        rows = {r["robot"]: r for r in await _deliveries(subject)}
        assert rows[role_robot.id]["status"] == "sent" and rows[role_robot.id]["attempts"] == 2
        assert [r["key"] for r in receiver.received] == [rows[role_robot.id]["key"]]
        assert rows[dead_robot.id]["status"] == "pending" and rows[dead_robot.id]["last_error"]
    finally:
        await GroupRobot.update({GroupRobot.active: False}).where(
            GroupRobot.id.is_in([role_robot.id, dead_robot.id])
        )


async def test_two_senders_at_once_send_each_message_once(world, channels, receiver):
    people = [await new_person(world, "evaluator") for _ in range(3)]
    for person in people:
        await service.save_settings(person, service.Choices(phone="13900139000", sms_on=True))
    subjects = [unique("race") for _ in range(5)]
    for subject in subjects:
        await service.notify(
            Event("contract.expiring", subject, {"number": "HT", "ends": "e", "vendor": "v"}),
            Audience(users=tuple(p.user_id for p in people)),
        )
    await asyncio.gather(_drain(), _drain(), _drain())
    keys = [r["key"] for r in receiver.received if r["path"].startswith("/sms")]
    assert len(keys) == 15 and len(set(keys)) == 15


async def test_quiet_hours_hold_and_the_digest_gathers(world, channels, smtp):
    night = await new_person(world, "procurement")
    await service.save_settings(
        night,
        service.Choices(
            email="night@hospital.test", email_on=True, quiet_start="00:00", quiet_end="23:59"
        ),
    )
    subject = unique("quiet")
    await service.notify(
        Event("contract.expiring", subject, {"number": "HT", "ends": "e", "vendor": "v"}),
        Audience(users=(night.user_id,)),
    )
    (row,) = await _deliveries(subject)
    local = row["next_attempt_at"].astimezone(get_settings().zone)
    assert row["status"] == "pending" and (local.hour, local.minute) == (23, 59)

    reader = await new_person(world, "procurement")
    await service.save_settings(
        reader, service.Choices(email="digest@hospital.test", email_on=True, digest=True)
    )
    for _ in range(3):
        await service.notify(
            Event(
                "contract.expiring",
                unique("digest"),
                {"number": unique("HT"), "ends": "e", "vendor": "v"},
            ),
            Audience(users=(reader.user_id,)),
        )
    held = await Delivery.select().where(
        (Delivery.user == reader.user_id) & (Delivery.status == "held")
    )
    assert len(held) == 3
    await _drain()
    assert not [m for m in smtp.messages if "digest@hospital.test" in m.rcpt_tos]
    assert await delivery.send_digests("2026-12-01") >= 1
    # Run twice (a retried job): nothing is held any more, so no second digest.
    await delivery.send_digests("2026-12-01")
    await _drain()
    digests = [m for m in smtp.messages if "digest@hospital.test" in m.rcpt_tos]
    assert len(digests) == 1
    left = await Delivery.select().where(
        (Delivery.user == reader.user_id) & (Delivery.status == "held")
    )
    assert left == []


async def test_settings_and_robots_refuse_bad_input_on_the_page(world, login):
    async with login("supervisor") as c:
        token = await csrf_token(c, "/settings/notifications")
        bad = await c.post(
            "/settings/notifications",
            data={
                "_csrf_token": token,
                "email": "not-an-address",
                "email_on": "on",
                "phone": "12345",
                "quiet_start": "25:00",
            },
        )
    assert bad.status_code == 422
    assert 'value="not-an-address"' in bad.text and 'value="12345"' in bad.text
    async with login("admin") as c:
        token = await csrf_token(c, "/notifications/robots")
        refused = await c.post(
            "/notifications/robots",
            data={
                "_csrf_token": token,
                "name": "保洁群",
                "channel": "wecom",
                "address": "https://example.cn/x",
                "role": "supervisor",
            },
        )
        log = await c.get("/notifications/deliveries?status=sent")
    assert refused.status_code == 422 and "保洁群" in refused.text
    assert log.status_code == 200
    async with login("supervisor") as c:
        assert (await c.get("/notifications/robots")).status_code == 403


async def test_two_saves_of_settings_at_once_leave_one_row(world, login):
    person = await new_person(world, "supervisor")
    async with login(person.username.removeprefix("t.")) as c:
        token = await csrf_token(c, "/settings/notifications")
        codes, _ = await race(
            *(
                c.post(
                    "/settings/notifications",
                    data={"_csrf_token": token, "phone": phone, "sms_on": "on"},
                )
                for phone in ("13900000001", "13900000002")
            )
        )
    assert codes == [200, 200]  # each saved, then shown its page
    (row,) = await NotificationSettings.select().where(NotificationSettings.user == person.user_id)
    assert row["phone"] in {"13900000001", "13900000002"} and row["sms_on"]


async def test_the_same_robot_added_twice_at_once_is_added_once(world, login):
    key = unique("k")
    form = {
        "name": "保洁主管群",
        "channel": "wecom",
        "address": f"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key={key}",
        "role": "supervisor",
    }
    async with login("admin") as c:
        token = await csrf_token(c, "/notifications/robots")
        codes, responses = await race(
            *(c.post("/notifications/robots", data={"_csrf_token": token, **form}) for _ in "ab")
        )
        assert codes == [200, 409], [r.text[:300] for r in responses]
        assert "already added" in loser(responses).text
        (robot,) = await GroupRobot.select().where(GroupRobot.url == f"wecombot://{key}")
        # Switched off, it may be added again; the old one then cannot come back on.
        await c.post(
            f"/notifications/robots/{robot['id']}",
            data={"_csrf_token": token, "action": "deactivate"},
        )
        again = await c.post("/notifications/robots", data={"_csrf_token": token, **form})
        back = await c.post(
            f"/notifications/robots/{robot['id']}",
            data={"_csrf_token": token, "action": "activate"},
        )
    assert again.status_code == 200
    assert back.status_code == 409 and "switch that one off first" in back.text
    active = await GroupRobot.select().where(
        (GroupRobot.url == f"wecombot://{key}") & (GroupRobot.active == True)  # noqa: E712
    )
    assert len(active) == 1 and active[0]["id"] != robot["id"]
