"""Vendors, reading stage: who may read and keep the registry, one vendor with its contacts,
qualifications and history, the paginated registry list, pickers, status counts, and the
reads other domains ask for (tender standing, payees, vendors offering a category). Reads are
scoped to the principal; the changing stages are registry.py and qualifications.py."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from piccolo.query.functions.aggregate import Count

from vendorgov import db, paging
from vendorgov.accounts.roles import (
    REGISTRY_KEEPERS,
    REGISTRY_READERS,
    Principal,
    Role,
    role_label,
)
from vendorgov.audit import service as audit
from vendorgov.errors import Forbidden, NotFound
from vendorgov.i18n import N_, _
from vendorgov.paging import Page, PageRequest
from vendorgov.settings import get_settings
from vendorgov.vendors import rules
from vendorgov.vendors.rules import (
    CATEGORY_LABELS,
    QUALIFICATION_KINDS,
    Expiry,
    Status,
    StatusAction,
)
from vendorgov.vendors.tables import Contact, Qualification, Vendor, VendorCategory

# A picker (a select of vendors in a form) offers at most this many, found by name.
PICKER_ITEMS = 50


VENDOR_FIELDS = (
    "name",
    "uscc",
    "legal_representative",
    "address",
    "phone",
    "email",
    "bank_name",
    "bank_account",
)


def utc_now() -> datetime:
    return datetime.now(UTC)


def today() -> date:
    """Today in the hospital's time zone: expiry and suspension dates are local dates."""
    return datetime.now(get_settings().zone).date()


def ensure_reader(principal: Principal, vendor_id: int) -> None:
    """Hospital staff with registry access read every vendor; a vendor user reads only its
    own, and other vendors look to it as if they did not exist."""
    if principal.role in REGISTRY_READERS:
        return
    if principal.is_vendor and principal.vendor_id == vendor_id:
        return
    if principal.is_vendor:
        raise NotFound(N_("vendor"), vendor_id)
    raise Forbidden(
        _(
            "The %(role)s role has no access to the vendor registry.",
            role=role_label(principal.role),
        )
    )


def ensure_keeper(principal: Principal) -> None:
    if principal.role not in REGISTRY_KEEPERS:
        raise Forbidden(
            _("Only procurement officers and administrators change the vendor registry.")
        )


def snapshot(row: dict, categories: list[str]) -> dict:
    """The fields the audit trail keeps for a vendor."""
    snap = {name: row[name] for name in VENDOR_FIELDS}
    snap.update(
        categories=categories,
        status=row["status"],
        status_reason=row["status_reason"],
        suspended_until=row["suspended_until"],
    )
    return snap


async def require_vendor(vendor_id: int) -> dict:
    row = await Vendor.select().where(Vendor.id == vendor_id).first()
    if row is None:
        raise NotFound(N_("vendor"), vendor_id)
    return row


async def lock_vendor(vendor_id: int) -> dict:
    """The vendor's row, locked until the transaction ends: a change decided on what it says
    (its revision, its status) waits for any other change of the vendor and then reads its
    result, so neither is lost."""
    row = await db.locked(Vendor.select().where(Vendor.id == vendor_id)).first()
    if row is None:
        raise NotFound(N_("vendor"), vendor_id)
    return row


def _in(ids: list[int]) -> str:
    """'({}, {}, …)': placeholders for an IN list of these ids."""
    return f"({', '.join(['{}'] * len(ids))})"


# A page of the registry (the page and GET /api/vendors, among the busiest reads) completes its
# rows with these two queries: plain SQL, as Piccolo's query building cost more than the
# database's work for them.
async def vendor_categories(vendor_ids: list[int]) -> dict[int, list[str]]:
    result: dict[int, list[str]] = {vid: [] for vid in vendor_ids}
    if vendor_ids:
        rows = await db.fetch(
            "SELECT vendor, category FROM vendor_category WHERE vendor IN "
            f"{_in(vendor_ids)} ORDER BY category",
            *vendor_ids,
        )
        for row in rows:
            result[row["vendor"]].append(row["category"])
    return result


