"""The tender list's CSV export (§3): the tenders the reader may see, filtered and searched
as on the list page (tenders.views), every page of them."""

from __future__ import annotations

from litestar import Controller, Request, Response, get
from litestar.params import FromQuery

from vendorgov.accounts.auth import allow
from vendorgov.accounts.roles import Role
from vendorgov.i18n import N_
from vendorgov.tenders import common, reading
from vendorgov.web import list_exports

READ = allow(Role.admin, Role.procurement, Role.vendor, Role.evaluator)
EXPORT_COLUMNS = {
    "reference": N_("Reference"),
    "title": N_("Title"),
    "category": N_("Service"),
    "method": N_("Method"),
    "status": N_("Status"),
    "bid_deadline": N_("Bid deadline"),
    "budget_ceiling": N_("Budget ceiling"),
    "bids_received": N_("Bids received"),
}


async def tender_filters(
    status: FromQuery[str] = "", category: FromQuery[str] = "", q: FromQuery[str] = ""
) -> dict:
    return locals()


def _local_deadline(row: dict) -> None:
    row["bid_deadline"] = common.local(row["bid_deadline"]).strftime("%Y-%m-%d %H:%M")


EXPORT = list_exports.register(
    list_exports.ListExport(
        "tenders",
        reading.tender_page,
        EXPORT_COLUMNS,
        "tenders.csv",
        _local_deadline,
        tender_filters,
    )
)


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
        """The filtered list (every page) as CSV, a job's download when large; the bid count
        for staff only, as on the page."""
        filters = {"status": status, "category": category, "q": q}
        return await list_exports.respond(request, EXPORT, filters)
