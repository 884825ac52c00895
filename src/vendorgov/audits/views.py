"""Pages for findings and rectification notices: the supervisor's list and issue form, the
notice with its timeline and the actions each side may take, the notice PDF."""

from __future__ import annotations

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.di import Provide
from litestar.params import FromPath, FromQuery
from litestar.plugins.flash import flash
from litestar.response import File, Redirect, Template

from vendorgov.accounts.auth import allow
from vendorgov.accounts.roles import Role
from vendorgov.audits import assignments, documents, lists, notices, service
from vendorgov.errors import InvalidInput, NotFound
from vendorgov.files.responses import download, inline_file
from vendorgov.files.service import Upload
from vendorgov.humane import status_label
from vendorgov.i18n import N_, _
from vendorgov.inspections import service as inspections
from vendorgov.inspections.api import parse_instant
from vendorgov.locations import service as locations
from vendorgov.paging import PageRequest
from vendorgov.web import list_exports
from vendorgov.web.forms import Form

READERS = allow(Role.admin, Role.procurement, Role.supervisor, Role.finance, Role.vendor)
# Auditors read their own findings and the notices those are on (the services check which).
LIST_READERS = allow(
    Role.admin, Role.procurement, Role.supervisor, Role.finance, Role.vendor, Role.auditor
)
AUDIT_READERS = allow(Role.admin, Role.supervisor, Role.auditor)
SUPERVISORS = allow(Role.admin, Role.supervisor)
FINDING_COLUMNS = {
    "id": N_("Finding no."),
    "found_at": N_("Found at"),
    "contract_number": N_("Contract"),
    "vendor_name": N_("Vendor"),
    "source": N_("Source"),
    "severity": N_("Severity"),
    "category": N_("Finding"),
    "place": N_("Place"),
    "description": N_("Details"),
    "clause_code": N_("SLA clause"),
    "status": N_("Status"),
    "notice_id": N_("Notice no."),
}
NOTICE_COLUMNS = {
    "number": N_("Notice number"),
    "contract_number": N_("Contract"),
    "vendor_name": N_("Vendor"),
    "status": N_("Status"),
    "severity": N_("Severity"),
    "month": N_("Month"),
    "issued_at": N_("Issued at"),
    "deadline": N_("Deadline"),
    "closed_at": N_("Closed at"),
    "overdue": N_("Overdue"),
}
FINDINGS_EXPORT = list_exports.register(
    list_exports.ListExport(
        "findings", lists.finding_page, FINDING_COLUMNS, "findings.csv", None, lists.finding_filters
    )
)
NOTICES_EXPORT = list_exports.register(
    list_exports.ListExport(
        "notices", lists.notice_page, NOTICE_COLUMNS, "notices.csv", None, lists.notice_filters
    )
)


async def _notice(request: Request, notice_id: int) -> dict:
    """The notice as the reader may see it, each finding with the photos of the inspection
    item that raised it (`photos`: file ids, served by the inspection's photo route)."""
    notice = await notices.get_notice(request.user, notice_id)
    raised_by = [
        (f["inspection_id"], f["item_key"]) for f in notice["findings"] if f["inspection_id"]
    ]
    photos = await inspections.item_photos(raised_by)
    for finding in notice["findings"]:
        finding["photos"] = photos.get((finding["inspection_id"], finding["item_key"]), [])
    return notice


