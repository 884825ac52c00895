"""Contract pages: list, create, detail with versions, edit a draft's terms, sign, amend,
compare, documents. Read-only for supervisors, finance and the contract's vendor."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, FromQuery
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template

from vendorgov.accounts.auth import allow
from vendorgov.accounts.roles import Role
from vendorgov.contracts import documents, drafting, lifecycle, rules, service
from vendorgov.contracts.ocds import contract_release
from vendorgov.contracts.service import KEEPERS, READERS
from vendorgov.errors import Collector, DomainError
from vendorgov.humane import status_label
from vendorgov.i18n import N_, _
from vendorgov.paging import PageRequest
from vendorgov.vendors import service as vendors
from vendorgov.web import list_exports
from vendorgov.web.forms import Form, error_map, not_a_number, retried_action, retried_id

# Vendors read their own contracts and auditors their assigned ones (the service checks which).
READ = allow(*READERS, Role.vendor, Role.auditor)
WRITE = allow(*KEEPERS)
EXPORT_COLUMNS = {
    "number": N_("Contract number"),
    "title": N_("Title"),
    "vendor_name": N_("Vendor"),
    "category": N_("Service category"),
    "start_date": N_("Start date"),
    "end_date": N_("End date"),
    "effective_status": N_("Status"),
    "vendor_status": N_("Vendor status"),
}
BLANK_CLAUSE_ROWS = 2
BLANK_PENALTY_ROWS = 1
MAX_CLAUSE_ROWS = 200
_JSON = msgspec.json.Encoder(decimal_format="number")
CLAUSE_FIELDS = (
    "code",
    "name",
    "kind",
    "category",
    "priority",
    "threshold_minutes",
    "target",
    "minimum",
    "weight",
)


def _number(form: Form, name: str, field: str, errors: Collector) -> str:
    """The typed text if it is a number (the rules check ranges), else a field error."""
    raw = form.text(name).replace(",", "")
    try:
        Decimal(raw)
    except InvalidOperation:
        errors.add(field, "number", not_a_number(raw))
    return raw


def clauses_from_form(form: Form, errors: Collector) -> list[dict]:
    """The SLA clause rows (`clauses-<row>-<field>`, `clause_rows` of them) as plain clauses;
    empty and removed rows are skipped, unreadable numbers reported as `clauses[<n>].<field>`.
    Also the tender form's SLA template."""
    clauses = []
    rows = form.text("clause_rows")
    for i in range(min(int(rows), MAX_CLAUSE_ROWS) if rows.isdecimal() else 0):
        row = {f: form.text(f"clauses-{i}-{f}") for f in CLAUSE_FIELDS}
        if form.flag(f"clauses-{i}-remove") or not any(
            row[f] for f in ("code", "name", "target", "minimum")
        ):
            continue
        index = len(clauses)
        for name in ("target", "minimum", "weight"):
            row[name] = _number(form, f"clauses-{i}-{name}", f"clauses[{index}].{name}", errors)
        if row["threshold_minutes"] and not row["threshold_minutes"].isdecimal():
            errors.add(
                f"clauses[{index}].threshold_minutes",
                "integer",
                _("Threshold (minutes): whole minutes, e.g. 30."),
            )
        clauses.append(row)
    return clauses


def _terms_from_form(form: Form) -> rules.Terms:
    """The edit form → terms; every unreadable value is reported against its own field."""
    errors = Collector()
    clauses = clauses_from_form(form, errors)
    penalties = []
    for i in range(int(form.text("penalty_rows") or 0)):
        if form.flag(f"penalties-{i}-remove") or not form.text(f"penalties-{i}-amount"):
            continue
        penalties.append(
            {
                "trigger": form.text(f"penalties-{i}-trigger"),
                "amount": _number(
                    form, f"penalties-{i}-amount", f"penalties[{len(penalties)}].amount", errors
                ),
                "description": form.text(f"penalties-{i}-description"),
            }
        )
    bands = [
        {
            "grade": form.text(f"bands-{i}-grade"),
            "min_score": _number(form, f"bands-{i}-min_score", "bands", errors),
            "pay_percent": _number(form, f"bands-{i}-pay_percent", "bands", errors),
        }
        for i in range(int(form.text("band_rows") or 0))
        if form.text(f"bands-{i}-grade")
    ]
    plain = {
        "effective_from": form.text("effective_from"),
        "monthly_fee": _number(form, "monthly_fee", "monthly_fee", errors),
        "clauses": clauses,
        "penalties": penalties,
        "bands": bands,
        "scheme": {
            k: _number(form, f"scheme-{k}", "scheme", errors)
            for k in ("sla", "inspection", "satisfaction", "audit")
        },
        "deadlines": {
            k: form.text(f"deadlines-{k}") or "0" for k in ("critical", "major", "minor")
        },
        "deduction_cap_percent": form.text("deduction_cap_percent") or None,
        "terms_text": str(form.data.get("terms_text", "")),
        "final_month_fee": form.text("final_month_fee") or None,
    }
    for optional in ("deduction_cap_percent", "final_month_fee"):
        if plain[optional]:
            _number(form, optional, optional, errors)
    if any(not v.isdecimal() for v in plain["deadlines"].values()):
        errors.add("deadlines", "integer", _("Deadlines: whole hours, e.g. 24."))
    if not form.date("effective_from"):
        errors.add(
            "effective_from",
            "date",
            _("Effective from: give the date this version takes effect (YYYY-MM-DD)."),
        )
    errors.errors += form.errors.errors
    errors.raise_if_any()
    return rules.parse_terms(plain)


