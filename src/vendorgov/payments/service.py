"""The month-end run: every contract's components, score, grade and payment with traced
deductions (domain rules §6-§7), computed in one transaction as a revision of the month, then
approved by a second finance user and locked, or returned by that user for correction.
Recomputing makes a new revision of the whole month that needs approval again (contracts not
recomputed are carried over from the previous one); an approved revision is never changed."""

from __future__ import annotations

import calendar
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from fractions import Fraction

from vendorgov import db, exact
from vendorgov.accounts.roles import Principal
from vendorgov.audit import service as audit
from vendorgov.audits import notices as audit_notices
from vendorgov.audits import periods as audit_periods
from vendorgov.contracts import service as contracts
from vendorgov.errors import Conflict, Forbidden, InvalidInput, NotFound
from vendorgov.i18n import N_, _
from vendorgov.inspections import service as inspections
from vendorgov.payments import alerts, disputes, rules
from vendorgov.payments.access import ensure_finance, ensure_reviewer
from vendorgov.payments.tables import PaymentRun, Statement
from vendorgov.settings import get_settings
from vendorgov.sla import service as sla
from vendorgov.sla.measure import Month
from vendorgov.surveys import results as surveys


async def contracts_of(month: Month, actor: Principal) -> list[dict]:
    """Contracts with a signed version governing some day of the month."""
    first, last = month.first_day, month.next().first_day
    rows = await contracts.list_contracts(actor)
    return [
        c
        for c in rows
        if c["status"] in ("active", "suspended", "expired", "terminated")
        and c["start_date"] < last
        and c["end_date"] >= first
    ]


async def _grades_before(contract_ids: list[int], month: Month) -> dict[int, list[str]]:
    """Each contract's grades in the approved runs of earlier months (the latest approved
    revision of each month), oldest first; one query for all (in plain SQL: tens of thousands
    of rows, years of statements, whose typing through Piccolo cost a second)."""
    if not contract_ids:
        return {}
    rows = await db.fetch(
        "SELECT s.contract, s.grade, r.month, r.revision FROM payment_statement s "
        "JOIN payment_run r ON r.id = s.run WHERE r.status = 'approved' AND r.month < {} "
        f"AND s.contract IN ({', '.join(['{}'] * len(contract_ids))})",
        str(month),
        *contract_ids,
    )
    latest: dict[int, dict[str, str]] = {cid: {} for cid in contract_ids}
    for row in sorted(rows, key=lambda r: (r["month"], r["revision"])):
        latest[row["contract"]][row["month"]] = row["grade"]
    return {cid: [grades[m] for m in sorted(grades)] for cid, grades in latest.items()}


@dataclass
class _MonthInputs:
    """What the month-end reads besides the SLA results, for every contract at once."""

    inspection: dict[int, Fraction | None]
    satisfaction: dict[int, Fraction | None]
    audit: dict[int, audit_periods.AuditInputs]
    grades_before: dict[int, list[str]]


async def _month_inputs(ids: list[int], month: Month) -> _MonthInputs:
    zone = get_settings().zone
    start, end = month.start_utc(zone).to_pydatetime(), month.end_utc(zone).to_pydatetime()
    if not ids:
        return _MonthInputs({}, {}, {}, {})
    return _MonthInputs(
        await inspections.inspection_components(ids, start, end),
        await surveys.satisfaction_shares(ids, month),
        await audit_periods.audit_inputs_of(ids, start, end),
        await _grades_before(ids, month),
    )


def _fee_periods(contract: dict, month: Month, signed: list) -> list[rules.FeePeriod]:
    """The versions governing the month's days; a contract with none is refused (4xx)."""
    periods = rules.fee_periods(
        month.year,
        month.month,
        [
            (number, effective, terms.monthly_fee, terms.final_month_fee)
            for _, number, effective, terms in signed
        ],
        contract["start_date"],
        contract["end_date"],
    )
    if not periods:
        raise InvalidInput.single(
            "contract_ids",
            "in_force",
            _(
                "Contract %(number)s has no signed version in force in %(month)s; leave it out "
                "or sign a version first.",
                number=contract["number"],
                month=month,
            ),
        )
    return periods


