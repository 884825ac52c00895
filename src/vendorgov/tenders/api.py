"""JSON API for tenders: officers run them, vendors bid, evaluators declare and score."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

import msgspec
from litestar import Controller, Request, Response, get, post, put
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from vendorgov.accounts.auth import allow
from vendorgov.accounts.roles import Role
from vendorgov.errors import InvalidInput
from vendorgov.files.responses import download, inline_file
from vendorgov.i18n import DEFAULT_LOCALE, _, using_locale
from vendorgov.inspections.api import parse_instant
from vendorgov.paging import PageRequest
from vendorgov.tenders import (
    awarding,
    bidding,
    clarifications,
    common,
    documents,
    evaluation,
    invitations,
    opening,
    publication,
    reading,
    scoring,
)
from vendorgov.tenders.forms import BID_BODY_LIMIT
from vendorgov.tenders.rules import Criterion
from vendorgov.web.forms import Form

READERS = allow(Role.admin, Role.procurement, Role.vendor, Role.evaluator)
OFFICERS = allow(Role.procurement)
STAFF = allow(Role.admin, Role.procurement)
VENDORS = allow(Role.vendor)
# OCDS amounts are JSON numbers; the rest of the API sends money as exact decimal text.
_OCDS_JSON = msgspec.json.Encoder(decimal_format="number")
EVALUATORS = allow(Role.evaluator)


class CriterionIn(msgspec.Struct):
    key: str
    name: str
    weight: Decimal
    # "panel" (scored by the evaluators) or "past_performance" (§3a: from the hospital's
    # records), with the score of a bidder without history.
    source: str = "panel"
    no_history_score: Decimal | None = None


class TenderIn(msgspec.Struct):
    reference: str
    title: str
    category: str
    method: str
    evaluation_method: str
    budget_ceiling: Decimal
    service_start: date
    service_end: date
    bid_deadline: str  # ISO 8601; without an offset, hospital-local time
    scope: str = ""
    qualification_types: list[str] = []
    criteria: list[CriterionIn] = []
    # The future contract's terms as in the contracts API (clauses, scheme, bands, penalties,
    # deadlines); effective date and monthly fee come from the award.
    sla_template: dict = {}
    bid_security: Decimal = Decimal(0)  # 投标保证金: 0 (none) up to 2% of the ceiling
    # §3: "" (none: a random draw), "technical" or "draw"; §3a: SME deduction percent, 10–20
    # (absent: the setting, default 10).
    tie_rule: str = ""
    sme_percent: Decimal | None = None


class ReasonIn(msgspec.Struct):
    reason: str


class DeadlineIn(msgspec.Struct):
    bid_deadline: str
    reason: str


class ComplianceIn(msgspec.Struct):
    compliant: bool
    reason: str = ""


class LowPriceIn(msgspec.Struct):
    decision: str  # accepted | rejected
    reason: str


class PanelIn(msgspec.Struct):
    evaluator_ids: list[int]


class DeclarationIn(msgspec.Struct):
    conflicts: list[int] = []  # vendor ids of bidders the evaluator has a conflict with
    note: str = ""


class ScoreIn(msgspec.Struct):
    bid_id: int
    criterion: str
    score: Decimal
    comment: str = ""


class ScoresIn(msgspec.Struct):
    scores: list[ScoreIn]
    submit: bool = False
    dissent: str = ""  # a dissenting opinion, handed in with the final scores


class QuestionIn(msgspec.Struct):
    question: str


class ClarificationIn(msgspec.Struct):
    answer: str
    question_id: int | None = None  # none: a clarification the officer publishes unasked


class PublishedOut(msgspec.Struct):
    id: int
    bid_deadline: datetime


class InvitationIn(msgspec.Struct):
    vendor_id: int
    reason: str


class AwardIn(msgspec.Struct):
    bid_id: int
    reason: str = ""


class CreatedOut(msgspec.Struct):
    id: int


class StatusOut(msgspec.Struct):
    status: str


def _plain(value):
    return msgspec.to_builtins(
        value, builtin_types=(Decimal, datetime, date), order="deterministic"
    )


def _input(data: TenderIn) -> publication.TenderInput:
    return publication.TenderInput(
        reference=data.reference,
        title=data.title,
        category=data.category,
        method=data.method,
        evaluation_method=data.evaluation_method,
        budget_ceiling=data.budget_ceiling,
        service_start=data.service_start,
        service_end=data.service_end,
        bid_deadline=parse_instant("bid_deadline", data.bid_deadline),
        scope=data.scope,
        qualification_types=data.qualification_types,
        criteria=[
            Criterion(c.key, c.name, c.weight, c.source, c.no_history_score) for c in data.criteria
        ],
        sla_template=data.sla_template,
        bid_security=data.bid_security,
        tie_rule=data.tie_rule,
        sme_percent=data.sme_percent,
    )


def _tender_out(tender: dict) -> dict:
    tender = dict(tender)
    tender["criteria"] = [common.criterion_plain(c) for c in tender["criteria"]]
    return _plain(tender)


def _results_out(data: dict) -> dict:
    """The results; a bidder's are its own bid's only (no criteria, no other bids)."""
    return _plain(
        {
            **{k: v for k, v in data.items() if k not in ("tender", "criteria")},
            "tender": _tender_out(data["tender"]),
            "criteria": [common.criterion_plain(c) for c in data.get("criteria", ())],
        }
    )


def _price_lines(raw: str) -> list[tuple[str, Decimal]]:
    """Price lines as JSON: [["item", "amount"], …] or [{"item": …, "amount": …}, …]."""
    if not raw.strip():
        return []
    try:
        lines = json.loads(raw)
        return [
            (str(x["item"]), Decimal(str(x["amount"])))
            if isinstance(x, dict)
            else (str(x[0]), Decimal(str(x[1])))
            for x in lines
        ]
    except (ValueError, KeyError, IndexError, TypeError, InvalidOperation):
        raise InvalidInput.single(
            "price_lines",
            "format",
            _(
                "Price lines: write a JSON list like %(example)s.",
                example='[{"item": "保洁人员", "amount": "100.00"}]',
            ),
        ) from None


class TenderApi(Controller):
    path = "/api"
    tags = ["tenders"]

    # --- tenders ---------------------------------------------------------------------------

    @get("/tenders", guards=[READERS], summary="Tenders the caller may see")
    async def list_tenders(
        self,
        request: Request,
        paging: PageRequest,
        status: FromQuery[str] = "",
        category: FromQuery[str] = "",
        q: FromQuery[str] = "",
    ) -> dict:
        """Filtered by status and category, searched by reference and title."""
        page = await reading.tender_page(
            request.user, status=status, category=category, q=q, request=paging
        )
        return page.as_json(_tender_out)

    @post("/tenders", guards=[OFFICERS], status_code=HTTP_201_CREATED, summary="Create a draft")
    async def create(self, request: Request, data: JSONBody[TenderIn]) -> CreatedOut:
        return CreatedOut(await publication.create_tender(request.user, _input(data)))

    @get("/tenders/{tender_id:int}", guards=[READERS], summary="A tender")
    async def tender(self, request: Request, tender_id: FromPath[int]) -> dict:
        return _tender_out(await reading.get_tender(request.user, tender_id))

    @put("/tenders/{tender_id:int}", guards=[OFFICERS], summary="Edit a draft")
    async def update(
        self, request: Request, tender_id: FromPath[int], data: JSONBody[TenderIn]
    ) -> StatusOut:
        await publication.update_tender(request.user, tender_id, _input(data))
        return StatusOut("draft")

    @post(
        "/tenders/{tender_id:int}/documents",
        guards=[OFFICERS],
        status_code=HTTP_201_CREATED,
        summary="Attach a tender document to a draft (multipart field 'file')",
    )
    async def add_document(self, request: Request, tender_id: FromPath[int]) -> StatusOut:
        upload = await Form(await request.form()).upload("file")
        if upload is None:
            raise InvalidInput.single("file", "required", _("File: attach the document."))
        await publication.add_document(request.user, tender_id, upload)
        return StatusOut("attached")

    @get(
        "/tenders/{tender_id:int}/documents/{file_id:str}",
        guards=[READERS],
        summary="A tender document",
    )
    async def document(
        self, request: Request, tender_id: FromPath[int], file_id: FromPath[str]
    ) -> Response:
        return inline_file(await publication.document(request.user, tender_id, file_id))

    async def _move(self, action, request: Request, tender_id: int, *args) -> StatusOut:
        await action(request.user, tender_id, *args)
        return StatusOut((await reading.get_tender(request.user, tender_id))["status"])

    @get(
        "/tenders/{tender_id:int}/clarifications",
        guards=[READERS],
        summary="Published clarifications, without who asked (officers: also those waiting)",
    )
    async def clarifications(self, request: Request, tender_id: FromPath[int]) -> list[dict]:
        return _plain(await clarifications.of_tender(request.user, tender_id))

    @post(
        "/tenders/{tender_id:int}/questions",
        guards=[VENDORS],
        status_code=HTTP_201_CREATED,
        summary="A bidder's question to the officer (§3a)",
    )
    async def ask(
        self, request: Request, tender_id: FromPath[int], data: JSONBody[QuestionIn]
    ) -> CreatedOut:
        return CreatedOut(await clarifications.ask(request.user, tender_id, data.question))

    @post(
        "/tenders/{tender_id:int}/clarifications",
        guards=[OFFICERS],
        status_code=HTTP_200_OK,
        summary="Publish an answer (or an unasked clarification) to every bidder; inside the "
        "margin the deadline is postponed",
    )
    async def clarify(
        self, request: Request, tender_id: FromPath[int], data: JSONBody[ClarificationIn]
    ) -> PublishedOut:
        done = await clarifications.publish(request.user, tender_id, data.answer, data.question_id)
        return PublishedOut(done["id"], done["bid_deadline"])

    @get(
        "/tenders/{tender_id:int}/invitations",
        guards=[OFFICERS],
        summary="An invited tender's invited vendors, with the reasons (§3a)",
    )
    async def list_invitations(self, request: Request, tender_id: FromPath[int]) -> list[dict]:
        await reading.get_tender(request.user, tender_id)  # 404 for an unknown tender
        return _plain(await invitations.invitations(request.user, tender_id))

    @get(
        "/tenders/{tender_id:int}/invitation-candidates",
        guards=[OFFICERS],
        summary="The registry's active, qualified vendors of the tender's category",
    )
    async def invitation_candidates(self, request: Request, tender_id: FromPath[int]) -> list[dict]:
        return _plain(await invitations.candidates(request.user, tender_id))

    @post(
        "/tenders/{tender_id:int}/invitations",
        guards=[OFFICERS],
        status_code=HTTP_200_OK,
        summary="Invite a qualified vendor to a draft invited tender, with the reason",
    )
    async def invite(
        self, request: Request, tender_id: FromPath[int], data: JSONBody[InvitationIn]
    ) -> StatusOut:
        await invitations.invite(request.user, tender_id, data.vendor_id, data.reason)
        return StatusOut("invited")

    @post("/tenders/{tender_id:int}/publish", guards=[OFFICERS], status_code=HTTP_200_OK)
    async def publish(self, request: Request, tender_id: FromPath[int]) -> StatusOut:
        return await self._move(publication.publish, request, tender_id)

    @post("/tenders/{tender_id:int}/cancel", guards=[OFFICERS], status_code=HTTP_200_OK)
    async def cancel(
        self, request: Request, tender_id: FromPath[int], data: JSONBody[ReasonIn]
    ) -> StatusOut:
        return await self._move(publication.cancel, request, tender_id, data.reason)

    @post("/tenders/{tender_id:int}/fail", guards=[OFFICERS], status_code=HTTP_200_OK)
    async def fail(
        self, request: Request, tender_id: FromPath[int], data: JSONBody[ReasonIn]
    ) -> StatusOut:
        return await self._move(publication.fail, request, tender_id, data.reason)

    @post(
        "/tenders/{tender_id:int}/deadline",
        guards=[OFFICERS],
        status_code=HTTP_200_OK,
        summary="Move the bid deadline (before it has passed), with a reason",
    )
    async def deadline(
        self, request: Request, tender_id: FromPath[int], data: JSONBody[DeadlineIn]
    ) -> StatusOut:
        deadline = parse_instant("bid_deadline", data.bid_deadline)
        return await self._move(
            publication.change_deadline, request, tender_id, deadline, data.reason
        )

    @post(
        "/tenders/{tender_id:int}/open",
        guards=[OFFICERS],
        status_code=HTTP_200_OK,
        summary="Open the bids (at or after the deadline)",
    )
    async def open(self, request: Request, tender_id: FromPath[int]) -> dict:
        return _plain(await opening.open_tender(request.user, tender_id))

    @post(
        "/tenders/{tender_id:int}/close",
        guards=[OFFICERS],
        status_code=HTTP_200_OK,
        summary="Close the evaluation and rank",
    )
    async def close(self, request: Request, tender_id: FromPath[int]) -> dict:
        return _plain(await evaluation.close_evaluation(request.user, tender_id))

    @post(
        "/tenders/{tender_id:int}/award",
        guards=[OFFICERS],
        status_code=HTTP_201_CREATED,
        summary="Award the next candidate in order (the first, or the next once those before "
        "it are passed over); creates the draft contract",
    )
    async def award(
        self, request: Request, tender_id: FromPath[int], data: JSONBody[AwardIn]
    ) -> CreatedOut:
        return CreatedOut(await awarding.award(request.user, tender_id, data.bid_id, data.reason))

    @get("/tenders/{tender_id:int}/results", guards=[READERS], summary="Scores, ranks, candidates")
    async def results(self, request: Request, tender_id: FromPath[int]) -> dict:
        return _results_out(await evaluation.results(request.user, tender_id))

    @get("/tenders/{tender_id:int}/ocds", guards=[STAFF], summary="The OCDS 1.1 release")
    async def ocds(self, request: Request, tender_id: FromPath[int]) -> Response[bytes]:
        release = await awarding.ocds_release(request.user, tender_id)
        return Response(_OCDS_JSON.encode(release), media_type="application/json")

    @get(
        "/tenders/{tender_id:int}/report.pdf",
        guards=[READERS],
        summary="The evaluation report (评标报告)",
    )
    async def report(self, request: Request, tender_id: FromPath[int]) -> Response[bytes]:
        with using_locale(DEFAULT_LOCALE):  # a document reads in Chinese, its reasons too
            report = await evaluation.report(request.user, tender_id)
        body, name = documents.report_file(report)
        return download(body, name, "application/pdf", inline=True)

    @get(
        "/tenders/{tender_id:int}/matrix/{fmt:str}",
        guards=[READERS],
        summary="The scoring matrix as xlsx (scores and results sheets) or csv (scores)",
    )
    async def matrix(
        self, request: Request, tender_id: FromPath[int], fmt: FromPath[str]
    ) -> Response[bytes]:
        report = await evaluation.report(request.user, tender_id)
        return download(*documents.matrix_file(report, fmt))

    # --- bids ------------------------------------------------------------------------------

    @get(
        "/tenders/{tender_id:int}/bids",
        guards=[READERS],
        summary="Bids received (before opening: arrival times and digests only)",
    )
    async def bids(self, request: Request, tender_id: FromPath[int]) -> list[dict]:
        return _plain(await bidding.bids(request.user, tender_id))

    @post(
        "/tenders/{tender_id:int}/bids",
        guards=[VENDORS],
        status_code=HTTP_201_CREATED,
        request_max_body_size=BID_BODY_LIMIT,
        summary="Submit (or replace) the vendor's sealed bid: multipart price, price_lines "
        "(JSON), files; returns the receipt",
    )
    async def submit_bid(self, request: Request, tender_id: FromPath[int]) -> dict:
        form = Form(await request.form())
        price = form.decimal("price")
        form.errors.raise_if_any()
        receipt = await bidding.submit_bid(
            request.user,
            tender_id,
            price,
            _price_lines(form.text("price_lines")),
            await form.uploads("files"),
        )
        return _plain(bidding.vendor_receipt(receipt))

    @post(
        "/tenders/{tender_id:int}/bids/withdraw",
        guards=[VENDORS],
        status_code=HTTP_200_OK,
        summary="Withdraw the vendor's bid before the deadline",
    )
    async def withdraw(self, request: Request, tender_id: FromPath[int]) -> StatusOut:
        await bidding.withdraw_bid(request.user, tender_id)
        return StatusOut("withdrawn")

    @get("/bids", guards=[VENDORS], summary="The vendor's own bids, newest first")
    async def my_bids(self, request: Request, paging: PageRequest) -> dict:
        return _plain((await bidding.my_bid_page(request.user, request=paging)).as_json())

    @get("/bids/{ref:str}/receipt", guards=[VENDORS], summary="A bid's receipt, by its reference")
    async def receipt(self, request: Request, ref: FromPath[str]) -> dict:
        return _plain(await bidding.receipt(request.user, ref))

    @get(
        "/bids/{ref:str}/receipt/files/{position:int}",
        guards=[VENDORS],
        summary="One of the vendor's own proposal files, by the bid's reference (after opening)",
    )
    async def own_bid_file(
        self, request: Request, ref: FromPath[str], position: FromPath[int]
    ) -> Response[bytes]:
        name, data = await bidding.own_bid_file(request.user, ref, position)
        return download(data, name, "application/octet-stream")

    @get(
        "/bids/{bid_id:int}/files/{position:int}",
        guards=[READERS],
        summary="A proposal file (after opening)",
    )
    async def bid_file(
        self, request: Request, bid_id: FromPath[int], position: FromPath[int]
    ) -> Response[bytes]:
        name, data = await bidding.bid_file(request.user, bid_id, position)
        return download(data, name, "application/octet-stream")

    @post("/bids/{bid_id:int}/compliance", guards=[OFFICERS], status_code=HTTP_200_OK)
    async def compliance(
        self, request: Request, bid_id: FromPath[int], data: JSONBody[ComplianceIn]
    ) -> StatusOut:
        await opening.review_bid(request.user, bid_id, data.compliant, data.reason)
        return StatusOut("compliant" if data.compliant else "non_compliant")

    @post("/bids/{bid_id:int}/low-price", guards=[OFFICERS], status_code=HTTP_200_OK)
    async def low_price(
        self, request: Request, bid_id: FromPath[int], data: JSONBody[LowPriceIn]
    ) -> StatusOut:
        await opening.decide_low_price(request.user, bid_id, data.decision, data.reason)
        return StatusOut(data.decision)

    # --- the panel -------------------------------------------------------------------------

    @get("/tenders/{tender_id:int}/panel", guards=[STAFF], summary="The panel and its progress")
    async def panel(self, request: Request, tender_id: FromPath[int]) -> list[dict]:
        return _plain(await scoring.panel(request.user, tender_id))

    @post(
        "/tenders/{tender_id:int}/panel",
        guards=[OFFICERS],
        status_code=HTTP_200_OK,
        summary="Add evaluators to the panel",
    )
    async def assign(
        self, request: Request, tender_id: FromPath[int], data: JSONBody[PanelIn]
    ) -> StatusOut:
        await scoring.assign_panel(request.user, tender_id, data.evaluator_ids)
        return StatusOut("assigned")

    @get(
        "/tenders/{tender_id:int}/bidders",
        guards=[EVALUATORS],
        summary="The bidders to declare conflicts of interest against",
    )
    async def bidders(self, request: Request, tender_id: FromPath[int]) -> list[dict]:
        return await scoring.bidders(request.user, tender_id)

    @post(
        "/tenders/{tender_id:int}/declaration",
        guards=[EVALUATORS],
        status_code=HTTP_200_OK,
        summary="Declare conflicts of interest (a conflict removes the evaluator)",
    )
    async def declare(
        self, request: Request, tender_id: FromPath[int], data: JSONBody[DeclarationIn]
    ) -> StatusOut:
        may_score = await scoring.declare(request.user, tender_id, data.conflicts, data.note)
        return StatusOut("may_score" if may_score else "removed")

    @get(
        "/tenders/{tender_id:int}/scoring",
        guards=[EVALUATORS],
        summary="The evaluator's scoring sheet",
    )
    async def scoring(self, request: Request, tender_id: FromPath[int]) -> dict:
        sheet = await scoring.scoring_sheet(request.user, tender_id)
        return _plain(
            {
                "tender": _tender_out(sheet["tender"]),
                "bids": sheet["bids"],
                "criteria": [
                    {"key": c.key, "name": c.name, "weight": c.weight} for c in sheet["criteria"]
                ],
                "mine": [
                    {"bid_id": bid, "criterion": key, **value}
                    for (bid, key), value in sheet["mine"].items()
                ],
                "everyone": sheet["everyone"],
                "everyone_done": sheet["everyone_done"],
                "submitted_at": sheet["member"]["submitted_at"],
            }
        )

    @post(
        "/tenders/{tender_id:int}/scores",
        guards=[EVALUATORS],
        status_code=HTTP_200_OK,
        summary="Save scores (0–100); submit=true hands them in, final",
    )
    async def scores(
        self, request: Request, tender_id: FromPath[int], data: JSONBody[ScoresIn]
    ) -> StatusOut:
        entries = [
            scoring.ScoreInput(s.bid_id, s.criterion, s.score, s.comment) for s in data.scores
        ]
        await scoring.save_scores(request.user, tender_id, entries, data.submit, data.dissent)
        return StatusOut("submitted" if data.submit else "saved")
