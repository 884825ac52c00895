"""The evaluation panel's make-up (§3): the experts' pool of each service category, the random
draw of experts (reproducible from its stored seed, recorded in the audit trail), replacements
for members who declared a conflict, the purchaser representatives the officer appoints, and
the size and two-thirds-experts rules every step and the scoring check."""

from __future__ import annotations

import json
import secrets

from vendorgov import db
from vendorgov.accounts import service as accounts
from vendorgov.accounts.roles import Principal, Role
from vendorgov.audit import service as audit
from vendorgov.errors import Conflict, FieldError, Forbidden, InvalidInput, NotFound
from vendorgov.i18n import N_, _
from vendorgov.settings import get_settings
from vendorgov.tenders import alerts, common, panel_rules, rules
from vendorgov.tenders.panel_rules import PanelRole
from vendorgov.tenders.rules import Method, Status
from vendorgov.tenders.tables import ExpertPoolEntry, PanelDraw, PanelMember
from vendorgov.vendors.rules import CATEGORY_LABELS

# The panel changes while the tender is published or opened (before scoring closes).
CHANGEABLE = (Status.published, Status.opened)


def sizes() -> panel_rules.PanelSizes:
    settings = get_settings()
    return panel_rules.PanelSizes(
        settings.panel_minimum_open,
        settings.panel_minimum_large,
        db.two_places(settings.panel_large_budget),
    )


def counts(members: list[dict]) -> tuple[int, int]:
    """(experts, purchaser representatives) among the members who did not leave."""
    active = common.active_members(members)
    experts = sum(1 for m in active if m["role"] == PanelRole.expert)
    return experts, len(active) - experts


def problems(row: dict, experts: int, representatives: int) -> list[panel_rules.PanelProblem]:
    return panel_rules.panel_errors(
        experts, representatives, Method(row["method"]), row["budget_ceiling"], sizes()
    )


def _words(found: list[panel_rules.PanelProblem]) -> str:
    return "; ".join(_(p.message, **p.params) for p in found)


def ensure_valid(row: dict, experts: int, representatives: int, field: str = "panel") -> None:
    """422 naming every rule a panel of this make-up breaks, in the reader's language."""
    found = problems(row, experts, representatives)
    if found:
        raise InvalidInput([FieldError(field, p.rule, _(p.message, **p.params)) for p in found])


async def members_of(tender_id: int) -> list[dict]:
    return (
        await PanelMember.select().where(PanelMember.tender == tender_id).order_by(PanelMember.id)
    )


async def ensure_complete(row: dict) -> None:
    """Scoring needs a panel that keeps §3's rules: a member who left for a conflict of interest
    is replaced first (409 saying so)."""
    found = problems(row, *counts(await members_of(row["id"])))
    if found:
        raise Conflict(
            _(
                "Panel: the panel breaks the rules (%(problems)s); the procurement officer "
                "must complete it before scoring.",
                problems=_words(found),
            )
        )


def _unchangeable(row: dict) -> Conflict:
    label = _(rules.STATUS_LABELS[row["status"]][0])
    return Conflict(_("The panel of a tender that is %(status)s cannot change.", status=label))


def _category(category: str) -> str:
    if category not in CATEGORY_LABELS:
        raise InvalidInput.single(
            "category",
            "one_of",
            _("Category: one of %(categories)s.", categories=", ".join(CATEGORY_LABELS)),
        )
    return category


# --- the experts' pools ------------------------------------------------------------------------


async def pool(actor: Principal, category: str) -> list[dict]:
    """A category's pool: every evaluator account ever added, with its name and whether it is
    in the pool now (staff only)."""
    if actor.role not in common.STAFF:
        raise Forbidden(_("The experts' pools are kept by procurement."))
    rows = (
        await ExpertPoolEntry.select()
        .where(ExpertPoolEntry.category == _category(category))
        .order_by(ExpertPoolEntry.evaluator)
    )
    names = {a["user_id"]: a for a in await accounts.active_accounts(Role.evaluator)}
    return [
        {
            "evaluator": r["evaluator"],
            "display_name": names[r["evaluator"]]["display_name"]
            if r["evaluator"] in names
            else "",
            "username": names[r["evaluator"]]["username"] if r["evaluator"] in names else "",
            "active": r["active"] and r["evaluator"] in names,
            "added_by": r["added_by"],
            "added_at": r["added_at"],
        }
        for r in rows
    ]


async def pool_candidates(actor: Principal, category: str) -> list[dict]:
    """Active evaluator accounts not in the category's pool now (what the officer may add)."""
    inside = {e["evaluator"] for e in await pool(actor, category) if e["active"]}
    return [a for a in await accounts.active_accounts(Role.evaluator) if a["user_id"] not in inside]


