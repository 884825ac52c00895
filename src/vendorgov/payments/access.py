"""Who does what in the month-end: finance (and administrators) run and read it; a finance
user other than the one who computed a run reviews it."""

from __future__ import annotations

from vendorgov.accounts.roles import Principal, Role, role_label
from vendorgov.errors import Forbidden
from vendorgov.i18n import _

FINANCE = (Role.admin, Role.finance)


def ensure_finance(actor: Principal) -> None:
    if actor.role not in FINANCE:
        raise Forbidden(
            _("The %(role)s role does not run the month-end.", role=role_label(actor.role))
        )


def ensure_reviewer(actor: Principal) -> None:
    if actor.role is not Role.finance:
        raise Forbidden(
            _(
                "The %(role)s role does not review month-ends: a finance user other than the "
                "one who computed the run approves it or returns it.",
                role=role_label(actor.role),
            )
        )
