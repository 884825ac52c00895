"""Vendors, qualifications and their expiry: uploading a qualification (licence, certificate)
with its scan, reading the scan, removing one, the page of qualifications expiring soon, and
the scheduler's daily warnings for those entering the warning window or expiring on a day."""

from __future__ import annotations

from datetime import date, timedelta

from vendorgov import db, paging
from vendorgov.accounts.roles import REGISTRY_KEEPERS, REGISTRY_READERS, Principal
from vendorgov.audit import service as audit
from vendorgov.errors import NotFound
from vendorgov.files import service as files
from vendorgov.i18n import N_, _
from vendorgov.notifications.service import Audience, Event, notify_many
from vendorgov.paging import Page, PageRequest
from vendorgov.settings import get_settings
from vendorgov.vendors import rules
from vendorgov.vendors.rules import (
    QUALIFICATION_KINDS,
    QualificationInput,
)
from vendorgov.vendors.service import (
    decorate_qualification,
    ensure_keeper,
    ensure_reader,
    require_vendor,
    today,
    utc_now,
)
from vendorgov.vendors.tables import Qualification


def _ensure_qualification_uploader(principal: Principal, vendor_id: int) -> None:
    """Vendors keep their own licences current; the registry keepers may upload for anyone."""
    if principal.is_vendor and principal.vendor_id == vendor_id:
        return
    ensure_reader(principal, vendor_id)
    ensure_keeper(principal)


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
    page.items = [decorate_qualification(q, on) for q in page.items]
    return page


async def add_qualification(
    actor: Principal, vendor_id: int, data: QualificationInput, scan: files.Upload | None
) -> int:
    _ensure_qualification_uploader(actor, vendor_id)
    errors = rules.qualification_errors(data)
    if scan is None:
        errors.add("scan", "required", _("Scan: upload the scanned licence (PDF, PNG or JPEG)."))
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
            Qualification(vendor=vendor_id, scan=file_id, created_at=utc_now(), **values)
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
    ensure_reader(principal, vendor_id)
    row = (
        await Qualification.select(Qualification.scan)
        .where((Qualification.id == qualification_id) & (Qualification.vendor == vendor_id))
        .first()
    )
    if row is None or row["scan"] is None:
        raise NotFound(N_("qualification scan"), qualification_id)
    return await files.content(row["scan"])


async def remove_qualification(actor: Principal, vendor_id: int, qualification_id: int) -> None:
    ensure_keeper(actor)
    async with db.transaction():
        # Locked: of two removals at once, the second finds it gone (404) and records nothing.
        row = await db.locked(
            Qualification.select().where(
                (Qualification.id == qualification_id) & (Qualification.vendor == vendor_id)
            )
        ).first()
        if row is None:
            raise NotFound(N_("qualification"), qualification_id)
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
    await notify_many(
        [
            (
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
            for r in rows
        ]
    )
    return [
        {"qualification": r["id"], "vendor": r["vendor"], "expires_on": r["expires_on"]}
        for r in rows
    ]
