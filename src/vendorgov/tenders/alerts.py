"""Who hears of a tender: the active vendors of its category (of an invited tender, only the
invited: nobody else may learn that it exists) when it opens for bids and a day before bids
close; its evaluators when they join the panel; the procurement officers
and the panel an hour before the bids are opened."""

from __future__ import annotations

from datetime import datetime, timedelta

from vendorgov.accounts.roles import Role
from vendorgov.notifications.service import Audience, Event, notify, notify_many, when
from vendorgov.tenders.rules import Method
from vendorgov.tenders.tables import Invitation, PanelMember, Tender
from vendorgov.vendors import service as vendors

DEADLINE_WARNING = timedelta(hours=24)
OPENING_WARNING = timedelta(hours=1)


def _params(tender: dict) -> dict:
    return {
        "tender": f"{tender['reference']} {tender['title']}",
        "deadline": when(tender["bid_deadline"]),
    }


async def _may_bid(tenders: list[dict]) -> dict[int, tuple[int, ...]]:
    """Each tender's possible bidders: an invited tender's invited vendors, otherwise the
    active vendors of its category (each category read once)."""
    invited = [t["id"] for t in tenders if t["method"] == Method.invited.value]
    invitations: dict[int, list[int]] = {}
    if invited:
        for row in await Invitation.select(Invitation.tender, Invitation.vendor).where(
            Invitation.tender.is_in(invited)
        ):
            invitations.setdefault(row["tender"], []).append(row["vendor"])
    by_category: dict[str, tuple[int, ...]] = {}
    for t in tenders:
        if t["method"] != Method.invited.value and t["category"] not in by_category:
            by_category[t["category"]] = tuple(await vendors.active_vendor_ids_in(t["category"]))
    return {
        t["id"]: tuple(sorted(invitations.get(t["id"], [])))
        if t["method"] == Method.invited.value
        else by_category[t["category"]]
        for t in tenders
    }


async def published(tender: dict) -> None:
    await notify(
        Event(
            "tender.open_for_bids",
            f"tender:{tender['id']}:published",
            _params(tender),
            f"/tenders/{tender['id']}",
        ),
        Audience(vendor_ids=(await _may_bid([tender]))[tender["id"]]),
    )


async def panel_assigned(tender: dict, user_ids: list[int]) -> None:
    await notify(
        Event(
            "tender.evaluator_assigned",
            f"tender:{tender['id']}:panel",
            _params(tender),
            f"/tenders/{tender['id']}/declaration",
        ),
        Audience(users=tuple(user_ids)),
    )


async def _closing_between(start: datetime, end: datetime) -> list[dict]:
    return await Tender.select().where(
        (Tender.status == "published")
        & (Tender.bid_deadline >= start)
        & (Tender.bid_deadline < end)
    )


async def deadlines_approaching(start: datetime, end: datetime) -> list[int]:
    """The scheduler's hourly look ahead: tenders whose bids close a day after [start, end)
    (their category's vendors are told) or an hour after it (the officers and the panel).
    Each occurrence is keyed, so a period run twice tells each person once."""
    closing = await _closing_between(start + DEADLINE_WARNING, end + DEADLINE_WARNING)
    bidders = await _may_bid(closing)
    opening = await _closing_between(start + OPENING_WARNING, end + OPENING_WARNING)
    panels: dict[int, list[int]] = {}
    if opening:
        for row in await PanelMember.select(PanelMember.tender, PanelMember.evaluator).where(
            PanelMember.tender.is_in([t["id"] for t in opening])
        ):
            panels.setdefault(row["tender"], []).append(row["evaluator"])
    await notify_many(
        [
            (
                Event(
                    "tender.deadline_approaching",
                    f"tender:{t['id']}:deadline:{t['bid_deadline'].isoformat()}",
                    _params(t),
                    f"/tenders/{t['id']}",
                ),
                Audience(vendor_ids=bidders[t["id"]]),
            )
            for t in closing
        ]
        + [
            (
                Event(
                    "tender.opening_approaching",
                    f"tender:{t['id']}:opening:{t['bid_deadline'].isoformat()}",
                    _params(t),
                    f"/tenders/{t['id']}",
                ),
                Audience(users=tuple(panels.get(t["id"], ())), roles=(Role.procurement,)),
            )
            for t in opening
        ]
    )
    told = [t["id"] for t in closing] + [t["id"] for t in opening]
    return told


async def result_published(tender: dict, vendor_ids: list[int]) -> None:
    """The result notice is out: every bidder reads its own rank and may challenge (§3a)."""
    await notify(
        Event(
            "tender.result_published",
            f"tender:{tender['id']}:result_notice",
            {"tender": f"{tender['reference']} {tender['title']}"},
            f"/tenders/{tender['id']}/notice",
        ),
        Audience(vendor_ids=tuple(vendor_ids)),
    )


async def challenge_filed(tender: dict, challenge_id: int, due) -> None:
    await notify(
        Event(
            "tender.challenge_filed",
            f"challenge:{challenge_id}:filed",
            {"tender": f"{tender['reference']} {tender['title']}", "due": due.isoformat()},
            f"/tenders/{tender['id']}/notice#challenges",
        ),
        Audience(roles=(Role.procurement,)),
    )


async def challenge_answered(tender: dict, challenge_id: int, vendor_id: int) -> None:
    await notify(
        Event(
            "tender.challenge_answered",
            f"challenge:{challenge_id}:answered",
            {"tender": f"{tender['reference']} {tender['title']}"},
            f"/tenders/{tender['id']}/notice#challenges",
        ),
        Audience(vendor_ids=(vendor_id,)),
    )
