"""Helpers every tender stage shares: the clock and zone, permission checks, reading a tender
(locked or not) as pages show it, a bid as shown, and the tender key and envelope contexts
the sealing uses."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from decimal import Decimal

from vendorgov import db, recorded
from vendorgov.accounts.roles import Principal, Role, role_label
from vendorgov.audit import service as audit
from vendorgov.contracts.ocds import term_months
from vendorgov.errors import Conflict, Forbidden, InvalidInput, NotFound
from vendorgov.humane import status_label
from vendorgov.i18n import N_, _
from vendorgov.settings import get_settings
from vendorgov.tenders import ranking_rules, rules, sealing
from vendorgov.tenders.rules import Criterion, Method, Status
from vendorgov.tenders.tables import Bid, Invitation, PanelMember, Tender
from vendorgov.vendors import service as vendors
from vendorgov.vendors.rules import CATEGORY_LABELS, QUALIFICATION_KINDS

STAFF = (Role.admin, Role.procurement)
# Who bid is sealed like the bid (§3): the audit trail names this actor for submissions and
# withdrawals, with the bidder encrypted under the tender key, revealed at opening.
SEALED_BIDDER = audit.SystemActor(username="bidder (sealed until opening)")
MIN_REASON = 5


def now() -> datetime:
    return datetime.now(UTC)


def local(at: datetime) -> datetime:
    return at.astimezone(get_settings().zone)


# --- permissions -----------------------------------------------------------------------------

# The steps of a tender (rules.ACTIONS), as a refusal names them.
ACTION_LABELS = {
    "edit": N_("edit the tender"),
    "invite": N_("invite vendors"),
    "publish": N_("publish"),
    "cancel": N_("cancel the tender"),
    "change_deadline": N_("change the bid deadline"),
    "open": N_("open the bids"),
    "review": N_("review the bids"),
    "assign_panel": N_("assign the evaluation panel"),
    "close_evaluation": N_("close the evaluation"),
    "fail": N_("declare the tender failed"),
    "award": N_("award"),
}


def ensure_officer(principal: Principal) -> None:
    # §3: tenders are run by procurement officers; administrators only read them.
    if principal.role is not Role.procurement:
        raise Forbidden(_("Only procurement officers run tenders."))


def ensure_action(tender: dict, action: str) -> None:
    if not rules.allows(Status(tender["status"]), action):
        raise Conflict(
            _(
                "A tender that is %(status)s does not allow this: %(action)s.",
                status=status_label(tender["status"]),
                action=_(ACTION_LABELS[action]) if action in ACTION_LABELS else action,
            )
        )


def written_reason(text: str, field_name: str = "reason") -> str:
    text = (text or "").strip()
    if len(text) < MIN_REASON:
        raise InvalidInput.single(
            field_name,
            "required",
            _(
                "Reason: give a written reason of at least %(n)s characters; it is recorded.",
                n=MIN_REASON,
            ),
        )
    return text


# --- reading ---------------------------------------------------------------------------------

_SECRET_COLUMNS = ("sealed_key", "released_key")


def criteria_of(text: str) -> list[Criterion]:
    return [
        Criterion(
            c["key"],
            c["name"],
            Decimal(str(c["weight"])),
            c.get("source", rules.Source.panel.value),
            Decimal(str(c["no_history_score"])) if c.get("no_history_score") is not None else None,
        )
        for c in json.loads(text)
    ]


def criterion_plain(c: Criterion) -> dict:
    """A criterion as the tender's criteria JSON keeps it (and the API shows it)."""
    plain: dict = {"key": c.key, "name": c.name.strip(), "weight": str(c.weight)}
    if c.is_past_performance:
        plain["source"] = c.source
        plain["no_history_score"] = str(c.no_history_score)
    return plain


def decorate(row: dict, at: datetime | None = None) -> dict:
    """A tender as pages and the API show it: never its key."""
    at = at or now()
    tender = {k: v for k, v in row.items() if k not in _SECRET_COLUMNS}
    tender["budget_ceiling"] = db.two_places(row["budget_ceiling"])
    tender["bid_security"] = db.two_places(row["bid_security"])
    tender["sme_percent"] = db.two_places(row["sme_percent"])
    tender["qualification_types"] = json.loads(row["qualification_types"])
    tender["criteria"] = criteria_of(row["criteria"])
    tender["documents"] = json.loads(row["documents"])
    tender["sla_template"] = json.loads(row["sla_template"])
    tender["closed_reason"] = recorded.read(row["closed_reason"])
    tender["deadline_passed"] = at >= row["bid_deadline"]
    tender["closes_in"] = (row["bid_deadline"] - at).total_seconds()
    tender["bid_deadline_local"] = local(row["bid_deadline"])
    tender["months"] = term_months(row["service_start"], row["service_end"])
    tender["labels"] = {
        "category": CATEGORY_LABELS.get(row["category"], (row["category"],) * 2),
        "method": rules.METHOD_LABELS[row["method"]],
        "evaluation": rules.EVALUATION_LABELS[row["evaluation_method"]],
        "status": rules.STATUS_LABELS[row["status"]],
        "tie_rule": ranking_rules.TIE_RULE_LABELS.get(
            row["tie_rule"], ranking_rules.TIE_RULE_LABELS[""]
        ),
        "qualifications": [
            QUALIFICATION_KINDS.get(q, (q, q)) for q in tender["qualification_types"]
        ],
    }
    tender["actions"] = list(rules.ACTIONS[Status(row["status"])])
    return tender