def _version_context(contract: dict, version: dict, principal, **extra: Any) -> dict:
    terms: rules.Terms = version["terms_obj"]
    return {
        "contract": contract,
        "version": version,
        "terms": terms,
        "editable": not version["signed"] and principal.role in KEEPERS,
        "clause_rows": len(terms.clauses) + BLANK_CLAUSE_ROWS,
        "penalty_rows": len(terms.penalties) + BLANK_PENALTY_ROWS,
        "errors": {},
        "conflict": "",
        **service.choices(),
        **extra,
    }


EXPORT = list_exports.register(
    list_exports.ListExport("contracts", service.contract_page, EXPORT_COLUMNS, "contracts.csv")
)


# The contract page's forms, by the last part of the address they post to: a refused one is
# shown again (FormRetry) open, with its messages and what was typed.
_DETAIL_FORMS = {"amend": "amend", "status": "status"}


class ContractPages(Controller):
    path = "/contracts"
    include_in_schema = False

    @get("/", guards=[READ])
    async def index(
        self,
        request: Request,
        status: FromQuery[str] = "",
        category: FromQuery[str] = "",
        expiring: FromQuery[bool] = False,
        flagged: FromQuery[bool] = False,
        vendor_id: FromQuery[int | None] = None,
        q: FromQuery[str] = "",
        paging: PageRequest = PageRequest(),
    ) -> Template:
        page = await service.contract_page(
            request.user,
            request=paging,
            q=q,
            status=status,
            vendor_id=vendor_id,
            category=category,
            expiring_only=expiring,
            flagged_only=flagged,
        )
        return Template(
            "contracts/list.html",
            context={
                "contracts": page,
                "q": q,
                "vendor_id": vendor_id,
                "status": status,
                "category": category,
                "expiring": expiring,
                "flagged": flagged,
                "can_edit": request.user.role in KEEPERS,
                **service.choices(),
            },
        )

    @get("/export.csv", guards=[READ])
    async def export(
        self,
        request: Request,
        status: FromQuery[str] = "",
        category: FromQuery[str] = "",
        expiring: FromQuery[bool] = False,
        flagged: FromQuery[bool] = False,
        vendor_id: FromQuery[int | None] = None,
        q: FromQuery[str] = "",
    ) -> Response[bytes]:
        """The filtered contract list (every page) as CSV (a job's download when large)."""
        filters = {
            "q": q,
            "status": status,
            "vendor_id": vendor_id,
            "category": category,
            "expiring_only": expiring,
            "flagged_only": flagged,
        }
        return await list_exports.respond(request, EXPORT, filters)

    @get("/new", guards=[WRITE])
    async def new(self, request: Request, vendor_q: FromQuery[str] = "") -> Template:
        return Template(
            "contracts/form.html",
            context={
                "values": {"notice_days": 90},
                "errors": {},
                "vendors": await vendors.vendor_choices(vendor_q, retried_id(request, "vendor_id")),
                "vendor_q": vendor_q,
                **service.choices(),
            },
        )

    @post("/", guards=[WRITE])
    async def create(self, request: Request) -> Redirect:
        """A rejection re-renders /contracts/new with the input (web.errors.FormRetry)."""
        form = await Form.read(request)
        data = drafting.ContractInput(
            number=form.text("number"),
            title=form.text("title"),
            vendor_id=form.integer("vendor_id"),
            category=form.text("category"),
            start_date=form.date("start_date"),
            end_date=form.date("end_date"),
            monthly_fee=form.decimal("monthly_fee"),
            scope=form.text("scope"),
            notice_days=form.integer("notice_days") or 90,
        )
        form.errors.raise_if_any()
        contract_id, _version = await drafting.create_contract(request.user, data)
        flash(
            request,
            _("Contract created with a draft first version: add its terms, then sign."),
            category="ok",
        )
        return Redirect(f"/contracts/{contract_id}/versions/1")

    @get("/{contract_id:int}", guards=[READ])
    async def detail(self, request: Request, contract_id: FromPath[int]) -> Template:
        return await self._detail(request, contract_id)

    async def _detail(self, request: Request, contract_id: int) -> Template:
        """The contract page; after a refused amend or status form (web.errors.FormRetry) with
        that form open, what was typed kept and each message beside its field."""
        contract = await service.get_contract(request.user, contract_id)
        return Template(
            "contracts/detail.html",
            context={
                "contract": contract,
                "history": await service.contract_history(contract),
                "can_edit": request.user.role in KEEPERS,
                "errors": {},
                "values": {},
                "form_name": _DETAIL_FORMS.get(retried_action(request).rpartition("/")[2], ""),
            },
        )

    @post("/{contract_id:int}/amend", guards=[WRITE])
    async def amend(self, request: Request, contract_id: FromPath[int]) -> Template | Redirect:
        form = await Form.read(request)
        try:
            effective_from = form.date("effective_from")
            form.errors.raise_if_any()
            version_id = await drafting.amend(
                request.user, contract_id, form.text("reason"), effective_from
            )
        except DomainError as error:
            error.retry_page = f"/contracts/{contract_id}"  # FormRetry's page without a Referer
            raise
        version = await service.get_version(request.user, version_id)
        flash(
            request,
            _(
                "Draft version %(number)s created: change its terms, then sign.",
                number=version["number"],
            ),
            category="ok",
        )
        return Redirect(f"/contracts/{contract_id}/versions/{version['number']}")

    @post("/{contract_id:int}/status", guards=[WRITE])
    async def change_status(
        self, request: Request, contract_id: FromPath[int]
    ) -> Template | Redirect:
        form = await Form.read(request)
        try:
            new = await lifecycle.change_status(
                request.user, contract_id, form.text("action"), form.text("reason")
            )
        except DomainError as error:
            error.retry_page = f"/contracts/{contract_id}"  # FormRetry's page without a Referer
            raise
        flash(request, _("Contract status: %(status)s.", status=status_label(new)), category="ok")
        return Redirect(f"/contracts/{contract_id}")

    @get("/{contract_id:int}/versions/{number:int}", guards=[READ])
    async def version(
        self, request: Request, contract_id: FromPath[int], number: FromPath[int]
    ) -> Template:
        contract = await service.get_contract(request.user, contract_id)
        version = service.version_by_number(contract, number)
        return Template(
            "contracts/version.html", context=_version_context(contract, version, request.user)
        )

    @post("/{contract_id:int}/versions/{number:int}", guards=[WRITE])
    async def save(
        self, request: Request, contract_id: FromPath[int], number: FromPath[int]
    ) -> Template | Redirect:
        contract = await service.get_contract(request.user, contract_id)
        version = service.version_by_number(contract, number)
        form = await Form.read(request)
        try:
            drafting.ensure_draft(version)
            terms = _terms_from_form(form)
            await drafting.update_draft(
                request.user, version["id"], terms, form.integer("revision")
            )
        except DomainError as error:
            status = error.status_code
            shown = dict(version)
            if status == 422:  # keep what was typed where it could be read
                shown["typed"] = form.values()
            context = _version_context(
                contract,
                shown,
                request.user,
                errors=error_map(error),
                conflict=error.message if status == 409 else "",
            )
            return Template("contracts/version.html", status_code=status, context=context)
        flash(request, _("Draft saved."), category="ok")
        return Redirect(f"/contracts/{contract_id}/versions/{number}")

    @post("/{contract_id:int}/versions/{number:int}/sign", guards=[WRITE])
    async def sign(
        self, request: Request, contract_id: FromPath[int], number: FromPath[int]
    ) -> Template | Redirect:
        contract = await service.get_contract(request.user, contract_id)
        version = service.version_by_number(contract, number)
        try:
            await drafting.sign(request.user, version["id"])
        except DomainError as error:
            if error.status_code == 404:
                raise
            return Template(
                "contracts/version.html",
                status_code=error.status_code,
                context=_version_context(
                    contract, version, request.user, errors=error_map(error), conflict=error.message
                ),
            )
        flash(
            request,
            _("Version %(number)s signed: it is immutable from now on.", number=number),
            category="ok",
        )
        return Redirect(f"/contracts/{contract_id}")

    @post("/{contract_id:int}/versions/{number:int}/discard", guards=[WRITE])
    async def discard(
        self, request: Request, contract_id: FromPath[int], number: FromPath[int]
    ) -> Redirect:
        contract = await service.get_contract(request.user, contract_id)
        await drafting.discard_draft(
            request.user, service.version_by_number(contract, number)["id"]
        )
        flash(request, _("Draft version %(number)s discarded.", number=number), category="ok")
        return Redirect(f"/contracts/{contract_id}")

    @get("/{contract_id:int}/compare", guards=[READ])
    async def compare(
        self, request: Request, contract_id: FromPath[int], a: FromQuery[int], b: FromQuery[int]
    ) -> Template:
        result = await service.compare(request.user, contract_id, a, b)
        return Template("contracts/compare.html", context=result)

    @get("/{contract_id:int}/versions/{number:int}/document.pdf", guards=[READ])
    async def document(
        self, request: Request, contract_id: FromPath[int], number: FromPath[int]
    ) -> Response[bytes]:
        contract = await service.get_contract(request.user, contract_id)
        return await documents.pdf_response(contract, service.version_by_number(contract, number))

    @get("/{contract_id:int}/ocds.json", guards=[READ])
    async def ocds(self, request: Request, contract_id: FromPath[int]) -> Response[bytes]:
        contract = await service.get_contract(request.user, contract_id)
        vendor = await vendors.require_vendor(contract["vendor"])
        return Response(
            _JSON.encode(contract_release(contract, vendor)), media_type="application/json"
        )
