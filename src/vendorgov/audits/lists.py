"""The findings, notices and audit-assignment lists: filtered, searched, sorted and paged in SQL
(one count and one page query whatever the number of rows), for the pages, the API and the
exports."""

from __future__ import annotations

from datetime import UTC, date, datetime

from litestar.params import FromQuery
from piccolo.columns.combination import WhereRaw

from vendorgov import db, paging
from vendorgov.accounts.roles import Principal, Role, role_label
from vendorgov.audits import rules
from vendorgov.audits.access import SUPERVISORS, notices_of_own_findings, own_findings
from vendorgov.audits.notices import overdue
from vendorgov.audits.rules import NoticeStatus
from vendorgov.audits.service import with_places
from vendorgov.audits.tables import AuditAssignment, Finding, Notice
from vendorgov.errors import Forbidden, InvalidInput
from vendorgov.i18n import N_, _
from vendorgov.locations import service as locations
from vendorgov.paging import Page, PageRequest
from vendorgov.settings import get_settings

FINDING_SORTS = {
    "found_at": Finding.found_at,
    "contract": Finding.contract.number,
    "severity": Finding.severity,
    "status": Finding.status,
    "category": Finding.category,
    "source": Finding.source,
}
NOTICE_SORTS = {
    "number": Notice.number,
    "deadline": Notice.deadline,
    "issued_at": Notice.issued_at,
    "status": Notice.status,
    "contract": Notice.contract.number,
    "vendor": Notice.contract.vendor.name,
    "month": Notice.month,
}
ASSIGNMENT_SORTS = {
    "period_from": AuditAssignment.period_from,
    "contract": AuditAssignment.contract.number,
}
DUE = ("overdue", "soon")
_CLOSED = [NoticeStatus.closed.value, NoticeStatus.discarded.value]


def _of_vendor(table, vendor_id: int) -> WhereRaw:
    """Rows of the vendor's contracts, as a subquery on contract(vendor) rather than through
    the contract join: the database then reads only those contracts' rows by index, not
    every row of the table joined (a vendor's dashboard read all 20,000 notices four times)."""
    return WhereRaw(
        f"{table._meta.tablename}.contract IN (SELECT id FROM contract WHERE vendor = {{}})",
        vendor_id,
    )


def _ensure_reader(actor: Principal, what: str) -> None:
    if actor.role not in (*SUPERVISORS, Role.procurement, Role.finance, Role.auditor):
        if not actor.is_vendor:
            raise Forbidden(_(what, role=role_label(actor.role)))


async def finding_page(
    actor: Principal,
    *,
    contract_id: int | None = None,
    vendor_id: int | None = None,
    status: str = "",
    severity: str = "",
    category: str = "",
    source: str = "",
    q: str = "",
    found_from: date | None = None,
    found_to: date | None = None,
    inspection_id: int | None = None,
    location_id: int | None = None,
    request: PageRequest = PageRequest(),
) -> Page:
    """Findings newest first, each with its `place`; a vendor sees its own contracts' findings
    only, an auditor the findings it recorded. `location_id` keeps those in that place's
    subtree."""
    _ensure_reader(actor, N_("The %(role)s role has no access to findings."))
    where = paging.day_range(Finding.found_at, found_from, found_to, get_settings().zone)
    if actor.is_vendor:
        where.append(_of_vendor(Finding, actor.vendor_id))
    if actor.role is Role.auditor:
        where.append(own_findings(actor))
    if contract_id:
        where.append(Finding.contract == contract_id)
    if vendor_id:
        where.append(_of_vendor(Finding, vendor_id))
    if inspection_id:
        where.append(Finding.inspection_id == inspection_id)
    if location_id is not None:
        where.append(Finding.location_id.is_in(await locations.subtree_ids(location_id)))
    for column, value in (
        (Finding.status, status),
        (Finding.severity, severity),
        (Finding.category, category),
        (Finding.source, source),
    ):
        if value:
            where.append(column == value)
    q = q.strip()
    if q:
        where.append(
            db.icontains(Finding.description, q)
            | db.icontains(Finding.category, q)
            | db.icontains(Finding.contract.number, q)
            | db.icontains(Finding.contract.vendor.name, q)
        )
    query = Finding.select(
        Finding.all_columns(),
        Finding.contract.number.as_alias("contract_number"),
        Finding.contract.vendor.name.as_alias("vendor_name"),
    )
    page = await paging.fetch_page(
        Finding, query, where, request, FINDING_SORTS, [(Finding.found_at, False)]
    )
    page.items = await with_places(page.items)
    return page