async def tender_row(tender_id: int, lock: bool = False) -> dict:
    """The tender; with lock (inside a transaction), locked until the transaction ends. Every
    change to a tender, its bids, panel and scores takes this lock first and decides on what
    it reads after it, so changes to one tender run one at a time and the second sees the
    first's result."""
    query = Tender.select().where(Tender.id == tender_id)
    row = await (db.locked(query) if lock else query).first()
    if row is None:
        raise NotFound(N_("tender"), tender_id)
    return row


async def member_of(tender_id: int, user_id: int) -> dict | None:
    return (
        await PanelMember.select()
        .where((PanelMember.tender == tender_id) & (PanelMember.evaluator == user_id))
        .first()
    )


async def vendor_categories(principal: Principal) -> list[str]:
    return (await vendors.standing([principal.vendor_id], now().date()))[principal.vendor_id][
        "categories"
    ]


async def invited_vendors(tender_id: int) -> set[int]:
    rows = await Invitation.select(Invitation.vendor).where(Invitation.tender == tender_id)
    return {r["vendor"] for r in rows}


async def ensure_reader(principal: Principal, row: dict) -> None:
    """Staff read every tender; a vendor a published one of its categories (an invited tender
    only when invited, §3a) or one it bid on; an evaluator those whose panel it sits on.
    Anything else does not exist for them (404)."""
    if principal.role in STAFF:
        return
    if principal.is_vendor:
        if (
            row["status"] == Status.published
            and row["category"] in await vendor_categories(principal)
            and (
                row["method"] != Method.invited
                or principal.vendor_id in await invited_vendors(row["id"])
            )
        ):
            return
        if await Bid.exists().where(
            (Bid.tender == row["id"]) & (Bid.vendor == principal.vendor_id)
        ):
            return
        raise NotFound(N_("tender"), row["id"])
    if principal.role is Role.evaluator and await member_of(row["id"], principal.user_id):
        return
    if principal.role is Role.evaluator:
        raise NotFound(N_("tender"), row["id"])
    raise Forbidden(
        _("The %(role)s role has no access to tenders.", role=role_label(principal.role))
    )


def bid_view(row: dict, opened: bool) -> dict:
    """A bid as shown: before opening only that it exists, when it arrived and its digest."""
    view = {
        "id": row["id"],
        "tender": row["tender"],
        "state": row["state"],
        "received_at": row["received_at"],
        "received_at_local": local(row["received_at"]),
        "digest": row["digest"],
        "file_count": row["file_count"],
    }
    if opened:
        view.update(
            price=db.two_places(row["price"]),
            digest_ok=row["digest_ok"],
            invalid_reasons=[recorded.read(r) for r in json.loads(row["invalid_reasons"])],
            compliance=row["compliance"],
            compliance_reason=row["compliance_reason"],
            abnormally_low=bool(row["abnormally_low"]),
            low_decision=row["low_decision"],
            low_reason=row["low_reason"],
            sme_size=row["sme_size"],
            past_score=db.two_places(row["past_score"]),
            past_months=row["past_months"],
        )
        view["eligible"] = is_eligible(view)
    return view


def is_eligible(bid: dict) -> bool:
    """Valid at opening, not ruled non-compliant, not rejected as abnormally low."""
    return (
        bid["state"] == "active"
        and bid.get("price") is not None
        and not bid["invalid_reasons"]
        and bid["compliance"] != "non_compliant"
        and bid["low_decision"] != "rejected"
    )


def tender_key(row: dict) -> bytes:
    if row["released_key"]:
        return base64.b64decode(row["released_key"])
    return sealing.unwrap_key(get_settings().secret_key, row["sealed_key"], row["reference"])


def envelope_context(row: dict, vendor_id: int) -> str:
    return f"{row['reference']}:bid:{vendor_id}"


def file_context(row: dict, salt: str, position: int) -> str:
    return f"{row['reference']}:file:{salt}:{position}"


def file_names(bid: dict, tender: dict) -> list[dict]:
    """Names and sizes of an opened bid's files (from its opened content)."""
    try:
        content = open_envelope(tender, bid)
    except sealing.SealBroken:
        return []
    return [{"position": i, **f} for i, f in enumerate(content["files"])]


def open_envelope(tender: dict, bid: dict) -> dict:
    data = sealing.decrypt(
        tender_key(tender),
        base64.b64decode(bid["sealed"]),
        envelope_context(tender, bid["vendor"]),
    )
    return json.loads(data)


def active_members(members: list[dict]) -> list[dict]:
    return [m for m in members if not m["conflict"]]


def bidder_context(row: dict) -> str:
    return f"{row['reference']}:bidder"


def seal_bidder(key: bytes, row: dict, actor: Principal) -> str:
    """The bidding vendor and user, encrypted for the audit entry (see SEALED_BIDDER)."""
    who = json.dumps({"vendor": actor.vendor_id, "user": actor.username}).encode()
    return base64.b64encode(sealing.encrypt(key, who, bidder_context(row))).decode()
