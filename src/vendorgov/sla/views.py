"""SLA pages: a contract's scorecard (vendors see their own), an event's details, and the
upload of a help-desk file, imported in the background with its progress shown."""

from __future__ import annotations

from datetime import datetime

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.di import Provide
from litestar.params import FromPath, FromQuery
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template

from vendorgov import exact
from vendorgov.accounts.auth import allow
from vendorgov.accounts.roles import Role
from vendorgov.charts import Series, line_chart
from vendorgov.contracts import service as contracts
from vendorgov.contracts.rules import CLAUSE_KINDS, ClauseKind
from vendorgov.errors import InvalidInput
from vendorgov.files.responses import CSV, download
from vendorgov.i18n import _
from vendorgov.paging import PageRequest
from vendorgov.settings import get_settings
from vendorgov.sla import event_import, events, service
from vendorgov.sla.measure import Month

READERS = allow(Role.admin, Role.procurement, Role.supervisor, Role.finance, Role.vendor)
# Auditors read the scorecard of an assigned contract, for their period (the service checks).
CARD_READERS = allow(
    Role.admin, Role.procurement, Role.supervisor, Role.finance, Role.vendor, Role.auditor
)
COMPUTERS = (Role.admin, Role.procurement, Role.supervisor, Role.finance)


def _month_or_previous(text: str) -> Month:
    if text:
        return Month.from_input(text)
    today = datetime.now(get_settings().zone).date()
    return Month(today.year, today.month).previous()


class ScorecardPages(Controller):
    include_in_schema = False

    @get("/contracts/{contract_id:int}/scorecard", guards=[CARD_READERS])
    async def scorecard(
        self, request: Request, contract_id: FromPath[int], month: FromQuery[str] = ""
    ) -> Template:
        last = _month_or_previous(month)
        if not month and (audited := await service.audited_months(request.user, contract_id)):
            # An auditor lands on the latest month of its period up to last month.
            earlier = [m for m in audited if m <= str(last)]
            last = Month.from_input(earlier[-1] if earlier else audited[0])
        card = await service.scorecard(request.user, contract_id, last)
        percent_clauses = [
            c for c in card["clauses"] if CLAUSE_KINDS[ClauseKind(c["kind"])]["unit"] == "%"
        ]
        chart = line_chart(
            card["months"],
            [Series(_("SLA component"), card["components"])]
            + [
                Series(
                    c["code"],
                    [
                        c["by_month"][m]["attained"] if m in c["by_month"] else None
                        for m in card["months"]
                    ],
                )
                for c in percent_clauses[:4]
            ],
            title=_("SLA component and clause attainment (%)"),
        )
        return Template(
            "sla/scorecard.html",
            context={
                **card,
                "chart": chart,
                "clause_kinds": CLAUSE_KINDS,
                "can_compute": request.user.role in COMPUTERS,
                "can_import": request.user.role in event_import.IMPORTERS,
            },
        )

    @get(
        "/contracts/{contract_id:int}/events",
        guards=[READERS],
        dependencies={"filters": Provide(events.event_filters)},
    )
    async def event_list(
        self, request: Request, contract_id: FromPath[int], filters: dict, paging: PageRequest
    ) -> Template:
        page = await events.event_page(request.user, contract_id, request=paging, **filters)
        return Template(
            "sla/events.html",
            context={
                "contract": await contracts.get_contract(request.user, contract_id),
                "events": page,
                "clauses": page.facets["clauses"],
                **filters,
            },
        )

    @post("/contracts/{contract_id:int}/scorecard", guards=[allow(*COMPUTERS)])
    async def compute(self, request: Request, contract_id: FromPath[int]) -> Redirect:
        form = await request.form()
        month = _month_or_previous(str(form.get("month", "")))
        outcome = await service.compute_month(request.user, contract_id, month)
        component = outcome.sla_component
        flash(
            request,
            _(
                "%(month)s: %(events)s events measured, SLA component %(component)s.",
                month=month,
                events=outcome.events,
                component=exact.rounded(component) if component is not None else "—",
            ),
            category="ok",
        )
        return Redirect(f"/contracts/{contract_id}/scorecard?month={month}")

    @get("/contracts/{contract_id:int}/events/import", guards=[allow(*event_import.IMPORTERS)])
    async def import_form(self, request: Request, contract_id: FromPath[int]) -> Template:
        contract = await contracts.require_readable(request.user, contract_id)
        return Template(
            "sla/import.html",
            context={
                "contract": contract,
                "limit_mb": get_settings().max_import_bytes // 2**20,
                "columns": event_import.COLUMNS,
            },
        )

    @post(
        "/contracts/{contract_id:int}/events/import",
        guards=[allow(*event_import.IMPORTERS)],
        request_max_body_size=get_settings().max_import_bytes + 2**20,
    )
    async def start_import(self, request: Request, contract_id: FromPath[int]) -> Redirect:
        form = await request.form()
        upload = form.get("file")
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise InvalidInput.single("file", "required", _("File: choose a CSV or XLSX file."))
        job_id = await event_import.start_import(
            request.user,
            contract_id,
            upload.filename,
            await upload.read(),
            skip_invalid=form.get("skip_invalid") == "on",
        )
        return Redirect(f"/imports/{job_id}")

    @get("/imports/{job_id:str}", guards=[allow(*event_import.IMPORTERS)])
    async def import_status(self, request: Request, job_id: FromPath[str]) -> Template:
        job = await event_import.import_job(request.user, job_id)
        partial = bool(request.headers.get("hx-request"))
        return Template(
            "sla/import_status.html" if partial else "sla/import_job.html", context={"job": job}
        )

    @get("/events/template.csv", guards=[allow(*event_import.IMPORTERS)])
    async def event_template(self) -> Response[bytes]:
        # The page's link: the /api/ twin takes bearer tokens only.
        return download(event_import.template_csv(), "events.csv", CSV)

    @get("/events/{event_id:int}", guards=[READERS])
    async def event(self, request: Request, event_id: FromPath[int]) -> Template:
        return Template(
            "sla/event.html", context={"event": await service.event_detail(request.user, event_id)}
        )