async def notice_page(
    actor: Principal,
    *,
    contract_id: int | None = None,
    vendor_id: int | None = None,
    status: str = "",
    open_only: bool = False,
    month: str = "",
    severity: str = "",
    due: str = "",
    q: str = "",
    request: PageRequest = PageRequest(),
) -> Page:
    """Notices by deadline, each flagged overdue or due within 24 hours; a vendor never sees
    drafts or discarded ones; an auditor sees the notices its findings are on (their
    follow-up)."""
    _ensure_reader(actor, N_("The %(role)s role has no access to notices."))
    if due not in ("", *DUE):
        raise InvalidInput.single(
            "due", "one_of", _("Due: overdue, soon (within 24 hours), or empty for all.")
        )
    where = []
    if actor.is_vendor:
        where.append(_of_vendor(Notice, actor.vendor_id))
        where.append(Notice.status.not_in([s.value for s in rules.UNSENT]))
    if actor.role is Role.auditor:
        where.append(Notice.id.is_in(await notices_of_own_findings(actor) or [0]))
    if contract_id:
        where.append(Notice.contract == contract_id)
    if vendor_id:
        where.append(_of_vendor(Notice, vendor_id))
    if status:
        where.append(Notice.status == status)
    if open_only:  # drafts are open: they wait for a supervisor
        where.append(Notice.status.not_in(_CLOSED))
    if month:
        where.append(Notice.month == month)
    if severity:
        where.append(Notice.severity == severity)
    now = datetime.now(UTC)
    if due:  # the reminders of §5: running and past the deadline, or due within 24 hours
        where.append(Notice.status.is_in([s.value for s in rules.RUNNING]))
        if due == "overdue":
            where.append(Notice.deadline < now)
        else:
            where.append((Notice.deadline >= now) & (Notice.deadline <= now + rules.DUE_SOON))
    q = q.strip()
    if q:
        where.append(
            db.icontains(Notice.number, q)
            | db.icontains(Notice.contract.number, q)
            | db.icontains(Notice.contract.vendor.name, q)
        )
    query = Notice.select(
        Notice.all_columns(),
        Notice.contract.number.as_alias("contract_number"),
        Notice.contract.vendor.name.as_alias("vendor_name"),
    )
    page = await paging.fetch_page(
        Notice, query, where, request, NOTICE_SORTS, [(Notice.deadline, True)]
    )
    for row in page.items:
        row["overdue"] = overdue(row, now)
        row["due_soon"] = rules.due_soon(row["status"], row["deadline"], now)
    return page


async def assignment_page(
    actor: Principal,
    *,
    q: str = "",
    assignment_id: int | None = None,
    request: PageRequest = PageRequest(),
) -> Page:
    """A page of the third-party audit assignments, latest period first: an auditor's own,
    every one for supervisors; searched by contract number and vendor name."""
    where = []
    if actor.role is Role.auditor:
        where.append(AuditAssignment.auditor_id == actor.user_id)
    elif actor.role not in SUPERVISORS:
        raise Forbidden(
            _(
                "The %(role)s role has no access to audit assignments.",
                role=role_label(actor.role),
            )
        )
    if assignment_id is not None:
        where.append(AuditAssignment.id == assignment_id)
    q = q.strip()
    if q:
        where.append(
            db.icontains(AuditAssignment.contract.number, q)
            | db.icontains(AuditAssignment.contract.vendor.name, q)
        )
    query = AuditAssignment.select(
        AuditAssignment.all_columns(),
        AuditAssignment.contract.number.as_alias("contract_number"),
        AuditAssignment.contract.title.as_alias("contract_title"),
        AuditAssignment.contract.vendor.name.as_alias("vendor_name"),
    )
    return await paging.fetch_page(
        AuditAssignment,
        query,
        where,
        request,
        ASSIGNMENT_SORTS,
        [(AuditAssignment.period_from, False)],
    )


# The lists' filters as query parameters (Litestar dependencies, shared by the pages, the API
# and the exports so the three read the same filters).


async def finding_filters(
    contract_id: FromQuery[int | None] = None,
    vendor_id: FromQuery[int | None] = None,
    status: FromQuery[str] = "",
    severity: FromQuery[str] = "",
    category: FromQuery[str] = "",
    source: FromQuery[str] = "",
    q: FromQuery[str] = "",
    found_from: FromQuery[date | None] = None,
    found_to: FromQuery[date | None] = None,
    location_id: FromQuery[int | None] = None,
) -> dict:
    return locals()


async def notice_filters(
    contract_id: FromQuery[int | None] = None,
    vendor_id: FromQuery[int | None] = None,
    status: FromQuery[str] = "",
    open: FromQuery[bool] = False,
    month: FromQuery[str] = "",
    severity: FromQuery[str] = "",
    due: FromQuery[str] = "",
    q: FromQuery[str] = "",
) -> dict:
    filters = locals()
    filters["open_only"] = filters.pop("open")
    return filters
