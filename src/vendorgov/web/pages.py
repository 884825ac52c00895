"""Home dashboard."""

from __future__ import annotations

from litestar import Controller, Request, get
from litestar.response import Template

from vendorgov.accounts.auth import EVERY_ROLE, allow
from vendorgov.accounts.roles import REGISTRY_READERS, Role
from vendorgov.audits import lists as notices
from vendorgov.contracts import service as contracts
from vendorgov.paging import DASHBOARD_ITEMS, PageRequest
from vendorgov.payments import disputes, presentation
from vendorgov.payments import reading as payment_reading
from vendorgov.tenders import reading as tenders
from vendorgov.vendors import qualifications as vendor_qualifications
from vendorgov.vendors import service as vendors

_NOTICE_STEP = {
    Role.vendor: ("issued", "acknowledged"),
    Role.supervisor: ("draft", "responded"),
}


class HomePages(Controller):
    include_in_schema = False

    @get("/", guards=[allow(*EVERY_ROLE)])
    async def home(self, request: Request) -> Template:
        """Bounded whatever the data's size: counts, and at most DASHBOARD_ITEMS of each kind
        of item, each block linked to its filtered list."""
        principal = request.user
        registry = principal.role in REGISTRY_READERS
        sees_contracts = registry or principal.role is Role.vendor
        top = PageRequest(page_size=DASHBOARD_ITEMS)
        context = {
            "expiring": await vendor_qualifications.expiring_qualifications(principal, top),
            "tender_reminders": await tenders.reminders(principal),
            "status_counts": await vendors.status_counts() if registry else {},
            "registry": registry,
            "sees_contracts": sees_contracts,
            "runs_waiting": await payment_reading.runs_awaiting_approval(principal)
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
        }
        if sees_contracts:
            context |= {
                "contracts_expiring": await contracts.contract_page(
                    principal, expiring_only=True, request=top
                ),
                # Contracts of suspended or blacklisted vendors keep running, flagged (§2).
                "contracts_flagged": await contracts.contract_page(
                    principal, flagged_only=True, status=contracts.RUNNING, request=top
                ),
                # Rectification reminders: overdue, or due within 24 hours (§5).
                "notices_overdue": await notices.notice_page(principal, due="overdue", request=top),
                "notices_due": await notices.notice_page(principal, due="soon", request=top),
                # What waits on this user's next step: vendors acknowledge and answer,
                # supervisors issue month-end drafts and verify answers.
                "notices_waiting": [
                    await notices.notice_page(principal, status=status, request=top)
                    for status in _NOTICE_STEP.get(principal.role, ())
                ],
            }
        return Template("home.html", context=context)
