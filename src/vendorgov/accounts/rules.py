"""Password rules for new and changed passwords (no I/O but reading the packaged list once)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from vendorgov.errors import FieldError
from vendorgov.i18n import _

MIN_PASSWORD_LENGTH = 10
# Piccolo refuses longer ones (PBKDF2 of a huge string is a denial of service).
MAX_PASSWORD_LENGTH = 128
MIN_DISTINCT_CHARACTERS = 5
# Piccolo's BaseUser stores a "password" with this prefix as if it were already hashed.
_HASH_PREFIX = "pbkdf2_sha256"


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    text = (Path(__file__).parent / "common_passwords.txt").read_text(encoding="utf-8")
    return frozenset(line for line in text.splitlines() if line and not line.startswith("# "))


def password_errors(password: str, username: str, field: str = "password") -> list[FieldError]:
    """Every rule a new password breaks, worded for the person choosing it."""
    errors = []
    if len(password) < MIN_PASSWORD_LENGTH:
        errors.append(
            FieldError(
                field,
                "min_length",
                _("Password: at least %(n)s characters long.", n=MIN_PASSWORD_LENGTH),
            )
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        errors.append(
            FieldError(
                field,
                "max_length",
                _("Password: at most %(n)s characters long.", n=MAX_PASSWORD_LENGTH),
            )
        )
    if errors:
        return errors
    lowered = password.lower()
    if lowered in common_passwords():
        errors.append(
            FieldError(
                field,
                "common_password",
                _(
                    "Password: this is one of the most common passwords, which are guessed "
                    "first; choose another."
                ),
            )
        )
    elif len(set(lowered)) < MIN_DISTINCT_CHARACTERS:
        errors.append(
            FieldError(
                field,
                "too_repetitive",
                _(
                    "Password: it repeats too few characters; use at least %(n)s different ones.",
                    n=MIN_DISTINCT_CHARACTERS,
                ),
            )
        )
    name = username.strip().lower()
    if name and name in lowered:
        errors.append(
            FieldError(field, "contains_username", _("Password: it must not contain the username."))
        )
    if password.startswith(_HASH_PREFIX):
        errors.append(
            FieldError(
                field,
                "looks_hashed",
                _("Password: it must not start with %(prefix)s.", prefix=_HASH_PREFIX),
            )
        )
    return errors


def acceptable_for_login(username: str, password: str) -> bool:
    """Whether a login attempt can match an account at all: a longer password or a malformed
    name cannot, and is refused without hashing or a query (PostgreSQL rejects NUL bytes)."""
    return (
        0 < len(username) <= 100 and "\x00" not in username and len(password) <= MAX_PASSWORD_LENGTH
    )
