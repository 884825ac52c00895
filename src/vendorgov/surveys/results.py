"""Survey results per contract, ward and month, and the satisfaction component (§6, §10):
the answers of every survey covering a contract (by name or by its category), pooled with the
responses a help desk posts through the API (sla), each one answer."""

from __future__ import annotations

import json
from datetime import datetime
from fractions import Fraction
from operator import itemgetter

import pandas as pd

from vendorgov import db, exact, paging
from vendorgov.accounts.roles import Principal, Role, role_label
from vendorgov.contracts import service as contracts
from vendorgov.errors import Forbidden
from vendorgov.files import exports
from vendorgov.files.responses import CSV, XLSX
from vendorgov.i18n import _
from vendorgov.locations import service as locations
from vendorgov.paging import Page, PageRequest
from vendorgov.settings import get_settings
from vendorgov.sla import service as sla
from vendorgov.sla.measure import Month
from vendorgov.surveys import rules
from vendorgov.surveys.tables import SurveyQuota, SurveyVersion

# Vendors see their own contracts' results (they are assessed on them), never the answers'
# comments or the questionnaires.
READERS = (Role.admin, Role.supervisor, Role.procurement, Role.finance, Role.vendor)
RESULT_SORTS = ("contract_number", "ward", "answers", "shortfall")
EXPORT_COLUMNS = {
    "month": "month 月份",
    "contract_number": "contract 合同",
    "vendor_name": "vendor 服务商",
    "ward": "ward 病区",
    "answers": "answers 答卷数",
    "satisfied": "satisfied 满意数",
    "share": "satisfied % 满意率",
    "quota": "quota 配额",
    "shortfall": "shortfall 缺额",
}

_COUNTS = (
    "SELECT version, location_id, COUNT(*) AS n, "
    "SUM(CASE WHEN score_sum >= {} * answered THEN 1 ELSE 0 END) AS happy "
    "FROM survey_answer WHERE answered_on >= {} AND answered_on < {} GROUP BY version, location_id"
)


async def _versions() -> list[rules.VersionCover]:
    rows = await SurveyVersion.select(
        SurveyVersion.id, SurveyVersion.survey, SurveyVersion.contracts, SurveyVersion.categories
    )
    return [
        rules.VersionCover(
            r["id"],
            r["survey"],
            tuple(json.loads(r["contracts"])),
            tuple(json.loads(r["categories"])),
        )
        for r in rows
    ]


async def _counts(month: Month) -> dict[tuple[int, int], rules.Tally]:
    rows = await db.fetch(_COUNTS, rules.SATISFIED, month.first_day, month.next().first_day)
    return {
        (r["version"], r["location_id"]): rules.Tally(int(r["n"]), int(r["happy"] or 0))
        for r in rows
    }


async def satisfaction_shares(contract_ids: list[int], month: Month) -> dict[int, Fraction | None]:
    """The satisfaction component of each contract's month, exact, or None without answers."""
    categories = await contracts.categories_of(contract_ids)
    by_version: dict[int, rules.Tally] = {}
    for (version, _ward), tally in (await _counts(month)).items():
        by_version[version] = by_version.get(version, rules.Tally()) + tally
    surveyed = rules.tallies_by_contract(categories, await _versions(), by_version)
    posted = await sla.satisfaction_counts(contract_ids, month)
    return {
        cid: (surveyed.get(cid, rules.Tally()) + rules.Tally(*posted.get(cid, (0, 0)))).share
        for cid in contract_ids
    }


async def result_page(
    actor: Principal,
    month: Month,
    contract_id: int | None = None,
    location_id: int | None = None,
    *,
    request: PageRequest = PageRequest(),
    search: str = "",
) -> Page:
    """One row per contract and ward of the month: answers, satisfied share, quota, shortfall.
    Only the contracts the actor may read (a vendor: its own); `search` keeps those whose
    number or vendor name contains it."""
    if actor.role not in READERS:
        raise Forbidden(
            _("The %(role)s role does not see survey results.", role=role_label(actor.role))
        )
    labels = contracts.labels_matching(await contracts.contract_labels(actor), search)
    visible = {c["id"]: c for c in labels if contract_id is None or c["id"] == contract_id}
    quotas = {
        (r["survey"], r["location_id"]): r["monthly_quota"]
        for r in await SurveyQuota.select(
            SurveyQuota.survey, SurveyQuota.location_id, SurveyQuota.monthly_quota
        )
    }
    rows = rules.result_rows(
        {cid: c["category"] for cid, c in visible.items()},
        await _versions(),
        await _counts(month),
        quotas,
    )
    if location_id is not None:
        rows = [r for r in rows if r.location_id == location_id]
    names = await locations.names_of([r.location_id for r in rows])
    month_text = str(month)
    items = [
        {
            "month": month_text,
            "contract_id": r.contract_id,
            "contract_number": visible[r.contract_id]["number"],
            "vendor_name": visible[r.contract_id]["vendor_name"],
            "location_id": r.location_id,
            "ward": names.get(r.location_id, ""),
            "answers": r.answers,
            "satisfied": r.satisfied,
            "share": None,  # below, for the page's rows only (exact fractions cost)
            "share_shown": None,
            "quota": r.quota,
            "shortfall": r.shortfall,
        }
        for r in rows
    ]
    items.sort(key=itemgetter("contract_number", "ward"))
    page = paging.page_of(items, request, RESULT_SORTS)
    for item in page.items:
        share = rules.Tally(item["answers"], item["satisfied"]).share
        if share is not None:
            item["share"], item["share_shown"] = exact.text(share), exact.rounded(share)
    return page


def month_or_current(text: str) -> Month:
    """The month asked for (a 4xx naming `month` if it is not one), or the current one."""
    if text:
        return Month.from_input(text)
    today = datetime.now(get_settings().zone).date()
    return Month(today.year, today.month)


async def export_file(
    actor: Principal, month: Month, contract_id: int | None, fmt: str, search: str = ""
) -> tuple[bytes, str, str]:
    """The results as CSV, or XLSX when `fmt` says so: body, file name, media type."""
    kind = "xlsx" if fmt == "xlsx" else "csv"
    body = await export(actor, month, contract_id, kind, search)
    return body, f"survey-results-{month}.{kind}", XLSX if kind == "xlsx" else CSV


async def export(
    actor: Principal, month: Month, contract_id: int | None, fmt: str, search: str = ""
) -> bytes:
    """The results as CSV or XLSX (files.exports: formula-like cells neutralised), the share
    rounded to 2 decimals."""
    rows = await paging.export_rows(result_page, actor, month, contract_id, search=search)
    frame = pd.DataFrame(
        [[r["share_shown"] if k == "share" else r[k] for k in EXPORT_COLUMNS] for r in rows],
        columns=list(EXPORT_COLUMNS.values()),
    )
    if fmt == "xlsx":
        return exports.xlsx_bytes({"surveys": frame})
    return exports.csv_bytes(frame)
