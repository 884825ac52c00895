"""How long the event loop was kept from running: a task asks to wake every INTERVAL_S and
records how late it woke. Lateness is time some callback held the loop (rendering, parsing,
a blocking call) and every other request waited through it; the target is none over 50 ms.

Exported to /metrics as the histogram vendorgov_event_loop_lag_seconds; a stall over
SLOW_S is also logged, with the worst lateness seen, so the request at fault can be found by
the request ids logged around it."""

from __future__ import annotations

import asyncio
import time
from contextlib import asynccontextmanager, suppress

import structlog
from prometheus_client import Histogram

INTERVAL_S = 0.02
SLOW_S = 0.05

LOOP_LAG = Histogram(
    "vendorgov_event_loop_lag_seconds",
    "How late the event loop woke a timer: time a callback held the loop",
    buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)


class LoopLag:
    """The loop's lateness while `watching()`: `worst` is the longest stall seen (wall time,
    what a waiting request feels), `worst_busy` the most CPU time the loop's own thread spent
    in one such late interval: the share of a stall that was the loop's own callbacks, not
    another process preempting it on a busy host nor another thread holding the interpreter
    lock."""

    def __init__(self) -> None:
        self.worst = 0.0
        self.worst_busy = 0.0

    async def _measure(self) -> None:
        loop = asyncio.get_running_loop()
        log = structlog.get_logger("vendorgov")
        while True:
            asked, cpu = loop.time() + INTERVAL_S, time.thread_time()
            await asyncio.sleep(INTERVAL_S)
            lag = max(0.0, loop.time() - asked)
            busy = time.thread_time() - cpu
            LOOP_LAG.observe(lag)
            self.worst = max(self.worst, lag)
            self.worst_busy = max(self.worst_busy, busy)
            if lag > SLOW_S:
                log.warning(
                    "event loop stalled",
                    stall_ms=round(lag * 1000, 1),
                    loop_busy_ms=round(busy * 1000, 1),
                )

    @asynccontextmanager
    async def watching(self):
        task = asyncio.get_running_loop().create_task(self._measure())
        try:
            yield self
        finally:
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task


@asynccontextmanager
async def monitored(app=None):
    """The app's lifespan: the loop watched for as long as the app runs."""
    async with LoopLag().watching():
        yield
