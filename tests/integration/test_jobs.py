"""Jobs: their state in the database (atomic transitions, progress, failures), imports and
month-end runs through jobs, exactly-once retries, and the scheduler's idempotent ticks."""

import asyncio
import io
import uuid
import zipfile
from datetime import UTC, date, datetime, timedelta

import pytest

from tests.conftest import csrf_token
from tests.integration.jobs_support import computed_run, followed
from tests.integration.test_inspections_notices import backdate_notice, cleaning_contract
from tests.integration.test_sla_events import RESPOND, signed_contract, stored
from vendorgov.audits import notices as audit_notices
from vendorgov.audits import service as audits
from vendorgov.errors import Conflict, InvalidInput
from vendorgov.jobs import schedule, service, worker
from vendorgov.jobs.tables import Job
from vendorgov.payments import jobs as payment_jobs
from vendorgov.payments.tables import PaymentRun
from vendorgov.sla import event_import

CSV = (
    "external_id,category,priority,location,reported_at,responded_at,resolved_at,"
    "satisfaction,complaint\n"
    "J-1,delivery,emergency,急诊,2026-10-03 09:00,2026-10-03 09:04,,5,no\n"
    "J-2,delivery,urgent,门诊,2026-10-04 10:00,2026-10-04 10:20,,,no\n"
)


# Month-end tests compute 2025 months, which no other test does: a run carries over the other
# statements of the month's previous revision, and other tests count their month's statements.


async def _crashed(job_id) -> None:
    """As if an attempt had claimed the job, then its worker died (no lease renewed since)."""
    await service.claim(job_id)
    stale = datetime.now(UTC) - service.LEASE - timedelta(seconds=1)
    await Job.update({Job.heartbeat_at: stale}).where(Job.id == job_id)


def _kind(name, function):
    worker.kinds()[name] = function  # a test kind next to the real ones


async def test_a_job_goes_queued_running_done_once_with_its_progress(world):
    seen = []

    async def slow(job):
        job.progress(40, "half-way")
        for _ in range(40):  # the progress writer runs every half second
            row = await Job.select(Job.progress, Job.stage).where(Job.id == job.id).first()
            if row["progress"] == 40:
                seen.append(row)
                break
            await asyncio.sleep(0.05)
        return {"answer": 42}

    _kind("test.slow", slow)
    job_id = await service.create("test.slow", {"x": 1}, world.principals["finance"])
    assert await service.state(job_id) == "queued"
    await worker.run(job_id)
    job = await service.get(world.principals["finance"], job_id)
    assert seen == [{"progress": 40, "stage": "half-way"}]
    assert (job["status"], job["progress"], job["result"], job["attempts"]) == (
        "done",
        100,
        {"answer": 42},
        1,
    )
    assert job["started_at"] and job["finished_at"] and job["params"] == {"x": 1}
    # Finished is final: no second claim, finish or failure.
    assert await service.claim(job_id) is None
    with pytest.raises(Conflict):
        await service.finish(job_id, {"answer": 0})
    await service.fail(job_id, {"message": "late"})
    again = await service.get(world.principals["finance"], job_id)
    assert (again["status"], again["result"], again["error"]) == ("done", {"answer": 42}, None)


async def test_a_failing_job_records_its_error_and_an_unexpected_one_a_plain_message(world):
    async def refused(job):
        raise InvalidInput.single("month", "ended", "2099-01 has not ended yet")

    async def broken(job):
        raise RuntimeError("secret internals")

    _kind("test.refused", refused)
    _kind("test.broken", broken)
    actor = world.principals["finance"]
    first = await service.create("test.refused", {}, actor)
    second = await service.create("test.broken", {}, actor)
    await asyncio.gather(worker.run(first), worker.run(second))
    refused_job = await service.get(actor, first)
    broken_job = await service.get(actor, second)
    assert refused_job["status"] == "failed" and refused_job["error"]["status"] == 422
    assert refused_job["error"]["errors"] == [
        {"field": "month", "rule": "ended", "message": "2099-01 has not ended yet"}
    ]
    assert broken_job["status"] == "failed" and "secret" not in str(broken_job["error"])


