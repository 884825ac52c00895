"""Job and outbox figures for /metrics, read from the database when scraped: jobs run in worker
processes that serve no HTTP, and every app process must report the same queue, so the job
and delivery tables (the truth for all of them) are counted rather than in-process counters."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from prometheus_client import Gauge

from vendorgov import db

WINDOW = timedelta(hours=1)

JOBS_WAITING = Gauge(
    "vendorgov_jobs_waiting", "Jobs queued or running (the queue's depth)", ["kind", "status"]
)
JOBS_FINISHED = Gauge(
    "vendorgov_jobs_finished_last_hour", "Jobs finished in the last hour", ["kind", "status"]
)
JOB_SECONDS = Gauge(
    "vendorgov_job_seconds_last_hour",
    "Run time of the jobs finished in the last hour (mean and max)",
    ["kind", "stat"],
)
DELIVERIES_WAITING = Gauge(
    "vendorgov_notifications_waiting", "Outbox deliveries not yet sent", ["channel", "status"]
)

_WAITING = (
    "SELECT kind, status, COUNT(*) AS n FROM job WHERE status IN ('queued', 'running') "
    "GROUP BY kind, status"
)
_FINISHED = (
    "SELECT kind, status, started_at, finished_at FROM job "
    "WHERE status IN ('done', 'failed') AND finished_at >= {}"
)
_OUTBOX = (
    "SELECT channel, status, COUNT(*) AS n FROM delivery "
    "WHERE status IN ('pending', 'sending', 'held') GROUP BY channel, status"
)


async def refresh() -> None:
    """Set the gauges from the tables (three small queries on indexed columns)."""
    since = datetime.now(UTC) - WINDOW
    for gauge in (JOBS_WAITING, JOBS_FINISHED, JOB_SECONDS, DELIVERIES_WAITING):
        gauge.clear()
    for row in await db.fetch(_WAITING):
        JOBS_WAITING.labels(row["kind"], row["status"]).set(row["n"])
    runs: dict[str, list[float]] = {}
    finished: dict[tuple[str, str], int] = {}
    for row in await db.fetch(_FINISHED, since):
        key = (row["kind"], row["status"])
        finished[key] = finished.get(key, 0) + 1
        if row["started_at"] and row["finished_at"]:
            seconds = (row["finished_at"] - row["started_at"]).total_seconds()
            runs.setdefault(row["kind"], []).append(seconds)
    for (kind, status), n in finished.items():
        JOBS_FINISHED.labels(kind, status).set(n)
    for kind, seconds in runs.items():
        JOB_SECONDS.labels(kind, "mean").set(sum(seconds) / len(seconds))
        JOB_SECONDS.labels(kind, "max").set(max(seconds))
    for row in await db.fetch(_OUTBOX):
        DELIVERIES_WAITING.labels(row["channel"], row["status"]).set(row["n"])
