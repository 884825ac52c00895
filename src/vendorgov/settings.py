"""Settings, read once from environment variables (see README "Configuration")."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from functools import lru_cache
from ipaddress import IPv4Network, IPv6Network, ip_network
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# Templates and static files ship inside the package, so an installed wheel serves them.
PACKAGE_DIR = Path(__file__).resolve().parent


class SettingsError(ValueError):
    """A setting with a value that cannot be used; the message names the variable."""


def _env(name: str, default: str = "") -> str:
    """A variable's value; set to the empty string counts as not set (as in a compose file's
    `VENDORGOV_DATABASE_URL=`)."""
    return os.environ.get(name) or default


def _int(name: str, default: int) -> int:
    raw = _env(name)
    try:
        return int(raw) if raw else default
    except ValueError:
        raise SettingsError(f"{name}: {raw!r} is not a whole number") from None


def private_dir(path: Path) -> Path:
    """Create the folder (and any missing parent) for the service's user alone (0700), or
    tighten it: the data dir holds the database, the uploads and the secret key."""
    for folder in reversed([path, *path.parents]):
        if not folder.exists():
            folder.mkdir(mode=0o700, exist_ok=True)
    path.chmod(0o700)
    return path


def write_private(path: Path, data: bytes) -> None:
    """Write a file readable by the service's user alone (0600) from its creation on."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    path.chmod(0o600)


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str
    timezone: str = "Asia/Shanghai"
    hospital_name: str = "示范医院 Demo Teaching Hospital"
    # OCDS identifiers: ocid = prefix + "-" + contract number (register a real prefix to publish).
    ocds_prefix: str = "ocds-vgov00"
    secret_key: str = field(default="", repr=False)
    # Logins allowed per client address and minute before 429.
    login_attempts_per_minute: int = 10
    # Anonymous survey answers accepted per client address and minute before 429 (a ward's
    # phones may share one address behind the hospital's Wi-Fi); 0 = no limit.
    survey_answers_per_minute: int = 30
    max_upload_bytes: int = 10 * 1024 * 1024
    # A list's export of more rows than this is made by a job (a page follows it to the
    # download); fewer are sent at once.
    export_inline_rows: int = 5_000
    # Service-event files (CSV/XLSX) may be larger: a million events is about 100 MB of CSV.
    max_import_bytes: int = 150 * 1024 * 1024
    # Event imports are refused while being read once they pass any of these (a zip bomb, a
    # header of 100,000 columns): rows, columns, characters in a cell, and the bytes an XLSX
    # expands to (its XML; checked against the sizes the zip declares, which it then enforces).
    import_max_rows: int = 2_000_000
    import_max_columns: int = 50
    import_max_cell_chars: int = 2_000
    import_max_uncompressed_bytes: int = 200 * 1024 * 1024
    qualification_warning_days: int = 60
    # Spot checks in a contract's monthly inspection plan, unless its plans say otherwise.
    plan_spot_checks: int = 4
    # §3: a valid bid more than this percent below the mean of the others is flagged.
    abnormal_low_percent: int = 20
    # §3a: small and micro enterprises' price deduction a new tender starts with (10–20%).
    sme_deduction_percent: int = 10
    # §3: members of an open or invited tender's panel, at least (odd; other methods need 3),
    # and at least panel_minimum_large when the budget ceiling is panel_large_budget or more.
    panel_minimum_open: int = 5
    panel_minimum_large: int = 7
    panel_large_budget: int = 10_000_000
    # §3a: days from publication to the bid deadline, at least: open and invited tenders and
    # competitive consultation in calendar days, negotiation / single source in working days
    # (on the working-day calendar, vendorgov.workdays).
    bid_period_days_open: int = 20
    bid_period_days_consultation: int = 10
    bid_period_days_negotiation: int = 3
    # §3a: a clarification published fewer than these calendar days before the bid deadline
    # postpones the deadline to restore them (competitive consultation: the second).
    clarification_margin_days: int = 15
    clarification_margin_days_consultation: int = 5
    session_hours: int = 10
    # §7: working days (on the working-day calendar, §3a) during which vendors may dispute a
    # computed run's draft statements.
    dispute_window_days: int = 3
    secure_cookies: bool = False
    # Reverse proxies whose X-Forwarded-For names the client (for the login rate limit).
    trusted_proxies: tuple[IPv4Network | IPv6Network, ...] = ()
    # Sessions, the login rate limit and caches in Redis, shared by every process and host;
    # empty: on this host (session files in the data dir, the rest in process memory).
    redis_url: str = ""
    # Bearer token for /metrics from other hosts; without it only loopback may scrape.
    metrics_token: str = field(default="", repr=False)
    # Notifications: the SMTP server and SMS gateway as Apprise URLs (empty: channel off), how
    # often the worker looks for due deliveries, and after how long a claim whose worker
    # died is taken again.
    notify_email_url: str = field(default="", repr=False)
    public_url: str = ""  # the address people open vendorgov at, for links in messages
    notify_sms_url: str = field(default="", repr=False)
    notify_poll_s: int = 10
    notify_lease_s: int = 60
    bell_poll_s: int = 30
    # §9 service requests: hours after resolution until a request the requester has not
    # rated is confirmed without a rating; the largest photo a request or a resolution takes;
    # the service centre's number, named when no contract takes a request; how often the
    # centre's board refreshes itself.
    service_confirm_hours: int = 72
    service_photo_bytes: int = 5 * 1024 * 1024
    service_hotline: str = ""
    service_board_poll_s: int = 15
    templates_dir: Path = PACKAGE_DIR / "templates"
    static_dir: Path = PACKAGE_DIR / "static"

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def files_dir(self) -> Path:
        return self.data_dir / "files"

    @property
    def sessions_dir(self) -> Path:
        return self.data_dir / "sessions"


