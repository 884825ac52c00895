"""Running jobs: on a SAQ queue in Redis when VENDORGOV_REDIS_URL is set (`vendorgov worker`
processes take them; the queue and worker are configured through litestar-saq), else as tasks
of the app's own process, running the same code.

Redis rather than PostgreSQL for the queue: SAQ's Redis queue is its reference one (blocking
dequeue, heartbeats, sweeps re-queueing a job whose worker died), it keeps queue traffic off
the database the app lives on, and the deployment has Redis anyway for sessions and limits.
The job's state lives in PostgreSQL either way (jobs.service), so the queue only carries ids."""

from __future__ import annotations

import asyncio
import contextvars
import logging
import uuid
from collections.abc import Awaitable, Callable
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from vendorgov.accounts.roles import Principal
from vendorgov.errors import DomainError
from vendorgov.i18n import _, current_locale, using_locale
from vendorgov.jobs import service
from vendorgov.settings import get_settings

log = logging.getLogger("vendorgov")

QUEUE_NAME = "vendorgov"
# A job whose worker stops sending heartbeats for this long is given to another (kill -9),
# at SAQ's next sweep: every SWEEP_S in each worker (SAQ's default, a minute, would leave a
# killed worker's job waiting that long; a sweep is one cheap Redis read).
HEARTBEAT_S = 10
SWEEP_S = 15
RETRIES = 5
# A retry waits for a dead attempt's lease to go stale (jobs.service.LEASE).
RETRY_DELAY_S = 25
# SAQ's default (10 s) would cut a large month-end short.
TIMEOUT_S = 3600


def redis_url() -> str:
    """VENDORGOV_REDIS_URL (validated by the settings; empty: run jobs in this process)."""
    return get_settings().redis_url


# The job's language, kept with its parameters when it is started.
LOCALE_PARAM = "locale"


@dataclass
class JobRun:
    """What a job function gets: its parameters, who started it, and a progress report that
    a background task writes to the job's row (outside the job's own transaction)."""

    id: uuid.UUID
    params: dict
    actor: Principal | None
    percent: int = 0
    stage: str = "starting"
    finished: bool = field(default=False, repr=False)

    def progress(self, percent: int, stage: str | None = None) -> None:
        self.percent = percent
        self.stage = stage or self.stage

    async def finish(self, result: Any) -> None:
        """Call inside the transaction writing the job's work: done, exactly once."""
        await service.finish(self.id, result)
        self.finished = True


JobFunction = Callable[[JobRun], Awaitable[Any]]


@lru_cache(maxsize=1)
def kinds() -> dict[str, JobFunction]:
    # Imported here: the domains import this module to start jobs.
    from vendorgov.jobs import schedule
    from vendorgov.payments import jobs as payment_jobs
    from vendorgov.sla import event_import
    from vendorgov.web import list_exports

    return {
        "sla.import": event_import.run_import,
        "payments.month_end": payment_jobs.month_end,
        "payments.statements_zip": payment_jobs.statements_zip,
        list_exports.KIND: list_exports.run,
        **schedule.KINDS,
    }


async def _write_progress(run: JobRun) -> None:
    """Progress when it changes, and the lease at least every LEASE / 4."""
    renew = service.LEASE.total_seconds() / 4
    shown, written = (-1, ""), 0.0
    loop = asyncio.get_running_loop()
    while True:
        if (run.percent, run.stage) != shown or loop.time() - written >= renew:
            shown, written = (run.percent, run.stage), loop.time()
            await service.report_progress(run.id, *shown)
        await asyncio.sleep(0.5)


async def run(job_id: uuid.UUID) -> None:
    """Claim the job and run it to done or failed; nothing when it has finished already or
    another attempt runs it (JobBusy: SAQ retries it later, in case that attempt dies)."""
    from vendorgov.accounts.service import principal_for_user

    row = await service.claim(job_id)
    if row is None:
        return
    actor = await principal_for_user(row["created_by"])
    job = JobRun(job_id, row["params"], actor)
    # A fresh context: the writer must not join a transaction the job has open.
    writer = asyncio.get_running_loop().create_task(
        _write_progress(job), context=contextvars.Context()
    )
    # Reports and messages in the language of whoever started the job (start() kept it).
    language = row["params"].get(LOCALE_PARAM) or (actor.language if actor else "")
    try:
        with using_locale(language):
            await _perform(job, row["kind"])
    finally:
        writer.cancel()
        with suppress(asyncio.CancelledError):
            await writer


async def _perform(job: JobRun, kind: str) -> None:
    job_id = job.id
    try:
        result = await kinds()[kind](job)
        if not job.finished:
            await job.finish(result)
    except DomainError as error:
        await service.fail(job_id, service.error_of(error))
    except Exception:
        log.exception("job %s (%s) failed", job_id, kind)
        await service.fail(
            job_id,
            {
                "status": 500,
                "title": _("Job failed"),
                "message": _("the job failed; it has been logged"),
                "errors": [],
            },
        )


# In-process: strong references, or the loop may collect a running task.
_local_tasks: set[asyncio.Task] = set()


async def _run_here(job_id: uuid.UUID) -> None:
    with suppress(service.JobBusy):  # another process of this machine is running it
        await run(job_id)


def _spawn(job_id: uuid.UUID) -> None:
    task = asyncio.get_running_loop().create_task(_run_here(job_id), context=contextvars.Context())
    _local_tasks.add(task)
    task.add_done_callback(_local_tasks.discard)


