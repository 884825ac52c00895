"""Pages for supervisors on the ward: the day's dashboard, the inspection form (large targets,
kept on the phone until it is sent), an inspection with its photos, and the Pareto chart of
findings."""

from __future__ import annotations

import secrets
from datetime import datetime

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.params import FromPath, FromQuery
from litestar.response import File, Redirect, Template

from vendorgov.accounts.auth import allow
from vendorgov.accounts.roles import Role
from vendorgov.audits import lists
from vendorgov.audits import service as audits
from vendorgov.charts import pareto_chart
from vendorgov.contracts import service as contracts
from vendorgov.errors import InvalidInput
from vendorgov.files.responses import inline_file
from vendorgov.files.service import Upload
from vendorgov.i18n import _
from vendorgov.inspections import plans, service
from vendorgov.inspections.api import parse_instant
from vendorgov.inspections.rules import InspectionKind
from vendorgov.locations import service as locations
from vendorgov.paging import DASHBOARD_ITEMS, MAX_PAGE_SIZE, PageRequest
from vendorgov.settings import get_settings
from vendorgov.sla.measure import Month
from vendorgov.web.forms import Form

INSPECTORS = allow(Role.admin, Role.supervisor)
READERS = allow(Role.admin, Role.procurement, Role.supervisor, Role.finance, Role.vendor)


def _local_now() -> datetime:
    return datetime.now(get_settings().zone)