async def representative_candidates(actor: Principal, tender_id: int) -> list[dict]:
    """Active evaluator accounts not on the tender's panel (whom the officer may appoint)."""
    if actor.role not in common.STAFF:
        raise Forbidden(_("The panel's make-up is decided by procurement."))
    seated = {m["evaluator"] for m in await members_of(tender_id)}
    return [a for a in await accounts.active_accounts(Role.evaluator) if a["user_id"] not in seated]


async def _evaluator(evaluator_id: int) -> dict:
    for account in await accounts.active_accounts(Role.evaluator):
        if account["user_id"] == evaluator_id:
            return account
    raise InvalidInput.single(
        "evaluator_id", "evaluator", _("Expert: choose an active evaluator account.")
    )


async def add_to_pool(actor: Principal, category: str, evaluator_id: int) -> bool:
    """Put an evaluator account in a category's pool. Adding one already there changes nothing
    (False); two additions at once make one entry."""
    common.ensure_officer(actor)
    category = _category(category)
    account = await _evaluator(evaluator_id)
    async with db.transaction():
        # One at a time per category: the second addition sees the first one's row.
        await db.serialize(f"expert-pool:{category}")
        entry = (
            await ExpertPoolEntry.select()
            .where(
                (ExpertPoolEntry.category == category) & (ExpertPoolEntry.evaluator == evaluator_id)
            )
            .first()
        )
        if entry is not None and entry["active"]:
            return False
        now = common.now()
        if entry is None:
            await ExpertPoolEntry.insert(
                ExpertPoolEntry(
                    category=category,
                    evaluator=evaluator_id,
                    active=True,
                    added_by=actor.username,
                    added_at=now,
                    changed_at=now,
                )
            )
        else:
            await ExpertPoolEntry.update(
                {ExpertPoolEntry.active: True, ExpertPoolEntry.changed_at: now}
            ).where(ExpertPoolEntry.id == entry["id"])
        await audit.record(
            actor,
            "expert_pool",
            category,
            "add_expert",
            None,
            {"expert": account["username"], "name": account["display_name"]},
        )
    return True


async def remove_from_pool(actor: Principal, category: str, evaluator_id: int) -> bool:
    """Take an account out of a category's pool (its entry is kept, inactive). Panels it sits
    on already are not changed."""
    common.ensure_officer(actor)
    category = _category(category)
    async with db.transaction():
        await db.serialize(f"expert-pool:{category}")
        changed = (
            await ExpertPoolEntry.update(
                {ExpertPoolEntry.active: False, ExpertPoolEntry.changed_at: common.now()}
            )
            .where(
                (ExpertPoolEntry.category == category)
                & (ExpertPoolEntry.evaluator == evaluator_id)
                & (ExpertPoolEntry.active == True)  # noqa: E712
            )
            .returning(ExpertPoolEntry.id)
        )
        if not changed:
            return False
        await audit.record(
            actor, "expert_pool", category, "remove_expert", {"expert": evaluator_id}, None
        )
    return True


async def _pool_ids(category: str) -> list[int]:
    """The pool's accounts that may be drawn: in the pool and active evaluators, ascending."""
    active = {a["user_id"] for a in await accounts.active_accounts(Role.evaluator)}
    rows = await ExpertPoolEntry.select(ExpertPoolEntry.evaluator).where(
        (ExpertPoolEntry.category == category) & (ExpertPoolEntry.active == True)  # noqa: E712
    )
    return sorted(r["evaluator"] for r in rows if r["evaluator"] in active)


def _excluded(members: list[dict]) -> list[dict]:
    """Who a draw leaves out: everyone on this tender's panel, or who was and declared a
    conflict of interest with a bidder. (Evaluator accounts belong to no vendor: a vendor's
    staff cannot be evaluators at all.)"""
    return [
        {"account": m["evaluator"], "why": "conflict" if m["conflict"] else "on_panel"}
        for m in members
    ]


# --- the draw ------------------------------------------------------------------------------------


