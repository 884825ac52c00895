"""What operators and their tools call: liveness, readiness, metrics, request ids in logs.

- `/healthz`: the process answers (no I/O), for a supervisor deciding whether to restart it.
- `/readyz`: the database (and Redis, when configured) answer within a short timeout, for a load
  balancer deciding whether to send traffic; 503 problem+json naming each failed check.
- `/metrics`: Prometheus text; request latency is labelled by route template (/contracts/{id}),
  never by raw path, so label sets stay bounded. Open without credentials only to loopback
  clients, or, when VENDORGOV_METRICS_TOKEN is set, to anyone sending it as a bearer token
  (then loopback needs it too: behind a local reverse proxy every client looks like loopback).
- Logs are JSON lines (structlog); every line written while a request is handled carries its
  request id, which the response echoes in X-Request-ID.
"""

from __future__ import annotations

import asyncio
import functools
import hmac
import importlib.util
import re
import sys
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import msgspec
import structlog
from litestar import Controller, Litestar, Request, Response, Router, get
from litestar._parsers import parse_query_string
from litestar.connection import ASGIConnection
from litestar.datastructures import MutableScopeHeaders
from litestar.exceptions import PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.logging.config import StructLoggingConfig
from litestar.plugins.prometheus import PrometheusConfig, PrometheusController
from litestar.plugins.structlog import StructlogConfig, StructlogPlugin
from litestar.types import Message, Receive, Scope, Send

from vendorgov import db
from vendorgov.settings import Settings, get_settings
from vendorgov.web.errors import problem
from vendorgov.web.security import client_address

REQUEST_ID_HEADER = "x-request-id"
# An id a proxy generated (nginx's $request_id is 32 hex digits, others send UUIDs). Anything
# else, such as text with spaces or newlines meant to forge log lines, is replaced.
_REQUEST_ID_RE = re.compile(r"[A-Za-z0-9._:-]{8,128}")
# Readiness must answer before the balancer's own probe timeout, even when a dependency hangs.
READY_TIMEOUT_S = 2.0
# Probes and assets make most of the traffic and say nothing about what users did.
_QUIET_RE = re.compile("/healthz|/readyz|/metrics|/static/")
OPS_PATHS = ["^/healthz", "^/readyz", "^/metrics"]


def _request_id(scope: Scope) -> str:
    for name, value in scope.get("headers", ()):
        if name == REQUEST_ID_HEADER.encode():
            incoming = value.decode("latin-1")
            if _REQUEST_ID_RE.fullmatch(incoming):
                return incoming
            break
    return uuid.uuid4().hex


def with_request_ids(app: Litestar, json_lines: bool = True) -> Litestar:
    """Bind each request's id to every log line written while it is handled, echo it, and log
    the request and its response (`RequestLog`).

    Wrapped around the app's whole handler (as Litestar's OpenTelemetry plugin does), not added
    as route middleware: that would miss requests no route matches (404, 405). The id a client
    sends is kept when it looks like an id: the reverse proxy is expected to
    set X-Request-ID itself (overwriting the client's), so the id in the app's logs is the one
    in the proxy's access log."""
    log = RequestLog(json_lines)

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await handler(scope, receive, send)
            return
        rid = _request_id(scope)
        logged = not _QUIET_RE.match(scope["path"])

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableScopeHeaders.from_message(message)[REQUEST_ID_HEADER] = rid
                if logged:
                    log.response(message["status"], rid)
            await send(message)

        with structlog.contextvars.bound_contextvars(request_id=rid):
            if logged:
                log.request(scope, rid)
            await handler(scope, receive, send_with_id)

    handler = app.asgi_handler
    app.asgi_handler = middleware
    return app


def _utc_now() -> str:
    # As structlog's TimeStamper(fmt="iso") writes it.
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


class RequestLog:
    """One line when a request arrives (method, path, parsed query) and one when its response
    starts (status code), with the request id, level and time: the fields and events of
    Litestar's logging middleware, which cost 15–30 % of a hot write (a Request built to
    extract the fields, each line through structlog's processor chain).

    As JSON lines (production: output not a terminal) the lines are encoded here with msgspec,
    key for key what structlog's JSON renderer writes for them; on a terminal they go through
    structlog for its readable console format. Bodies, headers and cookies stay out."""

    def __init__(self, json_lines: bool) -> None:
        self.json_lines = json_lines
        self._encode = msgspec.json.Encoder().encode

    def _write(self, event: str, fields: dict, rid: str) -> None:
        if not self.json_lines:
            structlog.get_logger("vendorgov.request").info(event, **fields)
            return
        line = {
            **fields,
            "event": event,
            "request_id": rid,
            "level": "info",
            "timestamp": _utc_now(),
        }
        out = sys.stdout
        if (binary := getattr(out, "buffer", None)) is not None:
            binary.write(self._encode(line) + b"\n")
            binary.flush()
        else:  # a text stream put in stdout's place
            out.write(self._encode(line).decode() + "\n")
            out.flush()

    def request(self, scope: Scope, rid: str) -> None:
        raw = scope.get("query_string", b"")
        query: dict[str, list[str]] = {}
        for key, value in parse_query_string(raw) if raw else ():
            query.setdefault(key, []).append(value)
        self._write(
            "HTTP Request", {"method": scope["method"], "path": scope["path"], "query": query}, rid
        )

    def response(self, status: int, rid: str) -> None:
        self._write("HTTP Response", {"status_code": status}, rid)