def _networks(name: str) -> tuple[IPv4Network | IPv6Network, ...]:
    """Comma-separated addresses or CIDR blocks (e.g. "10.0.0.0/8, 192.168.1.5")."""
    networks = []
    for part in filter(None, (p.strip() for p in _env(name).split(","))):
        try:
            networks.append(ip_network(part, strict=False))
        except ValueError:
            raise SettingsError(f"{name}: {part!r} is not an IP address or CIDR block") from None
    return tuple(networks)


def secret_key_configured() -> bool:
    """Whether the key comes from the environment (then it is not in the data dir, and
    backups leave it to the operator)."""
    return bool(_env("VENDORGOV_SECRET_KEY") or _env("VENDORGOV_SECRET_KEY_FILE"))


def _secret_key(data_dir: Path, redis_url: str) -> str:
    """The configured key (the variable, or the file it names), else one generated once and
    kept under the data dir: on one host only, as each host would generate its own."""
    configured, key_file = _env("VENDORGOV_SECRET_KEY"), _env("VENDORGOV_SECRET_KEY_FILE")
    if configured and key_file:
        raise SettingsError(
            "VENDORGOV_SECRET_KEY and VENDORGOV_SECRET_KEY_FILE are both set; set only one"
        )
    if key_file:
        try:
            configured = Path(key_file).read_text().strip()
        except (OSError, UnicodeDecodeError) as error:
            raise SettingsError(
                f"VENDORGOV_SECRET_KEY_FILE: cannot read {key_file!r} ({error.__class__.__name__})"
            ) from None
        if not configured:
            raise SettingsError(f"VENDORGOV_SECRET_KEY_FILE: {key_file!r} is empty")
    if configured:
        return configured
    if redis_url:
        raise SettingsError(
            "VENDORGOV_SECRET_KEY or VENDORGOV_SECRET_KEY_FILE is required with "
            "VENDORGOV_REDIS_URL: every process on every host must share one secret key"
        )
    path = secret_key_path(data_dir)
    if not path.exists():
        private_dir(data_dir)
        write_private(path, secrets.token_hex(32).encode())
    return path.read_text().strip()


def secret_key_path(data_dir: Path) -> Path:
    return data_dir / "secret_key"


def _database_url(data_dir: Path) -> str:
    url = _env("VENDORGOV_DATABASE_URL", f"sqlite:///{data_dir / 'vendorgov.sqlite3'}")
    scheme = url.split(":", 1)[0] if ":" in url else ""
    if scheme not in ("sqlite", "postgres", "postgresql") or not url.partition("://")[2]:
        raise SettingsError(
            f"VENDORGOV_DATABASE_URL: {url!r} is not a database URL "
            "(use sqlite:///path or postgresql://user@host/db)"
        )
    return url


def _redis_url() -> str:
    url = _env("VENDORGOV_REDIS_URL")
    if url and (url.split(":", 1)[0] not in ("redis", "rediss", "unix") or "://" not in url):
        raise SettingsError(
            f"VENDORGOV_REDIS_URL: {url!r} is not a Redis URL (use redis://host:6379/0)"
        )
    return url


def _notify_url(name: str, schemes: tuple[str, ...], placeholder: str) -> str:
    """An Apprise URL of a notification channel: the schemes it must use, the placeholder
    each message fills in."""
    url = _env(name)
    if not url:
        return url
    scheme = url.split("://", 1)[0] if "://" in url else ""
    if not scheme or (schemes and scheme not in schemes):
        expected = " or ".join(f"{s}://" for s in schemes) or "an Apprise URL (scheme://…)"
        raise SettingsError(f"{name}: {url!r} does not start with {expected}")
    if placeholder and placeholder not in url:
        raise SettingsError(f"{name}: {url!r} has no {placeholder} for the number to send to")
    return url


