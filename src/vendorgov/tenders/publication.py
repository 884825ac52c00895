"""Tenders from draft to publication (§3): creating and editing drafts, tender documents,
publishing, moving the bid deadline, cancelling and failing."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from vendorgov import db
from vendorgov.accounts.roles import Principal
from vendorgov.audit import service as audit
from vendorgov.contracts import rules as contract_rules
from vendorgov.contracts import validation as contract_validation
from vendorgov.contracts.ocds import term_months
from vendorgov.errors import Collector, Conflict, InvalidInput, NotFound
from vendorgov.files import service as files
from vendorgov.files.service import Upload
from vendorgov.humane import joined, pair_label
from vendorgov.i18n import N_, _
from vendorgov.settings import get_settings
from vendorgov.tenders import (
    alerts,
    common,
    invitations,
    ranking_rules,
    result_rules,
    rules,
    sealing,
)
from vendorgov.tenders.rules import Criterion, EvaluationMethod, Method, Status
from vendorgov.tenders.tables import Tender
from vendorgov.vendors.rules import CATEGORY_LABELS, QUALIFICATION_KINDS
from vendorgov.workdays import service as workdays


@dataclass
class TenderInput:
    reference: str
    title: str
    category: str
    method: str
    evaluation_method: str
    budget_ceiling: Decimal | None
    service_start: date | None
    service_end: date | None
    bid_deadline: datetime | None
    scope: str = ""
    qualification_types: list[str] = field(default_factory=list)
    criteria: list[Criterion] = field(default_factory=list)
    # The future contract's SLA terms in the contracts' plain form (clauses, scheme, bands,
    # penalties, deadlines); effective date and fee come from the award.
    sla_template: dict = field(default_factory=dict)
    # Bid security (投标保证金, §3a) each bidder deposits: 0 (none) up to 2% of the ceiling.
    bid_security: Decimal | None = Decimal(0)
    # §3: how candidates tied on total and price are ordered ("" none stated: a random draw).
    tie_rule: str = ""
    # §3a: the small and micro enterprises' price deduction (None: the setting, default 10%).
    sme_percent: Decimal | None = None

    def __post_init__(self) -> None:
        if self.sme_percent is None:
            self.sme_percent = Decimal(get_settings().sme_deduction_percent)


def _template_terms(data: TenderInput, errors: Collector) -> dict:
    """The SLA template checked as a contract version would be, priced at the ceiling. Its
    fee and start come from the ceiling and the term, which are checked (and reported) on
    their own fields, so the template is checked only once they are sound."""
    if not (data.service_start and data.service_end and data.budget_ceiling is not None):
        return {}
    if any(e.field in ("service_start", "service_end", "budget_ceiling") for e in errors.errors):
        return {}  # the fee and start would be meaningless
    if not rules.is_amount(data.budget_ceiling) or data.budget_ceiling <= 0:
        return {}  # reported by _tender_errors
    months = term_months(data.service_start, data.service_end)
    plain = {
        **data.sla_template,
        "effective_from": data.service_start.isoformat(),
        "monthly_fee": str(contract_rules.fee_schedule(data.budget_ceiling, months)[0]),
    }
    try:
        terms = contract_rules.parse_terms(plain)
    except InvalidInput as error:
        errors.errors.extend(error.errors)
        return {}
    except (AttributeError, TypeError, ValueError):  # e.g. clauses not a list of objects
        errors.add(
            "sla_template",
            "format",
            _("SLA template: clauses, penalties and bands as in a contract version."),
        )
        return {}
    check = contract_validation.terms_errors(terms, data.service_start, data.service_end)
    for e in check.errors:
        if e.field in ("monthly_fee", "effective_from"):
            continue  # reported on budget_ceiling and the service term
        errors.add(f"sla_template.{e.field}", e.rule, e.message)
    return contract_rules.sla_template(terms)


def _tender_errors(data: TenderInput, now: datetime, check_deadline: bool = True) -> Collector:
    errors = Collector()
    if not data.reference.strip() or len(data.reference.strip()) > 30:
        errors.add("reference", "required", _("Reference number: required, 1 to 30 characters."))
    if not data.title.strip() or len(data.title.strip()) > 200:
        errors.add("title", "required", _("Title: required, 1 to 200 characters."))
    for name, label, day in (
        ("service_start", N_("Service start"), data.service_start),
        ("service_end", N_("Service end"), data.service_end),
    ):
        if day and not 2000 <= day.year <= 2100:
            errors.add(
                name,
                "range",
                _("%(label)s: a date between 2000 and 2100.", label=_(label)),
            )
    if (
        data.service_start
        and data.service_end
        and (data.service_end - data.service_start).days > 3653
    ):
        errors.add("service_end", "term", _("Service end: the service term is at most 10 years."))
    if data.category not in CATEGORY_LABELS:
        errors.add("category", "unknown_category", _("Service category: choose one from the list."))
    if data.method not in rules.METHOD_LABELS:
        errors.add(
            "method",
            "unknown_method",
            _(
                "Procurement method: choose one of %(methods)s.",
                methods=joined(pair_label(label) for label in rules.METHOD_LABELS.values()),
            ),
        )
    if data.evaluation_method not in rules.EVALUATION_LABELS:
        errors.add(
            "evaluation_method",
            "unknown",
            _(
                "Evaluation method: choose one of %(methods)s.",
                methods=joined(pair_label(label) for label in rules.EVALUATION_LABELS.values()),
            ),
        )
    else:
        method = Method(data.method) if data.method in rules.METHOD_LABELS else None
        evaluation = EvaluationMethod(data.evaluation_method)
        rules.criteria_errors(data.criteria, evaluation, errors, method)
        ranking_rules.tie_rule_errors(data.tie_rule, evaluation, errors)
    ranking_rules.sme_percent_errors(data.sme_percent, errors)
    if data.budget_ceiling is None:
        errors.add("budget_ceiling", "required", _("Budget ceiling: required, in yuan."))
    elif not rules.is_amount(data.budget_ceiling) or data.budget_ceiling <= 0:
        errors.add(
            "budget_ceiling",
            "positive",
            _(
                "Budget ceiling: more than 0 and at most %(max)s yuan, with at most 2 decimals.",
                max=format(rules.MAX_AMOUNT, ","),
            ),
        )
    if data.service_start is None:
        errors.add("service_start", "required", _("Service start: required (YYYY-MM-DD)."))
    if data.service_end is None:
        errors.add("service_end", "required", _("Service end: required (YYYY-MM-DD)."))
    if data.service_start and data.service_end and data.service_end <= data.service_start:
        errors.add("service_end", "after_start", _("Service end: must be after the service start."))
    elif (
        data.service_start
        and data.service_end
        and not any(e.field in ("service_start", "service_end") for e in errors.errors)
        and data.budget_ceiling is not None
        and rules.is_amount(data.budget_ceiling)
        and data.budget_ceiling > 0
        and contract_rules.fee_schedule(
            data.budget_ceiling, term_months(data.service_start, data.service_end)
        )[0]
        <= 0
    ):
        errors.add(
            "budget_ceiling",
            "monthly_fee",
            _(
                "Budget ceiling: too small to pay a monthly fee of at least ¥0.01 over the "
                "service term."
            ),
        )
    result_rules.security_errors(data.bid_security, data.budget_ceiling, errors)
    unknown = [q for q in data.qualification_types if q not in QUALIFICATION_KINDS]
    if unknown:
        errors.add(
            "qualification_types",
            "unknown",
            _(
                "Required qualifications: %(unknown)s is not a qualification type; choose "
                "from %(kinds)s.",
                unknown=joined(unknown),
                kinds=joined(pair_label(k) for k in QUALIFICATION_KINDS.values()),
            ),
        )
    if check_deadline:
        rules.deadline_errors(data.bid_deadline, now, errors)
    elif data.bid_deadline is None:
        errors.add("bid_deadline", "required", _("Bid deadline: required."))
    if (
        data.bid_deadline
        and data.service_start
        and common.local(data.bid_deadline).date() >= data.service_start
    ):
        errors.add(
            "bid_deadline",
            "before_service",
            _("Bid deadline: must be before the service starts."),
        )
    return errors


def _columns(data: TenderInput, template: dict) -> dict:
    return {
        "reference": data.reference.strip(),
        "title": data.title.strip(),
        "category": data.category,
        "method": data.method,
        "evaluation_method": data.evaluation_method,
        "budget_ceiling": data.budget_ceiling,
        "service_start": data.service_start,
        "service_end": data.service_end,
        "scope": data.scope.strip(),
        "qualification_types": json.dumps(sorted(set(data.qualification_types))),
        "criteria": json.dumps(
            [common.criterion_plain(c) for c in data.criteria], ensure_ascii=False
        ),
        "tie_rule": data.tie_rule,
        "sme_percent": data.sme_percent,
        "sla_template": json.dumps(template, ensure_ascii=False),
        "bid_deadline": data.bid_deadline,
        "bid_security": data.bid_security or Decimal(0),
    }


def _audited(columns: dict) -> dict:
    return {
        k: (json.loads(v) if k in ("qualification_types", "criteria", "sla_template") else v)
        for k, v in columns.items()
        if k != "sla_template"
    }


async def create_tender(actor: Principal, data: TenderInput) -> int:
    common.ensure_officer(actor)
    now = common.now()
    errors = _tender_errors(data, now)
    template = _template_terms(data, errors)
    errors.raise_if_any()
    columns = _columns(data, template)
    async with db.transaction():
        if await Tender.exists().where(Tender.reference == columns["reference"]):
            raise Conflict(
                _(
                    "Reference number: tender %(reference)s exists already.",
                    reference=columns["reference"],
                )
            )
        key = sealing.new_key()
        tender = Tender(
            **columns,
            status=Status.draft.value,
            sealed_key=sealing.wrap_key(get_settings().secret_key, key, columns["reference"]),
            created_at=now,
            created_by=actor.username,
            updated_at=now,
        )
        try:
            await tender.save()
        except Exception as error:
            if db.is_unique_violation(error):  # created at the same moment by someone else
                raise Conflict(
                    _(
                        "Reference number: tender %(reference)s exists already.",
                        reference=columns["reference"],
                    )
                ) from None
            raise
        await audit.record(actor, "tender", tender.id, "create", None, _audited(columns))
    return tender.id


async def update_tender(actor: Principal, tender_id: int, data: TenderInput) -> None:
    """Edit a draft. The reference is fixed once created (the sealing key is bound to it)."""
    common.ensure_officer(actor)
    now = common.now()
    errors = _tender_errors(data, now)
    template = _template_terms(data, errors)
    errors.raise_if_any()
    async with db.transaction():
        row = await common.tender_row(tender_id, lock=True)
        common.ensure_action(row, "edit")
        columns = _columns(data, template)
        if columns["reference"] != row["reference"]:
            raise InvalidInput.single(
                "reference",
                "fixed",
                _("Reference number: it cannot change once the tender is created."),
            )
        before = _audited({k: row[k] for k in columns})
        await Tender.update({**columns, Tender.updated_at: now}).where(Tender.id == tender_id)
        await audit.record(actor, "tender", tender_id, "edit", before, _audited(columns))


async def add_document(actor: Principal, tender_id: int, upload: Upload) -> None:
    """A tender document (specification, forms) while the tender is a draft."""
    common.ensure_officer(actor)
    files.check_upload("document", upload)
    async with db.transaction():
        row = await common.tender_row(tender_id, lock=True)
        common.ensure_action(row, "edit")
        file_id = await files.store(upload, actor.user_id)
        documents = json.loads(row["documents"])
        documents.append({"file_id": str(file_id), "filename": upload.filename})
        await Tender.update(
            {
                Tender.documents: json.dumps(documents, ensure_ascii=False),
                Tender.updated_at: common.now(),
            }
        ).where(Tender.id == tender_id)
        await audit.record(
            actor, "tender", tender_id, "add_document", None, {"filename": upload.filename}
        )


async def document(principal: Principal, tender_id: int, file_id: str) -> files.StoredContent:
    row = await common.tender_row(tender_id)
    await common.ensure_reader(principal, row)
    if file_id not in [d["file_id"] for d in json.loads(row["documents"])]:
        raise NotFound(N_("tender document"), file_id)
    return await files.content(uuid.UUID(file_id))


async def _transition(
    actor: Principal,
    tender_id: int,
    action: str,
    new_status: Status,
    extra: dict | None = None,
    check=None,
    after=None,
) -> dict:
    """Move a tender from one status to another in one audited transaction; `after` (the
    tender as it now is) runs inside it, for whom to tell."""
    common.ensure_officer(actor)
    async with db.transaction():
        row = await common.tender_row(tender_id, lock=True)
        common.ensure_action(row, action)
        if check:
            await check(row)
        changes = {"status": new_status.value, "updated_at": common.now(), **(extra or {})}
        await Tender.update(changes).where(Tender.id == tender_id)
        await audit.record(
            actor,
            "tender",
            tender_id,
            action,
            {"status": row["status"]},
            {k: v for k, v in changes.items() if k != "updated_at"},
        )
        if after:
            await after({**row, **changes})
    return row


async def _bid_period_errors(method: str, published_at: datetime, deadline: datetime) -> Collector:
    settings = get_settings()
    minimum = rules.min_bid_days(
        Method(method),
        settings.bid_period_days_open,
        settings.bid_period_days_consultation,
        settings.bid_period_days_negotiation,
    )
    working = rules.counts_working_days(Method(method))
    first = common.local(published_at).date()
    # Enough days to find the minimum across the longest holiday (Spring Festival, 9 days).
    calendar = await workdays.calendar_for(first, first + timedelta(days=2 * minimum + 31))
    errors = Collector()
    rules.bid_period_errors(
        published_at, deadline, minimum, working, calendar, settings.zone, errors
    )
    return errors


async def publish(actor: Principal, tender_id: int) -> None:
    """§3a: published only with the method's minimum bid period before the deadline."""

    async def check(row: dict) -> None:
        errors = await _bid_period_errors(row["method"], common.now(), row["bid_deadline"])
        rules.deadline_errors(row["bid_deadline"], common.now(), errors)
        # What the tender states for the award (§3, §3a), checked again as it is published.
        evaluation = EvaluationMethod(row["evaluation_method"])
        rules.criteria_errors(
            common.criteria_of(row["criteria"]), evaluation, errors, Method(row["method"])
        )
        ranking_rules.tie_rule_errors(row["tie_rule"], evaluation, errors)
        ranking_rules.sme_percent_errors(db.two_places(row["sme_percent"]), errors)
        await invitations.publish_errors(row, errors)
        result_rules.security_errors(row["bid_security"], row["budget_ceiling"], errors)
        errors.raise_if_any()

    await _transition(
        actor,
        tender_id,
        "publish",
        Status.published,
        {"published_at": common.now()},
        check,
        after=alerts.published,
    )


