"""The scheduler's reminders and clean-up: each period's work done once however often a worker
ticks (the overdue notices and the contracts' warnings are in test_jobs)."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta

from tests.integration.test_inspections_notices import backdate_notice, cleaning_contract
from vendorgov.audits import notices as audit_notices
from vendorgov.audits import service as audits
from vendorgov.jobs import schedule, service
from vendorgov.jobs.tables import Job
from vendorgov.settings import get_settings


async def _hourly_or_longer(job_ids) -> list[str]:
    """The kinds among the jobs a tick ran whose period is an hour or more (the service
    desk's escalation runs every five minutes, so later ticks in an hour run it again)."""
    rows = await Job.select(Job.kind).where(Job.id.is_in(list(job_ids) or [None]))
    return [r["kind"] for r in rows if schedule.PERIODS[r["kind"]] >= schedule.HOUR]


async def _result(kind: str, end: datetime) -> dict:
    job = await service.of_key(f"{kind}:{end.isoformat()}")
    assert job["status"] == "done", job
    return job["result"]


async def test_a_notice_is_reminded_of_once_when_its_deadline_comes_within_24_hours(world):
    contract_id = await cleaning_contract(world, world.vendor_a)
    supervisor = world.principals["supervisor"]
    finding = await audits.raise_finding(
        supervisor, audits.FindingInput(contract_id, "audit", "major", "消毒记录", "提醒测试")
    )
    notice_id = await audit_notices.issue_notice(supervisor, [finding])
    # A far-future hour no other test ticks: issued 09:30 with 25 hours, the deadline (10:30
    # the next day) comes within 24 hours during the hour ending 11:00.
    hour = datetime(2032, 4, 6, 11, tzinfo=UTC)
    await backdate_notice(notice_id, hour - timedelta(hours=1, minutes=30), hours=25)
    assert await schedule.tick(hour + timedelta(minutes=5)) != []
    # The same hour: nothing hourly again.
    assert await _hourly_or_longer(await schedule.tick(hour + timedelta(minutes=40))) == []
    reminded = await _result("schedule.notice_reminders", hour)
    assert [n["notice"] for n in reminded["due_soon"]] == [notice_id]
    await schedule.tick(hour + timedelta(hours=1, minutes=5))
    later = await _result("schedule.notice_reminders", hour + timedelta(hours=1))
    assert notice_id not in [n["notice"] for n in later["due_soon"]]
    # Not yet overdue: the overdue kind did not name it.
    overdue = await _result("schedule.notices_overdue", hour)
    assert notice_id not in [n["notice"] for n in overdue["overdue"]]


async def test_clean_up_removes_old_temporary_files_once_and_keeps_the_rest(world):
    shelf = get_settings().files_dir / "zz" / "zz"
    shelf.mkdir(parents=True, exist_ok=True)
    old, fresh, kept = shelf / "cut-short.tmp", shelf / "being-written.tmp", shelf / "a-file"
    for path in (old, fresh, kept):
        path.write_bytes(b"x")
    an_hour_and_more = time.time() - schedule.TEMP_FILE_AGE_S - 60
    os.utime(old, (an_hour_and_more, an_hour_and_more))
    os.utime(kept, (an_hour_and_more, an_hour_and_more))
    hour = datetime(2032, 5, 7, 3, tzinfo=UTC)
    await schedule.tick(hour + timedelta(minutes=1))
    assert (await _result("schedule.clean_up", hour))["temporary_files_removed"] >= 1
    assert not old.exists() and fresh.exists() and kept.exists()
    # A second tick in the hour does not run it again.
    old.write_bytes(b"x")
    os.utime(old, (an_hour_and_more, an_hour_and_more))
    assert await _hourly_or_longer(await schedule.tick(hour + timedelta(minutes=30))) == []
    assert old.exists()
