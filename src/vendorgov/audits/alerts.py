"""Who hears of a rectification notice: the vendor's users when it is issued (again, after
a failed verification), due within a day or overdue; the supervisors when the vendor has
answered and when it is overdue."""

from __future__ import annotations

from vendorgov.accounts.roles import Role
from vendorgov.notifications.service import Audience, Event, notify, when

SUPERVISING = (Role.supervisor,)


async def on_notice(notice: dict, what: str) -> None:
    """`notice`: its row with number, contract_number, vendor_id and deadline; `what`:
    issued, due_soon, overdue or response_submitted."""
    if what == "response_submitted":
        audience = Audience(roles=SUPERVISING)
    elif what == "overdue":
        audience = Audience(roles=SUPERVISING, vendor_ids=(notice["vendor_id"],))
    else:
        audience = Audience(vendor_ids=(notice["vendor_id"],))
    deadline = notice["deadline"]
    await notify(
        Event(
            f"notice.{what}",
            # A new deadline (after a failed verification) is a new occurrence.
            f"notice:{notice['id']}:{what}:{deadline.isoformat() if deadline else ''}",
            {
                "number": notice["number"],
                "contract": notice["contract_number"],
                "deadline": when(deadline),
            },
            f"/notices/{notice['id']}",
        ),
        audience,
    )
