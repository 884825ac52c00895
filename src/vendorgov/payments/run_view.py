"""A payment run as its page shows it, bounded whatever the number of contracts: the run
read once, its totals, grades and spend concentration aggregated in SQL, its statements a
page at a time (filtered by grade, review flag and search), and the changes against the
previous revision a bounded list with their count."""

from __future__ import annotations

import heapq
from decimal import Decimal

from litestar.params import FromQuery

from vendorgov import db, paging
from vendorgov.errors import InvalidInput
from vendorgov.i18n import N_, _
from vendorgov.paging import DASHBOARD_ITEMS, Page, PageRequest
from vendorgov.payments import reading, rules
from vendorgov.payments.tables import PaymentRun, Statement
from vendorgov.vendors.rules import CATEGORY_LABELS

RUN_STATEMENT_SORTS = {
    "contract": Statement.contract.number,
    "vendor": Statement.contract.vendor.name,
    "score": Statement.score,
    "grade": Statement.grade,
    "net": Statement.net,
}
GRADES = ("A", "B", "C", "D")
_MONEY = ("base", "deductions", "net")
_FIELDS = ("score", "grade", "base", "deductions", "net")


def _cents(column: str) -> str:
    """A sum in whole cents: exact on both engines (SQLite keeps NUMERIC as REAL)."""
    return f"SUM(CAST(ROUND({column} * 100) AS BIGINT))"


async def summary(run_id: int) -> dict:
    """Statements by grade, those flagged for termination review, and the money totals."""
    sums = ", ".join(f"{_cents(k)} AS {k}" for k in _MONEY)
    rows = await Statement.raw(
        "SELECT grade, COUNT(*) AS n, SUM(termination_review) AS flagged, "
        f"{sums} FROM payment_statement WHERE run = {{}} GROUP BY grade",
        run_id,
    )
    grades = {g: 0 for g in GRADES}
    totals = {k: Decimal(0) for k in _MONEY}
    for row in rows:
        grades[row["grade"] or "—"] = row["n"]
        for k in _MONEY:
            totals[k] += Decimal(row[k] or 0) / 100
    return {
        "grades": grades,
        "count": sum(r["n"] for r in rows),
        "flagged": sum(r["flagged"] or 0 for r in rows),
        "totals": {k: db.two_places(v) for k, v in totals.items()},
    }


async def concentration(run_id: int) -> list[dict]:
    """Per service category (the contract's category): each vendor's share of the category's
    net and the HHI; a category served by a single vendor is a dependency risk. One query,
    one row per category and vendor, whatever the number of contracts."""
    rows = await db.fetch(
        "SELECT g.category AS category, v.name AS name, g.cents AS cents FROM ("
        f"SELECT c.category AS category, s.vendor_id AS vendor_id, {_cents('s.net')} AS cents"
        " FROM payment_statement s JOIN contract c ON c.id = s.contract"
        " WHERE s.run = {} GROUP BY c.category, s.vendor_id"
        ") g JOIN vendor v ON v.id = g.vendor_id",
        run_id,
    )
    by_category: dict[str, dict[str, Decimal]] = {}
    for r in rows:
        nets = by_category.setdefault(r["category"], {})
        nets[r["name"]] = nets.get(r["name"], Decimal(0)) + Decimal(r["cents"] or 0) / 100
    result = []
    for category in sorted(by_category):
        nets = by_category[category]
        shares, hhi = rules.concentration(nets)
        result.append(
            {
                "category": category,
                "label": CATEGORY_LABELS.get(category, (category, category)),
                "net": db.two_places(sum(nets.values(), Decimal(0))),
                # The first few as sorted() would give them, without sorting 2,000 vendors.
                "shares": heapq.nsmallest(
                    DASHBOARD_ITEMS, shares.items(), key=lambda v: (-v[1], v[0])
                ),
                "vendors": len(nets),
                "hhi": hhi,
                "single_vendor": len(nets) == 1,
            }
        )
    return result


