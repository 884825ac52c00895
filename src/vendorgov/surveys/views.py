"""Survey pages for supervisors and admins (the builder, the wards' links and QR sheet, the
answers) and the results page (vendors: their own contracts)."""

from __future__ import annotations

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, FromQuery
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template

from vendorgov.accounts.auth import allow
from vendorgov.contracts import service as contracts
from vendorgov.errors import DomainError
from vendorgov.files.responses import download
from vendorgov.i18n import _
from vendorgov.paging import PageRequest
from vendorgov.surveys import documents, results, rules, service
from vendorgov.vendors.rules import CATEGORY_LABELS
from vendorgov.web.forms import Form, error_map

KEEPERS = allow(*service.KEEPERS)
READERS = allow(*results.READERS)


async def _read_definition(form: Form) -> rules.Definition:
    """The builder form as a Definition; the wards box is resolved by the service (4xx on an
    unknown place)."""
    return rules.Definition(
        title=form.text("title"),
        audience=form.text("audience"),
        questions=form.text("questions").splitlines(),
        contract_ids=[int(v) for v in form.texts("contract_ids") if v.isdigit()],
        categories=form.texts("categories"),
        quotas=await service.quotas_from_lines(form.text("quotas")),
    )


# Contracts a search offers in the builder; the chosen ones are always shown besides. (A
# picker of every contract made the survey page 140 KiB at 2,000 contracts.)
CONTRACT_CHOICES = 20


async def _contract_choices(request: Request, chosen_ids: list[str], search: str = "") -> dict:
    """The builder's contract boxes: the chosen contracts (ticked), then up to
    CONTRACT_CHOICES others whose number or vendor name contains `search`."""
    wanted = {int(v) for v in chosen_ids if str(v).isdigit()}
    labels = await contracts.contract_labels(request.user)
    chosen = [c for c in labels if c["id"] in wanted]
    found = [c for c in contracts.labels_matching(labels, search) if c["id"] not in wanted]
    return {
        "chosen_contracts": chosen,
        "found_contracts": found[:CONTRACT_CHOICES],
        "more_contracts": len(found) > CONTRACT_CHOICES,
    }


async def _choices(request: Request, values: dict) -> dict:
    return {
        "audiences": rules.AUDIENCE_LABELS,
        "categories": CATEGORY_LABELS,
        **await _contract_choices(request, values.get("contract_ids", [])),
    }


