"""Contracts, running stage: suspending, resuming and terminating a contract (a locked, audited
status move with a reason), and the scheduler's daily expiry warnings for contracts whose
notice period begins or that end on a day."""

from __future__ import annotations

from datetime import date, timedelta

from vendorgov import db
from vendorgov.accounts.roles import Principal, Role
from vendorgov.audit import service as audit
from vendorgov.contracts.rules import ContractStatus
from vendorgov.contracts.service import contract_row, ensure_keeper, lock_contract, utc_now
from vendorgov.contracts.tables import Contract
from vendorgov.errors import Conflict, InvalidInput
from vendorgov.humane import status_label
from vendorgov.i18n import N_, _
from vendorgov.notifications.service import Audience, Event, notify_many


class StatusAction:
    suspend = "suspend"
    resume = "resume"
    terminate = "terminate"


_STATUS_MOVES = {
    StatusAction.suspend: ((ContractStatus.active,), ContractStatus.suspended),
    StatusAction.resume: ((ContractStatus.suspended,), ContractStatus.active),
    StatusAction.terminate: (
        (ContractStatus.active, ContractStatus.suspended),
        ContractStatus.terminated,
    ),
}

# Why a move is refused, by the statuses it is allowed from.
_REFUSED = {
    StatusAction.suspend: N_("Only an active contract can be suspended; this one is %(status)s."),
    StatusAction.resume: N_("Only a suspended contract can be resumed; this one is %(status)s."),
    StatusAction.terminate: N_(
        "Only an active or suspended contract can be terminated; this one is %(status)s."
    ),
}


async def change_status(actor: Principal, contract_id: int, action: str, reason: str) -> str:
    ensure_keeper(actor)
    if action not in _STATUS_MOVES:
        raise InvalidInput.single(
            "action", "unknown_action", _("Action: choose suspend, resume or terminate.")
        )
    if len(reason.strip()) < 5:
        raise InvalidInput.single(
            "reason", "required", _("Reason: say why, in at least 5 characters.")
        )
    allowed, new = _STATUS_MOVES[action]
    async with db.transaction():
        await lock_contract(contract_id)
        contract = await contract_row(contract_id)
        current = ContractStatus(contract["status"])
        if current not in allowed:
            raise Conflict(_(_REFUSED[action], status=status_label(current.value)))
        await Contract.update(
            {
                Contract.status: new.value,
                Contract.status_reason: reason,
                Contract.updated_at: utc_now(),
            }
        ).where(Contract.id == contract_id)
        await audit.record(
            actor,
            "contract",
            contract_id,
            action,
            {"status": current.value},
            {"status": new.value, "reason": reason},
        )
    return new.value


async def contracts_crossing_warnings(on: date) -> list[dict]:
    """Active or suspended contracts whose notice period (notice_days before the end) begins
    on that day, or that end on it: the scheduler's daily expiry warnings, each contract
    warned of on two days, no more."""
    rows = await Contract.select(
        Contract.id,
        Contract.number,
        Contract.vendor,
        Contract.end_date,
        Contract.notice_days,
        Contract.vendor.name.as_alias("vendor_name"),
    ).where(
        Contract.status.is_in([ContractStatus.active, ContractStatus.suspended])
        & (Contract.end_date >= on)
    )
    crossing = [r for r in rows if r["end_date"] in (on, on + timedelta(days=r["notice_days"]))]
    await notify_many(
        [
            (
                Event(
                    "contract.expiring",
                    f"contract:{r['id']}:expiring:{on.isoformat()}",
                    {
                        "number": r["number"],
                        "ends": r["end_date"].isoformat(),
                        "vendor": r["vendor_name"],
                    },
                    f"/contracts/{r['id']}",
                ),
                Audience(roles=(Role.procurement,), vendor_ids=(r["vendor"],)),
            )
            for r in crossing
        ]
    )
    return [
        {"contract": r["id"], "number": r["number"], "vendor": r["vendor"], "ends": r["end_date"]}
        for r in crossing
    ]
