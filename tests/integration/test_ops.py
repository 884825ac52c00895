"""Operations endpoints: liveness, readiness (and its 503s), request ids, Prometheus metrics."""

import asyncio
import dataclasses
import json

import httpx
import pytest
from litestar import get

from tests.conftest import http_client, unique
from vendorgov import db
from vendorgov.app import create_app
from vendorgov.settings import get_settings
from vendorgov.web import ops


async def test_healthz_answers_without_login_or_session(client):
    response = await client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}
    assert not response.cookies  # neither a session nor a CSRF cookie for every probe


async def test_readyz_is_ready_when_the_database_answers(client):
    response = await client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "checks": {"database": "ok"}}


async def test_readyz_is_503_naming_the_database_when_it_refuses(client, monkeypatch):
    async def refused(*args, **kwargs):
        raise ConnectionRefusedError("[Errno 111] Connect call failed ('10.9.9.9', 5432)")

    monkeypatch.setattr(db, "fetch", refused)
    response = await client.get("/readyz")
    assert response.status_code == 503
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["title"] == "Not ready" and body["status"] == 503
    assert body["errors"] == [
        {
            "field": "database",
            "rule": "reachable",
            "message": "ConnectionRefusedError: [Errno 111] Connect call failed ('10.9.9.9', 5432)",
        }
    ]
    # Liveness does not depend on the database: the process is fine, do not restart it.
    assert (await client.get("/healthz")).status_code == 200


async def test_readyz_gives_up_on_a_hanging_database_within_its_timeout(client, monkeypatch):
    async def hangs(*args, **kwargs):
        await asyncio.sleep(30)

    monkeypatch.setattr(db, "fetch", hangs)
    monkeypatch.setattr(ops, "READY_TIMEOUT_S", 0.2)
    started = asyncio.get_running_loop().time()
    response = await client.get("/readyz")
    assert asyncio.get_running_loop().time() - started < 2
    assert response.status_code == 503
    assert response.json()["detail"] == "database: no answer within 0.2 s"


async def test_readyz_checks_redis_when_configured(world):
    pytest.importorskip("redis")
    settings = dataclasses.replace(get_settings(), redis_url="redis://127.0.0.1:1/0")
    async with http_client(create_app(settings)) as c:
        response = await c.get("/readyz")
    assert response.status_code == 503
    failed = {e["field"] for e in response.json()["errors"]}
    assert failed == {"redis"}


async def test_every_response_carries_a_request_id(client):
    first = await client.get("/login")
    second = await client.get("/login")
    ids = [first.headers["x-request-id"], second.headers["x-request-id"]]
    assert all(len(i) == 32 for i in ids) and ids[0] != ids[1]
    # Errors too: the id is what an operator searches the logs for.
    missing = await client.get("/no/such/page")
    assert missing.status_code in (302, 404) and missing.headers["x-request-id"]


async def test_a_proxy_request_id_is_kept_and_a_forged_one_replaced(client):
    kept = await client.get(
        "/healthz", headers={"X-Request-ID": "3f2b9c0d8e7a41b6a5c4d3e2f1a0b9c8"}
    )
    assert kept.headers["x-request-id"] == "3f2b9c0d8e7a41b6a5c4d3e2f1a0b9c8"
    forged = await client.get("/healthz", headers={"X-Request-ID": 'x" level=error msg="hacked'})
    assert forged.headers["x-request-id"] != 'x" level=error msg="hacked'
    assert len(forged.headers["x-request-id"]) == 32


@pytest.fixture
def json_logs(world, capfd):
    """The JSON log lines written so far, as dicts. An app writes its logs to the stdout and
    stderr of its creation, so the test creates its app after this fixture; afterwards a new
    app points the logs back at the session's streams, away from the closed capture."""
    capfd.readouterr()
    seen: list[dict] = []

    def lines() -> list[dict]:
        out, err = capfd.readouterr()
        seen.extend(json.loads(ln) for ln in (out + err).splitlines() if ln.startswith("{"))
        return seen

    yield lines
    create_app()


async def test_log_lines_of_a_request_carry_its_id(json_logs):
    async with http_client(create_app()) as c:
        response = await c.get("/login", headers={"X-Request-ID": "req-0001-abcdef"})
    assert response.headers["x-request-id"] == "req-0001-abcdef"
    mine = [line for line in json_logs() if line.get("request_id") == "req-0001-abcdef"]
    assert [line["event"] for line in mine] == ["HTTP Request", "HTTP Response"]
    assert mine[0]["path"] == "/login" and mine[0]["method"] == "GET"
    assert mine[1]["status_code"] == 200 and mine[1]["level"] == "info"
    assert "cookies" not in mine[0] and "headers" not in mine[0]


