"""JSON API for checklists, inspections, findings and rectification notices."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import msgspec
from litestar import Controller, Request, get, post
from litestar.datastructures import UploadFile
from litestar.di import Provide
from litestar.params import FromPath, FromQuery, JSONBody, MultipartBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from vendorgov import exact
from vendorgov.accounts.auth import allow
from vendorgov.accounts.roles import Role
from vendorgov.audits import assignments as audit_assignments
from vendorgov.audits import lists
from vendorgov.audits import notices as audit_notices
from vendorgov.audits import periods as audit_periods
from vendorgov.audits import service as audits
from vendorgov.contracts import service as contracts
from vendorgov.errors import InvalidInput
from vendorgov.files.service import Upload
from vendorgov.i18n import _
from vendorgov.inspections import service
from vendorgov.paging import PageRequest, page_of
from vendorgov.settings import get_settings
from vendorgov.sla.measure import Month

READERS = allow(Role.admin, Role.procurement, Role.supervisor, Role.finance, Role.vendor)
# Auditors also read their own findings and the notices those are on (the services check).
LIST_READERS = allow(
    Role.admin, Role.procurement, Role.supervisor, Role.finance, Role.vendor, Role.auditor
)
SUPERVISORS = allow(Role.admin, Role.supervisor)


class ChecklistItemIn(msgspec.Struct):
    text: str
    weight: str
    severity: str
    key: str = ""
    clause: str = ""


class ChecklistIn(msgspec.Struct):
    category: str
    name: str
    items: list[ChecklistItemIn]


class InspectionIn(msgspec.Struct):
    contract_id: int
    template_id: int
    kind: str
    location: str
    inspected_at: str  # ISO 8601; without an offset, hospital-local time
    results: dict[str, str]
    notes: dict[str, str] = {}
    client_token: str = ""
    location_id: int | None = None  # a place of the tree; `location` may then be empty
    plan_item_id: int | None = None  # the plan item this inspection carries out


class SubmittedOut(msgspec.Struct):
    id: int
    score: Decimal | None
    finding_ids: list[int]
    created: bool


class FindingIn(msgspec.Struct):
    contract_id: int
    source: str
    severity: str
    description: str
    category: str = ""
    clause_code: str = ""
    found_at: str = ""  # ISO 8601; default now
    location_id: int | None = None


class AssignmentIn(msgspec.Struct):
    auditor_id: int
    contract_id: int
    period_from: date
    period_to: date


class ReportForm(msgspec.Struct):
    file: UploadFile


class NoticeIn(msgspec.Struct):
    finding_ids: list[int]


class ActionIn(msgspec.Struct):
    action: str
    note: str = ""  # respond: what was done; discard: why; verify: the supervisor's note
    severity: str = ""  # issue (a draft): minor, major or critical, which sets the deadline


class CreatedOut(msgspec.Struct):
    id: int


class StatusOut(msgspec.Struct):
    status: str


def parse_instant(field: str, text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput.single(
            field,
            "time",
            _(
                "“%(value)s” is not a time; write it as 2026-10-01 08:30 or "
                "2026-10-01T08:30:00+08:00.",
                value=text,
            ),
        ) from None
    return value if value.tzinfo else value.replace(tzinfo=get_settings().zone)


def _plain(value):
    return msgspec.to_builtins(value, builtin_types=(datetime, Decimal))


def _checklist_out(template: dict) -> dict:
    return {
        **_plain({k: v for k, v in template.items() if k != "items"}),
        "items": [
            {
                "key": i.key,
                "text": i.text,
                "weight": str(i.weight),
                "severity": i.severity.value,
                "clause": i.clause,
            }
            for i in template["items"]
        ],
    }


class InspectionApi(Controller):
    path = "/api"
    tags = ["inspections"]

    @get("/checklists", guards=[SUPERVISORS], summary="Active checklists, by category, paged")
    async def checklists(self, paging: PageRequest, category: FromQuery[str] = "") -> dict:
        # A few dozen active checklists at most: read whole, paged in the common shape.
        rows = await service.templates(category or None)
        return page_of(rows, paging, ("category", "name")).as_json(_checklist_out)

    @post(
        "/checklists",
        guards=[SUPERVISORS],
        status_code=HTTP_201_CREATED,
        summary="Save a checklist (a new version if the name exists)",
    )
    async def save_checklist(self, request: Request, data: JSONBody[ChecklistIn]) -> CreatedOut:
        items = [msgspec.structs.asdict(i) for i in data.items]
        return CreatedOut(
            await service.save_template(request.user, data.category, data.name, items)
        )

    @post(
        "/inspections",
        guards=[SUPERVISORS],
        status_code=HTTP_201_CREATED,
        summary="Submit an inspection (a draft re-sent with its client_token is stored once)",
    )
    async def submit(self, request: Request, data: JSONBody[InspectionIn]) -> SubmittedOut:
        done = await service.submit(
            request.user,
            service.InspectionInput(
                contract_id=data.contract_id,
                template_id=data.template_id,
                kind=data.kind,
                location=data.location,
                inspected_at=parse_instant("inspected_at", data.inspected_at),
                results=data.results,
                notes=data.notes,
                client_token=data.client_token,
                location_id=data.location_id,
                plan_item_id=data.plan_item_id,
            ),
        )
        return SubmittedOut(done.inspection_id, done.score, done.finding_ids, done.created)

    @get("/inspections/{inspection_id:int}", guards=[READERS], summary="An inspection")
    async def inspection(self, request: Request, inspection_id: FromPath[int]) -> dict:
        found = await service.get_inspection(request.user, inspection_id)
        return _plain(
            {**found, "items": [{**i, "weight": str(i["weight"])} for i in found["items"]]}
        )

    @get(
        "/findings",
        guards=[LIST_READERS],
        summary="Findings, a page of them (a vendor user sees its own), optionally in a place's "
        "subtree (location_id)",
        dependencies={"filters": Provide(lists.finding_filters)},
    )
    async def findings(self, request: Request, filters: dict, paging: PageRequest) -> dict:
        page = await lists.finding_page(request.user, request=paging, **filters)
        return page.as_json(_plain)

    @post(
        "/findings",
        guards=[allow(Role.admin, Role.supervisor, Role.auditor)],
        status_code=HTTP_201_CREATED,
        summary="Record a finding from an audit or a complaint",
    )
    async def add_finding(self, request: Request, data: JSONBody[FindingIn]) -> CreatedOut:
        return CreatedOut(
            await audits.raise_finding(
                request.user,
                audits.FindingInput(
                    contract_id=data.contract_id,
                    source=data.source,
                    severity=data.severity,
                    category=data.category,
                    description=data.description,
                    clause_code=data.clause_code,
                    found_at=parse_instant("found_at", data.found_at) if data.found_at else None,
                    location_id=data.location_id,
                ),
            )
        )

    @post(
        "/audit-assignments",
        guards=[SUPERVISORS],
        status_code=HTTP_201_CREATED,
        summary="Assign a third-party audit agency's account to a contract for a period",
    )
    async def assign(self, request: Request, data: JSONBody[AssignmentIn]) -> CreatedOut:
        return CreatedOut(
            await audit_assignments.assign_auditor(
                request.user, data.auditor_id, data.contract_id, data.period_from, data.period_to
            )
        )

    @get(
        "/audit-assignments",
        guards=[allow(Role.admin, Role.supervisor, Role.auditor)],
        summary="Audit assignments (an auditor sees its own)",
    )
    async def assignments(
        self, request: Request, paging: PageRequest, q: FromQuery[str] = ""
    ) -> dict:
        """A page of them, latest period first, searched by contract number and vendor."""
        page = await lists.assignment_page(request.user, q=q, request=paging)
        return page.as_json(_plain)

    @post(
        "/audit-assignments/{assignment_id:int}/report",
        guards=[allow(Role.auditor)],
        status_code=HTTP_200_OK,
        summary="Upload the audit report (PDF or image) of an assignment",
    )
    async def report(
        self, request: Request, assignment_id: FromPath[int], data: MultipartBody[ReportForm]
    ) -> StatusOut:
        upload = Upload(data.file.filename or "report.pdf", await data.file.read())
        await audit_assignments.upload_report(request.user, assignment_id, upload)
        return StatusOut("uploaded")

    @post(
        "/notices",
        guards=[SUPERVISORS],
        status_code=HTTP_201_CREATED,
        summary="Issue a rectification notice for open findings of one contract",
    )
    async def issue(self, request: Request, data: JSONBody[NoticeIn]) -> CreatedOut:
        return CreatedOut(await audit_notices.issue_notice(request.user, data.finding_ids))

    @get(
        "/notices",
        guards=[LIST_READERS],
        summary="Notices, a page of them (a vendor user sees its own)",
        dependencies={"filters": Provide(lists.notice_filters)},
    )
    async def notices(self, request: Request, filters: dict, paging: PageRequest) -> dict:
        page = await lists.notice_page(request.user, request=paging, **filters)
        return page.as_json(_plain)

    @get(
        "/notices/{notice_id:int}",
        guards=[LIST_READERS],
        summary="A notice with its findings and timeline",
    )
    async def notice(self, request: Request, notice_id: FromPath[int]) -> dict:
        return _plain(await audit_notices.get_notice(request.user, notice_id))

    @post(
        "/notices/{notice_id:int}/actions",
        guards=[READERS],
        status_code=HTTP_200_OK,
        summary="acknowledge / respond (vendor); issue / discard a draft, verify_passed / "
        "verify_failed (supervisor)",
    )
    async def act(
        self, request: Request, notice_id: FromPath[int], data: JSONBody[ActionIn]
    ) -> StatusOut:
        return StatusOut(
            await audit_notices.act(
                request.user, notice_id, data.action, data.note, severity=data.severity
            )
        )

    @get(
        "/contracts/{contract_id:int}/assessment-inputs/{month:str}",
        guards=[allow(Role.admin, Role.supervisor, Role.finance)],
        summary="The month's inspection component and audit-and-rectification component",
    )
    async def assessment_inputs(
        self, request: Request, contract_id: FromPath[int], month: FromPath[str]
    ) -> dict:
        parsed = Month.from_input(month)
        zone = get_settings().zone
        start, end = parsed.start_utc(zone).to_pydatetime(), parsed.end_utc(zone).to_pydatetime()
        await contracts.require_readable(request.user, contract_id)
        inputs = await audit_periods.audit_inputs(contract_id, start, end)
        inspection = await service.inspection_component(contract_id, start, end)
        return {
            "month": str(parsed),
            # Shown to 2 decimals; the exact mean is what the month-end scores (§6).
            "inspection_component": None if inspection is None else exact.rounded(inspection),
            "inspection_component_exact": None if inspection is None else exact.text(inspection),
            "audit_component": inputs.component,
            "findings": {s.value: n for s, n in inputs.findings.items()},
            "overdue_notices": inputs.overdue_notices,
            "failed_verifications": inputs.failed_verifications,
        }
