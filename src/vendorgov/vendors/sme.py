"""Small and micro enterprise declarations (§3a): the vendor (or a procurement officer for it)
declares its size with the evidence; tenders read the declaration at opening (standing)."""

from __future__ import annotations

from vendorgov import db
from vendorgov.accounts.roles import REGISTRY_KEEPERS, Principal
from vendorgov.audit import service as audit
from vendorgov.errors import Forbidden, NotFound
from vendorgov.vendors import rules
from vendorgov.vendors.service import lock_vendor, utc_now
from vendorgov.vendors.tables import Vendor


def ensure_declarer(actor: Principal, vendor_id: int) -> None:
    if actor.is_vendor and actor.vendor_id == vendor_id:
        return
    if actor.is_vendor:
        raise NotFound("vendor", vendor_id)
    if actor.role not in REGISTRY_KEEPERS:
        raise Forbidden("the vendor or a procurement officer declares the enterprise size")


async def declare_sme(actor: Principal, vendor_id: int, size: str, evidence: str) -> bool:
    """Record (or, with size "", withdraw) the declaration; audited. Returns False when it was
    recorded already (the same declaration sent again)."""
    ensure_declarer(actor, vendor_id)
    size, evidence = (size or "").strip(), (evidence or "").strip()
    rules.sme_errors(size, evidence).raise_if_any()
    if not size:
        evidence = ""
    async with db.transaction():
        row = await lock_vendor(vendor_id)
        before = {"sme_size": row["sme_size"], "sme_evidence": row["sme_evidence"]}
        after = {"sme_size": size, "sme_evidence": evidence}
        if before == after:
            return False
        await Vendor.update(
            {
                Vendor.sme_size: size,
                Vendor.sme_evidence: evidence,
                Vendor.sme_declared_at: utc_now() if size else None,
                Vendor.sme_declared_by: actor.username if size else "",
                Vendor.updated_at: utc_now(),
            }
        ).where(Vendor.id == vendor_id)
        await audit.record(actor, "vendor", vendor_id, "declare_sme", before, after)
    return True