def _stdlib_json_processors() -> list:
    """How standard-library records (vendorgov's error log, uvicorn's) become JSON lines: as
    Litestar's defaults, plus the request id and the logger's name, and with a logged
    exception's traceback rendered as text (the defaults fail on exc_info and drop the line).
    Python 3.11's QueueHandler formats in the thread that logs, where the request's context
    variables are set."""
    return [
        structlog.contextvars.merge_contextvars,
        structlog.processors.TimeStamper(fmt="iso"),
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.ExtraAdder(),
        structlog.stdlib.ProcessorFormatter.remove_processors_meta,
        structlog.processors.format_exc_info,
        structlog.processors.JSONRenderer(),
    ]


def logging_plugin() -> StructlogPlugin:
    """JSON logs (console-pretty only on a terminal), one line per request and response with
    method, path and status; bodies, headers and cookies stay out of the logs."""
    config = StructLoggingConfig(pretty_print_tty=True)
    if config.as_json():
        config.standard_lib_logging_config.formatters["standard"]["processors"] = (
            _stdlib_json_processors()
        )
    # The request log is written by with_request_ids (RequestLog), not Litestar's middleware.
    return StructlogPlugin(
        StructlogConfig(structlog_logging_config=config, enable_middleware_logging=False)
    )


def json_logs() -> bool:
    """Whether log lines are JSON (output not a terminal), as logging_plugin() configures."""
    return StructLoggingConfig(pretty_print_tty=True).as_json()


def metrics_config() -> PrometheusConfig:
    return PrometheusConfig(
        app_name="vendorgov",
        prefix="vendorgov",
        group_path=True,  # the route template, not the raw path
        exclude_unhandled_paths=True,  # a scan of random URLs must not add label sets
        exclude=["^/metrics"],
    )


async def _metrics_allowed(connection: ASGIConnection, handler: BaseRouteHandler) -> None:
    token = handler.opt["metrics_token"]
    if token:
        scheme, _sep, sent = connection.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(sent.strip(), token):
            return
        raise PermissionDeniedException("send VENDORGOV_METRICS_TOKEN as a bearer token")
    peer = connection.client.host if connection.client else ""
    forwarded = ",".join(connection.headers.getall("x-forwarded-for", []))
    # Behind a trusted reverse proxy the client is the proxy's client, never loopback itself.
    client = client_address(peer, forwarded, get_settings().trusted_proxies)
    if client not in ("127.0.0.1", "::1"):
        raise PermissionDeniedException(
            "metrics are served to loopback only; set VENDORGOV_METRICS_TOKEN to scrape remotely"
        )


class MetricsController(PrometheusController):
    path = "/metrics"
    guards = [_metrics_allowed]

    @get()
    async def get(self) -> Response:
        from vendorgov.jobs import metrics

        await metrics.refresh()
        return await super().get.fn(self)


async def _check_database() -> None:
    await db.fetch("SELECT 1")


async def _check_redis(url: str) -> None:
    from redis.asyncio import Redis

    client = Redis.from_url(url, socket_connect_timeout=READY_TIMEOUT_S)
    try:
        await client.ping()
    finally:
        await client.aclose()


def _readiness_checks(settings: Settings) -> dict[str, Callable[[], Awaitable[None]]]:
    """Name -> check; each raises (or times out) when its dependency cannot serve."""
    checks: dict[str, Callable[[], Awaitable[None]]] = {"database": _check_database}
    # Without the Redis client installed nothing in this process can use Redis.
    if settings.redis_url and importlib.util.find_spec("redis"):
        checks["redis"] = functools.partial(_check_redis, settings.redis_url)
    return checks


async def _failure(check: Callable[[], Awaitable[None]]) -> str | None:
    try:
        await asyncio.wait_for(check(), READY_TIMEOUT_S)
    except TimeoutError:
        return f"no answer within {READY_TIMEOUT_S:g} s"
    except Exception as error:  # whatever the driver raises: the check failed, say how
        return f"{type(error).__name__}: {error}".strip().rstrip(":")
    return None


class HealthController(Controller):
    @get("/healthz")
    async def health(self) -> dict[str, str]:
        return {"status": "ok"}

    @get("/readyz")
    async def ready(self, request: Request) -> Response:
        checks = request.route_handler.opt["readiness_checks"]
        results = await asyncio.gather(*(_failure(check) for check in checks.values()))
        failed = {name: why for name, why in zip(checks, results, strict=True) if why}
        if not failed:
            return Response({"status": "ready", "checks": {name: "ok" for name in checks}})
        structlog.get_logger("vendorgov").warning("not ready", failed=failed)
        return problem(
            request,
            503,
            "Not ready",
            "; ".join(f"{name}: {why}" for name, why in failed.items()),
            [{"field": name, "rule": "reachable", "message": why} for name, why in failed.items()],
        )


def router(settings: Settings) -> Router:
    """/healthz, /readyz and /metrics, configured by the app's settings."""
    return Router(
        path="/",
        route_handlers=[HealthController, MetricsController],
        include_in_schema=False,
        opt={
            "metrics_token": settings.metrics_token,
            "readiness_checks": _readiness_checks(settings),
        },
    )
