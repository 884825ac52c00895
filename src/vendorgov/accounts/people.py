"""People's display names by username, for what records who acted by username (signatures,
approvals, notices, the audit trail): pages and documents show the name, never the login.

Accounts are few (one row a person), so each process keeps the whole map and reads it again
at most every PEOPLE_CACHE_SECONDS (`refresh`, run before each request); an account created in
this process is seen at once, elsewhere within that delay. `display_name` is what the
templates' `person` filter calls: a username the map does not know (the system, or an account
made in another process a moment ago) is shown as it is.
"""

from __future__ import annotations

import time

from vendorgov.accounts.tables import Account
from vendorgov.i18n import N_, _

PEOPLE_CACHE_SECONDS = 30.0

_names: dict[str, str] = {}
# The system's own actors (no account): named in the reader's language.
SYSTEM_NAMES = {"bidder (sealed until opening)": N_("bidder (sealed until opening)")}
_loaded_at: float | None = None


async def refresh() -> None:
    global _names, _loaded_at
    now = time.monotonic()
    if _loaded_at is not None and now - _loaded_at < PEOPLE_CACHE_SECONDS:
        return
    rows = await Account.select(Account.user.username.as_alias("username"), Account.display_name)
    _names = {row["username"]: row["display_name"] for row in rows}
    _loaded_at = now


def forget() -> None:
    """The next `refresh` reads the map again (an account was created or renamed)."""
    global _loaded_at
    _loaded_at = None


def display_name(username: str | None) -> str:
    if not username:
        return ""
    if username in SYSTEM_NAMES:
        return _(SYSTEM_NAMES[username])
    return _names.get(username, username)
