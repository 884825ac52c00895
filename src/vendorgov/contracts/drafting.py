"""Contracts, drafting stage: create a contract with its first draft, edit a draft under an
optimistic revision, sign it, amend a signed version into a new draft, discard a draft. Each
change locks the contract row and is audited in its transaction."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from vendorgov import db
from vendorgov.accounts.roles import Principal
from vendorgov.audit import service as audit
from vendorgov.contracts import hooks, rules, validation
from vendorgov.contracts.rules import ContractStatus, Terms
from vendorgov.contracts.service import (
    contract_row,
    ensure_keeper,
    lock_contract,
    utc_now,
    version_refs,
)
from vendorgov.contracts.tables import Contract, ContractVersion
from vendorgov.errors import Collector, Conflict, InvalidInput, NotFound
from vendorgov.humane import category_label, field_label, humane, joined
from vendorgov.i18n import N_, _
from vendorgov.vendors import service as vendors
from vendorgov.vendors.rules import CATEGORY_LABELS


@dataclass
class ContractInput:
    number: str
    title: str
    vendor_id: int | None
    category: str
    start_date: date | None
    end_date: date | None
    monthly_fee: Decimal | None
    scope: str = ""
    notice_days: int = 90
    tender_id: int | None = None


def _contract_errors(data: ContractInput) -> Collector:
    errors = Collector()
    if not data.number.strip() or len(data.number.strip()) > 40:
        errors.add("number", "required", _("Contract number: required, 1 to 40 characters."))
    if not data.title.strip():
        errors.add("title", "required", _("Title: required; name the service contracted."))
    if data.vendor_id is None:
        errors.add("vendor_id", "required", _("Vendor: choose the vendor."))
    if data.category not in CATEGORY_LABELS:
        errors.add(
            "category",
            "unknown_category",
            _("Service category: choose one from the list."),
        )
    if data.start_date is None:
        errors.add("start_date", "required", _("Start date: required (YYYY-MM-DD)."))
    if data.end_date is None:
        errors.add("end_date", "required", _("End date: required (YYYY-MM-DD)."))
    if data.start_date and data.end_date and data.end_date <= data.start_date:
        errors.add("end_date", "after_start", _("End date: must be after the start date."))
    if data.monthly_fee is None:
        errors.add("monthly_fee", "required", _("Monthly fee: required, in yuan."))
    if not 0 <= data.notice_days <= 730:
        errors.add(
            "notice_days",
            "range",
            _("Expiry notice (days): a whole number of days from 0 to 730."),
        )
    return errors


async def create_contract(
    actor: Principal, data: ContractInput, terms: Terms | None = None
) -> tuple[int, int]:
    """A contract with its first draft version (the given terms, or the defaults: §6 scheme,
    §7 bands, §5 deadlines). Returns (contract id, version id). Also used by tender awards."""
    ensure_keeper(actor)
    errors = _contract_errors(data)
    errors.raise_if_any()
    terms = terms or Terms(effective_from=data.start_date, monthly_fee=data.monthly_fee)
    validation.terms_errors(terms, data.start_date, data.end_date).raise_if_any()
    vendor = await vendors.require_vendor(data.vendor_id)
    offered = (await vendors.get_vendor(actor, data.vendor_id))["categories"]
    if data.category not in offered:
        raise InvalidInput.single(
            "category",
            "vendor_category",
            _(
                "Service category: %(vendor)s does not offer %(category)s (it offers "
                "%(offered)s); choose another vendor or category.",
                vendor=vendor["name"],
                category=category_label(data.category),
                offered=joined(category_label(c) for c in offered),
            ),
        )
    number = data.number.strip()
    async with db.transaction():
        if await Contract.exists().where(Contract.number == number):
            raise Conflict(_("Contract number: contract %(number)s exists already.", number=number))
        now = utc_now()
        contract = Contract(
            number=number,
            title=data.title.strip(),
            vendor=data.vendor_id,
            category=data.category,
            start_date=data.start_date,
            end_date=data.end_date,
            status=ContractStatus.draft.value,
            scope=data.scope.strip(),
            tender_id=data.tender_id,
            notice_days=data.notice_days,
            created_at=now,
            updated_at=now,
        )
        try:
            await contract.save()
        except Exception as error:
            if db.is_unique_violation(error):  # created by another request since the check
                raise Conflict(
                    _("Contract number: contract %(number)s exists already.", number=number)
                ) from None
            raise
        version_id = await _insert_version(actor, contract.id, 1, terms, "", None)
        await audit.record(
            actor,
            "contract",
            contract.id,
            "create",
            None,
            {
                "number": number,
                "title": contract.title,
                "vendor_id": data.vendor_id,
                "category": data.category,
                "start_date": data.start_date,
                "end_date": data.end_date,
                "tender_id": data.tender_id,
                "notice_days": data.notice_days,
                "version_id": version_id,
            },
        )
    return contract.id, version_id


async def _insert_version(
    actor: Principal,
    contract_id: int,
    number: int,
    terms: Terms,
    reason: str,
    based_on: int | None,
) -> int:
    now = utc_now()
    version = ContractVersion(
        contract=contract_id,
        number=number,
        status="draft",
        effective_from=terms.effective_from,
        monthly_fee=terms.monthly_fee,
        terms=json.dumps(rules.to_plain(terms), ensure_ascii=False),
        amendment_reason=reason,
        based_on=based_on,
        revision=1,
        created_at=now,
        created_by=actor.username,
        updated_at=now,
    )
    await version.save()
    return version.id


async def _draft_for_change(version_id: int) -> tuple[dict, dict]:
    """The draft version and its contract, read once the contract is locked (a signed version
    is refused: it never changes)."""
    found = (
        await ContractVersion.select(ContractVersion.contract)
        .where(ContractVersion.id == version_id)
        .first()
    )
    if found is not None:
        await lock_contract(found["contract"])
        row = await ContractVersion.select().where(ContractVersion.id == version_id).first()
        if row is not None:  # not discarded while this waited for the lock
            ensure_draft(row)
            return row, await contract_row(row["contract"])
    raise NotFound(N_("contract version"), version_id)


def _changed_lines(diff: rules.VersionDiff) -> list[str]:
    """What another save changed, in words: labelled fields and formatted values."""

    def line(label: str, change: rules.Change) -> str:
        return _(
            "%(field)s: %(before)s → %(after)s",
            field=label,
            before=humane(change.before, change.field),
            after=humane(change.after, change.field),
        )

    lines = [line(field_label(c.field), c) for c in diff.general]
    lines += [_("clause %(code)s added", code=c.code) for c in diff.clauses.added]
    lines += [_("clause %(code)s removed", code=c.code) for c in diff.clauses.removed]
    lines += [
        line(_("clause %(code)s %(field)s", code=code, field=field_label(ch.field)), ch)
        for code, _name, changes in diff.clauses.changed
        for ch in changes
    ]
    for section in ("scheme", "bands", "penalties", "deadlines"):
        lines += [
            line(f"{field_label(section)} · {field_label(c.field)}", c)
            for c in getattr(diff, section)
        ]
    if diff.terms_text:
        lines.append(_("terms text edited"))
    return lines


def ensure_draft(version: dict) -> None:
    """Signed versions never change: refuse before looking at what was sent."""
    if version["status"] == "signed":
        raise Conflict(
            _(
                "Version %(number)s is signed and cannot change; amend the contract to make "
                "a new version.",
                number=version["number"],
            )
        )


async def update_draft(
    actor: Principal, version_id: int, terms: Terms, revision: int | None
) -> int:
    """Save a draft's terms; returns the new revision. A save based on an older revision gets
    409 listing what the other save changed."""
    ensure_keeper(actor)
    async with db.transaction():
        row, contract = await _draft_for_change(version_id)
        current = rules.terms_from(json.loads(row["terms"]))
        if revision is not None and revision != row["revision"]:
            since = rules.diff_terms(
                await _terms_at_revision(version_id, revision) or current, current
            )
            changed = "; ".join(_changed_lines(since)) or _("nothing visible")
            raise Conflict(
                _(
                    "Someone saved this draft after you opened it (now revision %(now)s, "
                    "yours %(yours)s). Their changes: %(changed)s. Reload the page, then make "
                    "your changes again.",
                    now=row["revision"],
                    yours=revision,
                    changed=changed,
                )
            )
        validation.terms_errors(terms, contract["start_date"], contract["end_date"]).raise_if_any()
        if rules.diff_terms(current, terms).empty:
            return row["revision"]
        new_revision = row["revision"] + 1
        await ContractVersion.update(
            {
                ContractVersion.terms: json.dumps(rules.to_plain(terms), ensure_ascii=False),
                ContractVersion.effective_from: terms.effective_from,
                ContractVersion.monthly_fee: terms.monthly_fee,
                ContractVersion.revision: new_revision,
                ContractVersion.updated_at: utc_now(),
            }
        ).where((ContractVersion.id == version_id) & (ContractVersion.status == "draft"))
        await audit.record(
            actor,
            "contract_version",
            version_id,
            "update",
            {**rules.to_plain(current), "revision": row["revision"]},
            {**rules.to_plain(terms), "revision": new_revision},
        )
    return new_revision


async def _terms_at_revision(version_id: int, revision: int) -> Terms | None:
    """The draft as it was at a revision, from the audit trail."""
    for entry in reversed(await audit.history("contract_version", version_id, limit=500)):
        state = entry["after"] if entry["action"] == "update" else None
        if state and state.get("revision") == revision:
            return rules.terms_from(state)
        if entry["action"] == "update" and entry["before"].get("revision") == revision:
            return rules.terms_from(entry["before"])
    return None


async def sign(actor: Principal, version_id: int) -> None:
    """Sign a draft: it becomes immutable and, from its effective date, the version in force."""
    ensure_keeper(actor)
    async with db.transaction():
        row, contract = await _draft_for_change(version_id)
        terms = rules.terms_from(json.loads(row["terms"]))
        validation.terms_errors(terms, contract["start_date"], contract["end_date"]).raise_if_any()
        if contract["status"] == ContractStatus.terminated.value:
            raise Conflict(_("The contract is terminated: nothing more can be signed."))
        blocked = await hooks.signing_blocked(contract)
        if blocked:
            raise Conflict(blocked)
        others = await ContractVersion.select().where(ContractVersion.contract == contract["id"])
        problem = rules.signing_problem(version_refs([row])[0], version_refs(others))
        if problem:
            raise InvalidInput.single("effective_from", "no_overlap", problem)
        now = utc_now()
        await ContractVersion.update(
            {
                ContractVersion.status: "signed",
                ContractVersion.signed_at: now,
                ContractVersion.signed_by: actor.username,
                ContractVersion.updated_at: now,
            }
        ).where(ContractVersion.id == version_id)
        if contract["status"] == ContractStatus.draft.value:
            await Contract.update(
                {Contract.status: ContractStatus.active.value, Contract.updated_at: now}
            ).where(Contract.id == contract["id"])
        await audit.record(
            actor,
            "contract_version",
            version_id,
            "sign",
            {"status": "draft"},
            {"status": "signed", "number": row["number"], "effective_from": row["effective_from"]},
        )
        await audit.record(
            actor,
            "contract",
            contract["id"],
            "sign_version",
            None,
            {"version": row["number"], "effective_from": row["effective_from"]},
        )
        await hooks.signed(contract, row, now)


def _first_of_next_month(day: date) -> date:
    return (day.replace(day=1) + timedelta(days=32)).replace(day=1)


async def amend(
    actor: Principal, contract_id: int, reason: str, effective_from: date | None = None
) -> int:
    """Copy the latest signed version into a new draft (supplementary agreement, 补充协议)."""
    ensure_keeper(actor)
    if len(reason.strip()) < 5:
        raise InvalidInput.single(
            "reason",
            "required",
            _("Reason: say why the contract is amended, in at least 5 characters."),
        )
    async with db.transaction():
        await lock_contract(contract_id)
        contract = await contract_row(contract_id)
        if contract["status"] == ContractStatus.terminated.value:
            raise Conflict(_("The contract is terminated and cannot be amended."))
        versions = (
            await ContractVersion.select()
            .where(ContractVersion.contract == contract_id)
            .order_by(ContractVersion.number)
        )
        if any(v["status"] == "draft" for v in versions):
            raise Conflict(_("A draft version exists already: edit or sign it first."))
        signed = [v for v in versions if v["status"] == "signed"]
        if not signed:
            raise Conflict(_("Sign the first version before amending the contract."))
        base = signed[-1]
        terms = rules.terms_from(json.loads(base["terms"]))
        terms.effective_from = effective_from or max(
            _first_of_next_month(vendors.today()), base["effective_from"] + timedelta(days=1)
        )
        version_id = await _insert_version(
            actor, contract_id, versions[-1]["number"] + 1, terms, reason.strip(), base["id"]
        )
        await audit.record(
            actor,
            "contract",
            contract_id,
            "amend",
            None,
            {
                "version_id": version_id,
                "based_on": base["number"],
                "reason": reason.strip(),
                "effective_from": terms.effective_from,
            },
        )
    return version_id


async def discard_draft(actor: Principal, version_id: int) -> None:
    ensure_keeper(actor)
    async with db.transaction():
        row, contract = await _draft_for_change(version_id)
        if row["number"] == 1:
            raise Conflict(
                _("The first version is the contract itself: edit it instead of discarding it.")
            )
        await ContractVersion.delete().where(ContractVersion.id == version_id)
        await audit.record(
            actor,
            "contract",
            contract["id"],
            "discard_draft",
            {"version": row["number"], "reason": row["amendment_reason"]},
            None,
        )


async def withdraw_award_draft(actor: Principal, contract_id: int, reason: str) -> dict:
    """Withdraw the draft contract a tender award created, when its winner declined, failed to
    sign or was found ineligible (Order 87 Art. 68): the contract and its draft version are
    removed (the audit trail keeps what they were) so the next candidate's award creates its
    own. Refused with 409 once any version is signed, or when the contract came from no award.
    Runs inside the caller's transaction when there is one (the re-award's)."""
    ensure_keeper(actor)
    async with db.transaction():
        await lock_contract(contract_id)
        contract = await contract_row(contract_id)
        versions = await ContractVersion.select().where(ContractVersion.contract == contract_id)
        if contract["tender_id"] is None:
            raise Conflict(_("This contract was not created by a tender award."))
        if contract["status"] != ContractStatus.draft.value or any(
            v["status"] == "signed" for v in versions
        ):
            raise Conflict(
                _(
                    "Contract %(number)s is signed: a signed contract cannot be withdrawn; "
                    "terminate it instead.",
                    number=contract["number"],
                )
            )
        try:
            await ContractVersion.delete().where(ContractVersion.contract == contract_id)
            await Contract.delete().where(Contract.id == contract_id)
        except Exception as error:
            if db.is_foreign_key_violation(error):
                raise Conflict(
                    _(
                        "Contract %(number)s already has records (events, inspections or "
                        "payments); it cannot be withdrawn.",
                        number=contract["number"],
                    )
                ) from None
            raise
        withdrawn = {
            "number": contract["number"],
            "vendor_id": contract["vendor"],
            "tender_id": contract["tender_id"],
            "monthly_fee": versions[0]["monthly_fee"] if versions else None,
        }
        await audit.record(
            actor, "contract", contract_id, "withdraw_award_draft", withdrawn, {"reason": reason}
        )
    return withdrawn