async def test_only_the_starter_or_an_administrator_sees_a_job(api, world):
    job_id = await service.create("test.slow", {}, world.principals["finance"])
    async with api("finance") as c:
        assert (await c.get(f"/api/jobs/{job_id}")).status_code == 200
        assert (await c.get("/api/jobs/not-a-uuid")).status_code == 404
        assert (await c.get(f"/api/jobs/{uuid.uuid4()}")).status_code == 404
        assert (await c.get(f"/api/jobs/{job_id}/file")).status_code == 404  # no file
    async with api("finance_b") as c:
        assert (await c.get(f"/api/jobs/{job_id}")).status_code == 404
    async with api("admin") as c:
        assert (await c.get(f"/api/jobs/{job_id}")).json()["status"] == "queued"


async def test_an_import_job_reads_the_stored_file_and_survives_a_crashed_attempt(world):
    contract_id = await signed_contract(world, [RESPOND])
    supervisor = world.principals["supervisor"]
    # Start without running: as if the process died before the job was taken.
    job_id = await service.create(
        event_import.IMPORT_JOB,
        {
            "contract_id": contract_id,
            "filename": "helpdesk.csv",
            "skip_invalid": False,
            "file_id": str(
                await event_import.files.store(
                    event_import.files.Upload("helpdesk.csv", CSV.encode()), None
                )
            ),
        },
        supervisor,
    )
    await _crashed(job_id)
    await worker.run(job_id)  # the retry
    await worker.run(job_id)  # a late duplicate does nothing
    job = await event_import.import_job(supervisor, str(job_id))
    assert job["status"] == "done" and job["attempts"] == 2
    assert (job["report"]["inserted"], job["report"]["updated"]) == (2, 0)
    assert [r["external_id"] for r in await stored(contract_id)] == ["J-1", "J-2"]


async def test_the_import_api_job_is_followed_to_its_report(api, world):
    contract_id = await signed_contract(world, [RESPOND])
    url = f"/api/contracts/{contract_id}/events/import/jobs"
    async with api("supervisor") as c:
        job = await followed(c, await c.post(url, files={"file": ("h.csv", CSV.encode())}))
        empty = await c.post(url, files={"file": ("h.csv", b"  ")})
    async with api("vendor") as c:
        refused = await c.post(url, files={"file": ("h.csv", CSV.encode())})
    assert job["status"] == "done" and job["result"]["inserted"] == 2
    assert empty.status_code == 422 and "file" in empty.text
    assert refused.status_code == 403
    assert len(await stored(contract_id)) == 2


async def test_the_month_end_api_answers_202_and_the_job_writes_one_run(api, world):
    contract_id = await cleaning_contract(world, world.vendor_a, start=date(2025, 1, 1))
    async with api("finance") as c:
        run_id = await computed_run(
            c, {"month": "2025-04", "contract_ids": [contract_id], "reason": "job"}
        )
        run = (await c.get(f"/api/payments/runs/{run_id}")).json()
        not_ended = await followed(c, await c.post("/api/payments/runs", json={"month": "2099-01"}))
    assert run["month"] == "2025-04" and contract_id in {s["contract"] for s in run["statements"]}
    assert not_ended["status"] == "failed"
    assert not_ended["error"]["errors"][0]["field"] == "month"


async def test_a_retried_or_doubled_month_end_job_writes_its_run_exactly_once(world):
    contract_id = await cleaning_contract(world, world.vendor_a, start=date(2025, 1, 1))
    finance = world.principals["finance"]
    before = await PaymentRun.count().where(PaymentRun.month == "2025-02")
    job_id = await service.create(
        payment_jobs.MONTH_END,
        {"month": "2025-02", "contract_ids": [contract_id], "reason": "retry"},
        finance,
    )
    await _crashed(job_id)
    # The retry and a second delivery at once: one takes the lease, the other is told so.
    outcomes = await asyncio.gather(worker.run(job_id), worker.run(job_id), return_exceptions=True)
    assert sorted(type(o).__name__ for o in outcomes) == ["JobBusy", "NoneType"]
    await worker.run(job_id)
    job = await service.get(finance, job_id)
    assert job["status"] == "done"
    assert await PaymentRun.count().where(PaymentRun.month == "2025-02") == before + 1
    newest = (
        await PaymentRun.select(PaymentRun.id)
        .where(PaymentRun.month == "2025-02")
        .order_by(PaymentRun.revision, ascending=False)
        .first()
    )
    assert job["result"]["run_id"] == newest["id"]


