"""Contract rules with no I/O (domain rules §4–§7): clause kinds, the assessment scheme, grade
bands, penalties, rectification deadlines, which version is in force, and version diffs
(checking a version's terms is validation.py)."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, fields
from datetime import date
from decimal import ROUND_DOWN, Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from vendorgov.errors import Collector
from vendorgov.humane import field_label
from vendorgov.i18n import N_, _
from vendorgov.money import CENT


class ClauseKind(StrEnum):
    response_within = "response_within"
    resolution_within = "resolution_within"
    p90_response_minutes = "p90_response_minutes"
    satisfaction_rate = "satisfaction_rate"
    complaint_count = "complaint_count"


CLAUSE_KINDS: dict[ClauseKind, dict[str, Any]] = {
    ClauseKind.response_within: {
        "label": (N_("Responded within threshold"), "响应及时率"),
        "unit": "%",
        "higher_is_better": True,
        "threshold": True,
    },
    ClauseKind.resolution_within: {
        "label": (N_("Resolved within threshold"), "处理及时率"),
        "unit": "%",
        "higher_is_better": True,
        "threshold": True,
    },
    ClauseKind.p90_response_minutes: {
        "label": ("90th percentile response time", "90%响应时间"),
        "unit": "min",
        "higher_is_better": False,
        "threshold": False,
    },
    ClauseKind.satisfaction_rate: {
        "label": (N_("Satisfied (4–5 of 5)"), "满意率"),
        "unit": "%",
        "higher_is_better": True,
        "threshold": False,
    },
    ClauseKind.complaint_count: {
        "label": (N_("Complaints"), "投诉次数"),
        "unit": "",
        "higher_is_better": False,
        "threshold": False,
    },
}

PRIORITIES = ("emergency", "urgent", "routine")
# A clause's two levels, as its messages name them.
LEVELS = {"target": N_("target"), "minimum": N_("minimum")}
GRADES = ("A", "B", "C", "D")
GRADE_LABELS = {"A": "优秀", "B": "良好", "C": "合格", "D": "不合格"}
SEVERITIES = ("critical", "major", "minor")
PENALTY_TRIGGERS: dict[str, tuple[str, str]] = {
    "critical_finding": (N_("per critical finding"), "每项严重问题"),
    "major_finding": (N_("per major finding"), "每项较重问题"),
    "minor_finding": (N_("per minor finding"), "每项一般问题"),
    "overdue_notice": (N_("per notice overdue at month end"), "每份逾期未整改通知"),
    "failed_verification": (N_("per failed verification"), "每次整改复查不合格"),
    "complaint": (N_("per substantiated complaint"), "每次有效投诉"),
}


@dataclass
class Clause:
    code: str
    name: str
    kind: str
    target: Decimal
    minimum: Decimal
    weight: Decimal
    threshold_minutes: int | None = None
    category: str = ""
    priority: str = ""


@dataclass
class Scheme:
    """Assessment component weights, percent (§6)."""

    sla: Decimal = Decimal(40)
    inspection: Decimal = Decimal(30)
    satisfaction: Decimal = Decimal(20)
    audit: Decimal = Decimal(10)


@dataclass
class Band:
    grade: str
    min_score: Decimal
    pay_percent: Decimal


@dataclass
class Penalty:
    trigger: str
    amount: Decimal
    description: str = ""


@dataclass
class Deadlines:
    """Rectification deadlines in hours from the notice, by severity (§5)."""

    critical: int = 24
    major: int = 72
    minor: int = 168


def default_bands() -> list[Band]:
    return [
        Band("A", Decimal(95), Decimal(100)),
        Band("B", Decimal(90), Decimal(98)),
        Band("C", Decimal(80), Decimal(95)),
        Band("D", Decimal(0), Decimal(90)),
    ]


@dataclass
class Terms:
    """Everything a contract version fixes; editable while draft, immutable once signed."""

    effective_from: date
    monthly_fee: Decimal
    clauses: list[Clause] = field(default_factory=list)
    scheme: Scheme = field(default_factory=Scheme)
    bands: list[Band] = field(default_factory=default_bands)
    penalties: list[Penalty] = field(default_factory=list)
    deadlines: Deadlines = field(default_factory=Deadlines)
    deduction_cap_percent: Decimal | None = None
    terms_text: str = ""
    # The fee of the term's last month when it differs from the others: the remainder that
    # makes a total price awarded for the term add up (see fee_schedule). None: same fee.
    final_month_fee: Decimal | None = None


def fee_schedule(total: Decimal, months: int) -> tuple[Decimal, Decimal]:
    """A total price for a term of `months` as (monthly fee, final month's fee), in cents,
    summing exactly to the total: (months − 1) × monthly + final = total. The monthly fee is
    rounded down so that the remainder the final month takes is never below it (rounding half up
    could leave the last month nothing, or less than nothing, on small totals)."""
    monthly = (total / months).quantize(CENT, rounding=ROUND_DOWN)
    return monthly, total - monthly * (months - 1)


def term_total(terms: Terms, months: int) -> Decimal:
    """What the terms pay over a term of `months` months at 100 %."""
    final = terms.final_month_fee if terms.final_month_fee is not None else terms.monthly_fee
    return terms.monthly_fee * (months - 1) + final


# --- converting to and from plain data (JSON columns, API bodies, audit snapshots) ---------


def _dec(value: Any) -> Decimal:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        return Decimal(repr(value))
    return Decimal(str(value).strip().replace(",", ""))


def to_plain(terms: Terms) -> dict:
    """JSON-ready: Decimals as strings (never floats), dates as ISO text."""

    def plain(value: Any) -> Any:
        if isinstance(value, Decimal):
            return str(value)  # as entered: 128000.00 stays money-shaped, 95 stays 95
        if isinstance(value, date):
            return value.isoformat()
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        if isinstance(value, list):
            return [plain(v) for v in value]
        return value

    return plain(asdict(terms))


def sla_template(terms: Terms) -> dict:
    """The plain terms without their date and fees: what a tender carries until its award
    fixes them."""
    plain = to_plain(terms)
    for key in ("effective_from", "monthly_fee", "final_month_fee"):
        plain.pop(key)
    return plain


def clause_from(data: dict) -> Clause:
    threshold = data.get("threshold_minutes")
    return Clause(
        code=str(data.get("code", "")).strip(),
        name=str(data.get("name", "")).strip(),
        kind=str(data.get("kind", "")),
        target=_dec(data["target"]),
        minimum=_dec(data["minimum"]),
        weight=_dec(data["weight"]),
        threshold_minutes=int(threshold) if threshold not in (None, "") else None,
        category=str(data.get("category") or "").strip(),
        priority=str(data.get("priority") or "").strip(),
    )


def terms_from(data: dict) -> Terms:
    """From plain data (as stored or as sent); raises KeyError/ValueError/InvalidOperation on
    malformed values, which callers turn into field errors via `parse_terms`."""
    scheme = data.get("scheme") or {}
    deadlines = data.get("deadlines") or {}
    cap = data.get("deduction_cap_percent")
    return Terms(
        effective_from=(
            data["effective_from"]
            if isinstance(data["effective_from"], date)
            else date.fromisoformat(str(data["effective_from"]))
        ),
        monthly_fee=_dec(data["monthly_fee"]),
        clauses=[clause_from(c) for c in data.get("clauses") or []],
        scheme=Scheme(**{f.name: _dec(scheme.get(f.name, f.default)) for f in fields(Scheme)}),
        bands=[
            Band(str(b["grade"]), _dec(b["min_score"]), _dec(b["pay_percent"]))
            for b in data.get("bands") or []
        ]
        if "bands" in data
        else default_bands(),
        penalties=[
            Penalty(str(p["trigger"]), _dec(p["amount"]), str(p.get("description", "")))
            for p in data.get("penalties") or []
        ],
        deadlines=Deadlines(
            **{f.name: int(deadlines.get(f.name, f.default)) for f in fields(Deadlines)}
        ),
        deduction_cap_percent=_dec(cap) if cap not in (None, "") else None,
        terms_text=str(data.get("terms_text") or ""),
        final_month_fee=_dec(final)
        if (final := data.get("final_month_fee")) not in (None, "")
        else None,
    )


def parse_terms(data: dict) -> Terms:
    """terms_from, with malformed values reported as field errors (InvalidInput)."""
    errors = Collector()
    try:
        return terms_from(data)
    except KeyError as missing:
        errors.add(
            str(missing.args[0]),
            "required",
            _("%(field)s: required; fill it in.", field=field_label(str(missing.args[0]))),
        )
    except (ValueError, InvalidOperation, TypeError) as error:
        errors.add(
            "terms",
            "format",
            _(
                "Terms: a value is not a number or a date (%(error)s); write numbers as 1234.50 "
                "and dates as 2026-11-30.",
                error=error,
            ),
        )
    errors.raise_if_any()
    raise AssertionError("unreachable")


# --- which version is in force ------------------------------------------------------------


@dataclass(frozen=True)
class VersionRef:
    id: int
    number: int
    effective_from: date
    signed: bool


def version_in_force(versions: Iterable[VersionRef], day: date) -> VersionRef | None:
    """The latest signed version whose effective-from is on or before the day (§4)."""
    candidates = [v for v in versions if v.signed and v.effective_from <= day]
    return max(candidates, key=lambda v: (v.effective_from, v.number), default=None)


def signing_problem(version: VersionRef, others: Iterable[VersionRef]) -> str | None:
    """A version signs only if it starts after every signed version: a signed history is a
    sequence of non-overlapping periods, each running until the next one starts."""
    latest = max(
        (v.effective_from for v in others if v.signed and v.id != version.id), default=None
    )
    if latest is not None and version.effective_from <= latest:
        return _(
            "Effective from: %(day)s overlaps the signed version effective from %(latest)s; "
            "an amendment must start after it.",
            day=version.effective_from,
            latest=latest,
        )
    return None


# --- comparing two versions ----------------------------------------------------------------


@dataclass
class Change:
    field: str
    before: Any
    after: Any


@dataclass
class ClauseDiff:
    added: list[Clause] = field(default_factory=list)
    removed: list[Clause] = field(default_factory=list)
    changed: list[tuple[str, str, list[Change]]] = field(default_factory=list)  # code, name


@dataclass
class VersionDiff:
    general: list[Change]
    clauses: ClauseDiff
    scheme: list[Change]
    bands: list[Change]
    penalties: list[Change]
    deadlines: list[Change]
    terms_text: list[str]

    @property
    def empty(self) -> bool:
        return not (
            self.general
            or self.clauses.added
            or self.clauses.removed
            or self.clauses.changed
            or self.scheme
            or self.bands
            or self.penalties
            or self.deadlines
            or self.terms_text
        )

    def summary(self) -> list[str]:
        """One line per change, for messages such as a 409 on a concurrent edit."""
        lines = [f"{c.field}: {c.before} → {c.after}" for c in self.general]
        lines += [f"clause {c.code} added" for c in self.clauses.added]
        lines += [f"clause {c.code} removed" for c in self.clauses.removed]
        lines += [
            f"clause {code} {ch.field}: {ch.before} → {ch.after}"
            for code, _, changes in self.clauses.changed
            for ch in changes
        ]
        for section in ("scheme", "bands", "penalties", "deadlines"):
            lines += [
                f"{section} {c.field}: {c.before} → {c.after}" for c in getattr(self, section)
            ]
        if self.terms_text:
            lines.append("terms text edited")
        return lines


def _changes(before: dict, after: dict) -> list[Change]:
    keys = list(dict.fromkeys([*before, *after]))
    return [Change(k, before.get(k), after.get(k)) for k in keys if before.get(k) != after.get(k)]


def diff_terms(a: Terms, b: Terms) -> VersionDiff:
    """What changed from version a to version b, field by field, clauses matched by code."""
    general = _changes(
        {
            "effective_from": a.effective_from,
            "monthly_fee": a.monthly_fee,
            "final_month_fee": a.final_month_fee,
            "deduction_cap_percent": a.deduction_cap_percent,
        },
        {
            "effective_from": b.effective_from,
            "monthly_fee": b.monthly_fee,
            "final_month_fee": b.final_month_fee,
            "deduction_cap_percent": b.deduction_cap_percent,
        },
    )
    old = {c.code: c for c in a.clauses}
    new = {c.code: c for c in b.clauses}
    clauses = ClauseDiff(
        added=[c for code, c in new.items() if code not in old],
        removed=[c for code, c in old.items() if code not in new],
    )
    for code in old.keys() & new.keys():
        changes = _changes(asdict(old[code]), asdict(new[code]))
        if changes:
            clauses.changed.append((code, new[code].name, changes))
    clauses.changed.sort()

    def band_map(bands: list[Band]) -> dict:
        return {f"{x.grade} min score": x.min_score for x in bands} | {
            f"{x.grade} pay %": x.pay_percent for x in bands
        }

    def penalty_map(penalties: list[Penalty]) -> dict:
        return {p.trigger: p.amount for p in penalties}

    text = list(
        difflib.unified_diff(
            a.terms_text.splitlines(),
            b.terms_text.splitlines(),
            "before",
            "after",
            lineterm="",
            n=1,
        )
    )
    return VersionDiff(
        general=general,
        clauses=clauses,
        scheme=_changes(asdict(a.scheme), asdict(b.scheme)),
        bands=_changes(band_map(a.bands), band_map(b.bands)),
        penalties=_changes(penalty_map(a.penalties), penalty_map(b.penalties)),
        deadlines=_changes(asdict(a.deadlines), asdict(b.deadlines)),
        terms_text=text[2:],
    )


# --- status --------------------------------------------------------------------------------


class ContractStatus(StrEnum):
    draft = "draft"
    active = "active"
    suspended = "suspended"
    expired = "expired"
    terminated = "terminated"


def effective_contract_status(status: ContractStatus, end: date, today: date) -> ContractStatus:
    """An active or suspended contract past its end date has expired."""
    if status in (ContractStatus.active, ContractStatus.suspended) and end < today:
        return ContractStatus.expired
    return status


def expiry_notice_due(end: date, today: date, notice_days: int) -> bool:
    """Within the notice window before the end date (§4, default 90 days)."""
    return today <= end and (end - today).days <= notice_days


OCDS_STATUS = {
    ContractStatus.draft: "pending",
    ContractStatus.active: "active",
    ContractStatus.suspended: "active",
    ContractStatus.expired: "terminated",
    ContractStatus.terminated: "terminated",
}
