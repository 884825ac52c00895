"""The vendor registry: reads scoped to the principal, changes in transactions with audit."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, date, datetime, timedelta
from typing import Any

from piccolo.query.functions.aggregate import Count

from vendorgov import db, paging
from vendorgov.accounts.roles import REGISTRY_KEEPERS, REGISTRY_READERS, Principal, Role
from vendorgov.audit import service as audit
from vendorgov.errors import Conflict, FieldError, Forbidden, InvalidInput, NotFound
from vendorgov.files import service as files
from vendorgov.notifications.service import Audience, Event, notify
from vendorgov.paging import Page, PageRequest
from vendorgov.settings import get_settings
from vendorgov.vendors import rules
from vendorgov.vendors.rules import (
    CATEGORY_LABELS,
    QUALIFICATION_KINDS,
    ContactInput,
    Expiry,
    QualificationInput,
    Status,
    StatusAction,
    VendorInput,
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


def _now() -> datetime:
    return datetime.now(UTC)


def today() -> date:
    """Today in the hospital's time zone: expiry and suspension dates are local dates."""
    return datetime.now(get_settings().zone).date()


# --- who may see and change what -------------------------------------------------------------


def _ensure_reader(principal: Principal, vendor_id: int) -> None:
    """Hospital staff with registry access read every vendor; a vendor user reads only its
    own, and other vendors look to it as if they did not exist."""
    if principal.role in REGISTRY_READERS:
        return
    if principal.is_vendor and principal.vendor_id == vendor_id:
        return
    if principal.is_vendor:
        raise NotFound("vendor", vendor_id)
    raise Forbidden(f"the {principal.role.value} role has no access to the vendor registry")


def _ensure_keeper(principal: Principal) -> None:
    if principal.role not in REGISTRY_KEEPERS:
        raise Forbidden("only procurement officers and administrators change the registry")


def _ensure_qualification_uploader(principal: Principal, vendor_id: int) -> None:
    """Vendors keep their own licences current; the registry keepers may upload for anyone."""
    if principal.is_vendor and principal.vendor_id == vendor_id:
        return
    _ensure_reader(principal, vendor_id)
    _ensure_keeper(principal)


# --- reading ---------------------------------------------------------------------------------


def _snapshot(row: dict, categories: list[str]) -> dict:
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
        raise NotFound("vendor", vendor_id)
    return row


async def _lock_vendor(vendor_id: int) -> dict:
    """The vendor's row, locked until the transaction ends: a change decided on what it says
    (its revision, its status) waits for any other change of the vendor and then reads its
    result, so neither is lost."""
    row = await db.locked(Vendor.select().where(Vendor.id == vendor_id)).first()
    if row is None:
        raise NotFound("vendor", vendor_id)
    return row


def _in(ids: list[int]) -> str:
    """'({}, {}, …)': placeholders for an IN list of these ids."""
    return f"({', '.join(['{}'] * len(ids))})"


# A page of the registry (the page and GET /api/vendors, among the busiest reads) completes its
# rows with these two queries: plain SQL, as Piccolo's query building cost more than the
# database's work for them.
async def _categories(vendor_ids: list[int]) -> dict[int, list[str]]:
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


def _decorate_qualification(row: dict, on: date) -> dict:
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
        raise Forbidden(f"the {principal.role.value} role has no access to the vendor registry")
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
    categories = await _categories(ids)
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
    _ensure_reader(principal, vendor_id)
    row = await require_vendor(vendor_id)
    on = today()
    _decorate_vendor(row, (await _categories([vendor_id]))[vendor_id], on)
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
    row["qualifications"] = [_decorate_qualification(q, on) for q in quals]
    return row


async def expiring_qualifications(principal: Principal, request: PageRequest) -> Page | None:
    """Qualifications expired or expiring within the warning window, soonest first, for the
    principal's dashboard (a page of them, with the total)."""
    if principal.role not in REGISTRY_READERS and not principal.is_vendor:
        return None
    on = today()
    limit_day = on + timedelta(days=get_settings().qualification_warning_days)
    where = [Qualification.expires_on <= limit_day]
    if principal.is_vendor:
        where.append(Qualification.vendor == principal.vendor_id)
    query = Qualification.select(
        Qualification.all_columns(), Qualification.vendor.name.as_alias("vendor_name")
    )
    page = await paging.fetch_page(
        Qualification,
        query,
        where,
        request,
        {"expires_on": Qualification.expires_on},
        [(Qualification.expires_on, True)],
    )
    page.items = [_decorate_qualification(q, on) for q in page.items]
    return page