async def test_the_month_end_page_follows_the_job_then_links_the_run(login, world):
    await cleaning_contract(world, world.vendor_a, start=date(2025, 1, 1))
    async with login("finance") as c:
        token = await csrf_token(c, "/month-end")
        started = await c.post(
            "/month-end",
            data={"_csrf_token": token, "month": "2025-03", "reason": "页面作业"},
            follow_redirects=False,
        )
        location = started.headers["location"]
        assert location.startswith("/month-end/jobs/")
        for _ in range(400):
            card = await c.get(location, headers={"HX-Request": "true"})
            if "hx-trigger" not in card.text:
                break
            await asyncio.sleep(0.05)
        full = await c.get(location)
    assert "computed; another finance user approves it" in card.text
    assert 'href="/month-end/runs/' in card.text and "Month-end 2025-03" in full.text
    async with login("finance_b") as c:
        assert (await c.get(location)).status_code == 404


async def test_a_statements_zip_holds_every_statement_of_the_run(api, world):
    contract_id = await cleaning_contract(world, world.vendor_a, start=date(2025, 1, 1))
    async with api("finance") as c:
        run_id = await computed_run(
            c, {"month": "2025-05", "contract_ids": [contract_id], "reason": "zip"}
        )
        count = len((await c.get(f"/api/payments/runs/{run_id}")).json()["statements"])
        job = await followed(c, await c.post(f"/api/payments/runs/{run_id}/statements.zip"))
        archive = await c.get(f"/api/jobs/{job['id']}/file")
        missing = await c.post("/api/payments/runs/999999/statements.zip")
    assert job["status"] == "done" and job["result"]["statements"] == count
    names = zipfile.ZipFile(io.BytesIO(archive.content)).namelist()
    assert len(names) == count and all(n.endswith(".pdf") for n in names)
    assert missing.status_code == 404


async def test_scheduler_ticks_are_idempotent_and_report_notices_becoming_overdue(world):
    contract_id = await cleaning_contract(world, world.vendor_a)
    supervisor = world.principals["supervisor"]
    finding = await audits.raise_finding(
        supervisor,
        audits.FindingInput(contract_id, "audit", "critical", "消毒记录", "调度测试"),
    )
    notice_id = await audit_notices.issue_notice(supervisor, [finding])
    # A tick far in the future (no other test's tick): the deadline passes in its last hour.
    now = datetime(2031, 3, 5, 8, 20, tzinfo=UTC)
    await backdate_notice(notice_id, now - timedelta(hours=25), hours=24)
    first = await schedule.tick(now)
    second = await schedule.tick(now)
    # (2 minutes later: still the same five-minute period of the service escalations)
    both = await asyncio.gather(schedule.tick(now), schedule.tick(now + timedelta(minutes=2)))
    assert len(first) == len(schedule.KINDS) and second == [] and both == [[], []]
    overdue = await service.of_key(f"schedule.notices_overdue:{now.replace(minute=0).isoformat()}")
    assert overdue["status"] == "done"
    assert [n["notice"] for n in overdue["result"]["overdue"]] == [notice_id]
    # The next hour reports it no more; the daily kind has run for the day already.
    later = await schedule.tick(now + timedelta(hours=1))
    hour = (now + timedelta(hours=1)).replace(minute=0).isoformat()
    nxt = await service.of_key(f"schedule.notices_overdue:{hour}")
    hourly = [k for k, period in schedule.PERIODS.items() if period <= schedule.HOUR]
    assert len(later) == len(hourly) and nxt["result"]["overdue"] == []


async def test_daily_warnings_name_a_contract_entering_its_notice_period_once(world):
    contract_id = await cleaning_contract(world, world.vendor_a)  # ends 2027-12-31, 90 days
    # 00:30 on 2 October 2027 in the hospital's zone: 90 days before the end.
    now = datetime(2027, 10, 1, 16, 30, tzinfo=UTC)
    assert len(await schedule.tick(now)) == len(schedule.KINDS)
    assert await schedule.tick(now + timedelta(hours=3)) != []  # hourly kinds only
    daily = await service.of_key(
        f"schedule.contracts_expiring:{datetime(2027, 10, 1, 16, tzinfo=UTC).isoformat()}"
    )
    assert daily["result"]["on"] == "2027-10-02"
    assert contract_id in [c["contract"] for c in daily["result"]["contracts"]]
    count = await Job.count().where(Job.kind == "schedule.contracts_expiring")
    await schedule.tick(now + timedelta(hours=5))
    assert await Job.count().where(Job.kind == "schedule.contracts_expiring") == count
