"""Invitations of an invited tender (§3a): the officer invites at least three qualified vendors
of the category from the registry, each with a reason; only they see the tender and bid."""

from __future__ import annotations

import json

from vendorgov import db
from vendorgov.accounts.roles import Principal
from vendorgov.audit import service as audit
from vendorgov.errors import Collector, Conflict, Forbidden, InvalidInput
from vendorgov.i18n import _
from vendorgov.paging import export_rows
from vendorgov.tenders import common, rules
from vendorgov.tenders.rules import Method
from vendorgov.tenders.tables import Invitation
from vendorgov.vendors import service as vendors


async def candidates(actor: Principal, tender_id: int) -> list[dict]:
    """The registry's vendors an officer may invite: active, of the tender's category, holding
    every required qualification today; each with whether it is invited already."""
    common.ensure_officer(actor)
    row = await common.tender_row(tender_id)
    # Chosen while a draft: later the list would sit beside the bids (and could hint at who bid).
    common.ensure_action(row, "invite")
    registry = await export_rows(
        vendors.list_vendors, actor, category=row["category"], status="active"
    )
    ids = [v["id"] for v in registry]
    today = common.local(common.now()).date()
    standing = await vendors.standing(ids, today)
    required = json.loads(row["qualification_types"])
    invited = await common.invited_vendors(tender_id)
    return [
        {"id": i, "name": standing[i]["name"], "invited": i in invited}
        for i in ids
        if standing[i]["status"] == "active"
        and not rules.missing_qualifications(standing[i]["qualifications"], required, today)
    ]


async def invite(actor: Principal, tender_id: int, vendor_id: int, reason: str) -> None:
    """Invite a qualified vendor to a draft invited tender, with the reason for choosing it.
    Inviting it again changes nothing (the first invitation and its reason stand)."""
    common.ensure_officer(actor)
    reason = common.written_reason(reason)
    async with db.transaction():
        row = await common.tender_row(tender_id, lock=True)
        if row["method"] != Method.invited:
            raise Conflict(_("Only an invited tender has invitations."))
        common.ensure_action(row, "invite")
        if vendor_id in await common.invited_vendors(tender_id):
            return
        if vendor_id not in {c["id"] for c in await candidates(actor, tender_id)}:
            raise InvalidInput.single(
                "vendor_id",
                "qualified",
                _(
                    "Vendor: invite an active vendor of the tender's service category that "
                    "holds the required qualifications."
                ),
            )
        now = common.now()
        await Invitation.insert(
            Invitation(
                tender=tender_id,
                vendor=vendor_id,
                reason=reason,
                invited_by=actor.username,
                invited_at=now,
            )
        )
        name = (await vendors.standing([vendor_id], now.date()))[vendor_id]["name"]
        await audit.record(
            actor, "tender", tender_id, "invite", None, {"vendor": name, "reason": reason}
        )


async def invitations(actor: Principal, tender_id: int) -> list[dict]:
    """Who was invited and why, for the officers (vendors never see the list)."""
    if actor.role not in common.STAFF:
        raise Forbidden(_("Only hospital staff see the invitation list."))
    rows = await Invitation.select().where(Invitation.tender == tender_id).order_by(Invitation.id)
    standing = await vendors.standing([r["vendor"] for r in rows], common.now().date())
    return [
        {
            "vendor": r["vendor"],
            "vendor_name": standing[r["vendor"]]["name"],
            "reason": r["reason"],
            "invited_by": r["invited_by"],
            "invited_at": r["invited_at"],
        }
        for r in rows
    ]


async def publish_errors(row: dict, errors: Collector) -> None:
    """§3a: an invited tender is published with at least MIN_INVITED invitations."""
    if row["method"] != Method.invited:
        return
    invited = len(await common.invited_vendors(row["id"]))
    if invited < rules.MIN_INVITED:
        errors.add(
            "invitations",
            "minimum",
            _(
                "Invitations: invite at least %(min)s qualified vendors (now %(invited)s).",
                min=rules.MIN_INVITED,
                invited=invited,
            ),
        )