async def history(principal: Principal, vendor_id: int) -> list[dict]:
    _ensure_reader(principal, vendor_id)
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


# --- changing --------------------------------------------------------------------------------


async def _ensure_uscc_free(uscc: str, except_id: int | None = None) -> None:
    # Plain SQL on the vendor-create path (see _INSERT_VENDOR).
    rows = await db.fetch("SELECT id, name FROM vendor WHERE uscc = {}", uscc)
    clash = next((r for r in rows if r["id"] != except_id), None)
    if clash:
        raise Conflict(
            f"uscc: {uscc} is already registered to vendor {clash['name']} (#{clash['id']})",
            [FieldError("uscc", "unique", f"already registered to vendor {clash['name']}")],
        )


# Registering vendors is the registry's busiest write; Piccolo's query builder cost three times
# the database's own time per insert here, so the two inserts are written out.
_INSERT_VENDOR = (
    "INSERT INTO vendor (name, uscc, legal_representative, address, phone, email, bank_name, "
    "bank_account, status, status_reason, created_at, updated_at, revision) "
    "VALUES ({}, {}, {}, {}, {}, {}, {}, {}, 'active', '', {}, {}, 1) RETURNING id"
)


# PostgreSQL: the vendor, its categories and its audit entry in one statement.
_CREATE_VENDOR_PG = audit.create_sql(
    _INSERT_VENDOR,
    "INSERT INTO vendor_category (vendor, category) SELECT r.id, unnest({}::varchar[]) FROM r",
)


async def create_vendor(actor: Principal, data: VendorInput) -> int:
    _ensure_keeper(actor)
    data = data.cleaned()
    rules.vendor_errors(data).raise_if_any()
    fields = {k: getattr(data, k) for k in VENDOR_FIELDS}
    entry = audit.prepare(
        actor,
        "vendor",
        "create",
        None,
        {
            **fields,
            "categories": data.categories,
            "status": Status.active.value,
            "status_reason": "",
            "suspended_until": None,
        },
    )
    try:
        if db.is_postgres() and not db.engine().transaction_exists():
            rows = await db.fetch(
                _CREATE_VENDOR_PG,
                *fields.values(),
                entry.at,
                entry.at,
                data.categories,
                *entry.append_args(),
            )
            return rows[0]["id"]
        async with db.transaction():
            rows = await db.fetch(_INSERT_VENDOR, *fields.values(), entry.at, entry.at)
            vendor_id = rows[0]["id"]
            await db.fetch(
                "INSERT INTO vendor_category (vendor, category) VALUES "
                + ", ".join(["({}, {})"] * len(data.categories)),
                *[value for c in data.categories for value in (vendor_id, c)],
            )
            await audit.record_prepared(entry, vendor_id)
        return vendor_id
    except Exception as error:
        # No look-up first: the unique index on uscc decides, and a clash is explained here,
        # after the rollback.
        if db.is_unique_violation(error):
            await _ensure_uscc_free(data.uscc)
        raise


async def update_vendor(
    actor: Principal, vendor_id: int, data: VendorInput, revision: int | None = None
) -> int:
    """Save the vendor's details; returns the new revision. A save based on an older
    revision than the stored one is refused with what changed in between."""
    _ensure_keeper(actor)
    data = data.cleaned()
    rules.vendor_errors(data).raise_if_any()
    async with db.transaction():
        row = await _lock_vendor(vendor_id)
        before = _snapshot(row, (await _categories([vendor_id]))[vendor_id])
        if revision is not None and revision != row["revision"]:
            changes = await audit.history("vendor", vendor_id, limit=5)
            newer = [c for c in changes if c["action"] == "update"][:1]
            fields = ", ".join(f for f, _, _ in newer[0]["changes"]) if newer else "details"
            raise Conflict(
                f"revision: this vendor was changed by someone else since you opened it "
                f"(now revision {row['revision']}, yours {revision}; changed: {fields}). "
                "Reload and apply your changes again."
            )
        await _ensure_uscc_free(data.uscc, except_id=vendor_id)
        fields = {k: v for k, v in asdict(data).items() if k != "categories"}
        after = {**before, **fields, "categories": data.categories}
        if after == before:
            return row["revision"]
        new_revision = row["revision"] + 1
        await Vendor.update(
            {
                **{getattr(Vendor, k): v for k, v in fields.items()},
                Vendor.updated_at: _now(),
                Vendor.revision: new_revision,
            }
        ).where(Vendor.id == vendor_id)
        if data.categories != before["categories"]:
            await VendorCategory.delete().where(VendorCategory.vendor == vendor_id)
            await VendorCategory.insert(
                *[VendorCategory(vendor=vendor_id, category=c) for c in data.categories]
            )
        await audit.record(actor, "vendor", vendor_id, "update", before, after)
    return new_revision


