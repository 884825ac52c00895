"""JSON API of the month-end run (finance) and of a vendor's approved statements."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.di import Provide
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_202_ACCEPTED

from vendorgov.accounts.auth import allow
from vendorgov.accounts.roles import Role
from vendorgov.jobs.api import JobOut
from vendorgov.paging import PageRequest
from vendorgov.payments import (
    disputes,
    documents,
    exports,
    jobs,
    presentation,
    reading,
    run_view,
    service,
)
from vendorgov.sla.measure import Month

FINANCE = allow(Role.admin, Role.finance)


class RunIn(msgspec.Struct):
    month: str
    contract_ids: list[int] | None = None
    reason: str = ""


class ReturnIn(msgspec.Struct):
    reason: str


class DisputeIn(msgspec.Struct):
    line: Annotated[
        str,
        msgspec.Meta(
            description="component:<sla|inspection|satisfaction|audit> or line:<index> "
            "(0-based, in the statement's lines)"
        ),
    ]
    reason: str


class RulingIn(msgspec.Struct):
    decision: Annotated[str, msgspec.Meta(description="uphold or reject")]
    note: Annotated[str, msgspec.Meta(description="upheld: what was corrected; rejected: why")]


class CreatedOut(msgspec.Struct):
    id: int


class StatusOut(msgspec.Struct):
    status: str


class ApprovedOut(msgspec.Struct):
    status: str
    drafted_notice_ids: list[int]  # rectification notices drafted for D grades (§7)


def _plain(value):
    return msgspec.to_builtins(value, builtin_types=(Decimal,), order="deterministic")


class PaymentApi(Controller):
    path = "/api/payments"
    tags = ["payments"]

    @post(
        "/runs",
        guards=[FINANCE],
        status_code=HTTP_202_ACCEPTED,
        summary="Compute a month (all contracts in force, or some) as a new revision, in a "
        "job: follow `url` until its status is done (result.run_id) or failed (error)",
    )
    async def compute(self, request: Request, data: JSONBody[RunIn]) -> JobOut:
        month = Month.from_input(data.month)
        job_id = await jobs.start_month_end(request.user, month, data.contract_ids, data.reason)
        return JobOut.of(job_id)

    @post(
        "/runs/{run_id:int}/statements.zip",
        guards=[FINANCE],
        status_code=HTTP_202_ACCEPTED,
        summary="Render every statement of the run as PDF into one zip, in a job "
        "(result.file_id: download it from /api/jobs/{id}/file)",
    )
    async def statements_zip(self, request: Request, run_id: FromPath[int]) -> JobOut:
        return JobOut.of(await jobs.start_statements_zip(request.user, run_id))

    @get("/runs", guards=[FINANCE], summary="The runs, a page of them, newest month first")
    async def runs(self, request: Request, paging: PageRequest, month: FromQuery[str] = "") -> dict:
        return (await reading.runs(request.user, month, paging)).as_json(_plain)

    @get("/runs/{run_id:int}", guards=[FINANCE], summary="A run with its statements")
    async def run(self, request: Request, run_id: FromPath[int]) -> dict:
        return _plain(await reading.get_run(request.user, run_id))

    @get(
        "/runs/{run_id:int}/statements",
        guards=[FINANCE],
        summary="A page of a run's statements, by contract number; filtered by grade and the "
        "termination-review flag, searched by contract number and vendor name",
        dependencies={"filters": Provide(run_view.statement_filters)},
    )
    async def run_statements(
        self, request: Request, run_id: FromPath[int], paging: PageRequest, filters: dict
    ) -> dict:
        run = await reading.run_header(request.user, run_id)
        return (await run_view.statement_page(run, request=paging, **filters)).as_json(_plain)

    @get(
        "/runs/{run_id:int}/diff",
        guards=[FINANCE],
        summary="What changed against the previous revision",
    )
    async def diff(self, request: Request, run_id: FromPath[int]) -> list:
        return _plain(await reading.diff(request.user, run_id))

    @post(
        "/runs/{run_id:int}/approve",
        guards=[FINANCE],
        status_code=HTTP_200_OK,
        summary="Approve and lock (a finance user other than the one who computed it); drafts "
        "a rectification notice for each D grade",
    )
    async def approve(self, request: Request, run_id: FromPath[int]) -> ApprovedOut:
        return ApprovedOut("approved", await service.approve(request.user, run_id))

    @post(
        "/runs/{run_id:int}/return",
        guards=[FINANCE],
        status_code=HTTP_200_OK,
        summary="Return for correction with a reason (not by the user who computed it); the "
        "month is then computed again",
    )
    async def return_run(
        self, request: Request, run_id: FromPath[int], data: JSONBody[ReturnIn]
    ) -> StatusOut:
        await service.return_run(request.user, run_id, data.reason)
        return StatusOut("returned")

    @get(
        "/runs/{run_id:int}/statements/{contract_id:int}/statement.pdf",
        guards=[allow(Role.admin, Role.finance, Role.vendor)],
        summary="A contract's statement as PDF (vendors: their own, once approved or as a "
        "draft during the dispute window)",
    )
    async def statement_pdf(
        self, request: Request, run_id: FromPath[int], contract_id: FromPath[int]
    ) -> Response[bytes]:
        run, statement = await reading.statement(request.user, run_id, contract_id)
        await presentation.prepare_statement(request.user, run, statement)
        return await documents.statement_response(run, statement)

    @get(
        "/runs/{run_id:int}/export/{fmt:str}",
        guards=[FINANCE],
        summary="The whole run for the accounting system: xlsx (statements and lines sheets), "
        "csv (statements) or lines.csv",
    )
    async def export(
        self, request: Request, run_id: FromPath[int], fmt: FromPath[str]
    ) -> Response[bytes]:
        return exports.export_response(await exports.accounting_run(request.user, run_id), fmt)

    @get(
        "/statements",
        guards=[allow(Role.vendor)],
        summary="The vendor's statements from approved runs",
    )
    async def statements(
        self, request: Request, paging: PageRequest, month: FromQuery[str] = ""
    ) -> dict:
        return (await reading.statements_for_vendor(request.user, month, paging)).as_json(_plain)

    @get(
        "/runs/{run_id:int}/statements/{contract_id:int}",
        guards=[allow(Role.admin, Role.finance, Role.vendor)],
        summary="A contract's statement with its evidence, disputes and rulings, the net in "
        "Chinese capitals (vendors: their own, once approved or during the dispute window)",
    )
    async def statement(
        self, request: Request, run_id: FromPath[int], contract_id: FromPath[int]
    ) -> dict:
        run, statement = await reading.statement(request.user, run_id, contract_id)
        await presentation.prepare_statement(request.user, run, statement)
        return _plain(statement)

    @get(
        "/statements/drafts",
        guards=[allow(Role.vendor)],
        summary="The vendor's draft statements whose dispute window is open",
    )
    async def drafts(self, request: Request) -> list:
        return _plain(await disputes.drafts_for_vendor(request.user))

    @post(
        "/runs/{run_id:int}/statements/{contract_id:int}/disputes",
        guards=[allow(Role.vendor)],
        status_code=HTTP_201_CREATED,
        summary="Dispute a line of the vendor's draft statement during the window (evidence "
        "files: use the page's form)",
    )
    async def dispute(
        self,
        request: Request,
        run_id: FromPath[int],
        contract_id: FromPath[int],
        data: JSONBody[DisputeIn],
    ) -> CreatedOut:
        return CreatedOut(
            await disputes.raise_dispute(request.user, run_id, contract_id, data.line, data.reason)
        )

    @post(
        "/runs/{run_id:int}/waiver",
        guards=[allow(Role.vendor)],
        status_code=HTTP_200_OK,
        summary="The vendor waives the rest of its dispute window on the run",
    )
    async def waive(self, request: Request, run_id: FromPath[int]) -> StatusOut:
        await disputes.waive(request.user, run_id)
        return StatusOut("waived")

    @get("/runs/{run_id:int}/disputes", guards=[FINANCE], summary="The month's disputes")
    async def month_disputes(self, request: Request, run_id: FromPath[int]) -> list:
        run = await reading.get_run(request.user, run_id)
        return _plain(await disputes.of_month(request.user, run["month"]))

    @post(
        "/disputes/{dispute_id:int}/ruling",
        guards=[FINANCE],
        status_code=HTTP_200_OK,
        summary="Uphold (the cause is corrected, then the month recomputed) or reject with a "
        "reason the vendor sees; a dispute is ruled once (409 after)",
    )
    async def rule(
        self, request: Request, dispute_id: FromPath[int], data: JSONBody[RulingIn]
    ) -> StatusOut:
        return StatusOut(await disputes.rule(request.user, dispute_id, data.decision, data.note))