class SurveyPages(Controller):
    path = "/surveys"
    include_in_schema = False

    @get("/", guards=[KEEPERS])
    async def index(self, request: Request, paging: PageRequest) -> Template:
        values = {"audience": "patient"}
        return Template(
            "surveys/index.html",
            context={
                "page": await service.survey_page(request.user, paging),
                "values": values,
                "errors": {},
                **await _choices(request, values),
            },
        )

    @get("/contract-choices", guards=[KEEPERS])
    async def contract_choices(
        self,
        request: Request,
        contract_q: FromQuery[str] = "",
        contract_ids: FromQuery[list[str] | None] = None,
    ) -> Template:
        """The builder's contract boxes for what was typed (HTMX), the ticked ones kept."""
        return Template(
            "surveys/_contract_choices.html",
            context=await _contract_choices(request, contract_ids or [], contract_q),
        )

    @post("/", guards=[KEEPERS])
    async def create(self, request: Request) -> Template | Redirect:
        form = await Form.read(request)
        try:
            survey_id = await service.create(request.user, await _read_definition(form))
        except DomainError as error:
            values = {
                **form.values(),
                "contract_ids": form.texts("contract_ids"),
                "categories": form.texts("categories"),
            }
            return Template(
                "surveys/index.html",
                status_code=error.status_code,
                context={
                    "page": await service.survey_page(request.user),
                    "values": values,
                    "errors": error_map(error),
                    **await _choices(request, values),
                },
            )
        flash(request, _("Survey created. Open it when its questions and wards are right."), "ok")
        return Redirect(f"/surveys/{survey_id}")

    async def _detail(
        self,
        request: Request,
        survey_id: int,
        values: dict | None = None,
        errors: dict | None = None,
        status: int = 200,
        cursor: int | None = None,
    ) -> Template:
        survey = await service.detail(request.user, survey_id, str(request.base_url))
        if values is None:
            current = survey["current"]
            values = {
                "title": survey["title"],
                "audience": current["audience"],
                "questions": "\n".join(current["questions"]),
                "contract_ids": [str(c) for c in current["contracts"]],
                "categories": current["categories"],
                "quotas": "\n".join(f"{w['name']} {w['monthly_quota']}" for w in survey["wards"]),
            }
        answers = await service.answer_page(
            request.user, survey_id, PageRequest(page_size=20, cursor=cursor)
        )
        return Template(
            "surveys/detail.html",
            status_code=status,
            context={
                "survey": survey,
                "values": values,
                "errors": errors or {},
                "answers": answers,
                **await _choices(request, values),
            },
        )

    @get("/{survey_id:int}", guards=[KEEPERS])
    async def detail(
        self, request: Request, survey_id: FromPath[int], cursor: FromQuery[int | None] = None
    ) -> Template:
        return await self._detail(request, survey_id, cursor=cursor)

    @post("/{survey_id:int}", guards=[KEEPERS])
    async def update(self, request: Request, survey_id: FromPath[int]) -> Template | Redirect:
        form = await Form.read(request)
        try:
            number = await service.update(request.user, survey_id, await _read_definition(form))
        except DomainError as error:
            values = {
                **form.values(),
                "contract_ids": form.texts("contract_ids"),
                "categories": form.texts("categories"),
            }
            return await self._detail(
                request, survey_id, values, error_map(error), error.status_code
            )
        flash(request, _("Saved: the survey is at version %(n)s.", n=number), "ok")
        return Redirect(f"/surveys/{survey_id}")

    @post("/{survey_id:int}/status", guards=[KEEPERS])
    async def status(self, request: Request, survey_id: FromPath[int]) -> Redirect:
        form = await Form.read(request)
        status = await service.set_status(request.user, survey_id, form.text("status"))
        flash(
            request,
            _("The survey is open.") if status == "open" else _("The survey is closed."),
            "ok",
        )
        return Redirect(f"/surveys/{survey_id}")

    @get("/{survey_id:int}/qr.pdf", guards=[KEEPERS])
    async def qr_sheet(self, request: Request, survey_id: FromPath[int]) -> Response:
        survey = await service.detail(request.user, survey_id, str(request.base_url))
        pdf = documents.qr_sheet(survey)
        return download(pdf, f"survey-{survey_id}-qr.pdf", "application/pdf", inline=True)

    @get("/results", guards=[READERS])
    async def results(
        self,
        request: Request,
        paging: PageRequest,
        month: FromQuery[str] = "",
        contract_id: FromQuery[int | None] = None,
        location_id: FromQuery[int | None] = None,
        q: FromQuery[str] = "",
    ) -> Template:
        chosen = results.month_or_current(month)
        page = await results.result_page(
            request.user, chosen, contract_id, location_id, request=paging, search=q
        )
        return Template(
            "surveys/results.html",
            context={
                "page": page,
                "month": str(chosen),
                "contract_id": contract_id,
                "location_id": location_id,
                "q": q,
            },
        )

    @get("/results/export", guards=[READERS])
    async def export(
        self,
        request: Request,
        fmt: FromQuery[str] = "csv",
        month: FromQuery[str] = "",
        contract_id: FromQuery[int | None] = None,
        q: FromQuery[str] = "",
    ) -> Response:
        body, name, media_type = await results.export_file(
            request.user, results.month_or_current(month), contract_id, fmt, q
        )
        return download(body, name, media_type)
