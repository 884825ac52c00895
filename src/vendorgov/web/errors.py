"""One place mapping errors to responses: RFC 9457 problem+json for the API, pages for people.

Every error names the field and the rule where there is one, and nothing a client sends can
turn into a 500 with a stack trace.
"""

from __future__ import annotations

import logging
import re
from urllib.parse import quote

from litestar import MediaType, Request, Response
from litestar.exceptions import (
    HTTPException,
    NotAuthorizedException,
    NotFoundException,
    ValidationException,
)
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from vendorgov.accounts.auth import API_PREFIX
from vendorgov.errors import DomainError
from vendorgov.settings import get_settings

log = logging.getLogger("vendorgov")
PROBLEM_JSON = "application/problem+json"


def _wants_problem(request: Request) -> bool:
    return request.url.path.startswith(API_PREFIX) or request.url.path.startswith("/schema")


# msgspec names where in the body a value broke its type: "… - at `$.data[0].satisfaction`".
_BODY_LOCATION = re.compile(r" - at `\$\.data\.?([^`]*)`")


def _validation_errors(exc: ValidationException) -> list[dict]:
    """Litestar's parameter/body validation, in the same shape as the services' errors."""
    # Litestar keeps only the body parameter's name ("data"); the place inside the body, which
    # the client needs, is in msgspec's message.
    where = _BODY_LOCATION.search(str(exc.__cause__ or ""))
    errors = []
    for item in exc.extra or []:
        if isinstance(item, dict):
            field = item.get("key") or item.get("source") or "body"
            if field == "data" and where:
                field = where.group(1) or "body"
            errors.append({"field": field, "rule": "type", "message": item.get("message", "")})
    return errors


def problem(
    request: Request, status: int, title: str, detail: str, errors: list[dict] | None = None
) -> Response:
    body = {
        "type": "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
    }
    if errors:
        body["errors"] = errors
    return Response(body, status_code=status, media_type=PROBLEM_JSON)


def _page(
    request: Request, status: int, title: str, detail: str, errors: list[dict] | None = None
) -> Response:
    return Template(
        "error.html",
        context={"status": status, "title": title, "detail": detail, "errors": errors or []},
        status_code=status,
        media_type=MediaType.HTML,
    )


def _id_out_of_range(exc: Exception) -> bool:
    """An integer too large for the database (SQLite's OverflowError, asyncpg's range check)."""
    if isinstance(exc, OverflowError):
        return True
    text = str(exc)
    return type(exc).__name__ == "DataError" and (
        "out of int32 range" in text or "out of int64 range" in text
    )


def handle(request: Request, exc: Exception) -> Response:
    if isinstance(exc, NotAuthorizedException) and not _wants_problem(request):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        if request.headers.get("hx-request"):
            return Response("", status_code=401, headers={"HX-Redirect": "/login"})
        return Redirect(f"/login?next={quote(target)}")
    if isinstance(exc, DomainError):
        status, title, detail = exc.status_code, exc.title, exc.message
        errors = [{"field": e.field, "rule": e.rule, "message": e.message} for e in exc.errors]
    elif isinstance(exc, ValidationException):
        errors = _validation_errors(exc)
        status, title = 400, "Invalid request"
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors) or exc.detail
    elif isinstance(exc, NotFoundException):
        status, title, detail, errors = 404, "Not found", exc.detail, []
    elif _id_out_of_range(exc):
        # /tenders/99999999999999999999: no record can have an id the database cannot hold.
        status, title, detail, errors = 404, "Not found", "no record has that id", []
    elif isinstance(exc, HTTPException) and exc.status_code == 413:
        status, title, errors = 413, "Request too large", []
        limits = get_settings()
        detail = (
            f"the request is larger than the limit: {limits.max_import_bytes // 2**20} MB for "
            f"service-event files, {limits.max_upload_bytes // 2**20} MB for other uploads"
        )
    elif isinstance(exc, HTTPException):
        status, title, detail, errors = exc.status_code, exc.detail, exc.detail, []
        if isinstance(exc.extra, dict) and exc.extra.get("errors"):
            errors = exc.extra["errors"]
    else:
        log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
        status, title = HTTP_500_INTERNAL_SERVER_ERROR, "Internal server error"
        detail, errors = "something went wrong on our side; it has been logged", []
    render = problem if _wants_problem(request) else _page
    response = render(request, status, title, detail, errors)
    if status == 429 and isinstance(exc, HTTPException) and exc.headers:
        response.headers.update(exc.headers)
    return response
