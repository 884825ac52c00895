"""JSON API: service events in, SLA month results out (bearer tokens; see /schema)."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Annotated

import msgspec
import pandas as pd
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.di import Provide
from litestar.params import FromPath, FromQuery, JSONBody, MultipartBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_202_ACCEPTED

from vendorgov.accounts.auth import allow
from vendorgov.accounts.roles import Role
from vendorgov.files.responses import CSV, download
from vendorgov.jobs.api import JobOut
from vendorgov.paging import PageRequest
from vendorgov.settings import get_settings
from vendorgov.sla import event_import, events, service
from vendorgov.sla.event_import import IMPORTERS
from vendorgov.sla.intake import Limits, check_table
from vendorgov.sla.measure import Month


class EventIn(msgspec.Struct):
    """One help-desk request. Times: ISO 8601 with offset, or hospital-local without."""

    external_id: str
    category: str
    priority: str
    reported_at: str
    location: str = ""
    responded_at: str | None = None
    resolved_at: str | None = None
    satisfaction: int | None = None
    complaint: bool = False


class RowErrorOut(msgspec.Struct):
    row: int
    column: str
    rule: str
    message: str


class ImportOut(msgspec.Struct):
    received: int
    inserted: int
    updated: int
    invalid: int
    errors: list[RowErrorOut]
    notes: list[str]


class ImportForm(msgspec.Struct):
    file: UploadFile


class ClauseResultOut(msgspec.Struct):
    code: str
    name: str
    kind: str
    version_number: int  # whose target, minimum and weight scored the pooled events
    events: int
    attained: Decimal
    target: Decimal
    minimum: Decimal
    weight: Decimal
    score: Decimal
    met: bool
    missed_event_ids: list[int]


class MonthOut(msgspec.Struct):
    month: str
    computed: bool
    sla_component: Decimal | None
    events: int
    clauses: list[ClauseResultOut]


def _report(report: event_import.ImportReport) -> ImportOut:
    return ImportOut(
        report.received,
        report.inserted,
        report.updated,
        report.invalid,
        [RowErrorOut(e.row, e.column, e.rule, e.message) for e in report.errors],
        report.notes,
    )


class SlaApi(Controller):
    path = "/api/contracts/{contract_id:int}"
    tags = ["sla"]

    @get(
        "/events",
        guards=[allow(Role.admin, Role.procurement, Role.supervisor, Role.finance, Role.vendor)],
        summary="The contract's service events, a page of them, with the clauses each missed",
        dependencies={"filters": Provide(events.event_filters)},
    )
    async def list_events(
        self, request: Request, contract_id: FromPath[int], filters: dict, paging: PageRequest
    ) -> dict:
        page = await events.event_page(request.user, contract_id, request=paging, **filters)
        return page.as_json(lambda e: msgspec.to_builtins(e))

    @post(
        "/events",
        guards=[allow(*IMPORTERS)],
        status_code=HTTP_200_OK,
        summary="Add or update service events (one or a batch; re-sent ids update)",
    )
    async def push(
        self,
        request: Request,
        contract_id: FromPath[int],
        data: JSONBody[list[EventIn]],
        skip_invalid: FromQuery[bool] = False,
    ) -> ImportOut:
        table = pd.DataFrame(
            [msgspec.structs.asdict(e) for e in data], columns=list(EventIn.__struct_fields__)
        )
        table["complaint"] = table["complaint"].map({True: "yes", False: "no"})
        check_table(table, Limits.of(get_settings()))
        return _report(
            await event_import.import_events(request.user, contract_id, table, skip_invalid)
        )

    @post(
        "/events/import",
        guards=[allow(*IMPORTERS)],
        request_max_body_size=get_settings().max_import_bytes + 2**20,
        status_code=HTTP_200_OK,
        summary="Import service events from a CSV or XLSX file (see /api/events/template.csv)",
    )
    async def upload(
        self,
        request: Request,
        contract_id: FromPath[int],
        data: MultipartBody[ImportForm],
        skip_invalid: FromQuery[bool] = False,
    ) -> ImportOut:
        content = await data.file.read()
        # A worker thread: decoding a 100 MB file takes a while; other requests go on.
        records = await asyncio.to_thread(
            event_import.read_table, data.file.filename or "", content
        )
        return _report(
            await event_import.import_events(
                request.user, contract_id, records, skip_invalid, source="file"
            )
        )

    @post(
        "/events/import/jobs",
        guards=[allow(*IMPORTERS)],
        request_max_body_size=get_settings().max_import_bytes + 2**20,
        status_code=HTTP_202_ACCEPTED,
        summary="Import service events from a CSV or XLSX file in a job: the file is stored, "
        "a worker reads it; follow `url` (result: the import report)",
    )
    async def upload_job(
        self,
        request: Request,
        contract_id: FromPath[int],
        data: MultipartBody[ImportForm],
        skip_invalid: FromQuery[bool] = False,
    ) -> JobOut:
        content = await data.file.read()
        return JobOut.of(
            await event_import.start_import(
                request.user, contract_id, data.file.filename or "", content, skip_invalid
            )
        )

    @post(
        "/sla/{month:str}",
        status_code=HTTP_200_OK,
        guards=[allow(Role.admin, Role.procurement, Role.supervisor, Role.finance)],
        summary="Compute (or recompute) the SLA results of a month, YYYY-MM",
    )
    async def compute(
        self, request: Request, contract_id: FromPath[int], month: FromPath[str]
    ) -> MonthOut:
        parsed = Month.from_input(month)
        await service.compute_month(request.user, contract_id, parsed)
        return msgspec.convert(
            await service.month_results(request.user, contract_id, parsed), MonthOut, strict=False
        )

    @get(
        "/sla/{month:str}",
        summary="The stored SLA results of a month",
        guards=[allow(Role.admin, Role.procurement, Role.supervisor, Role.finance, Role.vendor)],
    )
    async def results(
        self, request: Request, contract_id: FromPath[int], month: FromPath[str]
    ) -> MonthOut:
        return msgspec.convert(
            await service.month_results(request.user, contract_id, Month.from_input(month)),
            MonthOut,
            strict=False,
        )


class SurveyIn(msgspec.Struct):
    respondent_type: Annotated[str, msgspec.Meta(description="patient or staff")]
    score: Annotated[int, msgspec.Meta(description="1 (very dissatisfied) to 5")]
    responded_on: Annotated[str, msgspec.Meta(description="YYYY-MM-DD")]
    comment: str = ""


class SurveyApi(Controller):
    path = "/api/contracts/{contract_id:int}/surveys"
    tags = ["sla"]

    @post(
        "/",
        guards=[allow(*IMPORTERS)],
        status_code=HTTP_201_CREATED,
        summary="Record satisfaction survey responses (patients, staff), all or nothing",
    )
    async def add(
        self, request: Request, contract_id: FromPath[int], data: JSONBody[list[SurveyIn]]
    ) -> dict[str, int]:
        stored = await service.add_surveys(
            request.user,
            contract_id,
            [service.SurveyInput(**msgspec.structs.asdict(r)) for r in data],
        )
        return {"stored": stored}


class EventTemplateApi(Controller):
    path = "/api/events"
    tags = ["sla"]

    @get(
        "/template.csv",
        guards=[allow(*IMPORTERS)],
        media_type="text/csv",
        summary="The CSV import template with its columns and two example rows",
    )
    async def template(self) -> Response[bytes]:
        return download(event_import.template_csv(), "events.csv", CSV)