def load_settings() -> Settings:
    data_dir = Path(_env("VENDORGOV_DATA_DIR", "var")).resolve()
    database_url = _database_url(data_dir)
    redis_url = _redis_url()
    timezone = _env("VENDORGOV_TIMEZONE", "Asia/Shanghai")
    try:  # fail at start-up, not on the first deadline, if the zone is unknown
        ZoneInfo(timezone)
    except (ValueError, ZoneInfoNotFoundError):
        raise SettingsError(f"VENDORGOV_TIMEZONE: {timezone!r} is not a known time zone") from None
    return Settings(
        data_dir=data_dir,
        database_url=database_url,
        timezone=timezone,
        hospital_name=_env("VENDORGOV_HOSPITAL_NAME", Settings.hospital_name),
        ocds_prefix=_env("VENDORGOV_OCDS_PREFIX", Settings.ocds_prefix),
        secret_key=_secret_key(data_dir, redis_url),
        login_attempts_per_minute=_int("VENDORGOV_LOGIN_ATTEMPTS_PER_MINUTE", 10),
        survey_answers_per_minute=_int(
            "VENDORGOV_SURVEY_ANSWERS_PER_MINUTE", Settings.survey_answers_per_minute
        ),
        max_upload_bytes=_int("VENDORGOV_MAX_UPLOAD_BYTES", 10 * 1024 * 1024),
        export_inline_rows=_int("VENDORGOV_EXPORT_INLINE_ROWS", Settings.export_inline_rows),
        max_import_bytes=_int("VENDORGOV_MAX_IMPORT_BYTES", 150 * 1024 * 1024),
        plan_spot_checks=_int("VENDORGOV_PLAN_SPOT_CHECKS", Settings.plan_spot_checks),
        import_max_rows=_int("VENDORGOV_IMPORT_MAX_ROWS", Settings.import_max_rows),
        import_max_columns=_int("VENDORGOV_IMPORT_MAX_COLUMNS", Settings.import_max_columns),
        import_max_cell_chars=_int(
            "VENDORGOV_IMPORT_MAX_CELL_CHARS", Settings.import_max_cell_chars
        ),
        import_max_uncompressed_bytes=_int(
            "VENDORGOV_IMPORT_MAX_UNCOMPRESSED_BYTES", Settings.import_max_uncompressed_bytes
        ),
        qualification_warning_days=_int("VENDORGOV_QUALIFICATION_WARNING_DAYS", 60),
        abnormal_low_percent=_int("VENDORGOV_ABNORMAL_LOW_PERCENT", 20),
        sme_deduction_percent=_int("VENDORGOV_SME_DEDUCTION_PERCENT", 10),
        panel_minimum_open=_int("VENDORGOV_PANEL_MINIMUM_OPEN", 5),
        panel_minimum_large=_int("VENDORGOV_PANEL_MINIMUM_LARGE", 7),
        panel_large_budget=_int("VENDORGOV_PANEL_LARGE_BUDGET", 10_000_000),
        bid_period_days_open=_int("VENDORGOV_BID_PERIOD_DAYS_OPEN", 20),
        bid_period_days_consultation=_int("VENDORGOV_BID_PERIOD_DAYS_CONSULTATION", 10),
        bid_period_days_negotiation=_int("VENDORGOV_BID_PERIOD_DAYS_NEGOTIATION", 3),
        clarification_margin_days=_int("VENDORGOV_CLARIFICATION_MARGIN_DAYS", 15),
        clarification_margin_days_consultation=_int(
            "VENDORGOV_CLARIFICATION_MARGIN_DAYS_CONSULTATION", 5
        ),
        session_hours=_int("VENDORGOV_SESSION_HOURS", 10),
        dispute_window_days=_int("VENDORGOV_DISPUTE_WINDOW_DAYS", 3),
        secure_cookies=_env("VENDORGOV_SECURE_COOKIES") in ("1", "true", "yes"),
        trusted_proxies=_networks("VENDORGOV_TRUSTED_PROXIES"),
        redis_url=redis_url,
        metrics_token=_env("VENDORGOV_METRICS_TOKEN"),
        notify_email_url=_notify_url("VENDORGOV_NOTIFY_EMAIL_URL", ("mailto", "mailtos"), ""),
        notify_sms_url=_notify_url("VENDORGOV_NOTIFY_SMS_URL", (), "{phone}"),
        public_url=_env("VENDORGOV_PUBLIC_URL"),
        notify_poll_s=_int("VENDORGOV_NOTIFY_POLL_S", Settings.notify_poll_s),
        notify_lease_s=_int("VENDORGOV_NOTIFY_LEASE_S", Settings.notify_lease_s),
        bell_poll_s=_int("VENDORGOV_BELL_POLL_S", Settings.bell_poll_s),
        service_confirm_hours=_int(
            "VENDORGOV_SERVICE_CONFIRM_HOURS", Settings.service_confirm_hours
        ),
        service_photo_bytes=_int("VENDORGOV_SERVICE_PHOTO_BYTES", Settings.service_photo_bytes),
        service_hotline=_env("VENDORGOV_SERVICE_HOTLINE"),
        service_board_poll_s=_int("VENDORGOV_SERVICE_BOARD_POLL_S", Settings.service_board_poll_s),
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