async def plan(actor: Principal, tender_id: int) -> dict:
    """What a draw would do now, for the confirmation: the pool, who it leaves out, how many
    experts the panel still needs, and the members who left and await a replacement."""
    if actor.role not in common.STAFF:
        raise Forbidden(_("The panel's make-up is decided by procurement."))
    row = await common.tender_row(tender_id)
    members = await members_of(tender_id)
    experts, representatives = counts(members)
    pool_ids = await _pool_ids(row["category"])
    excluded = {e["account"] for e in _excluded(members)}
    first = await PanelDraw.exists().where(
        (PanelDraw.tender == tender_id) & (PanelDraw.replaces.is_null())
    )
    replaced = {
        r["replaces"]
        for r in await PanelDraw.select(PanelDraw.replaces).where(PanelDraw.tender == tender_id)
    }
    awaiting = [
        m
        for m in members
        if m["conflict"] and m["role"] == PanelRole.expert and m["id"] not in replaced
    ]
    return {
        "pool_size": len(pool_ids),
        "eligible": len([i for i in pool_ids if i not in excluded]),
        "excluded": len([i for i in pool_ids if i in excluded]),
        "experts": experts,
        "representatives": representatives,
        "minimum": panel_rules.min_panel(Method(row["method"]), row["budget_ceiling"], sizes()),
        "needed": panel_rules.experts_needed(
            representatives, Method(row["method"]), row["budget_ceiling"], sizes()
        ),
        "drawn": first,
        "awaiting": awaiting,
        "awaiting_ids": [m["id"] for m in awaiting],
        "can_change": row["status"] in CHANGEABLE,
    }


async def draws(actor: Principal, tender_id: int) -> list[dict]:
    """The tender's draws, first to last, with names: seed, pool, drawn, whom each replaced."""
    if actor.role not in common.STAFF:
        raise Forbidden(_("The panel's make-up is decided by procurement."))
    await common.tender_row(tender_id)
    rows = await PanelDraw.select().where(PanelDraw.tender == tender_id).order_by(PanelDraw.id)
    members = {m["id"]: m for m in await members_of(tender_id)}
    people = {
        a["user_id"]: a["display_name"] for a in await accounts.active_accounts(Role.evaluator)
    }
    for m in members.values():
        people.setdefault(m["evaluator"], m["display_name"])
    result = []
    for r in rows:
        drawn = json.loads(r["drawn"])
        replaced = members.get(r["replaces"]) if r["replaces"] else None
        result.append(
            {
                "id": r["id"],
                "seed": r["seed"],
                "pool": json.loads(r["pool"]),
                "excluded": json.loads(r["excluded"]),
                "drawn": drawn,
                "drawn_names": [people.get(i, "") for i in drawn],
                "replaces_name": replaced["display_name"] if replaced else "",
                "reason": r["reason"],
                "drawn_by": r["drawn_by"],
                "drawn_at": r["drawn_at"],
            }
        )
    return result


async def on_record(tender_id: int) -> dict:
    """What the evaluation report prints of the panel: every member (with whom a drawn
    replacement took the place of), and the draws' seeds. No permission check: the report's."""
    members = await members_of(tender_id)
    rows = await PanelDraw.select().where(PanelDraw.tender == tender_id).order_by(PanelDraw.id)
    by_account = {m["evaluator"]: m["display_name"] for m in members}
    replaced_by = {
        r["replaces"]: "、".join(by_account.get(i, "") for i in json.loads(r["drawn"]))
        for r in rows
        if r["replaces"]
    }
    return {
        "panel": [{**m, "replaced_by": replaced_by.get(m["id"], "")} for m in members],
        "draws": [{"seed": r["seed"], "drawn_at": r["drawn_at"]} for r in rows],
    }


async def _seat(row: dict, user_ids: list[int], role: PanelRole) -> list[str]:
    evaluators = {a["user_id"]: a for a in await accounts.active_accounts(Role.evaluator)}
    now = common.now()
    for user_id in user_ids:
        account = evaluators[user_id]
        await PanelMember(
            tender=row["id"],
            evaluator=user_id,
            username=account["username"],
            display_name=account["display_name"],
            assigned_at=now,
            role=role.value,
        ).save()
    await alerts.panel_assigned(row, user_ids)
    return [evaluators[i]["username"] for i in user_ids]


async def _record_draw(
    actor: Principal,
    row: dict,
    members: list[dict],
    n: int,
    replaces: dict | None = None,
    reason: str = "",
) -> dict:
    pool_ids = await _pool_ids(row["category"])
    excluded = _excluded(members)
    eligible = len(set(pool_ids) - {e["account"] for e in excluded})
    if n > eligible:
        raise InvalidInput.single(
            "count",
            "pool_too_small",
            _(
                "Experts: the category's pool has %(eligible)s expert(s) who may be drawn; "
                "add experts to the pool to draw %(count)s.",
                eligible=eligible,
                count=n,
            ),
        )
    seed = secrets.token_hex(16)
    drawn = panel_rules.draw(pool_ids, seed, n, [e["account"] for e in excluded])
    now = common.now()
    await PanelDraw.insert(
        PanelDraw(
            tender=row["id"],
            seed=seed,
            pool=json.dumps(pool_ids),
            excluded=json.dumps(excluded),
            drawn=json.dumps(drawn),
            replaces=replaces["id"] if replaces else None,
            reason=reason,
            drawn_by=actor.username,
            drawn_at=now,
        )
    )
    usernames = await _seat(row, drawn, PanelRole.expert)
    after = {
        "seed": seed,
        "pool": pool_ids,
        "excluded": excluded,
        "drawn": drawn,
        "drawn_usernames": usernames,
    }
    if replaces:
        after.update(replaces=replaces["username"], reason=reason)
    await audit.record(
        actor, "tender", row["id"], "draw_replacement" if replaces else "draw_experts", None, after
    )
    return {"seed": seed, "drawn": drawn, "usernames": usernames}


