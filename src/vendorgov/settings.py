"""Settings, read once from environment variables (see README "Configuration")."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

# Templates and static files ship inside the package, so an installed wheel serves them.
PACKAGE_DIR = Path(__file__).resolve().parent


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return int(raw) if raw else default


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
    max_upload_bytes: int = 10 * 1024 * 1024
    # Service-event files (CSV/XLSX) may be larger: a million events is about 100 MB of CSV.
    max_import_bytes: int = 150 * 1024 * 1024
    qualification_warning_days: int = 60
    # §3: a valid bid more than this percent below the mean of the others is flagged.
    abnormal_low_percent: int = 20
    # §3: evaluators on an open tender's panel, at least (odd; other methods need 3).
    panel_minimum_open: int = 5
    session_hours: int = 10
    secure_cookies: bool = False
    # Addresses of the reverse proxies whose X-Forwarded-For/-Proto uvicorn believes (comma
    # separated, "*" for any): the client address then is the proxy's client, which the login
    # limit counts and /metrics' loopback rule checks.
    trusted_proxies: str = "127.0.0.1"
    # Checked by /readyz when set (the job queue and shared stores use it).
    redis_url: str = ""
    # Bearer token for /metrics from other hosts; without it only loopback may scrape.
    metrics_token: str = field(default="", repr=False)
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


def _secret_key(data_dir: Path) -> str:
    """The configured key, else one generated once and kept under the data dir."""
    configured = os.environ.get("VENDORGOV_SECRET_KEY")
    if configured:
        return configured
    path = data_dir / "secret_key"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def load_settings() -> Settings:
    data_dir = Path(os.environ.get("VENDORGOV_DATA_DIR", "var")).resolve()
    database_url = os.environ.get(
        "VENDORGOV_DATABASE_URL", f"sqlite:///{data_dir / 'vendorgov.sqlite3'}"
    )
    timezone = os.environ.get("VENDORGOV_TIMEZONE", "Asia/Shanghai")
    ZoneInfo(timezone)  # fail at start-up, not on the first deadline, if the zone is unknown
    return Settings(
        data_dir=data_dir,
        database_url=database_url,
        timezone=timezone,
        hospital_name=os.environ.get("VENDORGOV_HOSPITAL_NAME", Settings.hospital_name),
        ocds_prefix=os.environ.get("VENDORGOV_OCDS_PREFIX", Settings.ocds_prefix),
        secret_key=_secret_key(data_dir),
        login_attempts_per_minute=_int("VENDORGOV_LOGIN_ATTEMPTS_PER_MINUTE", 10),
        max_upload_bytes=_int("VENDORGOV_MAX_UPLOAD_BYTES", 10 * 1024 * 1024),
        max_import_bytes=_int("VENDORGOV_MAX_IMPORT_BYTES", 150 * 1024 * 1024),
        qualification_warning_days=_int("VENDORGOV_QUALIFICATION_WARNING_DAYS", 60),
        abnormal_low_percent=_int("VENDORGOV_ABNORMAL_LOW_PERCENT", 20),
        panel_minimum_open=_int("VENDORGOV_PANEL_MINIMUM_OPEN", 5),
        session_hours=_int("VENDORGOV_SESSION_HOURS", 10),
        secure_cookies=os.environ.get("VENDORGOV_SECURE_COOKIES", "") in ("1", "true", "yes"),
        trusted_proxies=os.environ.get("VENDORGOV_TRUSTED_PROXIES", Settings.trusted_proxies),
        redis_url=os.environ.get("VENDORGOV_REDIS_URL", ""),
        metrics_token=os.environ.get("VENDORGOV_METRICS_TOKEN", ""),
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