def _statement(
    contract: dict,
    month: Month,
    signed: list,
    periods: list[rules.FeePeriod],
    sla_component: Fraction | None,
    inputs: _MonthInputs,
) -> dict:
    cid = contract["id"]
    days = calendar.monthrange(month.year, month.month)[1]
    # The scheme, bands, penalties and cap of the version in force at the month's end.
    terms = next(t for _, n, _, t in signed if n == periods[-1].version_number)
    audit_inputs = inputs.audit[cid]
    components = {
        "sla": sla_component,
        "inspection": inputs.inspection[cid],
        "satisfaction": inputs.satisfaction[cid],
        "audit": audit_inputs.component,
    }
    score, weights = rules.assessment_score(components, terms.scheme)
    lines = [
        rules.Line(
            "base",
            f"version {p.version_number}: {p.monthly_fee:,} × {p.days}/{days} days "
            f"({p.first}–{p.last})",
            amount,
        )
        for p, amount in rules.base_fee_lines(periods, days)
    ]
    base = sum((line.amount for line in lines), Decimal(0))
    if base <= 0:
        raise InvalidInput.single(
            "contract_ids",
            "positive_fee",
            _(
                "Contract %(number)s: the base fee is %(base)s; correct the contract's fee first.",
                number=contract["number"],
                base=base,
            ),
        )
    deductions: list[rules.Line] = []
    band = rules.grade(score, terms.bands) if score is not None else None
    if band is not None and band.pay_percent < 100:
        deductions.append(
            rules.Line(
                "grade",
                f"grade {band.grade}: pay {band.pay_percent}%",
                rules.grade_deduction(base, band),
            )
        )
    deductions += rules.penalty_lines(terms.penalties, audit_inputs.penalty_evidence)
    capped = rules.cap_line(base, deductions, terms.deduction_cap_percent)
    if capped:
        deductions.append(capped)
    grades = [*inputs.grades_before[cid], band.grade if band else ""]
    return {
        "contract": contract["id"],
        "vendor_id": contract["vendor"],
        # Exact (§6): a page shows them to 2 decimals, the score was computed from these.
        "components": json.dumps(
            {k: None if v is None else exact.text(v) for k, v in components.items()}
        ),
        "weights": json.dumps({k: str(v) for k, v in weights.items()}),
        "score": score,
        "grade": band.grade if band else "",
        "pay_percent": band.pay_percent if band else None,
        "base": base,
        "deductions": sum((d.amount for d in deductions), Decimal(0)),
        "net": rules.net_amount(base, deductions),
        "lines": json.dumps(
            [
                {
                    "kind": line.kind,
                    "description": line.description,
                    "amount": str(line.amount),
                    "evidence": list(line.evidence),
                }
                for line in [*lines, *deductions]
            ],
            ensure_ascii=False,
        ),
        "termination_review": int(rules.termination_review(grades)),
    }


async def compute_run(
    actor: Principal,
    month: Month,
    contract_ids: list[int] | None = None,
    reason: str = "",
    progress: Callable[[int], None] | None = None,
    done: Callable[[int], Awaitable[None]] | None = None,
) -> int:
    """Compute the month for every contract in force (or the given ones) as a new revision.
    With some contracts given, the other statements of the previous revision are carried over
    unchanged (marked so), and the new revision is the whole month (§7). A month that has not
    ended is refused; so is recomputing an approved month without a reason. Everything is
    written in one transaction, with `done(run_id)` (a job marking itself done, so that a
    retried job cannot write the run twice)."""
    ensure_finance(actor)
    zone = get_settings().zone
    if month.end_utc(zone).to_pydatetime() > datetime.now(UTC):
        raise InvalidInput.single(
            "month",
            "ended",
            _("Month: %(month)s has not ended yet; compute it after it ends.", month=month),
        )
    chosen = await contracts_of(month, actor)
    if contract_ids is not None:
        known = {c["id"] for c in chosen}
        missing = [i for i in contract_ids if i not in known]
        if missing:
            raise InvalidInput.single(
                "contract_ids",
                "in_force",
                _(
                    "Contracts %(ids)s were not in force in %(month)s; leave them out.",
                    ids=", ".join(map(str, missing)),
                    month=month,
                ),
            )
        chosen = [c for c in chosen if c["id"] in contract_ids]
    previous = (
        await PaymentRun.select()
        .where(PaymentRun.month == str(month))
        .order_by(PaymentRun.revision, ascending=False)
        .first()
    )
    if previous and previous["status"] == "approved" and not reason.strip():
        raise InvalidInput.single(
            "reason",
            "required",
            _("Reason: %(month)s is approved; say why it is computed again.", month=month),
        )
    if not chosen:
        raise InvalidInput.single(
            "month",
            "no_contracts",
            _(
                "Month: no contract was in force in %(month)s; there is nothing to compute.",
                month=month,
            ),
        )
    ids = [c["id"] for c in chosen]
    signed = await contracts.signed_versions_of(ids)
    # Every contract is checked before anything is written, the SLA results included.
    periods = {c["id"]: _fee_periods(c, month, signed.get(c["id"], [])) for c in chosen}
    outcomes = await sla.compute_months(actor, month, ids, signed)
    sla_by_contract = {o.contract_id: o.sla_component for o in outcomes}
    inputs = await _month_inputs(ids, month)
    statements = []
    for contract in chosen:
        cid = contract["id"]
        statements.append(
            _statement(contract, month, signed[cid], periods[cid], sla_by_contract[cid], inputs)
        )
        if progress:
            progress(1)
    async with db.transaction():
        carried = await _carried_over(previous, contract_ids, ids)
        run = PaymentRun(
            month=str(month),
            revision=(previous["revision"] + 1) if previous else 1,
            status="computed",
            reason=reason.strip(),
            computed_by=actor.username,
            computed_by_id=actor.user_id,
            computed_at=datetime.now(UTC),
        )
        await run.save()
        await db.insert_all(
            Statement,
            [{**s, "run": run.id} for s in statements]
            + [{**s, "run": run.id, "carried_over": True} for s in carried],
        )
        await audit.record(
            actor,
            "payment_run",
            run.id,
            "compute",
            None,
            {
                "month": str(month),
                "revision": run.revision,
                "reason": reason.strip(),
                "recomputed": len(statements),
                "carried_over": len(carried),
                "net": sum((s["net"] for s in [*statements, *carried]), Decimal(0)),
            },
        )
        if done is not None:
            await done(run.id)
    return run.id