@get("/api/test-ops/boom", sync_to_thread=False)
def _boom() -> None:
    raise RuntimeError("the disk caught fire")


async def test_an_unhandled_error_is_logged_with_its_request_id_and_traceback(world, json_logs):
    async with http_client(create_app(extra_route_handlers=[_boom])) as c:
        c.headers["Authorization"] = f"Bearer {world.tokens['admin']}"
        response = await c.get("/api/test-ops/boom")
    assert response.status_code == 500
    assert "disk" not in response.text  # the details are for the log, not the client
    rid = response.headers["x-request-id"]
    # Standard-library records go through a queue listener thread: wait for it to write.
    for _ in range(50):
        errors = [line for line in json_logs() if line.get("level") == "error"]
        if errors:
            break
        await asyncio.sleep(0.1)
    (error,) = errors
    assert error["request_id"] == rid and error["logger"] == "vendorgov"
    assert error["event"] == "unhandled error on GET /api/test-ops/boom"
    assert "RuntimeError: the disk caught fire" in error["exception"]


async def test_metrics_show_latency_by_route_template_to_loopback(client, world):
    vendor_id = world.vendor_a
    async with http_client(client._transport.app) as anonymous:
        await anonymous.get(f"/vendors/{vendor_id}")
    response = await client.get("/metrics")  # httpx's ASGI client comes from 127.0.0.1
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    assert "vendorgov_request_duration_seconds_bucket" in text
    assert 'path="/vendors/{vendor_id:int}"' in text or 'path="/vendors/{vendor_id}"' in text
    assert f'path="/vendors/{vendor_id}"' not in text


async def test_metrics_are_refused_to_other_hosts_without_the_token(world):
    remote = httpx.ASGITransport(app=create_app(), client=("203.0.113.7", 40000))
    async with httpx.AsyncClient(transport=remote, base_url="http://testserver.local") as c:
        response = await c.get("/metrics")
    assert response.status_code == 403
    assert "VENDORGOV_METRICS_TOKEN" in response.text


async def test_metrics_token_is_required_from_everyone_once_set(world):
    settings = dataclasses.replace(get_settings(), metrics_token="s3cret-scrape-token")
    app = create_app(settings)
    remote = httpx.ASGITransport(app=app, client=("203.0.113.7", 40000))
    async with httpx.AsyncClient(transport=remote, base_url="http://testserver.local") as c:
        assert (await c.get("/metrics")).status_code == 403
        wrong = await c.get("/metrics", headers={"Authorization": "Bearer guess"})
        assert wrong.status_code == 403
        right = await c.get("/metrics", headers={"Authorization": "Bearer s3cret-scrape-token"})
        assert right.status_code == 200 and "vendorgov_requests_total" in right.text
    async with http_client(app) as local:  # loopback too: a local proxy makes everyone local
        assert (await local.get("/metrics")).status_code == 403


async def test_metrics_count_jobs_and_the_queue_from_the_database(client, world):
    """Job figures come from the job table, so every process reports the same queue and the
    workers' runs (in processes without HTTP) are counted."""
    from vendorgov.jobs import service as jobs
    from vendorgov.jobs import worker

    kind = "schedule.clean_up"
    waiting = await jobs.create(kind, {"start": "2026-01-01T00:00:00+00:00"}, key=unique("m"))
    text = (await client.get("/metrics")).text
    assert f'vendorgov_jobs_waiting{{kind="{kind}",status="queued"}}' in text
    ran = await jobs.create(
        kind,
        {"start": "2026-01-01T00:00:00+00:00", "end": "2026-01-01T01:00:00+00:00"},
        key=unique("m"),
    )
    await worker.run(ran)
    await worker.run(waiting)
    text = (await client.get("/metrics")).text
    assert f'vendorgov_jobs_finished_last_hour{{kind="{kind}",status="done"}}' in text
    assert f'vendorgov_job_seconds_last_hour{{kind="{kind}",stat="max"}}' in text
    assert f'vendorgov_jobs_waiting{{kind="{kind}",status="queued"}}' not in text
