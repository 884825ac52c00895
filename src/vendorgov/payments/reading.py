"""Reading the month-end: runs with the status they are shown with, a run's statements and
the changes against the previous revision, one statement for finance or its vendor, a
contract's approved months, a vendor's statements and the payments for OCDS."""

from __future__ import annotations

import json

from piccolo.query.functions.aggregate import Max

from vendorgov import db, exact, paging
from vendorgov.accounts.roles import Principal, role_label
from vendorgov.contracts import service as contracts
from vendorgov.errors import Forbidden, NotFound
from vendorgov.i18n import N_, _
from vendorgov.paging import Page, PageRequest
from vendorgov.payments import disputes
from vendorgov.payments.access import FINANCE, ensure_finance
from vendorgov.payments.tables import PaymentRun, Statement


def _statement_out(row: dict) -> dict:
    """A stored statement for pages, documents and the API: components shown to 2 decimals
    (components_exact keeps the exact text the score was computed from)."""
    stored = json.loads(row["components"])
    return {
        **row,
        "components": {
            k: None if v is None else exact.rounded(exact.parse(v)) for k, v in stored.items()
        },
        "components_exact": stored,
        "weights": json.loads(row["weights"]),
        "lines": json.loads(row["lines"]),
        "termination_review": bool(row["termination_review"]),
        **{k: db.two_places(row[k]) for k in ("base", "deductions", "net", "score", "pay_percent")},
    }


def _shown_status(run: dict, newest_revision: int) -> str:
    """A computed revision with a newer one of its month can no longer be approved."""
    if run["status"] == "computed" and run["revision"] < newest_revision:
        return "superseded"
    return run["status"]


async def run_header(actor: Principal, run_id: int) -> dict:
    """The run without its statements, with the status it is shown with (its page reads
    the statements a page at a time: payments.run_view)."""
    ensure_finance(actor)
    run = await PaymentRun.select().where(PaymentRun.id == run_id).first()
    if run is None:
        raise NotFound(N_("payment run"), run_id)
    newest = await _newest_revisions([run["month"]])
    return {**run, "shown_status": _shown_status(run, newest[run["month"]])}


RUN_SORTS = {"month": PaymentRun.month, "status": PaymentRun.status}
STATEMENT_SORTS = {"month": Statement.run.month, "contract": Statement.contract.number}


async def _newest_revisions(months: list[str]) -> dict[str, int]:
    rows = (
        await PaymentRun.select(PaymentRun.month, Max(PaymentRun.revision).as_alias("newest"))
        .where(PaymentRun.month.is_in(months or [""]))
        .group_by(PaymentRun.month)
    )
    return {r["month"]: r["newest"] for r in rows}


async def runs(actor: Principal, month: str = "", request: PageRequest = PageRequest()) -> Page:
    """A page of the runs, newest month and revision first."""
    ensure_finance(actor)
    page = await paging.fetch_page(
        PaymentRun,
        PaymentRun.select(),
        [PaymentRun.month == month] if month else [],
        request,
        RUN_SORTS,
        [(PaymentRun.month, False), (PaymentRun.revision, False)],
    )
    newest = await _newest_revisions(sorted({r["month"] for r in page.items}))
    for row in page.items:
        row["shown_status"] = _shown_status(row, newest[row["month"]])
    return page


async def runs_awaiting_approval(actor: Principal) -> list[dict]:
    """The newest revision of each month while it waits for a second finance user."""
    ensure_finance(actor)
    rows = (
        await PaymentRun.select()
        .where(PaymentRun.status == "computed")
        .order_by(PaymentRun.month, ascending=False)
    )
    newest = await _newest_revisions(sorted({r["month"] for r in rows}))
    return [r for r in rows if _shown_status(r, newest[r["month"]]) == "computed"]


async def get_run(actor: Principal, run_id: int) -> dict:
    ensure_finance(actor)
    run = await PaymentRun.select().where(PaymentRun.id == run_id).first()
    if run is None:
        raise NotFound(N_("payment run"), run_id)
    rows = await Statement.select(
        Statement.all_columns(),
        Statement.contract.number.as_alias("contract_number"),
        Statement.contract.vendor.name.as_alias("vendor_name"),
        Statement.contract.category.as_alias("category"),
    ).where(Statement.run == run_id)
    newest = (
        await PaymentRun.select(PaymentRun.revision)
        .where(PaymentRun.month == run["month"])
        .order_by(PaymentRun.revision, ascending=False)
        .first()
    )
    return {
        **run,
        "shown_status": _shown_status(run, newest["revision"]),
        "statements": [_statement_out(r) for r in rows],
    }


