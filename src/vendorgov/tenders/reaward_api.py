"""JSON API of the re-award (Order 87 Art. 68): the awarded winner declined, failed to sign or
was found ineligible; the award and its contract draft are withdrawn so the next candidate may
be awarded (POST /api/tenders/{id}/award)."""

from __future__ import annotations

import msgspec
from litestar import Controller, Request, post
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_200_OK

from vendorgov.accounts.auth import allow
from vendorgov.accounts.roles import Role
from vendorgov.tenders import reawarding

OFFICERS = allow(Role.procurement)


class WithdrawAwardIn(msgspec.Struct):
    bid_id: int  # the awarded bid
    ground: str  # declined | failed_to_sign | ineligible
    evidence: str


class WithdrawnAwardOut(msgspec.Struct):
    position: int
    bid_id: int
    ground: str
    evidence: str
    recorded_by: str
    contract_withdrawn: str | None
    next_bid_id: int | None
    next_candidate: int | None


class ReawardApi(Controller):
    path = "/api"
    tags = ["tenders"]

    @post(
        "/tenders/{tender_id:int}/withdraw-award",
        guards=[OFFICERS],
        status_code=HTTP_200_OK,
        summary="The awarded winner declined, failed to sign or was found ineligible: withdraw "
        "the award and its contract draft, record the winner as passed over, so the next "
        "candidate may be awarded",
    )
    async def withdraw_award(
        self, request: Request, tender_id: FromPath[int], data: JSONBody[WithdrawAwardIn]
    ) -> WithdrawnAwardOut:
        done = await reawarding.withdraw_award(
            request.user, tender_id, data.bid_id, data.ground, data.evidence
        )
        nxt = done["next"]
        return WithdrawnAwardOut(
            done["position"],
            done["bid"],
            done["ground"],
            done["evidence"],
            done["recorded_by"],
            done["contract_withdrawn"],
            nxt["id"] if nxt else None,
            nxt["candidate"] if nxt else None,
        )
