"""What a notification says, where it may go and when: plain rules, no I/O."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from urllib.parse import parse_qs, urlsplit

from vendorgov.i18n import N_, gettext

# kind → (title, body). Parameters are display strings the trigger wrote (numbers, names,
# local dates); the words are translated when the message is shown or sent.
KINDS: dict[str, tuple[str, str]] = {
    "tender.evaluator_assigned": (
        N_("You are on the evaluation panel of %(tender)s"),
        N_("Declare any conflict of interest with the bidders before the bids are opened."),
    ),
    "tender.open_for_bids": (
        N_("New tender in your category: %(tender)s"),
        N_("Bids are open until %(deadline)s."),
    ),
    "tender.deadline_approaching": (
        N_("Bids for %(tender)s close soon"),
        N_("The bid deadline is %(deadline)s."),
    ),
    "tender.opening_approaching": (
        N_("Bids for %(tender)s are opened soon"),
        N_("The bids are opened at %(deadline)s."),
    ),
    "tender.result_published": (
        N_("The result of %(tender)s is published"),
        N_("Read the result notice and your rank; challenges within 7 working days."),
    ),
    "tender.challenge_filed": (
        N_("A challenge of %(tender)s was filed"),
        N_("Answer it by %(due)s; the contract cannot be signed while it is open."),
    ),
    "tender.challenge_answered": (
        N_("Your challenge of %(tender)s was answered"),
        N_("Read the answer on the tender's result notice page."),
    ),
    "notice.issued": (
        N_("Rectification notice %(number)s"),
        N_("%(contract)s: respond by %(deadline)s."),
    ),
    "notice.due_soon": (
        N_("Rectification notice %(number)s is due within 24 hours"),
        N_("%(contract)s: the deadline is %(deadline)s."),
    ),
    "notice.overdue": (
        N_("Rectification notice %(number)s is overdue"),
        N_("%(contract)s: the deadline was %(deadline)s."),
    ),
    "notice.response_submitted": (
        N_("Notice %(number)s was answered"),
        N_("%(contract)s: the vendor's response awaits your verification."),
    ),
    "run.awaiting_approval": (
        N_("Month-end %(month)s awaits approval"),
        N_("%(by)s computed the run; a second finance user approves it."),
    ),
    "run.returned": (
        N_("Month-end %(month)s was returned"),
        N_("%(by)s returned the run: %(reason)s"),
    ),
    "statement.approved": (
        N_("Statement %(month)s approved"),
        N_("%(contract)s: net payable %(net)s."),
    ),
    "dispute.filed": (
        N_("Statement %(month)s is disputed"),
        N_("%(contract)s: the vendor disputes a line; rule on it before approval."),
    ),
    "dispute.ruled": (
        N_("Your dispute on statement %(month)s was ruled"),
        N_("%(contract)s: %(outcome)s. %(note)s"),
    ),
    "qualification.expiring": (
        N_("A qualification of %(vendor)s expires %(expires)s"),
        N_("%(qualification)s: ask the vendor for the renewed certificate."),
    ),
    "contract.expiring": (
        N_("Contract %(number)s ends %(ends)s"),
        N_("%(vendor)s: plan the renewal or a new tender."),
    ),
    "service.filed": (
        N_("New service request %(number)s"),
        N_("%(category)s at %(place)s: %(description)s"),
    ),
    "service.assigned": (
        N_("Service request %(number)s is yours"),
        N_("%(category)s at %(place)s."),
    ),
    "service.resolved": (
        N_("Your service request %(number)s is resolved"),
        N_("Please confirm and rate it; it is confirmed on its own after %(hours)s hours."),
    ),
    "service.complaint": (
        N_("Complaint on service request %(number)s"),
        N_("%(category)s at %(place)s: confirm or dismiss the drafted complaint finding."),
    ),
    "service.due_soon": (
        N_("Service request %(number)s is close to its deadline"),
        N_("%(place)s: the %(step)s is due %(due)s."),
    ),
    "service.late": (
        N_("Service request %(number)s is late"),
        N_("%(place)s: the %(step)s was due %(due)s."),
    ),
    "digest": (
        N_("vendorgov: %(count)s new items"),
        N_("What waited for you today:"),
    ),
}


# Parameters that are words rather than names or numbers: stored as their English msgid and
# translated with the message.
WORDED_PARAMETERS = {"outcome", "qualification", "step"}
OUTCOMES = (N_("upheld"), N_("rejected"))


class MissingWords(KeyError):
    """A trigger left out a parameter its message needs."""


def words(kind: str, params: dict) -> tuple[str, str]:
    """Title and body in the current language (the caller sets it with i18n.using_locale)."""
    title, body = KINDS[kind]
    params = {k: gettext(v) if k in WORDED_PARAMETERS else v for k, v in params.items()}
    try:
        title, body = gettext(title) % params, gettext(body) % params
    except KeyError as missing:
        raise MissingWords(f"{kind}: {missing}") from None
    if kind == "digest":
        lines = [words(item["kind"], item["params"])[0] for item in params["items"]]
        body = "\n".join([body, *(f"• {line}" for line in lines)])
    return title, body


# --- when a personal message may go out ---------------------------------------------------


def clock(value: str) -> time | None:
    """ "22:00" → 22:00; "" → None (no quiet hours); ValueError when it is not a time."""
    if not value:
        return None
    hours, _, minutes = value.partition(":")
    if not (hours.isdigit() and minutes.isdigit() and len(minutes) == 2):
        raise ValueError(value)
    return time(int(hours), int(minutes))


def in_quiet_hours(moment: time, start: time, end: time) -> bool:
    if start == end:
        return False
    if start < end:  # e.g. 12:00–14:00
        return start <= moment < end
    return moment >= start or moment < end  # across midnight, e.g. 22:00–07:00


def release_at(now_local: datetime, start: time | None, end: time | None) -> datetime:
    """When a message created at `now_local` (hospital time) may be sent: now, or the end of
    the quiet hours it falls in."""
    if start is None or end is None or not in_quiet_hours(now_local.timetz(), start, end):
        return now_local
    release = now_local.replace(hour=end.hour, minute=end.minute, second=0, microsecond=0)
    return release if release > now_local else release + timedelta(days=1)


# --- retrying ---------------------------------------------------------------------------

MAX_ATTEMPTS = 8
FIRST_RETRY = timedelta(seconds=30)
LONGEST_WAIT = timedelta(hours=6)


def retry_delay(attempts: int) -> timedelta:
    """Back-off after the n-th failed attempt: 30 s, 2 min, 8 min, … at most 6 hours."""
    # The exponent is capped first: 4**n of a large n would overflow a timedelta.
    return min(FIRST_RETRY * 4 ** min(max(0, attempts - 1), 10), LONGEST_WAIT)


def gives_up(attempts: int) -> bool:
    return attempts >= MAX_ATTEMPTS


# --- addresses ----------------------------------------------------------------------------

ROBOT_CHANNELS = ("wecom", "dingtalk", "webhook")


class BadAddress(ValueError):
    """An address its channel cannot use; `rule` is the machine-readable code."""

    def __init__(self, rule: str, message: str) -> None:
        super().__init__(message)
        self.rule, self.message = rule, message


def robot_url(channel: str, address: str) -> str:
    """The Apprise URL of a group robot from the address its app shows (or an Apprise URL):
    WeCom `https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=K` → `wecombot://K`;
    DingTalk `https://oapi.dingtalk.com/robot/send?access_token=T` → `dingtalk://T`, with
    its signing secret as `dingtalk://SECRET@T`; a JSON webhook `https://host/path` →
    `jsons://host/path`."""
    address = address.strip()
    parts = urlsplit(address)
    query = parse_qs(parts.query)
    if channel == "wecom":
        if parts.scheme == "wecombot" and parts.netloc:
            return address
        if parts.netloc == "qyapi.weixin.qq.com" and query.get("key"):
            return f"wecombot://{query['key'][0]}"
        raise BadAddress(
            "wecom_url", N_("Paste the WeCom robot's webhook address (…/webhook/send?key=…).")
        )
    if channel == "dingtalk":
        if parts.scheme == "dingtalk" and parts.netloc:
            return address
        if parts.netloc == "oapi.dingtalk.com" and query.get("access_token"):
            return f"dingtalk://{query['access_token'][0]}"
        raise BadAddress(
            "dingtalk_url",
            N_("Paste the DingTalk robot's webhook address (…/robot/send?access_token=…)."),
        )
    if channel == "webhook":
        if parts.scheme in ("json", "jsons") and parts.netloc:
            return address
        if parts.scheme in ("http", "https") and parts.netloc:
            scheme = "jsons" if parts.scheme == "https" else "json"
            return address.replace(f"{parts.scheme}://", f"{scheme}://", 1)
        raise BadAddress("webhook_url", N_("A webhook address starts with https://."))
    raise BadAddress("channel", N_("Choose WeCom, DingTalk or webhook."))


def email_url(server_url: str, address: str) -> str:
    """The SMTP server's Apprise URL (VENDORGOV_NOTIFY_EMAIL_URL) addressed to one person."""
    joiner = "&" if "?" in server_url else "?"
    return f"{server_url}{joiner}to={address}"


def sms_url(gateway_template: str, phone: str) -> str:
    """The SMS gateway's Apprise URL (VENDORGOV_NOTIFY_SMS_URL, with `{phone}`) for a number."""
    return gateway_template.replace("{phone}", phone)


def valid_phone(phone: str) -> bool:
    """A mainland mobile number: 11 digits starting with 1 (an optional +86 in front)."""
    digits = phone.removeprefix("+86").strip()
    return len(digits) == 11 and digits.isdigit() and digits.startswith("1")


def valid_email(address: str) -> bool:
    name, at, domain = address.partition("@")
    return bool(name) and bool(at) and "." in domain and " " not in address
