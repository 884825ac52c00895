"""What a statement shows besides its stored figures: each penalty's evidence described and
linked to its record, the net in Chinese capitals, the month's disputes and their rulings;
and a run's totals and spend concentration per service category (§7)."""

from __future__ import annotations

from decimal import Decimal

from vendorgov.accounts.roles import Principal
from vendorgov.audits import periods as audit_periods
from vendorgov.audits.documents import SEVERITY_LABELS, SOURCE_LABELS
from vendorgov.inspections import service as inspections
from vendorgov.money import capitals
from vendorgov.paging import DASHBOARD_ITEMS, PageRequest
from vendorgov.payments import disputes, reading, run_view


def _parse(item: str) -> tuple[str, str]:
    kind, _, key = item.partition(" ")
    return kind, key


async def describe_evidence(statement: dict) -> None:
    """Each line's evidence as {label, what, where, when, severity, link}, in place."""
    items = [_parse(i) for line in statement["lines"] for i in line["evidence"]]
    finding_ids = [int(k) for kind, k in items if kind == "finding" and k.isdigit()]
    numbers = [k for kind, k in items if kind == "notice"]
    findings, notices = await audit_periods.evidence_records(finding_ids, numbers)
    places = await inspections.locations_of(
        [f["inspection_id"] for f in findings.values() if f["inspection_id"]]
    )
    for line in statement["lines"]:
        described = []
        for item in line["evidence"]:
            kind, key = _parse(item)
            entry = {"label": item, "what": "", "where": "", "when": None, "severity": ""}
            entry["link"] = None
            finding = findings.get(int(key)) if kind == "finding" and key.isdigit() else None
            notice = notices.get(key) if kind == "notice" else None
            if finding:
                source = SOURCE_LABELS[finding["source"]]
                severity = SEVERITY_LABELS.get(finding["severity"], (finding["severity"], ""))
                entry.update(
                    label=f"{source[1]} {source[0]} #{finding['id']}",
                    what=finding["category"]
                    + (
                        f": {finding['description']}"
                        if finding["description"] != finding["category"]
                        else ""
                    ),
                    where=places.get(finding["inspection_id"], "") or f"{source[1]} {source[0]}",
                    when=finding["found_at"],
                    severity=f"{severity[1]} {severity[0]}",
                )
                if finding["inspection_id"]:
                    entry["link"] = f"/inspections/{finding['inspection_id']}#finding-{key}"
                elif finding["notice_id"]:
                    entry["link"] = f"/notices/{finding['notice_id']}"
                else:
                    entry["link"] = (
                        f"/findings?contract_id={finding['contract']}&status=#finding-{key}"
                    )
            elif notice:
                severity = SEVERITY_LABELS.get(notice["severity"], (notice["severity"], ""))
                entry.update(
                    label=f"整改通知 notice {notice['number']}",
                    what="整改通知逾期或复查不合格 notice overdue or failed verification",
                    where="",
                    when=notice["deadline"],
                    severity=f"{severity[1]} {severity[0]}".strip(),
                    link=f"/notices/{notice['id']}",
                )
            described.append(entry)
        line["items"] = described


def signed(line: dict) -> Decimal:
    """A line as it acts on the net: base adds, a deduction subtracts, a cap adds back."""
    amount = Decimal(str(line["amount"]))
    return amount if line["kind"] == "base" else -amount


async def prepare_statement(actor: Principal, run: dict, statement: dict) -> dict:
    """The statement with what its page and PDF show besides the stored figures."""
    await describe_evidence(statement)
    for line in statement["lines"]:
        line["signed"] = signed(line)
    statement["net_capitals"] = capitals(statement["net"])
    statement["disputes"] = await disputes.of_statement(statement["contract"], run["month"])
    statement["dispute_window"] = await disputes.vendor_view(actor, run, statement)
    return statement


async def finance_dashboard(actor: Principal) -> dict:
    """For the finance home page: disputes waiting for a ruling, and the spend concentration
    of the newest revision of the latest month."""
    newest = await reading.runs(actor, request=PageRequest(page_size=1))
    latest = newest.items[0] if newest.items else None
    return {
        "disputes_open": await disputes.open_disputes(actor, DASHBOARD_ITEMS),
        "concentration_run": latest,
        "concentration": await run_view.concentration(latest["id"]) if latest else [],
    }
