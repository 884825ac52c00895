"""Recorded values as people read them, for every history, comparison and audit panel.

The audit trail and the version diff keep what the code stored (`monthly_fee`, `['cleaning']`,
a clause as a dict); the panels show a labelled field and a formatted value: an amount as
¥1,234.00, a list as 保洁、安保, a clause as "SLA-1 响应及时率 …", yes/no for flags, and a
dash for nothing. Unknown fields still read as words (`notice_days` → "Notice days").
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any

from vendorgov.formats import yuan
from vendorgov.i18n import N_, _, current_locale
from vendorgov.sla.rows import HEADERS as EVENT_HEADERS
from vendorgov.vendors.rules import CATEGORY_LABELS, QUALIFICATION_KINDS

_ROW_FIELD = re.compile(r"(\w+)\[(\d+)\]\.(\w+)")
FIELD_LABELS: dict[str, str] = {
    **EVENT_HEADERS,
    "name": N_("Name"),
    "uscc": N_("Unified social credit code"),
    "categories": N_("Service categories"),
    "category": N_("Service category"),
    "legal_representative": N_("Legal representative"),
    "address": N_("Address"),
    "phone": N_("Phone"),
    "email": N_("E-mail"),
    "bank_name": N_("Bank"),
    "bank_account": N_("Bank account"),
    "status": N_("Status"),
    "reason": N_("Reason"),
    "kind": N_("Type"),
    "number": N_("Number"),
    "issued_on": N_("Issue date"),
    "expires_on": N_("Expiry date"),
    "qualification_id": N_("Qualification"),
    "contact_id": N_("Contact"),
    "title": N_("Title"),
    "vendor_id": N_("Vendor"),
    "start_date": N_("Start date"),
    "end_date": N_("End date"),
    "effective_from": N_("Effective from"),
    "monthly_fee": N_("Monthly fee"),
    "deduction_cap_percent": N_("Deduction cap (%)"),
    "notice_days": N_("Expiry notice (days)"),
    "scope": N_("Scope of service"),
    "clauses": N_("SLA clauses"),
    "code": N_("Code"),
    "target": N_("Target"),
    "minimum": N_("Minimum"),
    "weight": N_("Weight"),
    "threshold_minutes": N_("Threshold (minutes)"),
    "priority": N_("Priority"),
    "sla": N_("SLA"),
    "inspection": N_("Inspections"),
    "satisfaction": N_("Satisfaction"),
    "audit": N_("Third-party audit"),
    "critical": N_("Critical (hours)"),
    "major": N_("Major (hours)"),
    "minor": N_("Minor (hours)"),
    "amount": N_("Amount"),
    "budget_ceiling": N_("Budget ceiling"),
    "price": N_("Price"),
    "net": N_("Net payable"),
    "base": N_("Base fee"),
    "deductions": N_("Deductions"),
    "score": N_("Score"),
    "grade": N_("Grade"),
    "active": N_("Account active"),
    "role": N_("Role"),
    "display_name": N_("Name shown"),
    "username": N_("Username"),
    "password": N_("Password"),
    "file": N_("File"),
    "language": N_("Language"),
    "revision": N_("Revision"),
    "version": N_("Version"),
    # What the services record besides the editable fields (tenders, bids, requests, runs).
    "abnormally_low": N_("Abnormally low"),
    "accepted_at": N_("Accepted at"),
    "assignee_id": N_("Assigned to"),
    "assignee_name": N_("Assignee name"),
    "audience": N_("Audience"),
    "auditor": N_("Auditor"),
    "bands": N_("Payment bands"),
    "based_on": N_("Based on"),
    "bid": N_("Bid"),
    "bid_deadline": N_("Bid deadline"),
    "bidder": N_("Bidder"),
    "bidders": N_("Bidders"),
    "bids": N_("Bids"),
    "candidates": N_("Candidates"),
    "carried_over": N_("Carried over"),
    "clause": N_("Clause"),
    "closed_reason": N_("Closing reason"),
    "complaint_review": N_("Complaint review"),
    "confirmed_at": N_("Confirmed at"),
    "conflicts": N_("Conflicts of interest"),
    "contract": N_("Contract"),
    "contract_id": N_("Contract"),
    "contract_ids": N_("Contracts"),
    "created": N_("Added"),
    "criteria": N_("Criteria"),
    "deadline": N_("Deadline"),
    "deadlines": N_("Deadlines"),
    "description": N_("Description"),
    "digest": N_("Digest"),
    "digest_mismatches": N_("Digest mismatches"),
    "duty": N_("Duty"),
    "evaluation_method": N_("Evaluation method"),
    "evidence": N_("Evidence"),
    "filename": N_("File name"),
    "files": N_("Files"),
    "final_month_fee": N_("Final month's fee"),
    "findings": N_("Findings"),
    "inserted": N_("Inserted"),
    "invalid": N_("Invalid"),
    "is_primary": N_("Primary contact"),
    "items": N_("Items"),
    "key": N_("Key"),
    "line": N_("Line"),
    "line_label": N_("Line label"),
    "location_id": N_("Location"),
    "method": N_("Method"),
    "min_score": N_("Minimum score"),
    "month": N_("Month"),
    "note": N_("Note"),
    "panel": N_("Evaluation panel"),
    "pay_percent": N_("Pay (%)"),
    "penalties": N_("Penalties"),
    "period_from": N_("Period from"),
    "period_to": N_("Period to"),
    "published_at": N_("Published at"),
    "qualification_types": N_("Qualification types"),
    "questions": N_("Questions"),
    "quotas": N_("Quotas"),
    "rank": N_("Rank"),
    "ranks": N_("Ranking"),
    "rating": N_("Rating"),
    "rating_comment": N_("Rating comment"),
    "received": N_("Bids received"),
    "received_at": N_("Received at"),
    "recomputed": N_("Recomputed"),
    "reference": N_("Reference"),
    "replaces": N_("Replaces"),
    "resolution_note": N_("Resolution note"),
    "resolution_photo_id": N_("Resolution photo"),
    "result": N_("Result"),
    "results": N_("Results"),
    "rows": N_("Rows"),
    "run_id": N_("Run"),
    "scan": N_("Scan"),
    "scan_size": N_("Scan size"),
    "scheme": N_("Payment scheme"),
    "scores": N_("Scores"),
    "seed": N_("Seed"),
    "service_end": N_("Service end"),
    "service_start": N_("Service start"),
    "severity": N_("Severity"),
    "source": N_("Source"),
    "spot_checks": N_("Spot checks"),
    "status_reason": N_("Status reason"),
    "suspended_until": N_("Suspended until"),
    "template": N_("Template"),
    "tender": N_("Tender"),
    "tender_id": N_("Tender"),
    "terms_text": N_("Contract terms"),
    "text": N_("Text"),
    "trigger": N_("Penalty case"),
    "updated": N_("Updated"),
    "user": N_("User"),
    "valid": N_("Valid"),
    "vendor": N_("Vendor"),
    "version_id": N_("Version"),
    # The tender steps' audit records (§3, §3a).
    "answer": N_("Answer"),
    "answer_due": N_("Answer due"),
    "bid_security": N_("Bid security"),
    "candidate": N_("Candidate"),
    "drawn": N_("Drawn"),
    "drawn_usernames": N_("Experts drawn"),
    "due": N_("Due"),
    "expert": N_("Expert"),
    "ground": N_("Ground"),
    "late": N_("Late"),
    "passed_over": N_("Candidates passed over"),
    "question": N_("Question"),
    "received_on": N_("Received on"),
    "refund_due": N_("Refund due"),
    "refunded_on": N_("Refunded on"),
    "winner": N_("Winner"),
}
# The glossary of statuses (domain rules §0, §3–§7) across vendors, tenders, contracts,
# findings, notices, plans and payment runs: one word each, wherever a status is shown.
STATUS_LABELS: dict[str, str] = {
    "draft": N_("Draft"),
    "superseded": N_("Superseded"),
    "replaced": N_("Replaced"),
    "withdrawn": N_("Withdrawn"),
    "queued": N_("Queued"),
    "running": N_("Running"),
    "sending": N_("Sending"),
    "sent": N_("Sent"),
    "held": N_("Held for the digest"),
    "digested": N_("In a digest"),
    "published": N_("Published"),
    "opened": N_("Bids opened"),
    "evaluated": N_("Evaluated"),
    "awarded": N_("Awarded"),
    "failed": N_("Failed tender"),
    "cancelled": N_("Cancelled"),
    "active": N_("Active"),
    "suspended": N_("Suspended"),
    "blacklisted": N_("Blacklisted"),
    "expired": N_("Expired"),
    "terminated": N_("Terminated"),
    "issued": N_("Issued"),
    "acknowledged": N_("Acknowledged"),
    "responded": N_("Responded"),
    "closed": N_("Closed"),
    "discarded": N_("Discarded"),
    "open": N_("Open"),
    "noticed": N_("Notice issued"),
    "pending": N_("Pending"),
    "done": N_("Done"),
    "computed": N_("Computed"),
    "approved": N_("Approved"),
    "returned": N_("Returned"),
    "upheld": N_("Upheld"),
    "rejected": N_("Rejected"),
    "valid": N_("Valid"),
    "expiring": N_("Expiring soon"),
}
# Fields whose values are money (Decimal rounded to the cent).
MONEY_FIELDS = frozenset(
    {"monthly_fee", "amount", "budget_ceiling", "price", "net", "base", "deductions", "fee"}
)


def field_label(name: str) -> str:
    """The field's label in the current language; an unknown one as words; a place in a
    table (rows[3].satisfaction, criteria[1].weight) as the column's label and the row."""
    row = _ROW_FIELD.fullmatch(name)
    if row:
        return _("%(label)s (row %(row)s)", label=field_label(row[3]), row=row[2])
    if name in FIELD_LABELS:
        return _(FIELD_LABELS[name])
    words = name.removesuffix("_id").replace("_", " ").strip()
    return words[:1].upper() + words[1:]