async def statement_page(
    run: dict,
    *,
    grade: str = "",
    review: bool = False,
    q: str = "",
    request: PageRequest = PageRequest(),
) -> Page:
    """A page of the run's statements, by contract number: filtered by grade and the
    termination-review flag, searched by contract number and vendor name. `run` is what
    reading.run_header returned (it checks the reader's role)."""
    if grade and grade not in GRADES:
        raise InvalidInput.single(
            "grade", "choice", _("Grade: use one of %(grades)s.", grades=", ".join(GRADES))
        )
    where = [Statement.run == run["id"]]
    if grade:
        where.append(Statement.grade == grade)
    if review:
        where.append(Statement.termination_review == 1)
    q = q.strip()
    if q:
        where.append(
            db.icontains(Statement.contract.number, q)
            | db.icontains(Statement.contract.vendor.name, q)
        )
    query = Statement.select(
        Statement.id,
        Statement.contract,
        Statement.vendor_id,
        Statement.score,
        Statement.grade,
        Statement.carried_over,
        Statement.termination_review,
        *(getattr(Statement, k) for k in _MONEY),
        Statement.contract.number.as_alias("contract_number"),
        Statement.contract.vendor.name.as_alias("vendor_name"),
    )
    page = await paging.fetch_page(
        Statement,
        query,
        where,
        request,
        RUN_STATEMENT_SORTS,
        [(Statement.contract.number, True)],
    )
    page.items = [
        {
            **r,
            "termination_review": bool(r["termination_review"]),
            **{k: db.two_places(r[k]) for k in ("score", *_MONEY)},
        }
        for r in page.items
    ]
    return page


async def statement_filters(
    grade: FromQuery[str] = "", review: FromQuery[bool] = False, q: FromQuery[str] = ""
) -> dict:
    """The run's statement list's query parameters (a Litestar dependency of its page, export
    and API)."""
    return locals()


EXPORT_COLUMNS = {
    "contract_number": N_("Contract"),
    "vendor_name": N_("Vendor"),
    "score": N_("Score"),
    "grade": N_("Grade"),
    "base": N_("Base fee"),
    "deductions": N_("Deductions"),
    "net": N_("Net"),
    "termination_review": N_("termination review"),
    "carried_over": N_("carried over"),
}


async def statements_of(actor, *, run_id: int, request: PageRequest = PageRequest(), **filters):
    """The run's statement list as its reader may see it (the export's fetch: any process
    reads the run again with the reader's role)."""
    return await statement_page(await reading.run_header(actor, run_id), request=request, **filters)


async def changes(run: dict, limit: int = DASHBOARD_ITEMS) -> tuple[list[dict], int]:
    """What changed against the previous revision of the same month (score, grade, money):
    the first `limit` contracts by number and how many changed in all, compared in SQL."""
    before = (
        await PaymentRun.select(PaymentRun.id)
        .where((PaymentRun.month == run["month"]) & (PaymentRun.revision == run["revision"] - 1))
        .first()
    )
    if before is None:
        return [], 0
    differs = "IS DISTINCT FROM" if db.is_postgres() else "IS NOT"
    changed = " OR ".join(f"o.{f} {differs} n.{f}" for f in _FIELDS)
    body = (
        " FROM payment_statement n JOIN contract c ON c.id = n.contract"
        " LEFT JOIN payment_statement o ON o.contract = n.contract AND o.run = {}"
        f" WHERE n.run = {{}} AND (o.id IS NULL OR {changed})"
    )
    count = await Statement.raw("SELECT COUNT(*) AS n" + body, before["id"], run["id"])
    columns = ", ".join(f"o.{f} AS old_{f}, n.{f} AS new_{f}" for f in _FIELDS)
    rows = await Statement.raw(
        f"SELECT c.number AS contract_number, o.id AS old_id, {columns}{body}"
        f" ORDER BY c.number LIMIT {int(limit)}",
        before["id"],
        run["id"],
    )
    money = ("score", *_MONEY)

    def shown(field, value):
        return db.two_places(value) if field in money else value

    return [
        {
            "contract_number": r["contract_number"],
            "changes": [
                (f, shown(f, r[f"old_{f}"]) if r["old_id"] else None, shown(f, r[f"new_{f}"]))
                for f in _FIELDS
                if r["old_id"] is None or shown(f, r[f"old_{f}"]) != shown(f, r[f"new_{f}"])
            ],
        }
        for r in rows
    ], count[0]["n"]


async def contract_numbers(run: dict, contract_ids: list[int]) -> dict[int, str]:
    """The numbers of some of the run's contracts (its disputes'), by contract id."""
    rows = await Statement.select(
        Statement.contract, Statement.contract.number.as_alias("number")
    ).where((Statement.run == run["id"]) & Statement.contract.is_in(contract_ids or [0]))
    return {r["contract"]: r["number"] for r in rows}
