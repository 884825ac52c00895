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
from vendorgov.audits import documents, lists, service
from vendorgov.errors import InvalidInput, NotFound
from vendorgov.files import exports
from vendorgov.files.responses import CSV, download, inline_file
from vendorgov.files.service import Upload
from vendorgov.inspections.api import parse_instant
from vendorgov.locations import service as locations
from vendorgov.paging import PageRequest, export_rows

READERS = allow(Role.admin, Role.procurement, Role.supervisor, Role.finance, Role.vendor)
SUPERVISORS = allow(Role.admin, Role.supervisor)
FINDING_COLUMNS = {
    "id": "id",
    "found_at": "found_at",
    "contract_number": "contract",
    "vendor_name": "vendor",
    "source": "source",
    "severity": "severity",
    "category": "category",
    "place": "place",
    "description": "description",
    "clause_code": "clause",
    "status": "status",
    "notice_id": "notice_id",
}
NOTICE_COLUMNS = {
    "number": "number",
    "contract_number": "contract",
    "vendor_name": "vendor",
    "status": "status",
    "severity": "severity",
    "month": "month",
    "issued_at": "issued_at",
    "deadline": "deadline",
    "closed_at": "closed_at",
    "overdue": "overdue",
}


class NoticePages(Controller):
    include_in_schema = False

    @get("/audits", guards=[allow(Role.admin, Role.supervisor, Role.auditor)])
    async def audits(
        self, request: Request, paging: PageRequest, q: FromQuery[str] = ""
    ) -> Template:
        return Template(
            "audits/assignments.html",
            context={
                "assignments": await lists.assignment_page(request.user, q=q, request=paging),
                "q": q,
                "is_auditor": request.user.role is Role.auditor,
                **documents.labels(),
            },
        )

    @post("/audits/{assignment_id:int}/report", guards=[allow(Role.auditor)])
    async def report(self, request: Request, assignment_id: FromPath[int]) -> Redirect:
        form = await request.form()
        upload = form.get("report")
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise InvalidInput.single("report", "required", "choose the report file")
        await service.upload_report(
            request.user, assignment_id, Upload(upload.filename, await upload.read())
        )
        flash(request, "Report uploaded.", category="ok")
        return Redirect("/audits")

    @post("/audits/{assignment_id:int}/findings", guards=[allow(Role.auditor)])
    async def finding(self, request: Request, assignment_id: FromPath[int]) -> Redirect:
        form = await request.form()
        mine = await lists.assignment_page(request.user, assignment_id=assignment_id)
        if not mine.items:
            raise NotFound("audit assignment", assignment_id)
        assignment = mine.items[0]
        found_at = str(form.get("found_at", ""))
        await service.raise_finding(
            request.user,
            service.FindingInput(
                contract_id=assignment["contract"],
                source="audit",
                severity=str(form.get("severity", "")),
                category=str(form.get("category", "")),
                description=str(form.get("description", "")),
                found_at=parse_instant("found_at", found_at) if found_at else None,
            ),
        )
        flash(request, "Finding recorded.", category="ok")
        return Redirect("/audits")

    @get("/findings", guards=[READERS], dependencies={"filters": Provide(lists.finding_filters)})
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
        guards=[READERS],
        dependencies={"filters": Provide(lists.finding_filters)},
    )
    async def export_findings(self, request: Request, filters: dict) -> Response[bytes]:
        """The filtered findings (every page) as CSV."""
        rows = await export_rows(lists.finding_page, request.user, **filters)
        return download(exports.rows_csv(rows, FINDING_COLUMNS), "findings.csv", CSV)

    @post("/notices", guards=[SUPERVISORS])
    async def issue(self, request: Request) -> Redirect:
        form = await request.form()
        try:
            ids = [int(v) for v in form.getall("finding_id")] if "finding_id" in form else []
        except ValueError:
            raise InvalidInput.single("finding_id", "number", "not a finding") from None
        notice_id = await service.issue_notice(request.user, ids)
        flash(request, "Notice issued to the vendor.", category="ok")
        return Redirect(f"/notices/{notice_id}")

    @get("/notices", guards=[READERS], dependencies={"filters": Provide(lists.notice_filters)})
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
        guards=[READERS],
        dependencies={"filters": Provide(lists.notice_filters)},
    )
    async def export_notices(self, request: Request, filters: dict) -> Response[bytes]:
        """The filtered notices (every page) as CSV."""
        rows = await export_rows(lists.notice_page, request.user, **filters)
        return download(exports.rows_csv(rows, NOTICE_COLUMNS), "notices.csv", CSV)

    @get("/notices/{notice_id:int}", guards=[READERS])
    async def notice(self, request: Request, notice_id: FromPath[int]) -> Template:
        notice = await service.get_notice(request.user, notice_id)
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
                "deadlines": await service.deadline_choices(notice) if status == "draft" else [],
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
        status = await service.act(
            request.user,
            notice_id,
            str(form.get("action", "")),
            str(form.get("note", "")),
            evidence,
            str(form.get("severity", "")),
        )
        flash(request, f"The notice is now {status}.", category="ok")
        return Redirect(f"/notices/{notice_id}")

    @get("/notices/{notice_id:int}/evidence/{file_id:str}", guards=[READERS])
    async def evidence(
        self, request: Request, notice_id: FromPath[int], file_id: FromPath[str]
    ) -> File:
        stored = await service.evidence(request.user, notice_id, file_id)
        return inline_file(stored)

    @get("/notices/{notice_id:int}/notice.pdf", guards=[READERS])
    async def pdf(self, request: Request, notice_id: FromPath[int]) -> Response[bytes]:
        notice = await service.get_notice(request.user, notice_id)
        return download(
            documents.notice_pdf(notice), f"{notice['number']}.pdf", "application/pdf", inline=True
        )