async def change_status(
    actor: Principal, vendor_id: int, action: str, reason: str, until: date | None = None
) -> str:
    _ensure_keeper(actor)
    try:
        parsed = StatusAction(action)
    except ValueError:
        raise InvalidInput.single(
            "action", "unknown_action", f"one of {', '.join(a.value for a in StatusAction)}"
        ) from None
    async with db.transaction():
        row = await _lock_vendor(vendor_id)
        current = rules.effective_status(Status(row["status"]), row["suspended_until"], today())
        try:
            new = rules.status_change(current, parsed, reason, until, today())
        except InvalidInput as error:
            if any(e.rule == "transition" for e in error.errors):
                raise Conflict(error.message, error.errors) from None
            raise
        before = {
            "status": row["status"],
            "status_reason": row["status_reason"],
            "suspended_until": row["suspended_until"],
        }
        after = {"status": new.value, "status_reason": reason.strip(), "suspended_until": until}
        if after == before:  # the same suspension sent again: nothing changes
            return new.value
        await Vendor.update(
            {
                Vendor.status: new.value,
                Vendor.status_reason: reason.strip(),
                Vendor.suspended_until: until,
                Vendor.updated_at: _now(),
                Vendor.revision: row["revision"] + 1,
            }
        ).where(Vendor.id == vendor_id)
        await audit.record(actor, "vendor", vendor_id, parsed.value, before, after)
    return new.value


async def delete_vendor(actor: Principal, vendor_id: int) -> None:
    """Only a vendor nothing refers to yet (no user accounts) may be deleted; otherwise
    blacklist or suspend it, which keeps the record."""
    from vendorgov.accounts import service as accounts

    _ensure_keeper(actor)
    async with db.transaction():
        row = await _lock_vendor(vendor_id)
        if await accounts.vendor_has_accounts(vendor_id):
            raise Conflict(
                "this vendor has user accounts; deactivate them, or suspend or "
                "blacklist the vendor instead of deleting it"
            )
        before = _snapshot(row, (await _categories([vendor_id]))[vendor_id])
        try:
            await Vendor.delete().where(Vendor.id == vendor_id)
        except Exception as error:
            if not db.is_foreign_key_violation(error):
                raise
            raise Conflict(
                "contracts or tender bids refer to this vendor; suspend or blacklist it "
                "instead of deleting it",
                [FieldError("vendor_id", "referenced", "has contracts or tender bids")],
            ) from None
        await audit.record(actor, "vendor", vendor_id, "delete", before, None)


async def add_contact(actor: Principal, vendor_id: int, data: ContactInput) -> int:
    _ensure_keeper(actor)
    rules.contact_errors(data).raise_if_any()
    async with db.transaction():
        await _lock_vendor(vendor_id)  # two primary contacts added at once: one stays primary
        values = {k: (v.strip() if isinstance(v, str) else v) for k, v in asdict(data).items()}
        if data.is_primary:
            await Contact.update({Contact.is_primary: False}).where(Contact.vendor == vendor_id)
        rows = await Contact.insert(Contact(vendor=vendor_id, **values))
        contact_id = rows[0]["id"]
        await audit.record(
            actor, "vendor", vendor_id, "add_contact", None, {"contact_id": contact_id, **values}
        )
    return contact_id


async def remove_contact(actor: Principal, vendor_id: int, contact_id: int) -> None:
    _ensure_keeper(actor)
    async with db.transaction():
        row = await db.locked(
            Contact.select().where((Contact.id == contact_id) & (Contact.vendor == vendor_id))
        ).first()
        if row is None:
            raise NotFound("contact", contact_id)
        await Contact.delete().where(Contact.id == contact_id)
        before = {k: row[k] for k in ("name", "title", "phone", "email", "is_primary")}
        await audit.record(
            actor, "vendor", vendor_id, "remove_contact", {"contact_id": contact_id, **before}, None
        )