class NoticePages(Controller):
    include_in_schema = False

    @get("/audits", guards=[AUDIT_READERS])
    async def audits(
        self, request: Request, paging: PageRequest, q: FromQuery[str] = ""
    ) -> Template:
        return Template(
            "audits/assignments.html",
            context={
                "assignments": await lists.assignment_page(request.user, q=q, request=paging),
                "q": q,
                "is_auditor": request.user.role is Role.auditor,
                # Where an audit finding is: a place of the tree (the notice says where).
                "places": await locations.tree(request.user)
                if request.user.role is Role.auditor
                else [],
                **documents.labels(),
            },
        )

    @get("/audits/{assignment_id:int}/report", guards=[AUDIT_READERS])
    async def report_file(self, request: Request, assignment_id: FromPath[int]) -> File:
        return inline_file(await assignments.report(request.user, assignment_id))

    @post("/audits/{assignment_id:int}/report", guards=[allow(Role.auditor)])
    async def report(self, request: Request, assignment_id: FromPath[int]) -> Redirect:
        form = await request.form()
        upload = form.get("report")
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise InvalidInput.single(
                "report", "required", _("Report: choose the report file to upload.")
            )
        await assignments.upload_report(
            request.user, assignment_id, Upload(upload.filename, await upload.read())
        )
        flash(request, _("Report uploaded."), category="ok")
        return Redirect("/audits")

    @post("/audits/{assignment_id:int}/findings", guards=[allow(Role.auditor)])
    async def finding(self, request: Request, assignment_id: FromPath[int]) -> Redirect:
        form = await request.form()
        mine = await lists.assignment_page(request.user, assignment_id=assignment_id)
        if not mine.items:
            raise NotFound(N_("audit assignment"), assignment_id)
        assignment = mine.items[0]
        found_at = str(form.get("found_at", ""))
        place = Form(form)
        location_id = place.integer("location_id")
        place.errors.raise_if_any()
        await service.raise_finding(
            request.user,
            service.FindingInput(
                contract_id=assignment["contract"],
                source="audit",
                severity=str(form.get("severity", "")),
                category=str(form.get("category", "")),
                description=str(form.get("description", "")),
                clause_code=str(form.get("clause_code", "")).strip(),
                found_at=parse_instant("found_at", found_at) if found_at else None,
                location_id=location_id,
            ),
        )
        flash(request, _("Finding recorded."), category="ok")
        return Redirect("/audits")

    @get(
        "/findings", guards=[LIST_READERS], dependencies={"filters": Provide(lists.finding_filters)}
    )
    async def findings(self, request: Request, filters: dict, paging: PageRequest) -> Template:
        if "status" not in request.query_params:
            filters["status"] = "open"  # what waits for a notice
        page = await lists.finding_page(request.user, request=paging, **filters)
        # Vendors filter nothing by place: they know places only as names on their findings.
        places = await locations.tree(request.user) if not request.user.is_vendor else []
        return Template(
            "audits/findings.html",
            context={
                "findings": page,
                "places": places,
                **filters,
                "can_issue": request.user.role in (Role.admin, Role.supervisor),
                **documents.labels(),
            },
        )

    @get(
        "/findings/export.csv",
        guards=[LIST_READERS],
        dependencies={"filters": Provide(lists.finding_filters)},
    )
    async def export_findings(self, request: Request, filters: dict) -> Response[bytes]:
        """The filtered findings (every page) as CSV (a job's download when large)."""
        return await list_exports.respond(request, FINDINGS_EXPORT, filters)

    @post("/notices", guards=[SUPERVISORS])
    async def issue(self, request: Request) -> Redirect:
        form = await request.form()
        try:
            ids = [int(v) for v in form.getall("finding_id")] if "finding_id" in form else []
        except ValueError:
            raise InvalidInput.single(
                "finding_id", "number", _("Findings: choose findings from the list.")
            ) from None
        notice_id = await notices.issue_notice(request.user, ids)
        flash(request, _("Notice issued to the vendor."), category="ok")
        return Redirect(f"/notices/{notice_id}")

    @get("/notices", guards=[LIST_READERS], dependencies={"filters": Provide(lists.notice_filters)})
    async def notices(
        self, request: Request, filters: dict, paging: PageRequest, all: FromQuery[bool] = False
    ) -> Template:
        if not filters["status"] and not all:
            filters["open_only"] = True
        page = await lists.notice_page(request.user, request=paging, **filters)
        # Month-end drafts wait on a supervisor: the first few, linked to all of them.
        drafts = (
            await lists.notice_page(request.user, status="draft", request=PageRequest(page_size=10))
            if not filters["status"] and request.user.role in (Role.admin, Role.supervisor)
            else None
        )
        return Template(
            "audits/notices.html",
            context={
                "drafts": drafts,
                "notices": page,
                "all": all,
                **filters,
                **documents.labels(),
            },
        )

    @get(
        "/notices/export.csv",
        guards=[LIST_READERS],
        dependencies={"filters": Provide(lists.notice_filters)},
    )
    async def export_notices(self, request: Request, filters: dict) -> Response[bytes]:
        """The filtered notices (every page) as CSV (a job's download when large)."""
        return await list_exports.respond(request, NOTICES_EXPORT, filters)

    @get("/notices/{notice_id:int}", guards=[LIST_READERS])
    async def notice(self, request: Request, notice_id: FromPath[int]) -> Template:
        notice = await _notice(request, notice_id)
        user = request.user
        status = notice["status"]
        return Template(
            "audits/notice.html",
            context={
                "notice": notice,
                "can_acknowledge": user.is_vendor and status == "issued",
                "can_respond": user.is_vendor and status in ("issued", "acknowledged"),
                "can_verify": user.role in (Role.admin, Role.supervisor) and status == "responded",
                "can_review": user.role in (Role.admin, Role.supervisor) and status == "draft",
                "deadlines": await notices.deadline_choices(notice) if status == "draft" else [],
                **documents.labels(),
            },
        )

    @post("/notices/{notice_id:int}/actions", guards=[READERS], request_max_body_size=60 * 2**20)
    async def act(self, request: Request, notice_id: FromPath[int]) -> Redirect:
        form = await request.form()
        given = form.getall("evidence") if "evidence" in form else []
        evidence = [
            Upload(u.filename, await u.read())
            for u in given
            if isinstance(u, UploadFile) and u.filename
        ]
        status = await notices.act(
            request.user,
            notice_id,
            str(form.get("action", "")),
            str(form.get("note", "")),
            evidence,
            str(form.get("severity", "")),
        )
        flash(request, _("Notice status: %(status)s.", status=status_label(status)), category="ok")
        return Redirect(f"/notices/{notice_id}")

    @get("/notices/{notice_id:int}/evidence/{file_id:str}", guards=[LIST_READERS])
    async def evidence(
        self, request: Request, notice_id: FromPath[int], file_id: FromPath[str]
    ) -> File:
        stored = await notices.evidence(request.user, notice_id, file_id)
        return inline_file(stored)

    @get("/notices/{notice_id:int}/notice.pdf", guards=[LIST_READERS])
    async def pdf(self, request: Request, notice_id: FromPath[int]) -> Response[bytes]:
        notice = await _notice(request, notice_id)
        pdf = await documents.notice_pdf(
            notice,
            documents.notice_url(str(request.base_url), notice_id),
            await documents.thumbnails(notice["findings"]),
        )
        return download(pdf, f"{notice['number']}.pdf", "application/pdf", inline=True)
