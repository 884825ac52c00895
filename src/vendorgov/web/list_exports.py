"""A filtered list's CSV export, one mechanism for every list: up to
VENDORGOV_EXPORT_INLINE_ROWS rows are sent at once (the CSV made in a thread, off the event
loop); more are made by a job (a `vendorgov worker`, or this process without Redis) whose file
is stored with the other files, so the page following it and the download work on any host.
Only the job's starter (or an administrator) sees it or its file. Either way the rows are the
list's own service function's, with the same filters and permissions, and every cell goes
through files.exports (formula neutralisation)."""

from __future__ import annotations

import asyncio
import importlib
import typing
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

import msgspec
from litestar import Controller, Request, Response, get
from litestar.params import FromPath
from litestar.response import Redirect, Template

from vendorgov import db
from vendorgov.errors import NotFound
from vendorgov.files import exports
from vendorgov.files import service as files
from vendorgov.files.responses import CSV, download
from vendorgov.jobs import service as job_state
from vendorgov.jobs import worker as jobs
from vendorgov.paging import PageRequest, export_rows
from vendorgov.settings import get_settings

KIND = "exports.list"
# The modules defining the lists' exports (each registers its own): the job imports them, as
# a worker process has not imported the pages.
DEFINED_IN = (
    "vendorgov.vendors.views",
    "vendorgov.contracts.views",
    "vendorgov.audits.views",
    "vendorgov.audit.views",
    "vendorgov.tenders.list_export",
    "vendorgov.payments.views",
)


@dataclass(frozen=True)
class ListExport:
    """`fetch(*([actor] if with_actor), request=PageRequest, **filters)` returns a Page;
    `shape` turns a row's lists and dicts into text; `filters` is the list's query-parameter
    dependency, whose annotations give the filters back their types in the job (dates)."""

    name: str
    fetch: Callable[..., Awaitable]
    columns: Mapping[str, str]
    filename: str
    shape: Callable[[dict], None] | None = None
    filters: Callable | None = None
    with_actor: bool = True


_EXPORTS: dict[str, ListExport] = {}


def register(export: ListExport) -> ListExport:
    _EXPORTS[export.name] = export
    return export


def _csv(export: ListExport, rows: list[dict]) -> bytes:
    if export.shape is not None:
        for row in rows:
            export.shape(row)
    return exports.rows_csv(rows, export.columns)


def _args(export: ListExport, actor) -> tuple:
    return (actor,) if export.with_actor else ()


async def respond(request: Request, export: ListExport, filters: dict) -> Response:
    """The CSV, or (above the inline limit) a redirect to the page following its job."""
    args = _args(export, request.user)
    total = (await export.fetch(*args, request=PageRequest(page_size=1), **filters)).total
    if total > get_settings().export_inline_rows:
        job_id = await jobs.start(KIND, {"export": export.name, "filters": filters}, request.user)
        return Redirect(f"/exports/{job_id}")
    rows = await export_rows(export.fetch, *args, **filters)
    return download(await asyncio.to_thread(_csv, export, rows), export.filename, CSV)


def _typed(export: ListExport, filters: dict) -> dict:
    """Filters as the job's JSON gives them back (dates as text), in their declared types."""
    if export.filters is None:
        return filters
    hints = typing.get_type_hints(export.filters)
    return {
        name: msgspec.convert(value, hints[name], strict=False) if name in hints else value
        for name, value in filters.items()
    }


async def run(job: jobs.JobRun) -> dict:
    for module in DEFINED_IN:
        importlib.import_module(module)
    export = _EXPORTS[job.params["export"]]
    job.progress(10, "reading")
    rows = await export_rows(
        export.fetch, *_args(export, job.actor), **_typed(export, job.params["filters"])
    )
    job.progress(60, "writing")
    data = await asyncio.to_thread(_csv, export, rows)
    async with db.transaction():
        file_id = await files.store(files.Upload(export.filename, data), job.actor.user_id)
        result = {"file_id": str(file_id), "filename": export.filename, "rows": len(rows)}
        await job.finish(result)
    return result


class ExportPages(Controller):
    """Following a large export's job, and its file, for its starter (any logged-in role)."""

    path = "/exports"
    include_in_schema = False

    @get("/{job_id:str}")
    async def job(self, request: Request, job_id: FromPath[str]) -> Template:
        job = await job_state.get(request.user, job_id, KIND)
        partial = bool(request.headers.get("hx-request"))
        return Template(
            "exports/job_status.html" if partial else "exports/job.html", context={"job": job}
        )

    @get("/{job_id:str}/file")
    async def file(self, request: Request, job_id: FromPath[str]) -> Response[bytes]:
        job = await job_state.get(request.user, job_id, KIND)
        if job["status"] != "done":
            raise NotFound("export file", job_id)
        stored = await files.content(uuid.UUID(job["result"]["file_id"]))
        data = await asyncio.to_thread(stored.path.read_bytes)
        return download(data, job["result"]["filename"], CSV)