@lru_cache(maxsize=1)
def _plugin():
    return saq_plugin()


def _queue():
    return _plugin().get_queue(QUEUE_NAME)


async def enqueue(job_id: uuid.UUID) -> None:
    if not redis_url():
        _spawn(job_id)
        return
    # key = the job's id: SAQ keeps one queued job per key, however often it is enqueued.
    await _queue().enqueue(
        run_job.__name__,
        job_id=str(job_id),
        key=str(job_id),
        retries=RETRIES,
        retry_delay=RETRY_DELAY_S,
        heartbeat=HEARTBEAT_S,
        timeout=TIMEOUT_S,
    )


async def start(kind: str, params: dict, actor: Principal | None) -> uuid.UUID:
    job_id = await service.create(kind, {**params, LOCALE_PARAM: current_locale.get()}, actor)
    assert job_id is not None  # only keyed jobs can be refused
    await enqueue(job_id)
    return job_id


async def wait(job_id: uuid.UUID, timeout: float = 60) -> None:
    """For the synchronous CLI and tests: until the job has finished."""
    async with asyncio.timeout(timeout):
        while (await service.state(job_id)) not in service.FINISHED:
            await asyncio.sleep(0.05)


# The scheduler's tick: often enough for hourly work, cheap when there is nothing to do.
TICK_S = 60


async def _local_scheduler() -> None:
    from vendorgov.jobs import schedule

    while True:
        try:
            await schedule.tick(datetime.now(UTC))
        except Exception:
            log.exception("scheduler tick failed")
        await asyncio.sleep(TICK_S)


@asynccontextmanager
async def local_worker(app: Any = None):
    """The app's lifespan without Redis: take up jobs left unfinished by a stopped process,
    run the scheduler and send notifications. With Redis, `vendorgov worker` does all three."""
    from vendorgov.notifications import delivery

    if redis_url():
        yield
        return
    for job_id in await service.unfinished():
        _spawn(job_id)
    loop = asyncio.get_running_loop()
    scheduler = loop.create_task(_local_scheduler())
    sender = loop.create_task(delivery.run_forever(), context=contextvars.Context())
    try:
        yield
    finally:
        for task in [scheduler, sender, *_local_tasks]:
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task


async def run_job(ctx: dict, *, job_id: str) -> None:
    """The queue's one task (registered under its function's name: litestar-saq drops the
    name of a (name, function) pair)."""

    async def beat() -> None:  # SAQ's heartbeat is the job's own to send
        while True:
            await asyncio.sleep(HEARTBEAT_S / 3)
            await ctx["job"].update()

    beating = asyncio.get_running_loop().create_task(beat())
    try:
        await run(uuid.UUID(job_id))
    finally:
        beating.cancel()


async def _saq_tick(ctx: dict) -> None:
    from vendorgov.jobs import schedule

    await schedule.tick(datetime.now(UTC))


async def _saq_startup(ctx: dict) -> None:
    from vendorgov import db
    from vendorgov.notifications import delivery

    ctx["connections"] = db.lifespan_connections()
    await ctx["connections"].__aenter__()
    kinds()  # the job code imported now (pandas and all: seconds), not in the first job

    # The outbox is sent by a loop beside the queue: every worker runs one, and claims
    # taken with SKIP LOCKED keep them apart.
    ctx["sender"] = asyncio.get_running_loop().create_task(delivery.run_forever())


async def _saq_shutdown(ctx: dict) -> None:
    if "sender" in ctx:
        ctx["sender"].cancel()
        with suppress(asyncio.CancelledError):
            await ctx["sender"]
    if "connections" in ctx:
        await ctx["connections"].__aexit__(None, None, None)


DEFAULT_CONCURRENCY = 4


def saq_plugin(concurrency: int = DEFAULT_CONCURRENCY):
    """litestar-saq's plugin: the queue on Redis, and the worker `vendorgov worker` runs (never
    inside an app process: separate_process), with the scheduler as a cron job (SAQ keeps one
    queued per key, so one tick runs per minute however many workers there are; the job keys
    in jobs.service make even a doubled tick do its work once)."""
    from litestar_saq import QueueConfig, SAQConfig, SAQPlugin
    from saq import CronJob

    return SAQPlugin(
        SAQConfig(
            queue_configs=[
                QueueConfig(
                    dsn=redis_url(),
                    name=QUEUE_NAME,
                    tasks=[run_job],
                    scheduled_tasks=[CronJob(_saq_tick, cron="* * * * *", timeout=TICK_S * 5)],
                    concurrency=concurrency,
                    timers={"sweep": SWEEP_S},
                    startup=_saq_startup,
                    shutdown=_saq_shutdown,
                    separate_process=True,
                )
            ],
        )
    )


def app_plugins() -> list:
    """The app's plugins for jobs: the queue when Redis is configured (none without: the app
    runs its jobs itself, see local_worker)."""
    return [_plugin()] if redis_url() else []


def run_saq_worker(concurrency: int) -> None:
    """The worker of `vendorgov worker`, until SIGTERM or SIGINT (then running jobs finish or,
    past SAQ's grace period, are retried by another worker)."""
    from litestar_saq.cli import run_saq_worker

    run_saq_worker(saq_plugin(concurrency).get_workers()[QUEUE_NAME], None)