async def _carried_over(
    previous: dict | None, chosen_ids: list[int] | None, recomputed: list[int]
) -> list[dict]:
    """The previous revision's statements of the contracts not recomputed, as they were."""
    if previous is None or chosen_ids is None:
        return []
    where = Statement.run == previous["id"]
    if recomputed:
        where &= Statement.contract.not_in(recomputed)
    return await Statement.select(
        *Statement.all_columns(exclude=[Statement.id, Statement.run, Statement.carried_over])
    ).where(where)


async def _review(actor: Principal, run_id: int, action: str, changes: dict, after: dict) -> dict:
    """Approve or return a run: only the newest revision of its month, only while computed,
    only by a finance user other than the one who computed it. Inside the caller's
    transaction; the run's row is locked and the update is conditional on its status, so of
    two reviewers at once one wins and the other gets 409. Returns the run as it was."""
    ensure_reviewer(actor)
    run = await db.locked(PaymentRun.select().where(PaymentRun.id == run_id)).first()
    if run is None:
        raise NotFound(N_("payment run"), run_id)
    label = _("Revision %(revision)s of %(month)s", revision=run["revision"], month=run["month"])
    if run["status"] != "computed":
        if run["status"] == "approved":
            message = _("%(run)s was approved by %(by)s already.", by=run["approved_by"], run=label)
        else:
            message = _("%(run)s was returned by %(by)s already.", by=run["returned_by"], run=label)
        raise Conflict(message)
    if run["computed_by_id"] == actor.user_id:
        raise Forbidden(_("The user who computed a run cannot review it: ask a colleague."))
    newest = (
        await PaymentRun.select(PaymentRun.revision)
        .where(PaymentRun.month == run["month"])
        .order_by(PaymentRun.revision, ascending=False)
        .first()
    )
    if newest["revision"] != run["revision"]:
        raise Conflict(
            _(
                "%(run)s is stale: revision %(newest)s replaced it; review the newest.",
                run=label,
                newest=newest["revision"],
            )
        )
    changed = (
        await PaymentRun.update(changes)
        .where((PaymentRun.id == run_id) & (PaymentRun.status == "computed"))
        .returning(PaymentRun.id)
    )
    if not changed:  # unreachable under the lock; kept so the update can never apply twice
        raise Conflict(_("%(run)s was reviewed by someone else meanwhile.", run=label))
    await audit.record(actor, "payment_run", run_id, action, {"status": "computed"}, after)
    return run


async def approve(actor: Principal, run_id: int) -> list[int]:
    """A second finance user approves the newest revision; it is locked from then on. Each
    contract graded D gets a rectification notice drafted for the supervisors (§7), in the
    same transaction; returns those notices' ids."""
    async with db.transaction():
        run = await _review(
            actor,
            run_id,
            "approve",
            {
                PaymentRun.status: "approved",
                PaymentRun.approved_by: actor.username,
                PaymentRun.approved_at: datetime.now(UTC),
            },
            {"status": "approved"},
        )
        # Refused after the conditional update, inside the transaction: nothing is kept.
        await disputes.ensure_approvable(run)
        await alerts.statements_approved(run_id, run["month"])
        graded = await Statement.select(Statement.contract, Statement.score, Statement.grade).where(
            Statement.run == run_id
        )
        return await audit_notices.draft_grade_notices(
            actor,
            run_id,
            run["month"],
            [
                audit_notices.GradeOutcome(g["contract"], db.two_places(g["score"]), g["grade"])
                for g in graded
            ],
        )


MAX_REASON = 2000


async def return_run(actor: Principal, run_id: int, reason: str) -> None:
    """The reviewer sends the run back for correction with a reason (§7): it can no longer be
    approved; finance fixes the cause and computes the month again."""
    reason = reason.strip()
    if not reason:
        raise InvalidInput.single("reason", "required", _("Reason: say what needs correcting."))
    if len(reason) > MAX_REASON:
        raise InvalidInput.single(
            "reason",
            "max_length",
            _(
                "Reason: at most %(n)s characters (%(sent)s sent).",
                n=MAX_REASON,
                sent=len(reason),
            ),
        )
    async with db.transaction():
        run = await _review(
            actor,
            run_id,
            "return",
            {
                PaymentRun.status: "returned",
                PaymentRun.returned_by: actor.username,
                PaymentRun.returned_at: datetime.now(UTC),
                PaymentRun.return_reason: reason,
            },
            {"status": "returned", "reason": reason},
        )
        await alerts.run_returned(actor, run, reason)