async def add_qualification(
    actor: Principal, vendor_id: int, data: QualificationInput, scan: files.Upload | None
) -> int:
    _ensure_qualification_uploader(actor, vendor_id)
    errors = rules.qualification_errors(data)
    if scan is None:
        errors.add("scan", "required", "upload the scanned licence (PDF, PNG or JPEG)")
    errors.raise_if_any()
    files.check_upload("scan", scan)
    async with db.transaction():
        await require_vendor(vendor_id)
        file_id = await files.store(scan, actor.user_id)
        values = {
            "kind": data.kind,
            "number": data.number.strip(),
            "issued_on": data.issued_on,
            "expires_on": data.expires_on,
        }
        rows = await Qualification.insert(
            Qualification(vendor=vendor_id, scan=file_id, created_at=_now(), **values)
        )
        qualification_id = rows[0]["id"]
        await audit.record(
            actor,
            "vendor",
            vendor_id,
            "add_qualification",
            None,
            {
                "qualification_id": qualification_id,
                **values,
                "scan": scan.filename,
                "scan_size": len(scan.data),
            },
        )
    return qualification_id


async def qualification_scan(
    principal: Principal, vendor_id: int, qualification_id: int
) -> files.StoredContent:
    _ensure_reader(principal, vendor_id)
    row = (
        await Qualification.select(Qualification.scan)
        .where((Qualification.id == qualification_id) & (Qualification.vendor == vendor_id))
        .first()
    )
    if row is None or row["scan"] is None:
        raise NotFound("qualification scan", qualification_id)
    return await files.content(row["scan"])


async def remove_qualification(actor: Principal, vendor_id: int, qualification_id: int) -> None:
    _ensure_keeper(actor)
    async with db.transaction():
        # Locked: of two removals at once, the second finds it gone (404) and records nothing.
        row = await db.locked(
            Qualification.select().where(
                (Qualification.id == qualification_id) & (Qualification.vendor == vendor_id)
            )
        ).first()
        if row is None:
            raise NotFound("qualification", qualification_id)
        await Qualification.delete().where(Qualification.id == qualification_id)
        await audit.record(
            actor,
            "vendor",
            vendor_id,
            "remove_qualification",
            {
                "qualification_id": qualification_id,
                **{k: row[k] for k in ("kind", "number", "issued_on", "expires_on")},
            },
            None,
        )


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
    day, and its qualification periods by kind (only those on record by `recorded_by`, so a
    licence uploaded after a bid deadline does not count for it)."""
    if not vendor_ids:
        return {}
    rows = await Vendor.select(
        Vendor.id, Vendor.name, Vendor.uscc, Vendor.status, Vendor.suspended_until
    ).where(Vendor.id.is_in(vendor_ids))
    categories = await _categories(vendor_ids)
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
    categories = await _categories(vendor_ids)
    return {r["id"]: {**r, "categories": categories[r["id"]]} for r in rows}


async def qualifications_crossing_warnings(on: date) -> list[dict]:
    """Qualifications that enter the warning window on that day, or expire on it: the
    scheduler's daily warnings (each qualification warned of on two days, no more)."""
    days = get_settings().qualification_warning_days
    rows = await Qualification.select(
        Qualification.id,
        Qualification.vendor,
        Qualification.kind,
        Qualification.expires_on,
        Qualification.vendor.name.as_alias("vendor_name"),
    ).where(Qualification.expires_on.is_in([on, on + timedelta(days=days)]))
    for r in rows:
        await notify(
            Event(
                "qualification.expiring",
                f"qualification:{r['id']}:expiring:{on.isoformat()}",
                {
                    "vendor": r["vendor_name"],
                    "qualification": QUALIFICATION_KINDS.get(r["kind"], (r["kind"],))[0],
                    "expires": r["expires_on"].isoformat(),
                },
                f"/vendors/{r['vendor']}",
            ),
            Audience(roles=REGISTRY_KEEPERS, vendor_ids=(r["vendor"],)),
        )
    return [
        {"qualification": r["id"], "vendor": r["vendor"], "expires_on": r["expires_on"]}
        for r in rows
    ]


async def active_vendor_ids_in(category: str) -> list[int]:
    """The active vendors offering a category: who is told of a tender in it."""
    rows = await VendorCategory.select(VendorCategory.vendor).where(
        (VendorCategory.category == category) & (VendorCategory.vendor.status == "active")
    )
    return [r["vendor"] for r in rows]
