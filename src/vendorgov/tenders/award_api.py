"""JSON API of the award order (Order 87 Art. 68): passing over a candidate with its ground
and evidence, so the next one may be awarded (the award itself: tenders.api); after the
award, withdrawing it when the winner will not sign (the same ground and evidence)."""

from __future__ import annotations

import msgspec
from litestar import Controller, Request, post
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_200_OK

from vendorgov.accounts.auth import allow
from vendorgov.accounts.roles import Role
from vendorgov.tenders import awarding, reawarding

OFFICERS = allow(Role.procurement)


class PassOverIn(msgspec.Struct):
    bid_id: int
    ground: str  # declined | failed_to_sign | ineligible
    evidence: str


class PassedOverOut(msgspec.Struct):
    position: int
    bid_id: int
    ground: str
    evidence: str
    recorded_by: str


class WithdrawnAwardOut(msgspec.Struct):
    position: int
    bid_id: int
    ground: str
    evidence: str
    recorded_by: str
    contract_withdrawn: str | None
    next_bid_id: int | None
    next_candidate: int | None


class AwardApi(Controller):
    path = "/api"
    tags = ["tenders"]

    @post(
        "/tenders/{tender_id:int}/pass-over",
        guards=[OFFICERS],
        status_code=HTTP_200_OK,
        summary="Record the next candidate as passed over (declined, failed to sign, found "
        "ineligible) with the evidence, so the next candidate may be awarded",
    )
    async def pass_over(
        self, request: Request, tender_id: FromPath[int], data: JSONBody[PassOverIn]
    ) -> PassedOverOut:
        done = await awarding.pass_over(
            request.user, tender_id, data.bid_id, data.ground, data.evidence
        )
        return PassedOverOut(
            done["position"], done["bid"], done["ground"], done["evidence"], done["recorded_by"]
        )

    @post(
        "/tenders/{tender_id:int}/withdraw-award",
        guards=[OFFICERS],
        status_code=HTTP_200_OK,
        summary="The awarded winner declined, failed to sign or was found ineligible: withdraw "
        "the award and its contract draft, record the winner as passed over, so the next "
        "candidate may be awarded",
    )
    async def withdraw_award(
        self, request: Request, tender_id: FromPath[int], data: JSONBody[PassOverIn]
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
