"""Who hears of the month-end: the second finance user of a computed run, the one who
computed it when it is returned, vendors when their statement is approved or their dispute
ruled, finance when a dispute is filed. Each inside the transaction of what happened."""

from __future__ import annotations

from vendorgov.accounts.roles import Principal, Role
from vendorgov.money import cents
from vendorgov.notifications.service import Audience, Event, notify, notify_many
from vendorgov.payments.tables import Statement


async def run_computed(actor: Principal, run_id: int, month: str) -> None:
    await notify(
        Event(
            "run.awaiting_approval",
            f"run:{run_id}:computed",
            {"month": month, "by": actor.display_name},
            f"/month-end/runs/{run_id}",
        ),
        Audience(roles=(Role.finance,), not_user=actor.user_id),
    )


async def run_returned(actor: Principal, run: dict, reason: str) -> None:
    if run["computed_by_id"] is None:
        return
    await notify(
        Event(
            "run.returned",
            f"run:{run['id']}:returned",
            {"month": run["month"], "by": actor.display_name, "reason": reason},
            f"/month-end/runs/{run['id']}",
        ),
        Audience(users=(run["computed_by_id"],)),
    )


async def statements_approved(run_id: int, month: str) -> None:
    rows = await Statement.select(
        Statement.contract,
        Statement.contract.number.as_alias("number"),
        Statement.vendor_id,
        Statement.net,
    ).where(Statement.run == run_id)
    await notify_many(
        [
            (
                Event(
                    "statement.approved",
                    f"run:{run_id}:statement:{row['contract']}",
                    {
                        "month": month,
                        "contract": row["number"],
                        "net": f"¥{cents(row['net']):,}",
                    },
                    "/statements",
                ),
                Audience(vendor_ids=(row["vendor_id"],)),
            )
            for row in rows
        ]
    )


async def _contract_number(run_id: int, contract_id: int) -> str:
    row = (
        await Statement.select(Statement.contract.number.as_alias("number"))
        .where((Statement.run == run_id) & (Statement.contract == contract_id))
        .first()
    )
    return row["number"] if row else ""


async def dispute_filed(dispute_id: int, contract_id: int, month: str, run_id: int) -> None:
    await notify(
        Event(
            "dispute.filed",
            f"dispute:{dispute_id}:filed",
            {"month": month, "contract": await _contract_number(run_id, contract_id)},
            f"/month-end/runs/{run_id}",
        ),
        Audience(roles=(Role.finance,)),
    )


async def dispute_ruled(dispute: dict, outcome: str, note: str) -> None:
    """`outcome` is the dispute's new status (upheld, rejected), worded in the reader's
    language when the message is shown."""
    number = await _contract_number(dispute["run_id"], dispute["contract_id"])
    await notify(
        Event(
            "dispute.ruled",
            f"dispute:{dispute['id']}:ruled",
            {
                "month": dispute["month"],
                "contract": number,
                "outcome": outcome,
                "note": note,
            },
            "/statements",
        ),
        Audience(vendor_ids=(dispute["vendor_id"],)),
    )
