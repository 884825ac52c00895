"""One place mapping errors to responses: RFC 9457 problem+json for the API, pages for people.

Every error names the field and the rule where there is one, and nothing a client sends can
turn into a 500 with a stack trace.
"""

from __future__ import annotations

import logging
import re
from typing import Any
from urllib.parse import quote, urlsplit

from litestar import MediaType, Request, Response
from litestar.exceptions import (
    HTTPException,
    NotAuthorizedException,
    NotFoundException,
    ValidationException,
)
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR
from litestar.types import Message, Receive, Scope, Send

from vendorgov.accounts.auth import API_PREFIX
from vendorgov.errors import DomainError
from vendorgov.i18n import N_, _
from vendorgov.settings import get_settings
from vendorgov.web.forms import FORM_RETRY, error_map

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


# Rejections a person can fix on the form: bad input, a clash with the current state.
_RETRY_STATUSES = frozenset({400, 409, 422})
# Never written back into a page.
_SECRET_FIELDS = ("password", "_csrf_token")


def _retry_target(request: Request, exc: DomainError) -> str | None:
    """The same-site page a rejected form was sent from (its Referer), when the rejection is
    one the user can fix there. HTMX requests swap fragments, never whole pages."""
    if (
        exc.status_code not in _RETRY_STATUSES
        or request.method != "POST"
        or _wants_problem(request)
        or request.headers.get("hx-request")
    ):
        return None
    referer = urlsplit(request.headers.get("referer", ""))
    if referer.netloc != request.headers.get("host", "") or not referer.path.startswith("/"):
        # No usable Referer (a browser told to send none): the form's own page, when the
        # handler named it (tenders.forms.refused_shows).
        return getattr(exc, "retry_page", None)
    return referer.path + (f"?{referer.query}" if referer.query else "")


async def _no_body() -> Message:
    return {"type": "http.request", "body": b"", "more_body": False}


class FormRetry(Response):
    """Every page form's rejection, the one mechanism: instead of an error page, the page the
    form was on is rendered again (an internal GET through the whole app, so guards and data
    are as on any visit) with what was typed refilled and each message beside its field. The
    templates see both through `errors` and `values` (templating.FormAwareTemplate), whatever
    the page's own handler passed; the status stays the rejection's (422, 409 …)."""

    def __init__(self, target: str, status: int, errors: dict[str, str], form: str = ""):
        super().__init__(None, status_code=status)
        # `form`: which of the page's forms was sent, when the handler named it.
        self.target, self.errors, self.form = target, errors, form

    def to_asgi_response(self, app: Any, request: Request, **options: Any) -> Any:  # type: ignore[override]
        async def respond(scope: Scope, receive: Receive, send: Send) -> None:
            form = await request.form()  # parsed and kept by the handler
            kept = [
                (key, value)
                for key, value in form.multi_items()
                if isinstance(value, str) and not any(s in key for s in _SECRET_FIELDS)
            ]
            values = dict(kept)
            # Every value of a field sent more than once (ticked checkboxes, a multiple select).
            lists: dict[str, list[str]] = {}
            for key, value in kept:
                lists.setdefault(key, []).append(value)
            path, _sep, query = self.target.partition("?")
            headers = [
                (name, value)
                for name, value in scope["headers"]
                if name not in (b"content-type", b"content-length")
            ]
            inner = {
                **{
                    k: scope[k]
                    for k in (
                        "type",
                        "asgi",
                        "http_version",
                        "scheme",
                        "server",
                        "client",
                        "root_path",
                        "app",
                    )
                    if k in scope
                },
                "method": "GET",
                "path": path,
                "raw_path": path.encode(),
                "query_string": query.encode(),
                "headers": headers,
                "state": {},
                FORM_RETRY: {
                    "errors": self.errors,
                    "values": values,
                    "lists": lists,
                    "action": request.url.path,
                    "form": self.form,
                },
            }

            async def keep_status(message: Message) -> None:
                if message["type"] == "http.response.start" and message["status"] == 200:
                    message = {**message, "status": self.status_code}
                await send(message)

            await scope["app"](inner, _no_body, keep_status)  # type: ignore[arg-type]

        return respond


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
    if isinstance(exc, DomainError) and (target := _retry_target(request, exc)):
        # A handler may have placed the messages on the form's own inputs (rows of a table).
        errors = getattr(exc, "retry_errors", None) or error_map(exc)
        return FormRetry(target, exc.status_code, errors, getattr(exc, "retry_form", ""))
    if isinstance(exc, DomainError):
        status, title, detail = exc.status_code, exc.title, exc.message
        errors = [{"field": e.field, "rule": e.rule, "message": e.message} for e in exc.errors]
    elif isinstance(exc, ValidationException):
        errors = _validation_errors(exc)
        status, title = 400, N_("Invalid request")
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors) or exc.detail
    elif isinstance(exc, NotFoundException):
        status, title, detail, errors = 404, N_("Not found"), exc.detail, []
    elif _id_out_of_range(exc):
        # /tenders/99999999999999999999: no record can have an id the database cannot hold.
        status, title, detail, errors = 404, N_("Not found"), _("no record has that id"), []
    elif isinstance(exc, HTTPException) and exc.status_code == 413:
        status, title, errors = 413, N_("Request too large"), []
        limits = get_settings()
        detail = _(
            "The request is larger than the limit: %(imports)s MB for service-event files, "
            "%(uploads)s MB for other uploads.",
            imports=limits.max_import_bytes // 2**20,
            uploads=limits.max_upload_bytes // 2**20,
        )
    elif isinstance(exc, HTTPException):
        # Details raised before the locale was known (authentication) are N_() msgids.
        status, title, detail, errors = exc.status_code, exc.detail, _(exc.detail), []
        if isinstance(exc.extra, dict) and exc.extra.get("errors"):
            errors = exc.extra["errors"]
    else:
        log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
        status, title = HTTP_500_INTERNAL_SERVER_ERROR, N_("Internal server error")
        detail, errors = _("something went wrong on our side; it has been logged"), []
    if _wants_problem(request):
        response = problem(request, status, _(title), detail, errors)
    else:
        # The page lists each field's message once, under a sentence saying what to do.
        if errors:
            detail = _("Please correct the following and try again.")
        response = _page(request, status, _(title), detail, errors)
    if status == 429 and isinstance(exc, HTTPException) and exc.headers:
        response.headers.update(exc.headers)
    return response
