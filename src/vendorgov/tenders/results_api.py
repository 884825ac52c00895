"""JSON API of a tender's results stage (§3a): the result notice and the award notice,
challenges, the bid-security ledger and its overdue refunds."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from vendorgov.accounts.auth import allow
from vendorgov.accounts.roles import Role
from vendorgov.errors import Conflict
from vendorgov.files.responses import download
from vendorgov.i18n import _
from vendorgov.paging import PageRequest
from vendorgov.tenders import challenges, deposits, results
from vendorgov.tenders.api import _plain

READERS = allow(Role.admin, Role.procurement, Role.vendor, Role.evaluator)
OFFICERS = allow(Role.procurement)
STAFF = allow(Role.admin, Role.procurement)
VENDORS = allow(Role.vendor)
WINNER_OR_OFFICER = allow(Role.procurement, Role.vendor)


class ChallengeIn(msgspec.Struct):
    grounds: str


class AnswerIn(msgspec.Struct):
    answer: str


class DepositIn(msgspec.Struct):
    vendor_id: int
    amount: Decimal
    received_on: date
    reference: str


class RefundIn(msgspec.Struct):
    refunded_on: date
    reference: str


def _notice_out(view: dict) -> dict:
    return _plain({k: v for k, v in view.items() if k != "hospital"})


class ResultApi(Controller):
    path = "/api"
    tags = ["tender results"]

    # --- the result notice and the award notice ----------------------------------------------

    @get(
        "/tenders/{tender_id:int}/result-notice",
        guards=[READERS],
        summary="The result notice (中标结果公告); before publication, a preview for officers",
    )
    async def notice(self, request: Request, tender_id: FromPath[int]) -> dict:
        return _notice_out(await results.notice(request.user, tender_id))

    @post(
        "/tenders/{tender_id:int}/result-notice",
        guards=[OFFICERS],
        status_code=HTTP_200_OK,
        summary="Publish the result notice and issue the award notice (once; again returns it)",
    )
    async def publish(self, request: Request, tender_id: FromPath[int]) -> dict:
        return _notice_out(await results.publish(request.user, tender_id))

    @get(
        "/tenders/{tender_id:int}/result-notice.pdf",
        guards=[READERS],
        summary="The result notice as PDF",
    )
    async def notice_pdf(self, request: Request, tender_id: FromPath[int]) -> Response[bytes]:
        view = await results.notice(request.user, tender_id)
        if not view["published"]:
            raise Conflict(_("The result notice is not published yet."))
        body, name = await results.notice_pdf(view)
        return download(body, name, "application/pdf", inline=True)

    @get(
        "/tenders/{tender_id:int}/award-notice.pdf",
        guards=[WINNER_OR_OFFICER],
        summary="The award notice (中标通知书): the winner's users and the officers only",
    )
    async def award_notice_pdf(self, request: Request, tender_id: FromPath[int]) -> Response[bytes]:
        body, name = await results.award_notice_pdf(
            await results.award_notice(request.user, tender_id)
        )
        return download(body, name, "application/pdf", inline=True)

    # --- challenges ------------------------------------------------------------------------

    @get(
        "/tenders/{tender_id:int}/challenges",
        guards=[READERS],
        summary="The tender's challenges (a vendor: its own)",
    )
    async def challenges(self, request: Request, tender_id: FromPath[int]) -> list[dict]:
        return _plain(await challenges.of_tender(request.user, tender_id))

    @post(
        "/tenders/{tender_id:int}/challenges",
        guards=[VENDORS],
        status_code=HTTP_201_CREATED,
        summary="A bidder's challenge (质疑), within 7 working days of the result notice",
    )
    async def file(
        self, request: Request, tender_id: FromPath[int], data: JSONBody[ChallengeIn]
    ) -> dict:
        return _plain(await challenges.file(request.user, tender_id, data.grounds))

    @get(
        "/challenges",
        guards=[STAFF],
        summary="Every tender's challenges by answer due day (status open by default)",
    )
    async def challenge_list(
        self, request: Request, paging: PageRequest, status: FromQuery[str] = "open"
    ) -> dict:
        page = await challenges.challenge_page(request.user, status, paging)
        return page.as_json(_plain)

    @get("/challenges/{challenge_id:int}", guards=[READERS], summary="A challenge")
    async def challenge(self, request: Request, challenge_id: FromPath[int]) -> dict:
        return _plain(await challenges.get(request.user, challenge_id))

    @post(
        "/challenges/{challenge_id:int}/answer",
        guards=[OFFICERS],
        status_code=HTTP_200_OK,
        summary="Answer a challenge (once), within 7 working days of its filing",
    )
    async def answer(
        self, request: Request, challenge_id: FromPath[int], data: JSONBody[AnswerIn]
    ) -> dict:
        return _plain(await challenges.answer(request.user, challenge_id, data.answer))

    # --- bid security ----------------------------------------------------------------------

    @get(
        "/tenders/{tender_id:int}/bid-security",
        guards=[STAFF],
        summary="The bid security asked and each bidder's deposit and refund",
    )
    async def ledger(self, request: Request, tender_id: FromPath[int]) -> dict:
        data = await deposits.ledger(request.user, tender_id)
        return _plain({"tender_id": tender_id, "asked": data["asked"], "bidders": data["bidders"]})

    @post(
        "/tenders/{tender_id:int}/bid-security",
        guards=[OFFICERS],
        status_code=HTTP_201_CREATED,
        summary="Record a bidder's deposit received (once per bidder)",
    )
    async def record(
        self, request: Request, tender_id: FromPath[int], data: JSONBody[DepositIn]
    ) -> dict:
        entry = await deposits.record(
            request.user, tender_id, data.vendor_id, data.amount, data.received_on, data.reference
        )
        return _plain(entry)

    @post(
        "/tenders/{tender_id:int}/bid-security/{vendor_id:int}/refund",
        guards=[OFFICERS],
        status_code=HTTP_200_OK,
        summary="Record a deposit's refund (once)",
    )
    async def refund(
        self,
        request: Request,
        tender_id: FromPath[int],
        vendor_id: FromPath[int],
        data: JSONBody[RefundIn],
    ) -> dict:
        entry = await deposits.refund(
            request.user, tender_id, vendor_id, data.refunded_on, data.reference
        )
        return _plain(entry)

    @get(
        "/bid-security/overdue",
        guards=[STAFF],
        summary="Deposits not refunded by their due day, oldest due first",
    )
    async def overdue(self, request: Request, paging: PageRequest) -> dict:
        return (await deposits.overdue_page(request.user, paging)).as_json(_plain)
