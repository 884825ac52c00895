"""Job state in the database: created queued, claimed (running), then done or failed once.

One attempt runs at a time: a claim takes a lease that the running attempt renews; a job whose
lease has gone stale (its worker was killed) may be claimed again. Finishing is a conditional
UPDATE on top, so even two attempts that overlapped could not both finish. A job's own writes
and its `done` commit in one transaction (`finish` is called inside it), so a job that dies
half-way leaves nothing behind and its retry writes exactly once."""

from __future__ import annotations

import dataclasses
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from vendorgov import db
from vendorgov.accounts.roles import Principal, Role
from vendorgov.errors import Conflict, DomainError, NotFound
from vendorgov.i18n import N_, _
from vendorgov.jobs.tables import Job

FINISHED = ("done", "failed")
# A running attempt renews its lease every LEASE / 4; one not renewed for LEASE is dead.
LEASE = timedelta(seconds=20)


class JobBusy(Exception):
    """Another attempt holds the job's lease: it is running now."""


def _now() -> datetime:
    return datetime.now(UTC)


def _plain(value: Any) -> Any:
    """Results are dataclasses, dates and Decimals: stored as JSON they become plain data."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = dataclasses.asdict(value)
    return json.loads(json.dumps(value, default=str))


def error_of(error: DomainError) -> dict:
    return {
        "status": error.status_code,
        "title": _(error.title),
        "message": error.message,
        "errors": [dataclasses.asdict(e) for e in error.errors],
    }


async def create(
    kind: str, params: dict, actor: Principal | None = None, key: str | None = None
) -> uuid.UUID | None:
    """A queued job; with a key, None when a job of that key exists already (a tick that
    another worker, or an earlier run, has taken)."""
    job = Job(
        kind=kind,
        params=json.dumps(_plain(params)),
        key=key,
        created_by=actor.user_id if actor else None,
        created_at=_now(),
    )
    try:
        async with db.transaction():
            await job.save()
    except Exception as error:
        if key is not None and db.is_unique_violation(error):
            return None
        raise
    return job.id


async def claim(job_id: uuid.UUID) -> dict | None:
    """Mark the job running (again, for a retry after a crash), take its lease and count the
    attempt; None when it has finished already or does not exist, JobBusy while another
    attempt's lease is fresh."""
    now = _now()
    async with db.transaction():
        row = await db.locked(Job.select().where(Job.id == job_id)).output(load_json=True).first()
        if row is None or row["status"] in FINISHED:
            return None
        if row["status"] == "running" and row["heartbeat_at"] > now - LEASE:
            raise JobBusy(job_id)
        await Job.update(
            {
                Job.status: "running",
                Job.attempts: row["attempts"] + 1,
                Job.started_at: now,
                Job.heartbeat_at: now,
            }
        ).where(Job.id == job_id)
    row["attempts"] += 1
    return row


async def report_progress(job_id: uuid.UUID, percent: int, stage: str) -> None:
    """Progress, renewing the running attempt's lease."""
    await Job.update(
        {Job.progress: max(0, min(100, percent)), Job.stage: stage, Job.heartbeat_at: _now()}
    ).where((Job.id == job_id) & (Job.status == "running"))


async def finish(job_id: uuid.UUID, result: Any) -> None:
    """Inside the transaction that wrote the job's work: done, once. Conflict (rolling that
    work back) when another attempt finished the job first."""
    async with db.transaction():
        done = (
            await Job.update(
                {
                    Job.status: "done",
                    Job.progress: 100,
                    Job.stage: "done",
                    Job.result: json.dumps(_plain(result)),
                    Job.finished_at: _now(),
                }
            )
            .where((Job.id == job_id) & (Job.status == "running"))
            .returning(Job.id)
        )
    if not done:
        raise Conflict(_("Job %(id)s was finished by another attempt.", id=job_id))


async def fail(job_id: uuid.UUID, error: dict) -> None:
    """Failed, unless another attempt finished it meanwhile."""
    await Job.update(
        {
            Job.status: "failed",
            Job.stage: "failed",
            Job.error: json.dumps(error),
            Job.finished_at: _now(),
        }
    ).where((Job.id == job_id) & (Job.status == "running"))


async def get(actor: Principal, job_id: object, kind: str | None = None) -> dict:
    """A job its starter (or an administrator) may see."""
    try:
        key = uuid.UUID(str(job_id))
    except ValueError:
        raise NotFound(N_("job"), job_id) from None
    row = await Job.select().where(Job.id == key).output(load_json=True).first()
    if (
        row is None
        or (kind is not None and row["kind"] != kind)
        or (row["created_by"] != actor.user_id and actor.role is not Role.admin)
    ):
        raise NotFound(N_("job"), job_id)
    row["finished"] = row["status"] in FINISHED
    return row


async def unfinished() -> list[uuid.UUID]:
    """Jobs queued or running: what the in-process worker takes up again after a restart."""
    rows = await Job.select(Job.id).where(Job.status.is_in(["queued", "running"]))
    return [r["id"] for r in rows]


async def of_key(key: str) -> dict | None:
    return await Job.select().where(Job.key == key).output(load_json=True).first()


async def state(job_id: uuid.UUID) -> str | None:
    row = await Job.select(Job.status).where(Job.id == job_id).first()
    return row["status"] if row else None