# A message that names its field already starts with the label and a colon ("Reason: …").
_LABELLED = re.compile(r"[^:：;；。.,，]{1,40}[:：]")


def field_message(message: str, field: str = "") -> str:
    """A field's message as a list of errors shows it: led by the field's label unless the
    message names it already, never by the field's code."""
    if not field or field == "_" or _LABELLED.match(message):
        return message
    return f"{field_label(field)}{_separator_colon()}{message}"


def _separator_colon() -> str:
    return "：" if current_locale.get() == "zh_CN" else ": "


def status_label(code: str) -> str:
    """A status code as the glossary words it, in the current language."""
    return _(STATUS_LABELS[code]) if code in STATUS_LABELS else code


def pair_label(pair: tuple[str, str]) -> str:
    """An (English, Chinese) label pair (roles, categories, qualification types) in the
    current language."""
    english, chinese = pair
    return chinese if current_locale.get() == "zh_CN" else english


def category_label(code: str) -> str:
    """A service category code by its label in the current language (the code if unknown)."""
    return pair_label(CATEGORY_LABELS[code]) if code in CATEGORY_LABELS else code


def _is_money(name: str) -> bool:
    return name in MONEY_FIELDS or name.endswith(("_fee", "_amount"))


def _separator() -> str:
    return "、" if current_locale.get() == "zh_CN" else ", "