async def change_deadline(
    actor: Principal, tender_id: int, deadline: datetime | None, reason: str
) -> None:
    """§3: only procurement officers change the deadline, and not once it has passed."""
    common.ensure_officer(actor)
    reason = common.written_reason(reason)
    errors = Collector()
    rules.deadline_errors(deadline, common.now(), errors)
    errors.raise_if_any()
    async with db.transaction():
        row = await common.tender_row(tender_id, lock=True)
        common.ensure_action(row, "change_deadline")
        if common.now() >= row["bid_deadline"]:
            raise Conflict(_("Bid deadline: the deadline has passed; it can no longer change."))
        if deadline == row["bid_deadline"]:
            return  # the same move again (a second click): done already
        if deadline < row["bid_deadline"]:
            # §3: postponed only; also what the slower of two officers moving it at once hears.
            raise Conflict(
                _(
                    "Bid deadline: the deadline is now %(deadline)s; it can only be postponed.",
                    deadline=common.local(row["bid_deadline"]).strftime("%Y-%m-%d %H:%M:%S %Z"),
                )
            )
        if common.local(deadline).date() >= row["service_start"]:
            raise InvalidInput.single(
                "bid_deadline",
                "before_service",
                _("Bid deadline: must be before the service starts."),
            )
        (await _bid_period_errors(row["method"], row["published_at"], deadline)).raise_if_any()
        await Tender.update({Tender.bid_deadline: deadline, Tender.updated_at: common.now()}).where(
            Tender.id == tender_id
        )
        await audit.record(
            actor,
            "tender",
            tender_id,
            "change_deadline",
            {"bid_deadline": row["bid_deadline"]},
            {"bid_deadline": deadline, "reason": reason},
        )


async def _deposits_due(row: dict) -> None:
    """§3a: a failed or cancelled tender's bid securities fall due 5 working days later."""
    from vendorgov.tenders.deposits import tender_closed

    await tender_closed(row["id"], row["updated_at"])


async def cancel(actor: Principal, tender_id: int, reason: str) -> None:
    reason = common.written_reason(reason)
    await _transition(
        actor, tender_id, "cancel", Status.cancelled, {"closed_reason": reason}, None, _deposits_due
    )


async def fail(actor: Principal, tender_id: int, reason: str) -> None:
    reason = common.written_reason(reason)
    await _transition(
        actor, tender_id, "fail", Status.failed, {"closed_reason": reason}, None, _deposits_due
    )


# --- bidding ---------------------------------------------------------------------------------


def choices() -> dict[str, Any]:
    return {
        "categories": CATEGORY_LABELS,
        "methods": rules.METHOD_LABELS,
        "evaluations": rules.EVALUATION_LABELS,
        "qualification_kinds": QUALIFICATION_KINDS,
        "statuses": rules.STATUS_LABELS,
        "tie_rules": ranking_rules.TIE_RULE_LABELS,
        "sources": rules.SOURCE_LABELS,
    }
