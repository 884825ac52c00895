"""The scheduler: work due every hour or day, each period run once as a keyed job (the key
names the kind and the period, and is unique in the job table), whichever worker ticks first
and however often. What a period found is its job's result, for notifications to read."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from litestar.stores.file import FileStore

from vendorgov.jobs import service
from vendorgov.settings import get_settings

FIVE_MINUTES = timedelta(minutes=5)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
# Unreferenced temporary files (an upload cut short) older than this are removed.
TEMP_FILE_AGE_S = 3600


def _window(job) -> tuple[datetime, datetime]:
    return datetime.fromisoformat(job.params["start"]), datetime.fromisoformat(job.params["end"])


def _local_day(job):
    """The day that began at the period's end, in the hospital's zone."""
    return datetime.fromisoformat(job.params["end"]).astimezone(get_settings().zone).date()


async def notices_overdue(job) -> dict:
    from vendorgov.audits import periods as audit_periods

    start, end = _window(job)
    return {"overdue": await audit_periods.became_overdue(start, end)}


async def notice_reminders(job) -> dict:
    from vendorgov.audits import periods as audit_periods

    start, end = _window(job)
    return {"due_soon": await audit_periods.becoming_due(start, end)}


async def tender_deadlines(job) -> dict:
    from vendorgov.tenders import alerts

    start, end = _window(job)
    return {"tenders": await alerts.deadlines_approaching(start, end)}


async def notification_digests(job) -> dict:
    from vendorgov.notifications import delivery

    return {"digests": await delivery.send_digests(str(_local_day(job)))}


async def qualifications_expiring(job) -> dict:
    from vendorgov.vendors import qualifications as vendor_qualifications

    day = _local_day(job)
    return {
        "on": str(day),
        "qualifications": await vendor_qualifications.qualifications_crossing_warnings(day),
    }


async def contracts_expiring(job) -> dict:
    from vendorgov.contracts import lifecycle as contract_lifecycle

    day = _local_day(job)
    return {"on": str(day), "contracts": await contract_lifecycle.contracts_crossing_warnings(day)}


async def dispute_windows_closing(job) -> dict:
    from vendorgov.payments import disputes

    start, end = _window(job)
    return {"closed": await disputes.windows_closing(start, end)}


async def service_escalations(job) -> dict:
    """§9: requests at 80 % of a threshold, or past it, at the period's end. Every five
    minutes: thresholds are often 15 or 30 minutes."""
    from vendorgov.servicedesk import service as servicedesk

    _, end = _window(job)
    return {"escalated": await servicedesk.escalate(end)}


async def service_auto_confirm(job) -> dict:
    from vendorgov.servicedesk import service as servicedesk

    _, end = _window(job)
    return {"confirmed": await servicedesk.auto_confirm(end)}


async def clean_up(job) -> dict:
    """Expired sessions of the file store (Redis expires its own), and temporary upload
    files left by an interrupted write."""
    sessions = get_settings().sessions_dir
    if sessions.is_dir():
        await FileStore(sessions).delete_expired()
    removed = 0
    cutoff = time.time() - TEMP_FILE_AGE_S
    for path in get_settings().files_dir.glob("*/*/*.tmp"):
        if path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)
            removed += 1
    return {"temporary_files_removed": removed}


KINDS = {
    "schedule.notices_overdue": notices_overdue,
    "schedule.notice_reminders": notice_reminders,
    "schedule.qualifications_expiring": qualifications_expiring,
    "schedule.contracts_expiring": contracts_expiring,
    "schedule.dispute_windows_closing": dispute_windows_closing,
    "schedule.clean_up": clean_up,
    "schedule.tender_deadlines": tender_deadlines,
    "schedule.notification_digests": notification_digests,
    "schedule.service_escalations": service_escalations,
    "schedule.service_auto_confirm": service_auto_confirm,
}
PERIODS = {
    "schedule.notices_overdue": HOUR,
    "schedule.notice_reminders": HOUR,
    "schedule.qualifications_expiring": DAY,
    "schedule.contracts_expiring": DAY,
    "schedule.dispute_windows_closing": HOUR,
    "schedule.clean_up": HOUR,
    "schedule.tender_deadlines": HOUR,
    "schedule.notification_digests": DAY,
    "schedule.service_escalations": FIVE_MINUTES,
    "schedule.service_auto_confirm": HOUR,
}


def _period_end(now: datetime, period: timedelta) -> datetime:
    """The last period boundary at or before now (days in the hospital's zone; periods
    shorter than an hour at multiples of their minutes)."""
    if period == DAY:
        local = now.astimezone(get_settings().zone)
        return local.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(UTC)
    hour = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    if period < HOUR:
        step = int(period.total_seconds() // 60)
        return hour.replace(minute=now.astimezone(UTC).minute // step * step)
    return hour


async def tick(now: datetime) -> list:
    """Run every kind's period that ended by now and has not run; the ids of those run."""
    from vendorgov.jobs import worker

    ran = []
    for kind, period in PERIODS.items():
        end = _period_end(now, period)
        key = f"{kind}:{end.isoformat()}"
        params = {"start": (end - period).isoformat(), "end": end.isoformat()}
        job_id = await service.create(kind, params, key=key)
        if job_id is not None:
            await worker.run(job_id)
            ran.append(job_id)
    return ran