async def draw_experts(actor: Principal, tender_id: int, count: int) -> dict:
    """Draw `count` experts at random from the tender's category pool (once per tender; later
    draws replace members who left). The panel they make with the purchaser representatives
    must keep §3's rules."""
    common.ensure_officer(actor)
    if not 1 <= count <= 99:
        raise InvalidInput.single("count", "range", _("Experts: draw from 1 to 99."))
    async with db.transaction():
        row = await common.tender_row(tender_id, lock=True)
        if row["status"] not in CHANGEABLE:
            raise _unchangeable(row)
        if await PanelDraw.exists().where(
            (PanelDraw.tender == tender_id) & (PanelDraw.replaces.is_null())
        ):
            raise Conflict(
                _(
                    "Draw: the experts of this tender were drawn already; draw replacements "
                    "for members who left."
                )
            )
        members = await members_of(tender_id)
        experts, representatives = counts(members)
        ensure_valid(row, experts + count, representatives, "count")
        return await _record_draw(actor, row, members, count)


async def draw_replacement(actor: Principal, tender_id: int, member_id: int) -> dict:
    """Draw one expert to replace a drawn expert who declared a conflict of interest, with
    the conflict as the recorded reason. Asking twice replaces once (409 the second time)."""
    common.ensure_officer(actor)
    async with db.transaction():
        row = await common.tender_row(tender_id, lock=True)
        if row["status"] not in CHANGEABLE:
            raise _unchangeable(row)
        members = await members_of(tender_id)
        member = next((m for m in members if m["id"] == member_id), None)
        if member is None:
            raise NotFound(N_("panel member"), member_id)
        if not member["conflict"] or member["role"] != PanelRole.expert:
            raise Conflict(
                _("Member: only an expert who declared a conflict of interest is replaced.")
            )
        if await PanelDraw.exists().where(PanelDraw.replaces == member_id):
            raise Conflict(_("Member: this member was replaced already."))
        reason = _(
            "declared a conflict of interest with a bidder: %(note)s", note=member["conflict_note"]
        )
        return await _record_draw(actor, row, members, 1, member, reason)


async def assign_panel(
    actor: Principal,
    tender_id: int,
    evaluator_ids: list[int],
    role: PanelRole = PanelRole.purchaser_rep,
) -> None:
    """Appoint purchaser representatives (evaluator accounts) to the panel. Once experts are
    drawn the panel must keep §3's rules (odd, the minimum, two thirds experts); before the
    draw the officer may appoint them first. Experts come only from the draw."""
    common.ensure_officer(actor)
    if role is not PanelRole.purchaser_rep:
        raise InvalidInput.single(
            "role", "drawn", _("Experts are drawn at random from the category's pool.")
        )
    evaluators = {a["user_id"]: a for a in await accounts.active_accounts(Role.evaluator)}
    unknown = [i for i in evaluator_ids if i not in evaluators]
    if unknown or not evaluator_ids:
        raise InvalidInput.single(
            "evaluator_ids",
            "evaluators",
            _("Representatives: choose active evaluator accounts."),
        )
    async with db.transaction():
        row = await common.tender_row(tender_id, lock=True)
        if row["status"] not in CHANGEABLE:
            raise _unchangeable(row)
        members = await members_of(tender_id)
        present = {m["evaluator"] for m in members}
        new = [i for i in dict.fromkeys(evaluator_ids) if i not in present]
        if not new:
            return  # all of them are on the panel already (e.g. the same request twice)
        experts, representatives = counts(members)
        if experts:
            ensure_valid(row, experts, representatives + len(new), "evaluator_ids")
        usernames = await _seat(row, new, PanelRole.purchaser_rep)
        await audit.record(
            actor,
            "tender",
            tender_id,
            "assign_panel",
            {"panel": sorted(m["username"] for m in members)},
            {
                "panel": sorted([m["username"] for m in members] + usernames),
                "purchaser_representatives": usernames,
            },
        )
