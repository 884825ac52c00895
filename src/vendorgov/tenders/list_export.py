"""The tender list's CSV export (§3): the tenders the reader may see, filtered and searched
as on the list page (tenders.views), every page of them."""

from __future__ import annotations

from litestar import Controller, Request, Response, get
from litestar.params import FromQuery

from vendorgov.accounts.auth import allow
from vendorgov.accounts.roles import Role
from vendorgov.files import exports
from vendorgov.files.responses import CSV, download
from vendorgov.paging import export_rows
from vendorgov.tenders import common, reading

READ = allow(Role.admin, Role.procurement, Role.vendor, Role.evaluator)
EXPORT_COLUMNS = {
    "id": "id",
    "reference": "reference",
    "title": "title",
    "category": "category",
    "method": "method",
    "status": "status",
    "bid_deadline": "bid_deadline",
    "budget_ceiling": "budget_ceiling",
    "bids_received": "bids_received",
}


class TenderListExport(Controller):
    path = "/tenders"
    include_in_schema = False

    @get("/export.csv", guards=[READ])
    async def export(
        self,
        request: Request,
        status: FromQuery[str] = "",
        category: FromQuery[str] = "",
        q: FromQuery[str] = "",
    ) -> Response[bytes]:
        """The filtered list (every page) as CSV; the bid count for staff only, as on the page."""
        rows = await export_rows(
            reading.tender_page, request.user, status=status, category=category, q=q
        )
        for row in rows:
            row["bid_deadline"] = common.local(row["bid_deadline"]).strftime("%Y-%m-%d %H:%M")
        return download(exports.rows_csv(rows, EXPORT_COLUMNS), "tenders.csv", CSV)