def _decorate_vendor(row: dict, categories: list[str], on: date) -> dict:
    row["categories"] = categories
    row["category_labels"] = [CATEGORY_LABELS[c] for c in categories]
    row["effective_status"] = rules.effective_status(
        Status(row["status"]), row["suspended_until"], on
    ).value
    return row


def decorate_qualification(row: dict, on: date) -> dict:
    row["kind_label"] = QUALIFICATION_KINDS.get(row["kind"], (row["kind"], row["kind"]))
    row["expiry"] = rules.qualification_expiry(
        row["expires_on"], on, get_settings().qualification_warning_days
    ).value
    return row


VENDOR_SORTS = {"name": Vendor.name, "uscc": Vendor.uscc, "status": Vendor.status}


async def list_vendors(
    principal: Principal,
    *,
    q: str = "",
    category: str = "",
    status: str = "",
    expiring_only: bool = False,
    request: PageRequest = PageRequest(),
) -> Page:
    """A page of the vendors the principal may see, filtered; each with categories and
    qualification flags."""
    if principal.role not in REGISTRY_READERS and not principal.is_vendor:
        raise Forbidden(
            _(
                "The %(role)s role has no access to the vendor registry.",
                role=role_label(principal.role),
            )
        )
    where = []
    if principal.is_vendor:
        where.append(Vendor.id == principal.vendor_id)
    q = q.strip()
    if q:
        where.append(db.icontains(Vendor.name, q) | db.icontains(Vendor.uscc, q))
    if status:
        where.append(Vendor.status == status)
    if category:
        where.append(
            Vendor.id.is_in(
                VendorCategory.select(VendorCategory.vendor).where(
                    VendorCategory.category == category
                )
            )
        )
    on = today()
    if expiring_only:  # expired, or expiring within the warning window
        horizon = on + timedelta(days=get_settings().qualification_warning_days)
        where.append(
            Vendor.id.is_in(
                Qualification.select(Qualification.vendor).where(
                    Qualification.expires_on <= horizon
                )
            )
        )
    page = await paging.fetch_page(
        Vendor, Vendor.select(), where, request, VENDOR_SORTS, [(Vendor.name, True)]
    )
    ids = [r["id"] for r in page.items]
    categories = await vendor_categories(ids)
    flags = await _qualification_flags(ids, on)
    for row in page.items:
        _decorate_vendor(row, categories[row["id"]], on)
        row["qualifications_expiring"], row["qualifications_expired"] = flags.get(row["id"], (0, 0))
    return page


async def _qualification_flags(vendor_ids: list[int], on: date) -> dict[int, tuple[int, int]]:
    """Per vendor: (qualifications expiring within the warning window, already expired)."""
    if not vendor_ids:
        return {}
    rows = await db.fetch(
        f"SELECT vendor, expires_on FROM qualification WHERE vendor IN {_in(vendor_ids)}",
        *vendor_ids,
    )
    flags: dict[int, list[int]] = {}
    days = get_settings().qualification_warning_days
    for row in rows:
        state = rules.qualification_expiry(row["expires_on"], on, days)
        counts = flags.setdefault(row["vendor"], [0, 0])
        if state is Expiry.expiring:
            counts[0] += 1
        elif state is Expiry.expired:
            counts[1] += 1
    return {vid: (c[0], c[1]) for vid, c in flags.items()}


async def get_vendor(principal: Principal, vendor_id: int) -> dict:
    ensure_reader(principal, vendor_id)
    row = await require_vendor(vendor_id)
    on = today()
    _decorate_vendor(row, (await vendor_categories([vendor_id]))[vendor_id], on)
    row["contacts"] = (
        await Contact.select()
        .where(Contact.vendor == vendor_id)
        .order_by(Contact.is_primary, ascending=False)
        .order_by(Contact.name)
    )
    quals = (
        await Qualification.select()
        .where(Qualification.vendor == vendor_id)
        .order_by(Qualification.expires_on)
    )
    row["qualifications"] = [decorate_qualification(q, on) for q in quals]
    return row