async def diff(actor: Principal, run_id: int) -> list[dict]:
    """What changed against the previous revision of the same month, contract by contract."""
    current = await get_run(actor, run_id)
    before = (
        await PaymentRun.select(PaymentRun.id)
        .where(
            (PaymentRun.month == current["month"])
            & (PaymentRun.revision == current["revision"] - 1)
        )
        .first()
    )
    if before is None:
        return []
    old = {s["contract"]: s for s in (await get_run(actor, before["id"]))["statements"]}
    changes = []
    for new in current["statements"]:
        was = old.get(new["contract"])
        fields = [
            (f, was[f] if was else None, new[f])
            for f in ("score", "grade", "base", "deductions", "net")
            if was is None or was[f] != new[f]
        ]
        if fields:
            changes.append({"contract_number": new["contract_number"], "changes": fields})
    return changes


async def statement(actor: Principal, run_id: int, contract_id: int) -> tuple[dict, dict]:
    """(run, statement) for finance, or for the contract's vendor once the run is approved
    (and its draft during the dispute window)."""
    run = await PaymentRun.select().where(PaymentRun.id == run_id).first()
    row = (
        await Statement.select(
            Statement.all_columns(),
            Statement.contract.number.as_alias("contract_number"),
            Statement.contract.title.as_alias("contract_title"),
            Statement.contract.vendor.name.as_alias("vendor_name"),
        )
        .where((Statement.run == run_id) & (Statement.contract == contract_id))
        .first()
    )
    visible = row is not None and (
        actor.role in FINANCE
        or (
            actor.is_vendor
            and actor.vendor_id == row["vendor_id"]
            and (run["status"] == "approved" or await disputes.window_open(run))
        )
    )
    if not visible:
        if row is not None and not actor.is_vendor and actor.role not in FINANCE:
            raise Forbidden(
                _("The %(role)s role has no access to statements.", role=role_label(actor.role))
            )
        raise NotFound(N_("statement"), f"{run_id}/{contract_id}")
    return run, _statement_out(row)


async def history(actor: Principal, contract_id: int) -> list[dict]:
    """The contract's approved months (the latest approved revision of each), oldest first:
    month, score, grade, net. Finance, or the contract's vendor."""
    contract = await contracts.require_readable(actor, contract_id)
    if actor.role not in FINANCE and not (
        actor.is_vendor and actor.vendor_id == contract["vendor"]
    ):
        raise Forbidden(
            _("The %(role)s role has no access to statements.", role=role_label(actor.role))
        )
    rows = await Statement.select(
        Statement.score,
        Statement.grade,
        Statement.net,
        Statement.termination_review,
        Statement.run.id.as_alias("run_id"),
        Statement.run.month.as_alias("month"),
        Statement.run.revision.as_alias("revision"),
    ).where((Statement.contract == contract_id) & (Statement.run.status == "approved"))
    latest: dict[str, dict] = {}
    for row in sorted(rows, key=lambda r: (r["month"], r["revision"])):
        latest[row["month"]] = row
    return [
        {
            **row,
            "score": db.two_places(row["score"]),
            "net": db.two_places(row["net"]),
            "termination_review": bool(row["termination_review"]),
        }
        for row in (latest[m] for m in sorted(latest))
    ]


async def statements_for_vendor(
    actor: Principal, month: str = "", request: PageRequest = PageRequest()
) -> Page:
    """A page of the vendor's statements, from approved runs only, newest month first."""
    if not actor.is_vendor:
        raise Forbidden(_("This list is the vendor's own statements."))
    where = [(Statement.vendor_id == actor.vendor_id), (Statement.run.status == "approved")]
    if month:
        where.append(Statement.run.month == month)
    query = Statement.select(
        Statement.all_columns(),
        Statement.run.month.as_alias("month"),
        Statement.run.revision.as_alias("revision"),
        Statement.contract.number.as_alias("contract_number"),
    )
    page = await paging.fetch_page(
        Statement, query, where, request, STATEMENT_SORTS, [(Statement.run.month, False)]
    )
    page.items = [_statement_out(r) for r in page.items]
    return page


async def approved_payments(contract_id: int) -> list[dict]:
    """What the hospital pays on the contract: for each approved month, the latest approved
    revision's net (run, month, revision, approved_at, net), oldest month first. For the
    contract's OCDS release; the caller has checked that the reader may see the contract."""
    rows = await Statement.select(
        Statement.net,
        Statement.contract,
        Statement.run.id.as_alias("run_id"),
        Statement.run.month.as_alias("month"),
        Statement.run.revision.as_alias("revision"),
        Statement.run.approved_at.as_alias("approved_at"),
    ).where((Statement.contract == contract_id) & (Statement.run.status == "approved"))
    latest: dict[str, dict] = {}
    for row in sorted(rows, key=lambda r: (r["month"], r["revision"])):
        latest[row["month"]] = {**row, "net": db.two_places(row["net"])}
    return [latest[m] for m in sorted(latest)]
