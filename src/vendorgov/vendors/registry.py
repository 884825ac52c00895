"""Vendors, registry changes: registering a vendor (unique USCC), editing it, the status moves
(suspend for a period, reinstate, blacklist, ...), deleting one with no history, and its
contacts. Each change locks the vendor row and is audited in its transaction."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date

from vendorgov import db, group_commit
from vendorgov.accounts.roles import Principal
from vendorgov.audit import service as audit
from vendorgov.errors import Conflict, FieldError, InvalidInput, NotFound, member_of
from vendorgov.humane import field_label, joined
from vendorgov.i18n import N_, _
from vendorgov.vendors import rules
from vendorgov.vendors.rules import (
    ContactInput,
    Status,
    StatusAction,
    VendorInput,
)
from vendorgov.vendors.service import (
    VENDOR_FIELDS,
    ensure_keeper,
    lock_vendor,
    snapshot,
    today,
    utc_now,
    vendor_categories,
)
from vendorgov.vendors.tables import Contact, Vendor, VendorCategory


async def _ensure_uscc_free(uscc: str, except_id: int | None = None) -> None:
    # Plain SQL on the vendor-create path (see _INSERT_VENDOR).
    rows = await db.fetch("SELECT id, name FROM vendor WHERE uscc = {}", uscc)
    clash = next((r for r in rows if r["id"] != except_id), None)
    if clash:
        message = _(
            "Unified social credit code: %(uscc)s is already registered to vendor %(name)s; "
            "open that vendor instead of registering it again.",
            uscc=uscc,
            name=clash["name"],
        )
        raise Conflict(message, [FieldError("uscc", "unique", message)])


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
    ensure_keeper(actor)
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
            # Committed with the others arriving meanwhile: one chain lock, one WAL flush.
            rows = await group_commit.fetch_grouped(
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
    ensure_keeper(actor)
    data = data.cleaned()
    rules.vendor_errors(data).raise_if_any()
    async with db.transaction():
        row = await lock_vendor(vendor_id)
        before = snapshot(row, (await vendor_categories([vendor_id]))[vendor_id])
        if revision is not None and revision != row["revision"]:
            changes = await audit.history("vendor", vendor_id, limit=5)
            newer = [c for c in changes if c["action"] == "update"][:1]
            fields = (
                joined(field_label(f) for f, _old, _new in newer[0]["changes"])
                if newer
                else _("details")
            )
            raise Conflict(
                _(
                    "Someone else changed this vendor after you opened it (now revision "
                    "%(now)s, yours %(yours)s; changed: %(fields)s). Reload the page and "
                    "make your changes again.",
                    now=row["revision"],
                    yours=revision,
                    fields=fields,
                )
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
                Vendor.updated_at: utc_now(),
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
    ensure_keeper(actor)
    parsed = member_of(StatusAction, action, "action", "unknown_action")
    async with db.transaction():
        row = await lock_vendor(vendor_id)
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
                Vendor.updated_at: utc_now(),
                Vendor.revision: row["revision"] + 1,
            }
        ).where(Vendor.id == vendor_id)
        await audit.record(actor, "vendor", vendor_id, parsed.value, before, after)
    return new.value


async def delete_vendor(actor: Principal, vendor_id: int) -> None:
    """Only a vendor nothing refers to yet (user accounts, contracts, bids) may be deleted;
    otherwise blacklist or suspend it, which keeps the record. The foreign keys decide, so
    the registry needs no look into the accounts."""
    ensure_keeper(actor)
    async with db.transaction():
        row = await lock_vendor(vendor_id)
        before = snapshot(row, (await vendor_categories([vendor_id]))[vendor_id])
        try:
            await Vendor.delete().where(Vendor.id == vendor_id)
        except Exception as error:
            if not db.is_foreign_key_violation(error):
                raise
            message = _(
                "User accounts, contracts or tender bids refer to this vendor: suspend or "
                "blacklist it instead of deleting it."
            )
            raise Conflict(message, [FieldError("vendor_id", "referenced", message)]) from None
        await audit.record(actor, "vendor", vendor_id, "delete", before, None)


async def add_contact(actor: Principal, vendor_id: int, data: ContactInput) -> int:
    ensure_keeper(actor)
    rules.contact_errors(data).raise_if_any()
    async with db.transaction():
        await lock_vendor(vendor_id)  # two primary contacts added at once: one stays primary
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
    ensure_keeper(actor)
    async with db.transaction():
        row = await db.locked(
            Contact.select().where((Contact.id == contact_id) & (Contact.vendor == vendor_id))
        ).first()
        if row is None:
            raise NotFound(N_("contact"), contact_id)
        await Contact.delete().where(Contact.id == contact_id)
        before = {k: row[k] for k in ("name", "title", "phone", "email", "is_primary")}
        await audit.record(
            actor, "vendor", vendor_id, "remove_contact", {"contact_id": contact_id, **before}, None
        )