def joined(items) -> str:
    """Words listed in a sentence of the current language: 保洁、安保 or cleaning, security."""
    return _separator().join(str(item) for item in items)


@cache
def _value_labels() -> dict[str, dict[str, Any]]:
    """The labels of the coded values the services record, by field: an (English, Chinese)
    pair or a message. Imported when first needed (the rules import this module's peers)."""
    from vendorgov.audits.documents import SEVERITY_LABELS, SOURCE_LABELS
    from vendorgov.contracts.rules import PENALTY_TRIGGERS
    from vendorgov.surveys.rules import AUDIENCE_LABELS
    from vendorgov.tenders.rules import EVALUATION_LABELS, METHOD_LABELS

    return {
        "method": METHOD_LABELS,
        "evaluation_method": EVALUATION_LABELS,
        "severity": SEVERITY_LABELS,
        "source": SOURCE_LABELS,
        "trigger": PENALTY_TRIGGERS,
        "audience": AUDIENCE_LABELS,
        "complaint_review": STATUS_LABELS,
        "result": {"pass": N_("Pass"), "fail": N_("Fail"), "na": N_("Not applicable")},
    }


def _code_label(name: str, value: str) -> str:
    """A coded value (a category, a qualification, a method, a severity…) by its label, any
    other text as it is."""
    if name in ("categories", "category"):
        return category_label(value)
    if name in ("kind", "qualification_types") and value in QUALIFICATION_KINDS:
        return pair_label(QUALIFICATION_KINDS[value])
    label = _value_labels().get(name, {}).get(value)
    if isinstance(label, tuple):
        return pair_label(label)
    return _(label) if label else value


def _record(item: dict) -> str:
    """A row of a list (a clause, a penalty) in one line: its code and name first, then its
    other non-empty fields, labelled."""
    head = " ".join(str(item[k]) for k in ("code", "name") if item.get(k))
    rest = [
        f"{field_label(k)} {humane(v, k)}"
        for k, v in item.items()
        if k not in ("code", "name") and v not in (None, "", [], {})
    ]
    return (
        "，".join(filter(None, [head, *rest]))
        if current_locale.get() == "zh_CN"
        else (", ".join(filter(None, [head, *rest])))
    )


def humane(value: Any, name: str = "") -> str:
    """A recorded value as text: formatted by what the field holds."""
    if value is None or value == "" or value == [] or value == {}:
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, list):
        if all(isinstance(item, dict) for item in value):
            return "; ".join(_record(item) for item in value)
        return _separator().join(humane(item, name) for item in value)
    if isinstance(value, dict):
        return _record(value)
    if _is_money(name):
        try:
            return yuan(Decimal(str(value)))
        except InvalidOperation:
            return str(value)
    if name == "status" and isinstance(value, str):
        return status_label(value)
    if isinstance(value, str):
        return _code_label(name, value)
    return str(value)
