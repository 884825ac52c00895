"""Following a job through the API until it has finished (shared by the tests that start one)."""

import asyncio


async def followed(c, started) -> dict:
    """The finished job of a 202 answer (status done or failed)."""
    assert started.status_code == 202, started.text
    url = started.json()["url"]
    for _ in range(400):
        job = (await c.get(url)).json()
        if job["status"] in ("done", "failed"):
            return job
        await asyncio.sleep(0.05)
    raise AssertionError(f"job {url} did not finish")


async def computed_run(c, payload: dict) -> int:
    """POST /api/payments/runs, followed to its run's id."""
    job = await followed(c, await c.post("/api/payments/runs", json=payload))
    assert job["status"] == "done", job["error"]
    return job["result"]["run_id"]