class InspectionPages(Controller):
    include_in_schema = False

    @get("/supervision", guards=[INSPECTORS])
    async def dashboard(self, request: Request) -> Template:
        today = _local_now().replace(hour=0, minute=0, second=0, microsecond=0)
        user, top = request.user, PageRequest(page_size=DASHBOARD_ITEMS)
        return Template(
            "inspections/dashboard.html",
            context={
                # Bounded: counts and the first few of each, linked to the filtered lists.
                "inspections": await service.recent(request.user, today, DASHBOARD_ITEMS),
                "open_findings": await lists.finding_page(
                    user, status="open", request=PageRequest(page_size=1)
                ),
                "overdue": await lists.notice_page(user, due="overdue", request=top),
                "due_soon": await lists.notice_page(user, due="soon", request=top),
                "drafts": await lists.notice_page(
                    user, status="draft", request=PageRequest(page_size=1)
                ),
                "contracts": await contracts.contract_page(
                    user, status=contracts.RUNNING, request=PageRequest(page_size=20, sort="vendor")
                ),
                "plan_items": await plans.due_items(user, limit=DASHBOARD_ITEMS),
                "plan_counts": await plans.due_counts(user),
            },
        )

    @get("/inspections/new", guards=[INSPECTORS])
    async def form(
        self,
        request: Request,
        contract_id: FromQuery[int | None] = None,
        template_id: FromQuery[int | None] = None,
        location_id: FromQuery[int | None] = None,
        plan_item_id: FromQuery[int | None] = None,
        q: FromQuery[str] = "",
        page: FromQuery[int] = 1,
    ) -> Template:
        """Opened from the dashboard (a contract), a place's QR code (a place: the contract
        too when only one is running, else the supervisor chooses) or a plan item (both)."""
        kind = ""
        if plan_item_id is not None:
            item = await plans.plan_item(request.user, plan_item_id)
            contract_id, location_id, kind = item["contract"], item["location_id"], item["kind"]
        place = await locations.require_place(location_id) if location_id is not None else None
        if contract_id is None:  # the running contracts, a page at a time, searchable
            running = await contracts.contract_page(
                request.user,
                status=contracts.RUNNING,
                q=q,
                request=PageRequest(page=page, sort="vendor"),
            )
            if running.total != 1:
                return Template(
                    "inspections/choose_contract.html",
                    context={"contracts": running, "place": place, "q": q},
                )
            contract_id = running.items[0]["id"]
        contract = await contracts.get_contract(request.user, contract_id)
        checklists = await service.templates(contract["category"])
        chosen = next((t for t in checklists if t["id"] == template_id), None) or (
            checklists[0] if checklists else None
        )
        return Template(
            "inspections/form.html",
            context={
                "contract": contract,
                "checklists": checklists,
                "checklist": chosen,
                "kinds": [k.value for k in InspectionKind],
                "kind": kind,
                "place": place,
                "plan_item_id": plan_item_id,
                # One token per draft: sending it again (a flaky connection) stores it once.
                "client_token": secrets.token_urlsafe(16),
                "now": _local_now().strftime("%Y-%m-%dT%H:%M"),
            },
        )

    @post("/inspections", guards=[INSPECTORS], request_max_body_size=60 * 2**20)
    async def submit(self, request: Request) -> Response:
        form = await request.form()
        try:
            contract_id = int(form.get("contract_id", ""))
            template_id = int(form.get("template_id", ""))
        except ValueError:
            raise InvalidInput.single(
                "template_id", "required", _("Checklist: choose a checklist.")
            ) from None
        checklist = await service.template(template_id)
        keys = [i.key for i in checklist["items"]]
        ids = Form(form)
        location_id, plan_item_id = ids.integer("location_id"), ids.integer("plan_item_id")
        ids.errors.raise_if_any()
        photos: dict[str, list[Upload]] = {}
        for key in keys:
            given = form.getall(f"photo_{key}") if f"photo_{key}" in form else []
            uploads = [u for u in given if isinstance(u, UploadFile)]
            read = [Upload(u.filename or "photo", await u.read()) for u in uploads if u.filename]
            if read:
                photos[key] = read
        done = await service.submit(
            request.user,
            service.InspectionInput(
                contract_id=contract_id,
                template_id=template_id,
                kind=str(form.get("kind", "")),
                location=str(form.get("location", "")),
                inspected_at=parse_instant("inspected_at", str(form.get("inspected_at", ""))),
                results={
                    k: str(form.get(f"result_{k}", "")) for k in keys if form.get(f"result_{k}")
                },
                notes={k: str(form.get(f"note_{k}", "")) for k in keys},
                client_token=str(form.get("client_token", "")),
                photos=photos,
                location_id=location_id,
                plan_item_id=plan_item_id,
            ),
        )
        target = f"/inspections/{done.inspection_id}"
        if request.headers.get("x-requested-with") == "fetch":  # the form's offline-aware script
            return Response({"redirect": target})
        return Redirect(target)

    @get("/inspections/{inspection_id:int}", guards=[READERS])
    async def show(self, request: Request, inspection_id: FromPath[int]) -> Template:
        found = await service.get_inspection(request.user, inspection_id)
        contract = await contracts.get_contract(request.user, found["contract"])
        raised = await lists.finding_page(
            request.user,
            contract_id=found["contract"],
            inspection_id=inspection_id,
            request=PageRequest(page_size=MAX_PAGE_SIZE),  # one per checklist item at most
        )
        return Template(
            "inspections/show.html",
            context={"inspection": found, "contract": contract, "findings": raised.items},
        )

    @get("/inspections/{inspection_id:int}/photos/{file_id:str}", guards=[READERS])
    async def photo(
        self, request: Request, inspection_id: FromPath[int], file_id: FromPath[str]
    ) -> File:
        stored = await service.photo(request.user, inspection_id, file_id)
        return inline_file(stored)

    @get("/contracts/{contract_id:int}/findings/pareto", guards=[READERS])
    async def pareto(
        self,
        request: Request,
        contract_id: FromPath[int],
        month_from: FromQuery[str] = "",
        month_to: FromQuery[str] = "",
        by: FromQuery[str] = "category",
    ) -> Template:
        contract = await contracts.get_contract(request.user, contract_id)
        today = _local_now().date()
        last = (
            Month.from_input(month_to, "month_to") if month_to else Month(today.year, today.month)
        )
        first = (
            Month.from_input(month_from, "month_from") if month_from else last.previous().previous()
        )
        zone = get_settings().zone
        counts = await audits.finding_counts(
            request.user,
            contract_id,
            first.start_utc(zone).to_pydatetime(),
            last.end_utc(zone).to_pydatetime(),
            by="location" if by == "location" else "category",
        )
        label = "place" if by == "location" else "category"
        title = (
            _("Findings by place, %(first)s to %(last)s", first=first, last=last)
            if by == "location"
            else _("Findings by category, %(first)s to %(last)s", first=first, last=last)
        )
        return Template(
            "inspections/pareto.html",
            context={
                "contract": contract,
                "first": str(first),
                "last": str(last),
                "counts": counts,
                "by": label,
                "chart": pareto_chart(counts, title=title),
            },
        )
