from piccolo.columns import JSON, UUID, Integer, Timestamptz, Varchar
from piccolo.table import Table


class Job(Table, tablename="job"):
    """A unit of background work. Its row is the truth any process reads: status, progress,
    result or error. `key` (unique) names a scheduler tick, so a tick runs once."""

    id = UUID(primary_key=True)
    kind = Varchar(length=40)
    status = Varchar(length=10, default="queued", index=True)  # queued, running, done, failed
    stage = Varchar(length=100, default="")
    progress = Integer(default=0)  # percent
    params = JSON()
    result = JSON(null=True, default=None)
    error = JSON(null=True, default=None)
    attempts = Integer(default=0)
    key = Varchar(length=120, null=True, default=None, unique=True)
    created_by = Integer(null=True, default=None)
    created_at = Timestamptz()
    started_at = Timestamptz(null=True, default=None)
    # The running attempt's lease: renewed while it runs; once stale, the job may be retried.
    heartbeat_at = Timestamptz(null=True, default=None)
    finished_at = Timestamptz(null=True, default=None)