async def history(principal: Principal, vendor_id: int) -> list[dict]:
    ensure_reader(principal, vendor_id)
    await require_vendor(vendor_id)
    return await audit.history("vendor", vendor_id)


async def status_counts() -> dict[str, int]:
    rows = await Vendor.select(Vendor.status, Count(alias="n")).group_by(Vendor.status)
    return {row["status"]: row["n"] for row in rows}


async def vendor_choices(q: str = "", chosen: int | None = None) -> list[dict]:
    """(id, name) of the first PICKER_ITEMS vendors by name matching `q`, and the vendor
    already `chosen` (a form sent back with its errors), for pickers such as a vendor user's
    account form: never every vendor of a hospital group."""
    query = Vendor.select(Vendor.id, Vendor.name).order_by(Vendor.name).limit(PICKER_ITEMS)
    q = q.strip()
    rows = await (query.where(db.icontains(Vendor.name, q)) if q else query)
    if chosen and all(r["id"] != chosen for r in rows):
        rows += await Vendor.select(Vendor.id, Vendor.name).where(Vendor.id == chosen)
    return rows


def choices() -> dict[str, Any]:
    """Labels for forms and filters."""
    return {
        "categories": CATEGORY_LABELS,
        "qualification_kinds": QUALIFICATION_KINDS,
        "statuses": [s.value for s in Status],
        "status_actions": [a.value for a in StatusAction],
        "roles": list(Role),
    }


async def standing(
    vendor_ids: list[int], on: date, recorded_by: datetime | None = None
) -> dict[int, dict]:
    """For tender validity (§3): each vendor's name, USCC, categories, status in effect on a
    day, its current SME declaration (§3a), and its qualification periods by kind (only those
    on record by `recorded_by`, so a licence uploaded after a bid deadline does not count)."""
    if not vendor_ids:
        return {}
    rows = await Vendor.select(
        Vendor.id, Vendor.name, Vendor.uscc, Vendor.status, Vendor.suspended_until, Vendor.sme_size
    ).where(Vendor.id.is_in(vendor_ids))
    categories = await vendor_categories(vendor_ids)
    query = Qualification.select(
        Qualification.vendor, Qualification.kind, Qualification.issued_on, Qualification.expires_on
    ).where(Qualification.vendor.is_in(vendor_ids))
    if recorded_by is not None:
        query = query.where(Qualification.created_at <= recorded_by)
    quals = await query
    result = {
        row["id"]: {
            "name": row["name"],
            "uscc": row["uscc"],
            "categories": categories[row["id"]],
            "status": rules.effective_status(
                Status(row["status"]), row["suspended_until"], on
            ).value,
            "qualifications": {},
            # §3a: the small/micro enterprise declaration as it stands now ("" none).
            "sme_size": row["sme_size"],
        }
        for row in rows
    }
    for q in quals:
        result[q["vendor"]]["qualifications"].setdefault(q["kind"], []).append(
            (q["issued_on"], q["expires_on"])
        )
    return result


async def payees(vendor_ids: list[int]) -> dict[int, dict]:
    """Name, USCC, bank and service categories of each vendor, for the month-end's statements
    and accounting export (the caller has checked that the reader may see them)."""
    if not vendor_ids:
        return {}
    rows = await Vendor.select(
        Vendor.id, Vendor.name, Vendor.uscc, Vendor.bank_name, Vendor.bank_account
    ).where(Vendor.id.is_in(vendor_ids))
    categories = await vendor_categories(vendor_ids)
    return {r["id"]: {**r, "categories": categories[r["id"]]} for r in rows}


async def active_vendor_ids_in(category: str) -> list[int]:
    """The active vendors offering a category: who is told of a tender in it."""
    rows = await VendorCategory.select(VendorCategory.vendor).where(
        (VendorCategory.category == category) & (VendorCategory.vendor.status == "active")
    )
    return [r["vendor"] for r in rows]
