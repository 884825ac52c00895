"""Home dashboard and health check."""

from __future__ import annotations

from litestar import Controller, Request, get
from litestar.response import Template

from vendorgov.accounts.auth import EVERY_ROLE, allow
from vendorgov.accounts.roles import REGISTRY_READERS, Role
from vendorgov.audits import service as notices
from vendorgov.contracts import service as contracts
from vendorgov.payments import disputes, presentation
from vendorgov.payments import service as payments
from vendorgov.tenders import reading as tenders
from vendorgov.vendors import service as vendors

_NOTICE_STEP = {
    Role.vendor: ("issued", "acknowledged"),
    Role.supervisor: ("draft", "responded"),
}


class HomePages(Controller):
    include_in_schema = False

    @get("/", guards=[allow(*EVERY_ROLE)])
    async def home(self, request: Request) -> Template:
        principal = request.user
        registry = principal.role in REGISTRY_READERS
        sees_contracts = registry or principal.role is Role.vendor
        contract_rows = await contracts.list_contracts(principal) if sees_contracts else []
        open_notices = (
            await notices.list_notices(principal, open_only=True) if sees_contracts else []
        )
        return Template(
            "home.html",
            context={
                "expiring": await vendors.expiring_qualifications(principal),
                "tender_reminders": await tenders.reminders(principal),
                "status_counts": await vendors.status_counts() if registry else {},
                "registry": registry,
                "sees_contracts": sees_contracts,
                "contracts_expiring": [c for c in contract_rows if c["expiry_notice"]],
                # Rectification reminders: overdue, or due within 24 hours (§5).
                "notices_overdue": [n for n in open_notices if n["overdue"]],
                "notices_due": [n for n in open_notices if n["due_soon"]],
                # What waits on this user's next step: vendors acknowledge and answer,
                # supervisors issue month-end drafts and verify answers.
                "notices_waiting": [
                    n for n in open_notices if n["status"] in _NOTICE_STEP.get(principal.role, ())
                ],
                "runs_waiting": await payments.runs_awaiting_approval(principal)
                if principal.role is Role.finance
                else [],
                # Finance: disputes to rule on and the newest run's concentration (§7);
                # vendors: drafts to check, dispute or waive.
                "month_end": await presentation.finance_dashboard(principal)
                if principal.role is Role.finance
                else {},
                "statement_drafts": await disputes.drafts_for_vendor(principal)
                if principal.is_vendor
                else [],
                "contracts_flagged": [
                    c
                    for c in contract_rows
                    if c["vendor_flagged"] and c["effective_status"] in ("active", "suspended")
                ],
            },
        )

    @get("/healthz")
    async def health(self) -> dict[str, str]:
        return {"status": "ok"}
