"""Notifying people: an inbox item per person and the outbox deliveries to their channels
and their groups' robots, written in the transaction of what happened; reading and marking
the inbox; each person's channel settings; the administrators' robots and delivery log."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from vendorgov import db, paging
from vendorgov.accounts import service as accounts
from vendorgov.accounts.roles import Principal, Role
from vendorgov.errors import Collector, Conflict, NotFound
from vendorgov.i18n import DEFAULT_LOCALE, N_, _, using_locale
from vendorgov.notifications import rules
from vendorgov.notifications.tables import (
    Delivery,
    GroupRobot,
    Notification,
    NotificationSettings,
)
from vendorgov.paging import Page, PageRequest
from vendorgov.settings import get_settings


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Audience:
    """Who hears of an event: people by id, everyone with a role, a vendor's users; minus
    the person who did it."""

    users: tuple[int, ...] = ()
    roles: tuple[Role, ...] = ()
    vendor_ids: tuple[int, ...] = ()
    not_user: int | None = None


@dataclass
class Event:
    """What happened. `subject` names this occurrence (e.g. "notice:12:issued"): the same
    subject notifies each person once, however often the trigger runs."""

    kind: str
    subject: str
    params: dict = field(default_factory=dict)
    link: str = ""


# Rows per INSERT: a delivery has 17 columns, so 1,000 rows stay within 32,767 arguments.
INSERT_ROWS = 1000


@dataclass(frozen=True)
class Reach:
    """Who an audience is at the moment (reach()): its active people with their channel
    settings, and its groups' robots. Read before a write's transaction, delivered in it."""

    people: list[dict]
    settings: dict[int, dict]
    robots: list[dict]

    @property
    def empty(self) -> bool:
        return not self.people and not self.robots


async def reach(audience: Audience) -> Reach:
    people = [
        p
        for p in await accounts.recipients(audience.users, audience.roles, audience.vendor_ids)
        if p["user_id"] != audience.not_user
    ]
    settings = await _settings_of([p["user_id"] for p in people])
    return Reach(people, settings, await _robots_for(audience))


async def notify(event: Event, audience: Audience) -> int:
    """Inbox items and deliveries for the event; the number of people notified. Called inside
    the transaction that made the change, so both commit (or neither)."""
    return await deliver(event, await reach(audience))


async def deliver(event: Event, found: Reach) -> int:
    """notify() to an audience reach() found (inside the change's transaction)."""
    return await _write([(event, found.people, found.robots)], found.settings)


def _hears(person: dict, audience: Audience) -> bool:
    return person["user_id"] != audience.not_user and (
        person["user_id"] in audience.users
        or person["role"] in audience.roles
        or person["vendor"] in audience.vendor_ids
    )


def _robot_hears(robot: dict, audience: Audience) -> bool:
    return robot["role"] in audience.roles or robot["vendor"] in audience.vendor_ids


async def notify_many(events: list[tuple[Event, Audience]]) -> int:
    """`notify` for several events at once (a run's statements approved together): the
    people, their settings and the robots read once for all of them, one insert per table.
    The number of notifications written."""
    if not events:
        return 0
    found = await reach(
        Audience(
            users=tuple({u for _e, a in events for u in a.users}),
            roles=tuple({r for _e, a in events for r in a.roles}),
            vendor_ids=tuple({v for _e, a in events for v in a.vendor_ids}),
        )
    )
    return await _write(
        [
            (
                event,
                [p for p in found.people if _hears(p, audience)],
                [r for r in found.robots if _robot_hears(r, audience)],
            )
            for event, audience in events
        ],
        found.settings,
    )


async def _write(heard: list[tuple[Event, list[dict], list[dict]]], settings: dict) -> int:
    """Each event's inbox items and deliveries to the people and robots that hear it; the
    number of inbox items."""
    with using_locale(DEFAULT_LOCALE):
        for event, _people, _robots in heard:
            rules.words(event.kind, event.params)  # a trigger missing a parameter fails here
    now = _now()
    items = [
        Notification(
            user=person["user_id"],
            kind=event.kind,
            params=event.params,
            link=event.link,
            key=f"{event.subject}:u{person['user_id']}",
            created_at=now,
        )
        for event, people, _robots in heard
        for person in people
    ]
    deliveries = [
        delivery
        for event, people, _robots in heard
        for person in people
        for delivery in _personal_deliveries(event, person, settings.get(person["user_id"]), now)
    ] + [
        _delivery(event, f"r{robot['id']}", robot["channel"], robot["url"], now, robot=robot["id"])
        for event, _people, robots in heard
        for robot in robots
    ]
    if not items and not deliveries:
        return 0
    # A statement per table and INSERT_ROWS rows however many people hear of it (a tender
    # reaches every vendor of its category; a day's expiry warnings, every contract's): within
    # asyncpg's 32,767 arguments. Keys already there (a trigger run again) are skipped.
    async with db.transaction():
        for table, rows in ((Notification, items), (Delivery, deliveries)):
            for start in range(0, len(rows), INSERT_ROWS):
                chunk = rows[start : start + INSERT_ROWS]
                await table.insert(*chunk).on_conflict(action="DO NOTHING")
    return len(items)


def _delivery(
    event: Event,
    to: str,
    channel: str,
    address: str,
    now: datetime,
    *,
    user: int | None = None,
    robot: int | None = None,
    language: str = DEFAULT_LOCALE,
    status: str = "pending",
    release: datetime | None = None,
) -> Delivery:
    return Delivery(
        key=f"{event.subject}:{to}:{channel}",
        user=user,
        robot=robot,
        channel=channel,
        address=address,
        kind=event.kind,
        params=event.params,
        link=event.link,
        language=language,
        status=status,
        next_attempt_at=release or now,
        created_at=now,
    )


def _personal_deliveries(
    event: Event, person: dict, chosen: dict | None, now: datetime
) -> list[Delivery]:
    """A delivery per channel the person has turned on: held for the digest, or released at
    the end of their quiet hours."""
    if chosen is None:
        return []
    zone = get_settings().zone
    release = rules.release_at(
        now.astimezone(zone), rules.clock(chosen["quiet_start"]), rules.clock(chosen["quiet_end"])
    ).astimezone(UTC)
    language = person.get("language") or DEFAULT_LOCALE
    status = "held" if chosen["digest"] else "pending"
    wanted = [
        ("email", chosen["email"], chosen["email_on"]),
        ("sms", chosen["phone"], chosen["sms_on"]),
    ]
    return [
        _delivery(
            event,
            f"u{person['user_id']}",
            channel,
            address,
            now,
            user=person["user_id"],
            language=language,
            status=status,
            release=release,
        )
        for channel, address, on in wanted
        if on and address
    ]


async def _settings_of(user_ids: list[int]) -> dict[int, dict]:
    if not user_ids:
        return {}
    rows = await NotificationSettings.select().where(NotificationSettings.user.is_in(user_ids))
    return {r["user"]: r for r in rows}


async def _robots_for(audience: Audience) -> list[dict]:
    parts, args = [], []
    for column, values in (
        ("role", tuple(r.value for r in audience.roles)),
        ("vendor", audience.vendor_ids),
    ):
        if values:
            parts.append(f"{column} IN ({', '.join(['{}'] * len(values))})")
            args += values
    if not parts:
        return []
    return await db.fetch(
        f"SELECT * FROM group_robot WHERE ({' OR '.join(parts)}) AND active = {{}}", *args, True
    )


# --- the inbox ----------------------------------------------------------------------------

INBOX_SORTS = {"created_at": Notification.created_at}


async def unread_count(user_id: int) -> int:
    return await Notification.count().where(
        (Notification.user == user_id) & Notification.read_at.is_null()
    )


async def inbox(actor: Principal, request: PageRequest, unread_only: bool = False) -> Page:
    where = [Notification.user == actor.user_id]
    if unread_only:
        where.append(Notification.read_at.is_null())
    page = await paging.fetch_page(
        Notification,
        Notification.select().output(load_json=True),
        where,
        request,
        INBOX_SORTS,
        [(Notification.id, False)],
        keyset=True,
    )
    for item in page.items:
        item["title"], item["body"] = rules.words(item["kind"], item["params"])
    return page


async def mark_read(actor: Principal, notification_id: int) -> dict:
    """Read (once: a second call keeps the first time). Another person's item is not found."""
    async with db.transaction():
        row = (
            await db.locked(
                Notification.select().where(
                    (Notification.id == notification_id) & (Notification.user == actor.user_id)
                )
            )
            .output(load_json=True)
            .first()
        )
        if row is None:
            raise NotFound(N_("notification"), notification_id)
        if row["read_at"] is None:
            row["read_at"] = _now()
            await Notification.update({Notification.read_at: row["read_at"]}).where(
                Notification.id == notification_id
            )
    return row


async def mark_all_read(actor: Principal) -> int:
    done = (
        await Notification.update({Notification.read_at: _now()})
        .where((Notification.user == actor.user_id) & Notification.read_at.is_null())
        .returning(Notification.id)
    )
    return len(done)


# --- a person's channels ------------------------------------------------------------------


@dataclass
class Choices:
    email: str = ""
    phone: str = ""
    email_on: bool = False
    sms_on: bool = False
    quiet_start: str = ""
    quiet_end: str = ""
    digest: bool = False


async def settings_for(actor: Principal) -> Choices:
    row = (
        await NotificationSettings.select()
        .where(NotificationSettings.user == actor.user_id)
        .first()
    )
    if row is None:
        return Choices()
    return Choices(**{k: row[k] for k in Choices.__dataclass_fields__})


def channels_available() -> dict[str, bool]:
    """Which personal channels this installation can send through."""
    settings = get_settings()
    return {"email": bool(settings.notify_email_url), "sms": bool(settings.notify_sms_url)}


async def save_settings(actor: Principal, choices: Choices) -> Choices:
    errors = Collector()
    choices.email, choices.phone = choices.email.strip(), choices.phone.strip()
    if choices.email and not rules.valid_email(choices.email):
        errors.add("email", "email", _("This is not an e-mail address."))
    if choices.phone and not rules.valid_phone(choices.phone):
        errors.add("phone", "mobile_number", _("A mobile number has 11 digits and starts with 1."))
    if choices.email_on and not choices.email:
        errors.add("email", "required", _("Give the e-mail address to send to."))
    if choices.sms_on and not choices.phone:
        errors.add("phone", "required", _("Give the mobile number to send to."))
    for name in ("quiet_start", "quiet_end"):
        try:
            rules.clock(getattr(choices, name))
        except ValueError:
            errors.add(name, "time", _("Write a time as HH:MM, e.g. 22:00."))
    if bool(choices.quiet_start) != bool(choices.quiet_end):
        errors.add("quiet_end", "both_or_neither", _("Quiet hours need a start and an end."))
    errors.raise_if_any()
    values = {k: getattr(choices, k) for k in Choices.__dataclass_fields__}
    async with db.transaction():
        await NotificationSettings.insert(
            NotificationSettings(user=actor.user_id, **values)
        ).on_conflict(
            target=NotificationSettings.user,
            action="DO UPDATE",
            values=[getattr(NotificationSettings, k) for k in values],
        )
    return choices


# --- administrators: robots and the delivery log -----------------------------------------


async def robots() -> list[dict]:
    rows = await GroupRobot.select().order_by(GroupRobot.name)
    for row in rows:
        row.pop("url")  # secret: shown once, when it is entered
    return rows


async def add_robot(name: str, channel: str, address: str, role: str, vendor_id: int | None) -> int:
    errors = Collector()
    if not name.strip():
        errors.add("name", "required", _("Name the group the robot posts to."))
    url = ""
    try:
        url = rules.robot_url(channel, address)
    except rules.BadAddress as bad:
        errors.add("address", bad.rule, _(bad.message))
    if role and role not in {r.value for r in Role}:
        errors.add("role", "role", _("Choose a role."))
    if not role and vendor_id is None:
        errors.add(
            "role", "audience", _("Choose the staff role or the vendor the robot speaks to.")
        )
    errors.raise_if_any()
    robot = GroupRobot(
        name=name.strip(), channel=channel, url=url, role=role or None, vendor=vendor_id
    )
    try:
        await robot.save()
    except Exception as error:
        # The unique index on active robots' addresses decides, also between two
        # administrators adding the same robot at once.
        if db.is_unique_violation(error):
            raise Conflict(
                _("This robot is already added; switch it on or off in the list instead.")
            ) from error
        raise
    return robot.id


async def set_robot_active(robot_id: int, active: bool) -> None:
    try:
        done = (
            await GroupRobot.update({GroupRobot.active: active})
            .where(GroupRobot.id == robot_id)
            .returning(GroupRobot.id)
        )
    except Exception as error:
        if db.is_unique_violation(error):
            raise Conflict(
                _("Another robot with this address is on; switch that one off first.")
            ) from error
        raise
    if not done:
        raise NotFound(N_("robot"), robot_id)


DELIVERY_SORTS = {
    "created_at": Delivery.created_at,
    "next_attempt_at": Delivery.next_attempt_at,
    "attempts": Delivery.attempts,
}


async def delivery_log(request: PageRequest, status: str = "", channel: str = "") -> Page:
    """Newest first; addresses are left out (robot URLs carry their keys)."""
    where = []
    if status:
        where.append(Delivery.status == status)
    if channel:
        where.append(Delivery.channel == channel)
    columns = [c for c in Delivery.all_columns() if c._meta.name != "address"]
    return await paging.fetch_page(
        Delivery,
        Delivery.select(*columns),
        where,
        request,
        DELIVERY_SORTS,
        [(Delivery.id, False)],
        keyset=True,
    )


def when(moment: datetime | None) -> str:
    """A timestamp as messages print it: minutes, hospital time."""
    if moment is None:
        return ""
    return moment.astimezone(get_settings().zone).strftime("%Y-%m-%d %H:%M")
