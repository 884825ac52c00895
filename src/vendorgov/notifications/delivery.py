"""Sending the outbox, in the worker.

A batch of due deliveries is claimed with one conditional UPDATE (FOR UPDATE SKIP LOCKED on
PostgreSQL, so two workers take different rows), sent through Apprise, and each marked sent
only if its claim still holds; a failure waits with back-off and gives up after
rules.MAX_ATTEMPTS. Channels are sent concurrently and each in turn, so one slow or failing
server never holds up the others. A worker killed mid-batch leaves its claims to go stale
(VENDORGOV_NOTIFY_LEASE_S): what it had sent is marked, what it had not is claimed again.
The one message whose acknowledgement was in flight at the kill may be sent again; each
message carries its delivery key (X-Vendorgov-Delivery on webhooks) so a receiver can tell."""

from __future__ import annotations

import asyncio
import json
import logging
from collections import defaultdict
from datetime import UTC, datetime, timedelta

from vendorgov import db
from vendorgov.i18n import using_locale
from vendorgov.notifications import rules
from vendorgov.notifications.tables import Delivery
from vendorgov.settings import get_settings

log = logging.getLogger("vendorgov")

BATCH = 50


def _now() -> datetime:
    return datetime.now(UTC)


_CLAIM = (
    "UPDATE delivery SET status = 'sending', claimed_at = {}, attempts = attempts + 1 "
    "WHERE id IN (SELECT id FROM delivery WHERE (status = 'pending' AND next_attempt_at <= {}) "
    "OR (status = 'sending' AND claimed_at < {}) ORDER BY id LIMIT {}%s) "
    "AND (status = 'pending' OR (status = 'sending' AND claimed_at < {})) RETURNING *"
)


async def claim(now: datetime) -> list[dict]:
    stale = now - timedelta(seconds=get_settings().notify_lease_s)
    sql = _CLAIM % (" FOR UPDATE SKIP LOCKED" if db.is_postgres() else "")
    async with db.transaction():
        rows = await db.fetch(sql, now, now, stale, BATCH, stale)
    for row in rows:
        if isinstance(row["params"], str):
            row["params"] = json.loads(row["params"])
    return sorted(rows, key=lambda r: r["id"])


def apprise_url(row: dict) -> str:
    settings = get_settings()
    channel, url = row["channel"], row["address"]
    if channel == "email":
        if not settings.notify_email_url:
            raise Undeliverable("e-mail is not configured (VENDORGOV_NOTIFY_EMAIL_URL)")
        url = rules.email_url(settings.notify_email_url, url)
    elif channel == "sms":
        if not settings.notify_sms_url:
            raise Undeliverable("SMS is not configured (VENDORGOV_NOTIFY_SMS_URL)")
        url = rules.sms_url(settings.notify_sms_url, url)
    if url.startswith(("json://", "jsons://")):  # a webhook can tell a repeat by this header
        joiner = "&" if "?" in url else "?"
        url = f"{url}{joiner}+X-Vendorgov-Delivery={row['key']}"
    return url


class Undeliverable(Exception):
    """The delivery can never go out as it is (no such channel configured, a bad address)."""


def message(row: dict) -> tuple[str, str]:
    with using_locale(row["language"]):
        title, body = rules.words(row["kind"], row["params"])
    if row["link"]:
        base = get_settings().public_url.rstrip("/")
        body = f"{body}\n{base}{row['link']}"
    return title, body


def _send(url: str, title: str, body: str) -> bool:
    """Blocking (Apprise's clients are synchronous): run in a thread."""
    import apprise

    sender = apprise.Apprise()
    if not sender.add(url):
        raise Undeliverable("the address is not one the channel can use")
    return bool(sender.notify(title=title, body=body))


async def _mark(row: dict, sent: bool, error: str = "", final: bool = False) -> None:
    now = _now()
    if sent:
        values = {Delivery.status: "sent", Delivery.sent_at: now, Delivery.last_error: ""}
    elif final or rules.gives_up(row["attempts"]):
        values = {Delivery.status: "failed", Delivery.last_error: error[:500]}
    else:
        values = {
            Delivery.status: "pending",
            Delivery.next_attempt_at: now + rules.retry_delay(row["attempts"]),
            Delivery.last_error: error[:500],
        }
    # Only while this attempt's claim holds (a stale claim taken again has more attempts).
    await Delivery.update(values).where(
        (Delivery.id == row["id"])
        & (Delivery.status == "sending")
        & (Delivery.attempts == row["attempts"])
    )


async def send_one(row: dict) -> bool:
    try:
        url = apprise_url(row)
        title, body = message(row)
        sent = await asyncio.to_thread(_send, url, title, body)
    except Undeliverable as error:
        await _mark(row, False, str(error), final=True)
        return False
    except Exception as error:  # a client library's surprise must not stop the others
        log.exception("delivery %s failed", row["id"])
        await _mark(row, False, f"{error.__class__.__name__}: {error}")
        return False
    await _mark(row, sent, "" if sent else "the channel refused the message")
    return sent


async def _send_in_turn(rows: list[dict]) -> int:
    sent = 0
    for row in rows:
        sent += await send_one(row)
    return sent


async def deliver_due(now: datetime | None = None) -> int:
    """Claim and send one batch; the number claimed (0: nothing is due)."""
    rows = await claim(now or _now())
    by_channel: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        by_channel[row["channel"]].append(row)
    await asyncio.gather(*(_send_in_turn(group) for group in by_channel.values()))
    return len(rows)


async def run_forever() -> None:
    """The worker's delivery loop (every worker runs one; claims keep them apart)."""
    while True:
        try:
            if await deliver_due():
                continue  # more may be waiting
        except Exception:
            log.exception("delivering notifications failed")
        await asyncio.sleep(get_settings().notify_poll_s)


async def send_digests(day: str) -> int:
    """One message per person and channel with what was held for their daily digest; the
    held deliveries become `digested` in the same transaction, and the digest's key names the
    last item it holds: running twice sends each item once."""
    held = (
        await Delivery.select()
        .where(Delivery.status == "held")
        .order_by(Delivery.id)
        .output(load_json=True)
    )
    groups: dict[tuple, list[dict]] = defaultdict(list)
    for row in held:
        groups[(row["user"], row["channel"], row["address"], row["language"])].append(row)
    now = _now()
    for (user, channel, address, language), rows in groups.items():
        items = [{"kind": r["kind"], "params": r["params"]} for r in rows]
        async with db.transaction():
            await Delivery.insert(
                Delivery(
                    key=f"digest:{day}:u{user}:{channel}:{rows[-1]['id']}",
                    user=user,
                    channel=channel,
                    address=address,
                    kind="digest",
                    params={"count": len(items), "items": items},
                    link="/inbox",
                    language=language,
                    next_attempt_at=now,
                    created_at=now,
                )
            ).on_conflict(action="DO NOTHING")
            await Delivery.update({Delivery.status: "digested"}).where(
                Delivery.id.is_in([r["id"] for r in rows]) & (Delivery.status == "held")
            )
    return len(groups)
