"""Service-request rules with no I/O (§8, §9): checks of a new request, the life cycle,
routing by the deepest route above a place, the due times from the contract's clauses, the SLA
state shown on the board and when a request is escalated."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from vendorgov.contracts.rules import PRIORITIES, Clause, ClauseKind
from vendorgov.errors import Collector
from vendorgov.i18n import N_, _

CHANNELS = ("ward", "kiosk", "hotline")
# What an account is at the desk beyond its role (DeskMember.duty).
WARD_DUTIES = ("staff", "kiosk")
VENDOR_DUTIES = ("manager", "worker")
DUTY_LABELS = {
    "staff": N_("Ward staff"),
    "kiosk": N_("Ward kiosk (shared)"),
    "manager": N_("Manager"),
    "worker": N_("Worker"),
}
MAX_DESCRIPTION = 2000
# §9: escalated to the vendor's manager once this share of the threshold is used.
WARN_SHARE = 0.8
COMPLAINT_RATINGS = (1, 2)


class Status(StrEnum):
    submitted = "submitted"
    accepted = "accepted"
    on_site = "on_site"  # the response (§5 responded_at)
    resolved = "resolved"
    confirmed = "confirmed"


STATUS_LABELS = {
    Status.submitted: N_("Waiting"),
    Status.accepted: N_("Accepted"),
    Status.on_site: N_("On site"),
    Status.resolved: N_("Resolved"),
    Status.confirmed: N_("Confirmed"),
}
OPEN = (Status.submitted, Status.accepted, Status.on_site)
PRIORITY_LABELS = {
    "emergency": N_("Emergency"),
    "urgent": N_("Urgent"),
    "routine": N_("Routine"),
}


class Action(StrEnum):
    accept = "accept"
    arrive = "arrive"
    resolve = "resolve"
    rate = "rate"
    auto_confirm = "auto_confirm"


# action → (the statuses it may start from, the status it leads to)
TRANSITIONS: dict[Action, tuple[tuple[Status, ...], Status]] = {
    Action.accept: ((Status.submitted,), Status.accepted),
    Action.arrive: ((Status.accepted,), Status.on_site),
    Action.resolve: ((Status.on_site,), Status.resolved),
    Action.rate: ((Status.resolved,), Status.confirmed),
    Action.auto_confirm: ((Status.resolved,), Status.confirmed),
}


class Refused(Exception):
    """The action does not apply to the request as it is now (a 409 in the service)."""


def next_status(status: Status, action: Action) -> Status:
    starts, target = TRANSITIONS[action]
    if status not in starts:
        raise Refused(
            _(
                "The request is %(status)s now, not %(needed)s; reload it to see what was done.",
                status=_(STATUS_LABELS[status]),
                needed=_(STATUS_LABELS[starts[0]]),
            )
        )
    return target


def already_done(status: Status, action: Action) -> bool:
    """Whether the request is already where the action leads (a repeated call: the service
    answers with the request as it is, if the same person acts)."""
    _, target = TRANSITIONS[action]
    order = list(Status)
    return order.index(status) >= order.index(target)


# --- a new request ------------------------------------------------------------------------


@dataclass
class NewRequest:
    category: str
    location_id: int | None
    description: str
    priority: str = "routine"
    contact_name: str = ""
    contact_phone: str = ""
    complaint: bool = False
    client_token: str = ""


def valid_phone(phone: str) -> bool:
    """A mobile number or an internal extension: 3 to 20 digits, dashes and spaces allowed,
    an optional + in front."""
    digits = phone.removeprefix("+").replace("-", "").replace(" ", "")
    return digits.isdigit() and 3 <= len(digits) <= 20


def check_new(data: NewRequest, categories: Iterable[str]) -> Collector:
    errors = Collector()
    known = tuple(categories)
    if data.category not in known:
        errors.add(
            "category", "one_of", _("Category: use one of %(known)s.", known=", ".join(known))
        )
    if data.location_id is None:
        errors.add("location_id", "required", _("Place: choose the place."))
    if data.priority not in PRIORITIES:
        errors.add("priority", "one_of", _("Priority: use %(known)s.", known=", ".join(PRIORITIES)))
    description = data.description.strip()
    if not description:
        errors.add("description", "required", _("Description: say what is needed."))
    elif len(description) > MAX_DESCRIPTION:
        errors.add(
            "description",
            "max_length",
            _("Description: at most %(n)s characters.", n=MAX_DESCRIPTION),
        )
    if not data.contact_name.strip() or len(data.contact_name.strip()) > 100:
        errors.add(
            "contact_name",
            "required",
            _("Contact: who to ask on site (at most 100 characters)."),
        )
    if not valid_phone(data.contact_phone.strip()):
        errors.add(
            "contact_phone",
            "phone",
            _("Phone: a phone number or extension, 3 to 20 digits."),
        )
    if len(data.client_token) > 64:
        errors.add("client_token", "max_length", _("Client token: at most 64 characters."))
    return errors


def check_rating(rating: int | None, comment: str) -> Collector:
    errors = Collector()
    if not isinstance(rating, int) or isinstance(rating, bool) or not 1 <= rating <= 5:
        errors.add("rating", "range_1_5", _("Rating: a whole number from 1 to 5."))
    if len(comment) > MAX_DESCRIPTION:
        errors.add(
            "comment", "max_length", _("Comment: at most %(n)s characters.", n=MAX_DESCRIPTION)
        )
    return errors


def needs_complaint_review(rating: int | None, complaint: bool) -> bool:
    """§9: a rating of 1–2 or a request marked as a complaint drafts a complaint finding."""
    return complaint or rating in COMPLAINT_RATINGS


def number(year: int, request_id: int) -> str:
    return f"SR-{year}-{request_id:06d}"


# --- routing ------------------------------------------------------------------------------


def path_ids(path: str) -> list[int]:
    """'/3/17/52/' → [3, 17, 52]: the place and its ancestors, campus first."""
    return [int(p) for p in path.strip("/").split("/") if p]


def choose_route(routes: Mapping[int, int], path: str) -> int | None:
    """The contract of the deepest route whose place is this place or one above it."""
    for location_id in reversed(path_ids(path)):
        if location_id in routes:
            return routes[location_id]
    return None


# --- due times, SLA state, escalation -------------------------------------------------------


def applies(clause: Clause, category: str, priority: str) -> bool:
    return clause.category in ("", category) and clause.priority in ("", priority)


def tightest_minutes(
    clauses: Iterable[Clause], kind: ClauseKind, category: str, priority: str
) -> int | None:
    """The smallest threshold of the `kind` clauses that apply to the request, if any."""
    found = [
        c.threshold_minutes
        for c in clauses
        if c.kind == kind and c.threshold_minutes and applies(c, category, priority)
    ]
    return min(found) if found else None


@dataclass(frozen=True)
class Due:
    warn_at: datetime | None
    due_at: datetime | None


def due(reported_at: datetime, minutes: int | None) -> Due:
    if minutes is None:
        return Due(None, None)
    return Due(
        reported_at + timedelta(minutes=minutes * WARN_SHARE),
        reported_at + timedelta(minutes=minutes),
    )


class SlaState(StrEnum):
    ok = "ok"
    warning = "warning"  # 80 % of a threshold used without that step
    breached = "breached"
    done = "done"  # resolved (or no clause applies and nothing is pending)


SLA_LABELS = {
    SlaState.ok: N_("On time"),
    SlaState.warning: N_("Due soon"),
    SlaState.breached: N_("Late"),
    SlaState.done: N_("Done"),
}


STEPS = ("response", "resolution")
STEP_LABELS = {"response": N_("response"), "resolution": N_("resolution")}


def step_level(done_at: datetime | None, warn_at, due_at, now: datetime) -> int:
    """§9, for one step (response or resolution): 2 once its threshold has passed without it
    (the supervisors hear), 1 once 80 % of it is used (the vendor's managers), else 0."""
    if done_at is not None:
        return 0
    if due_at is not None and now >= due_at:
        return 2
    if warn_at is not None and now >= warn_at:
        return 1
    return 0


def escalations(row: Mapping, now: datetime) -> dict[str, int]:
    """Each step's level at `now` (step_level)."""
    return {
        step: step_level(row[done], row[f"{step}_warn_at"], row[f"{step}_due_at"], now)
        for step, done in zip(STEPS, ("responded_at", "resolved_at"), strict=True)
    }


def sla_state(row: Mapping, now: datetime) -> SlaState:
    """The worse of the pending steps at `now`; done once resolved."""
    worst = max(escalations(row, now).values())
    if worst == 2:
        return SlaState.breached
    if worst == 1:
        return SlaState.warning
    return SlaState.done if row["resolved_at"] else SlaState.ok


AGE_BANDS = ((1, N_("under 1 h")), (4, N_("1–4 h")), (24, N_("4–24 h")), (None, N_("over 24 h")))


def age_band(reported_at: datetime, now: datetime) -> str:
    hours = (now - reported_at).total_seconds() / 3600
    for limit, label in AGE_BANDS:
        if limit is None or hours < limit:
            return label
    raise AssertionError("unreachable")
