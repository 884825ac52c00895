"""JSON API of the month-end run (finance) and of a vendor's approved statements."""

from __future__ import annotations

from decimal import Decimal

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from vendorgov.accounts.auth import allow
from vendorgov.accounts.roles import Role
from vendorgov.payments import documents, service
from vendorgov.sla.measure import Month

FINANCE = allow(Role.admin, Role.finance)


class RunIn(msgspec.Struct):
    month: str
    contract_ids: list[int] | None = None
    reason: str = ""


class ReturnIn(msgspec.Struct):
    reason: str


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
        status_code=HTTP_201_CREATED,
        summary="Compute a month (all contracts in force, or some) as a new revision",
    )
    async def compute(self, request: Request, data: JSONBody[RunIn]) -> CreatedOut:
        month = Month.from_input(data.month)
        return CreatedOut(
            await service.compute_run(request.user, month, data.contract_ids, data.reason)
        )

    @get("/runs/{run_id:int}", guards=[FINANCE], summary="A run with its statements")
    async def run(self, request: Request, run_id: FromPath[int]) -> dict:
        return _plain(await service.get_run(request.user, run_id))

    @get(
        "/runs/{run_id:int}/diff",
        guards=[FINANCE],
        summary="What changed against the previous revision",
    )
    async def diff(self, request: Request, run_id: FromPath[int]) -> list:
        return _plain(await service.diff(request.user, run_id))

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
        summary="A contract's statement as PDF (vendors: their own, once approved)",
    )
    async def statement_pdf(
        self, request: Request, run_id: FromPath[int], contract_id: FromPath[int]
    ) -> Response[bytes]:
        run, statement = await service.statement(request.user, run_id, contract_id)
        return documents.statement_response(run, statement)

    @get(
        "/runs/{run_id:int}/export/{fmt:str}",
        guards=[FINANCE],
        summary="The whole run as xlsx or csv, for the accounting system",
    )
    async def export(
        self, request: Request, run_id: FromPath[int], fmt: FromPath[str]
    ) -> Response[bytes]:
        return documents.export_response(await service.get_run(request.user, run_id), fmt)

    @get(
        "/statements",
        guards=[allow(Role.vendor)],
        summary="The vendor's statements from approved runs",
    )
    async def statements(self, request: Request) -> list:
        return _plain(await service.statements_for_vendor(request.user))
