"""Errors raised by services, independent of HTTP; web/errors.py maps them to responses."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import TypeVar

from vendorgov.i18n import N_, _

E = TypeVar("E", bound=Enum)


@dataclass(frozen=True)
class FieldError:
    field: str
    rule: str
    message: str


class DomainError(Exception):
    # Titles are msgids: the response translates them into the request's language.
    status_code = 400
    title = N_("Bad request")

    def __init__(self, message: str, errors: list[FieldError] | None = None):
        super().__init__(message)
        self.message = message
        self.errors = errors or []


class InvalidInput(DomainError):
    """One or more fields break a rule; nothing was changed."""

    status_code = 422
    title = N_("Invalid input")

    def __init__(self, errors: list[FieldError] | FieldError, message: str | None = None):
        errors = [errors] if isinstance(errors, FieldError) else errors
        super().__init__(message or "; ".join(f"{e.field}: {e.message}" for e in errors), errors)

    @classmethod
    def single(cls, field: str, rule: str, message: str) -> InvalidInput:
        return cls(FieldError(field, rule, message))


class NotFound(DomainError):
    status_code = 404
    title = N_("Not found")

    def __init__(self, entity: str, key: object):
        # `entity` is a msgid marked with N_() where it is raised ("payment run").
        super().__init__(_("%(entity)s %(key)s does not exist", entity=_(entity), key=key))


class Conflict(DomainError):
    """The change clashes with the current state (duplicate, stale revision, wrong status)."""

    status_code = 409
    title = N_("Conflict")


class Forbidden(DomainError):
    status_code = 403
    title = N_("Forbidden")


@dataclass
class Collector:
    """Gathers every rule a submission breaks, so the user sees all of them at once."""

    errors: list[FieldError] = field(default_factory=list)

    def add(self, field: str, rule: str, message: str) -> None:
        self.errors.append(FieldError(field, rule, message))

    def raise_if_any(self) -> None:
        if self.errors:
            raise InvalidInput(self.errors)


def member_of(kind: type[E], value: str, field: str, rule: str = "one_of") -> E:
    """`value` as a member of the enum `kind`, or a 422 naming the field and the allowed values
    (the API's action fields: notice steps, vendor status moves)."""
    try:
        return kind(value)
    except ValueError:
        raise InvalidInput.single(
            field,
            rule,
            _("Choose one of: %(values)s.", values=", ".join(m.value for m in kind)),
        ) from None
