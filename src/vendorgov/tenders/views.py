"""Tender pages (§3). Procurement officers create, publish, open, review, seat the panel, close
the evaluation and award; vendors bid under seal and keep their receipts; evaluators declare
their conflicts of interest and score. The service decides who may see and do what: these
pages only show what it returns and put its errors next to the fields they concern."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, FromQuery
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template

from vendorgov.accounts.auth import allow
from vendorgov.accounts.roles import Role
from vendorgov.contracts import service as contracts
from vendorgov.errors import InvalidInput
from vendorgov.files.responses import download, inline_file
from vendorgov.humane import joined
from vendorgov.i18n import DEFAULT_LOCALE, _, ngettext, using_locale
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
    ranking_rules,
    reading,
    reawarding,
    scoring,
)
from vendorgov.tenders.forms import (
    BID_BODY_LIMIT,
    BLANK_CLAUSE_ROWS,
    BLANK_CRITERIA_ROWS,
    MAX_ROWS,
    PRICE_LINE_ROWS,
    Refusal,
    _content_rows,
    _instant,
    _new_values,
    _price_lines,
    _rows,
    _tender_input,
    _tender_values,
    ensure_confirmed,
    form_state,
    refused_shows,
    retried,
)
from vendorgov.tenders.rules import Method, Status
from vendorgov.web.forms import Form

READ = allow(Role.admin, Role.procurement, Role.vendor, Role.evaluator)
STAFF = allow(Role.admin, Role.procurement)
OFFICER = allow(Role.procurement)
VENDOR = allow(Role.vendor)
EVALUATOR = allow(Role.evaluator)


class TenderPages(Controller):
    path = "/tenders"
    include_in_schema = False

    # --- lists -----------------------------------------------------------------------------

    @get("/", guards=[READ])
    async def index(
        self,
        request: Request,
        paging: PageRequest,
        status: FromQuery[str] = "",
        category: FromQuery[str] = "",
        q: FromQuery[str] = "",
    ) -> Template:
        user = request.user
        choices = publication.choices()
        if status not in choices["statuses"]:
            status = ""
        todo = {r["tender"]["id"]: r["what"] for r in await reading.reminders(user)}
        return Template(
            "tenders/list.html",
            context={
                "tenders": await reading.tender_page(
                    user, status=status, category=category, q=q, request=paging
                ),
                "status": status,
                "category": category,
                "q": q,
                "todo": todo,
                "is_officer": user.role is Role.procurement,
                "is_staff": user.role in common.STAFF,
                **choices,
            },
        )

    @get("/bids", guards=[VENDOR])
    async def my_bids(self, request: Request, paging: PageRequest) -> Template:
        page = await bidding.my_bid_page(request.user, request=paging)
        return Template("tenders/my_bids.html", context={"page": page})

    # --- create and edit -------------------------------------------------------------------

    async def _form_page(
        self, request: Request, tender_id: int | None, refusal: Refusal
    ) -> Template:
        """The create or edit form again, as sent, with its errors (FormRetry)."""
        tender = await reading.get_tender(request.user, tender_id) if tender_id else None
        return self._form(
            refusal.values,
            refusal.errors,
            tender,
            refusal.form.texts("qualification_types"),
            refusal.form,
        )

    def _form(
        self,
        values: dict,
        errors: dict,
        tender: dict | None = None,
        quals: list[str] | None = None,
        form: Form | None = None,
    ) -> Template:
        clauses = (tender or {}).get("sla_template", {}).get("clauses", [])
        criteria_rows = max(
            (
                int(k.split("-")[1]) + 1
                for k in values
                if k.startswith("criteria-") and k.split("-")[1].isdecimal()
            ),
            default=0,
        )
        criteria_rows = min(criteria_rows, MAX_ROWS)
        if form is not None:  # after an error: the rows as sent
            criteria_rows = max(criteria_rows, _rows(form, "criteria_rows"))
            clause_rows = max(_rows(form, "clause_rows"), len(clauses))
        else:
            criteria_rows += BLANK_CRITERIA_ROWS
            clause_rows = len(clauses) + BLANK_CLAUSE_ROWS
        return Template(
            "tenders/form.html",
            context={
                "tender": tender,
                "values": values,
                "typed": values,
                "errors": errors,
                "quals": quals
                if quals is not None
                else (tender or {}).get("qualification_types", []),
                "criteria_rows": criteria_rows,
                "clauses": clauses,
                "clause_rows": clause_rows,
                **publication.choices(),
                "clause_kinds": contracts.choices()["clause_kinds"],
                "priorities": contracts.choices()["priorities"],
            },
        )

    @get("/new", guards=[OFFICER])
    async def new(self, request: Request) -> Template:
        if refusal := retried(request):
            return await self._form_page(request, None, refusal)
        return self._form(_new_values(), {}, quals=["business_licence"])

    @post("/", guards=[OFFICER])
    @refused_shows("/tenders/new")
    async def create(self, request: Request) -> Template | Redirect:
        form = await Form.read(request)
        data, request.state.rows = _tender_input(form)
        form.errors.raise_if_any()
        tender_id = await publication.create_tender(request.user, data)
        flash(
            request, _("Draft tender created: attach its documents, then publish."), category="ok"
        )
        return Redirect(f"/tenders/{tender_id}")

    @get("/{tender_id:int}/edit", guards=[OFFICER])
    async def edit(self, request: Request, tender_id: FromPath[int]) -> Template:
        if refusal := retried(request):
            return await self._form_page(request, tender_id, refusal)
        tender = await reading.get_tender(request.user, tender_id)
        return self._form(_tender_values(tender), {}, tender)

    @post("/{tender_id:int}/edit", guards=[OFFICER])
    @refused_shows("/tenders/{tender_id}/edit")
    async def update(self, request: Request, tender_id: FromPath[int]) -> Template | Redirect:
        tender = await reading.get_tender(request.user, tender_id)
        form = await Form.read(request)
        data, request.state.rows = _tender_input(form, tender["sla_template"])
        form.errors.raise_if_any()
        await publication.update_tender(request.user, tender_id, data)
        flash(request, _("Draft saved."), category="ok")
        return Redirect(f"/tenders/{tender_id}")

    # --- a tender --------------------------------------------------------------------------

    @get("/{tender_id:int}", guards=[READ])
    async def detail(self, request: Request, tender_id: FromPath[int]) -> Template:
        state = form_state(request)
        user = request.user
        tender = await reading.get_tender(user, tender_id)
        context: dict[str, Any] = {
            "tender": tender,
            **state,
            "is_officer": user.role is Role.procurement,
            "is_staff": user.role in common.STAFF,
            "line_rows": PRICE_LINE_ROWS,
        }
        if tender["status"] != Status.draft:
            context["clarifications"] = await clarifications.of_tender(user, tender_id)
            context["margin_days"] = clarifications.margin_days(tender["method"])
        if tender["method"] == Method.invited and user.role in common.STAFF:
            context["invitations"] = await invitations.invitations(user, tender_id)
            if user.role is Role.procurement and tender["status"] == Status.draft:
                context["candidates"] = await invitations.candidates(user, tender_id)
        return Template(
            "tenders/detail.html",
            context=context,
        )

    @get("/{tender_id:int}/open-button", guards=[OFFICER])
    async def open_button(self, request: Request, tender_id: FromPath[int]) -> Template:
        """The opening button, polled by the detail page until the deadline passes."""
        tender = await reading.get_tender(request.user, tender_id)
        return Template("tenders/_open_button.html", context={"tender": tender})

    @post("/{tender_id:int}/questions", guards=[VENDOR])
    @refused_shows("/tenders/{tender_id}", "question")
    async def ask(self, request: Request, tender_id: FromPath[int]) -> Template | Redirect:
        form = await Form.read(request)
        await clarifications.ask(request.user, tender_id, form.text("question"))
        flash(request, _("Question sent. Its answer is published to every bidder."), "ok")
        return Redirect(f"/tenders/{tender_id}#clarifications")

    @post("/{tender_id:int}/clarifications", guards=[OFFICER])
    @refused_shows("/tenders/{tender_id}", "clarify")
    async def clarify(self, request: Request, tender_id: FromPath[int]) -> Template | Redirect:
        form = await Form.read(request)
        question_id = form.integer("question_id")
        form.errors.raise_if_any()
        await clarifications.publish(request.user, tender_id, form.text("answer"), question_id)
        flash(request, _("Clarification published to every bidder."), "ok")
        return Redirect(f"/tenders/{tender_id}#clarifications")

    @post("/{tender_id:int}/invitations", guards=[OFFICER])
    @refused_shows("/tenders/{tender_id}", "invite")
    async def invite(self, request: Request, tender_id: FromPath[int]) -> Template | Redirect:
        form = await Form.read(request)
        vendor_id = form.integer("vendor_id")
        if vendor_id is None:
            form.errors.add("vendor_id", "required", _("Vendor: choose the vendor to invite."))
        form.errors.raise_if_any()
        await invitations.invite(request.user, tender_id, vendor_id, form.text("reason"))
        flash(request, _("Vendor invited."), category="ok")
        return Redirect(f"/tenders/{tender_id}#invitations")

    @post("/{tender_id:int}/documents", guards=[OFFICER], request_max_body_size=BID_BODY_LIMIT)
    @refused_shows("/tenders/{tender_id}", "document")
    async def add_document(self, request: Request, tender_id: FromPath[int]) -> Template | Redirect:
        form = await Form.read(request)
        upload = await form.upload("file")
        if upload is None:
            raise InvalidInput.single("file", "required", _("File: choose the document to attach."))
        await publication.add_document(request.user, tender_id, upload)
        flash(request, _("%(file)s attached.", file=upload.filename), category="ok")
        return Redirect(f"/tenders/{tender_id}")

    @get("/{tender_id:int}/documents/{file_id:str}", guards=[READ])
    async def document(
        self, request: Request, tender_id: FromPath[int], file_id: FromPath[str]
    ) -> Response:
        return inline_file(await publication.document(request.user, tender_id, file_id))

    @post("/{tender_id:int}/publish", guards=[OFFICER])
    @refused_shows("/tenders/{tender_id}", "publish")
    async def publish(self, request: Request, tender_id: FromPath[int]) -> Template | Redirect:
        await ensure_confirmed(request)
        await publication.publish(request.user, tender_id)
        flash(request, _("Published: vendors of the category can bid until the deadline."), "ok")
        return Redirect(f"/tenders/{tender_id}")

    @post("/{tender_id:int}/deadline", guards=[OFFICER])
    @refused_shows("/tenders/{tender_id}", "deadline")
    async def deadline(self, request: Request, tender_id: FromPath[int]) -> Template | Redirect:
        form = await Form.read(request)
        deadline = _instant(form, "bid_deadline")
        form.errors.raise_if_any()
        await publication.change_deadline(request.user, tender_id, deadline, form.text("reason"))
        flash(request, _("Bid deadline changed."), category="ok")
        return Redirect(f"/tenders/{tender_id}")

    @post("/{tender_id:int}/close-tender", guards=[OFFICER])
    @refused_shows("/tenders/{tender_id}", "end")
    async def end(self, request: Request, tender_id: FromPath[int]) -> Template | Redirect:
        """Cancel the tender, or declare it failed (废标), with a written reason."""
        form = await Form.read(request)
        await ensure_confirmed(request)
        action = publication.fail if form.text("action") == "fail" else publication.cancel
        await action(request.user, tender_id, form.text("reason"))
        message = (
            _("The tender failed; its record is kept.")
            if action is publication.fail
            else _("The tender is cancelled; its record is kept.")
        )
        flash(request, message, category="ok")
        return Redirect(f"/tenders/{tender_id}")

    @post("/{tender_id:int}/open", guards=[OFFICER])
    @refused_shows("/tenders/{tender_id}", "open")
    async def open(self, request: Request, tender_id: FromPath[int]) -> Template | Redirect:
        await ensure_confirmed(request)
        summary = await opening.open_tender(request.user, tender_id)
        if summary["status"] == "failed":
            flash(
                request,
                _("Opened; the tender failed: %(reason)s", reason=summary["closed_reason"]),
                "error",
            )
        else:
            mismatches = len(summary["digest_mismatches"])
            parts = [
                _(
                    "Opened: %(bids)s bid(s), %(valid)s valid",
                    bids=summary["bids"],
                    valid=summary["valid"],
                )
            ]
            if mismatches:
                parts.append(_("%(count)s not matching their digest", count=mismatches))
            if summary["abnormally_low"]:
                low = len(summary["abnormally_low"])
                parts.append(_("%(count)s abnormally low", count=low))
            flash(request, _("%(parts)s.", parts=joined(parts)), category="ok")
        return Redirect(f"/tenders/{tender_id}/bids")

    # --- bids received, compliance review ----------------------------------------------------

    @get("/{tender_id:int}/bids", guards=[STAFF])
    async def bids(self, request: Request, tender_id: FromPath[int]) -> Template:
        state = form_state(request)
        user = request.user
        tender = await reading.get_tender(user, tender_id)
        return Template(
            "tenders/bids.html",
            context={
                "tender": tender,
                "bids": await bidding.bids(user, tender_id),
                "is_officer": user.role is Role.procurement,
                "is_staff": True,
                **state,
            },
        )

    @post("/{tender_id:int}/bids/{bid_id:int}/compliance", guards=[OFFICER])
    @refused_shows("/tenders/{tender_id}/bids", "bid-{bid_id}")
    async def compliance(
        self, request: Request, tender_id: FromPath[int], bid_id: FromPath[int]
    ) -> Template | Redirect:
        form = await Form.read(request)
        compliant = form.text("compliant") == "yes"
        await opening.review_bid(request.user, bid_id, compliant, form.text("reason"))
        flash(request, _("Compliance decision recorded."), category="ok")
        return Redirect(f"/tenders/{tender_id}/bids#bid-{bid_id}")

    @post("/{tender_id:int}/bids/{bid_id:int}/low-price", guards=[OFFICER])
    @refused_shows("/tenders/{tender_id}/bids", "bid-{bid_id}")
    async def low_price(
        self, request: Request, tender_id: FromPath[int], bid_id: FromPath[int]
    ) -> Template | Redirect:
        form = await Form.read(request)
        await opening.decide_low_price(
            request.user, bid_id, form.text("decision"), form.text("reason")
        )
        flash(request, _("The panel's decision on the low price is recorded."), category="ok")
        return Redirect(f"/tenders/{tender_id}/bids#bid-{bid_id}")

    @get("/bids/{ref:str}/receipt/files/{position:int}", guards=[VENDOR])
    async def own_bid_file(
        self, request: Request, ref: FromPath[str], position: FromPath[int]
    ) -> Response[bytes]:
        name, data = await bidding.own_bid_file(request.user, ref, position)
        return download(data, name, "application/octet-stream")

    @get("/bids/{bid_id:int}/files/{position:int}", guards=[READ])
    async def bid_file(
        self, request: Request, bid_id: FromPath[int], position: FromPath[int]
    ) -> Response[bytes]:
        name, data = await bidding.bid_file(request.user, bid_id, position)
        return download(data, name, "application/octet-stream")

    # --- results and award -------------------------------------------------------------------

    @get("/{tender_id:int}/results", guards=[READ])
    async def results(self, request: Request, tender_id: FromPath[int]) -> Template:
        state = form_state(request)
        user = request.user
        data = await evaluation.results(user, tender_id)
        if user.is_vendor:
            return Template("tenders/own_result.html", context=data)
        return Template(
            "tenders/results.html",
            context={
                **data,
                "scored": [c for c in data["criteria"] if not c.is_price],
                "excluded": [b for b in data["bids"] if not b["eligible"]],
                "award_preview": awarding.preview(data),
                "reaward": reawarding.plan(data, data["tender"]),
                "pass_grounds": ranking_rules.PASS_GROUND_LABELS,
                "is_officer": user.role is Role.procurement,
                "is_staff": user.role in common.STAFF,
                **state,
            },
        )

    @get("/{tender_id:int}/report.pdf", guards=[READ])
    async def report(self, request: Request, tender_id: FromPath[int]) -> Response[bytes]:
        with using_locale(DEFAULT_LOCALE):  # a document reads in Chinese, its reasons too
            report = await evaluation.report(request.user, tender_id)
        body, name = documents.report_file(report)
        return download(body, name, "application/pdf", inline=True)

    @get("/{tender_id:int}/matrix/{fmt:str}", guards=[READ])
    async def matrix(
        self, request: Request, tender_id: FromPath[int], fmt: FromPath[str]
    ) -> Response[bytes]:
        report = await evaluation.report(request.user, tender_id)
        return download(*documents.matrix_file(report, fmt))

    # --- vendors: bid, withdraw, receipts ----------------------------------------------------

    @post("/{tender_id:int}/bid", guards=[VENDOR], request_max_body_size=BID_BODY_LIMIT)
    @refused_shows("/tenders/{tender_id}", "bid")
    async def submit_bid(self, request: Request, tender_id: FromPath[int]) -> Template:
        form = await Form.read(request)
        price = form.decimal("price", "price")
        lines, line_rows = _price_lines(form)
        request.state.rows = {"price_lines": line_rows}
        form.errors.raise_if_any()
        receipt = await bidding.submit_bid(
            request.user, tender_id, price, lines, await form.uploads("files")
        )
        # The content the digest covers is returned once, now: it is shown here to keep.
        return Template(
            "tenders/receipt.html",
            status_code=201,
            context={
                "receipt": {**bidding.vendor_receipt(receipt), "state": "active"},
                "content": receipt["content"],
                "canonical": _content_rows(receipt["content"]),
                "just_submitted": True,
            },
        )

    @post("/{tender_id:int}/withdraw", guards=[VENDOR])
    @refused_shows("/tenders/{tender_id}", "withdraw")
    async def withdraw(self, request: Request, tender_id: FromPath[int]) -> Template | Redirect:
        await bidding.withdraw_bid(request.user, tender_id)
        flash(request, _("Your bid is withdrawn. You may bid again before the deadline."), "ok")
        return Redirect(f"/tenders/{tender_id}")

    @get("/bids/{ref:str}/receipt", guards=[VENDOR])
    async def receipt(self, request: Request, ref: FromPath[str]) -> Template:
        receipt = await bidding.receipt(request.user, ref)
        return Template(
            "tenders/receipt.html",
            context={
                "receipt": {**receipt, "tender_id": receipt["tender"]},
                "content": None,
                "just_submitted": False,
            },
        )

    # --- evaluators: declaration and scoring -------------------------------------------------

    @get("/{tender_id:int}/declaration", guards=[EVALUATOR])
    async def declaration(self, request: Request, tender_id: FromPath[int]) -> Template:
        state = form_state(request)
        user = request.user
        tender = await reading.get_tender(user, tender_id)
        member = tender.get("member") or {}
        # A member who declared a conflict left the panel and sees no bidder any more.
        listed = tender["opened_at"] and not member.get("conflict")
        bidders = await scoring.bidders(user, tender_id) if listed else []
        return Template(
            "tenders/declaration.html",
            context={
                "tender": tender,
                "member": tender.get("member"),
                "bidders": bidders,
                **state,
            },
        )

    @post("/{tender_id:int}/declaration", guards=[EVALUATOR])
    @refused_shows("/tenders/{tender_id}/declaration")
    async def declare(self, request: Request, tender_id: FromPath[int]) -> Template | Redirect:
        form = await Form.read(request)
        conflicts = [int(v) for v in form.texts("conflicts") if v.isdecimal()]
        may_score = await scoring.declare(request.user, tender_id, conflicts, form.text("note"))
        if not may_score:
            flash(
                request,
                _("Conflict of interest recorded: you are no longer on this tender's panel."),
                category="info",
            )
            return Redirect("/tenders")
        flash(request, _("Declaration recorded: you may now score the bids."), category="ok")
        return Redirect(f"/tenders/{tender_id}/scoring")

    @get("/{tender_id:int}/scoring", guards=[EVALUATOR])
    async def scoring(self, request: Request, tender_id: FromPath[int]) -> Template:
        state = form_state(request)
        sheet = await scoring.scoring_sheet(request.user, tender_id)
        everyone: dict[tuple[int, str], list[dict]] = {}
        for s in sheet["everyone"]:
            everyone.setdefault((s["bid"], s["criterion"]), []).append(s)
        return Template(
            "tenders/scoring.html",
            context={
                **sheet,
                "everyone_by": everyone,
                **state,
                "final": sheet["member"]["submitted_at"] is not None
                or sheet["tender"]["status"] != "opened",
            },
        )

    @post("/{tender_id:int}/scoring", guards=[EVALUATOR])
    @refused_shows("/tenders/{tender_id}/scoring")
    async def save_scores(self, request: Request, tender_id: FromPath[int]) -> Template | Redirect:
        form = await Form.read(request)
        submit = form.text("submit") == "final"
        sheet = await scoring.scoring_sheet(request.user, tender_id)
        entries, names = [], []
        for bid in sheet["bids"]:
            for c in sheet["criteria"]:
                name = f"score-{bid['id']}-{c.key}"
                comment = form.text(f"comment-{bid['id']}-{c.key}")
                score = form.decimal(name, name)
                if score is None and not comment:
                    continue
                entries.append(scoring.ScoreInput(bid["id"], c.key, score, comment))
                names.append(name)
        request.state.rows = {"scores": names}  # scores[i] is shown on the i-th entry's input
        form.errors.raise_if_any()
        await scoring.save_scores(request.user, tender_id, entries, submit, form.text("dissent"))
        if submit:
            flash(request, _("Scores submitted. They are final."), category="ok")
        else:
            flash(
                request,
                ngettext(
                    "Draft saved (%(num)s score).", "Draft saved (%(num)s scores).", len(entries)
                ),
                category="ok",
            )
        return Redirect(f"/tenders/{tender_id}/scoring")
