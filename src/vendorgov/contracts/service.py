"""Contracts and their versions: create, edit drafts, sign, amend, compare, resolve the version
in force. Reads are scoped to the principal; every change is audited in its transaction."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from piccolo.columns.combination import WhereRaw

from vendorgov import db, paging
from vendorgov.accounts.roles import Principal, Role
from vendorgov.audit import service as audit
from vendorgov.contracts import rules
from vendorgov.contracts.ocds import term_months
from vendorgov.contracts.rules import ContractStatus, Terms, VersionRef
from vendorgov.contracts.tables import Contract, ContractVersion
from vendorgov.errors import Collector, Conflict, Forbidden, InvalidInput, NotFound
from vendorgov.paging import Page, PageRequest
from vendorgov.vendors import service as vendors
from vendorgov.vendors.rules import CATEGORY_LABELS

# Hospital staff who read every contract; a vendor user reads its own.
READERS = (Role.admin, Role.procurement, Role.supervisor, Role.finance)
KEEPERS = (Role.admin, Role.procurement)


def _now() -> datetime:
    return datetime.now(UTC)


# --- permissions ---------------------------------------------------------------------------


def _ensure_keeper(principal: Principal) -> None:
    if principal.role not in KEEPERS:
        raise Forbidden("only procurement officers and administrators change contracts")


def _ensure_reader(principal: Principal, contract: dict) -> None:
    if principal.role in READERS:
        return
    if principal.is_vendor and principal.vendor_id == contract["vendor"]:
        return
    if principal.is_vendor:
        raise NotFound("contract", contract["id"])
    raise Forbidden(f"the {principal.role.value} role has no access to contracts")


# --- reading -------------------------------------------------------------------------------


async def _contract_row(contract_id: int) -> dict:
    row = (
        await Contract.select(
            Contract.all_columns(),
            Contract.vendor.name.as_alias("vendor_name"),
            Contract.vendor.status.as_alias("vendor_status"),
        )
        .where(Contract.id == contract_id)
        .first()
    )
    if row is None:
        raise NotFound("contract", contract_id)
    return row


def _decorate_contract(row: dict, today: date) -> dict:
    status = rules.effective_contract_status(ContractStatus(row["status"]), row["end_date"], today)
    row["effective_status"] = status.value
    row["category_label"] = CATEGORY_LABELS.get(row["category"], (row["category"],) * 2)
    row["expiry_notice"] = status in (
        ContractStatus.active,
        ContractStatus.suspended,
    ) and rules.expiry_notice_due(row["end_date"], today, row["notice_days"])
    # Contracts of suspended or blacklisted vendors keep running but are flagged (§2).
    row["vendor_flagged"] = row.get("vendor_status") in ("suspended", "blacklisted")
    row["term_months"] = term_months(row["start_date"], row["end_date"])
    return row


def _version_dict(row: dict) -> dict:
    row["terms_obj"] = rules.terms_from(json.loads(row["terms"]))
    row["signed"] = row["status"] == "signed"
    return row


def _refs(rows: list[dict]) -> list[VersionRef]:
    return [
        VersionRef(r["id"], r["number"], r["effective_from"], r["status"] == "signed") for r in rows
    ]


async def _versions(contract_id: int) -> list[dict]:
    rows = (
        await ContractVersion.select()
        .where(ContractVersion.contract == contract_id)
        .order_by(ContractVersion.number)
    )
    return [_version_dict(r) for r in rows]


async def get_contract(principal: Principal, contract_id: int) -> dict:
    row = await _contract_row(contract_id)
    _ensure_reader(principal, row)
    today = vendors.today()
    _decorate_contract(row, today)
    row["versions"] = await _versions(contract_id)
    current = rules.version_in_force(_refs(row["versions"]), today)
    row["in_force_id"] = current.id if current else None
    row["draft"] = next((v for v in row["versions"] if not v["signed"]), None)
    return row


async def get_version(principal: Principal, version_id: int) -> dict:
    row = await ContractVersion.select().where(ContractVersion.id == version_id).first()
    if row is None:
        raise NotFound("contract version", version_id)
    contract = await _contract_row(row["contract"])
    _ensure_reader(principal, contract)
    version = _version_dict(row)
    version["contract_row"] = _decorate_contract(contract, vendors.today())
    return version


CONTRACT_SORTS = {
    "number": Contract.number,
    "title": Contract.title,
    "vendor": Contract.vendor.name,
    "category": Contract.category,
    "start_date": Contract.start_date,
    "end_date": Contract.end_date,
    "status": Contract.status,
}
_RUNNING = [ContractStatus.active.value, ContractStatus.suspended.value]
RUNNING = "running"


def _contract_where(
    principal: Principal,
    *,
    q: str = "",
    status: str = "",
    vendor_id: int | None = None,
    category: str = "",
    expiring_only: bool = False,
    flagged_only: bool = False,
) -> list:
    """The filters of the contract list, all in SQL (so a page and its total agree).
    `status` is the effective status: a running contract past its end date has expired."""
    if principal.role not in READERS and not principal.is_vendor:
        raise Forbidden(f"the {principal.role.value} role has no access to contracts")
    today = vendors.today()
    where = []
    if principal.is_vendor:
        where.append(Contract.vendor == principal.vendor_id)
    if vendor_id:
        where.append(Contract.vendor == vendor_id)
    if category:
        where.append(Contract.category == category)
    q = q.strip()
    if q:
        where.append(
            db.icontains(Contract.number, q)
            | db.icontains(Contract.title, q)
            | db.icontains(Contract.vendor.name, q)
        )
    if status == ContractStatus.expired.value:
        where.append(
            (Contract.status == status)
            | (Contract.status.is_in(_RUNNING) & (Contract.end_date < today))
        )
    elif status in _RUNNING:
        where.append((Contract.status == status) & (Contract.end_date >= today))
    elif status == RUNNING:  # active or suspended, not past its end: what is inspected
        where.append(Contract.status.is_in(_RUNNING) & (Contract.end_date >= today))
    elif status:
        where.append(Contract.status == status)
    if expiring_only:  # within each contract's own notice window before its end (§4)
        days_left = (
            "end_date - CAST({} AS DATE)"
            if db.is_postgres()
            else "julianday(end_date) - julianday({})"
        )
        where.append(Contract.status.is_in(_RUNNING) & (Contract.end_date >= today))
        where.append(WhereRaw(f"{days_left} <= notice_days", today))
    if flagged_only:  # contracts of suspended or blacklisted vendors (§2)
        where.append(Contract.vendor.status.is_in(["suspended", "blacklisted"]))
    return where


def _contract_select():
    return Contract.select(
        Contract.all_columns(),
        Contract.vendor.name.as_alias("vendor_name"),
        Contract.vendor.status.as_alias("vendor_status"),
    )


async def list_contracts(principal: Principal, **filters) -> list[dict]:
    """Every contract matching the filters of contract_page(), by end date: for the month-end
    and the command line, which need all of them."""
    where = _contract_where(principal, **filters)
    query = _contract_select().order_by(Contract.end_date)
    rows = await (query.where(*where) if where else query)
    today = vendors.today()
    return [_decorate_contract(r, today) for r in rows]


async def contract_page(
    principal: Principal, *, request: PageRequest = PageRequest(), **filters
) -> Page:
    """A page of the contract list: filters as in _contract_where, searchable by number, title
    and vendor, sortable by CONTRACT_SORTS."""
    where = _contract_where(principal, **filters)
    page = await paging.fetch_page(
        Contract, _contract_select(), where, request, CONTRACT_SORTS, [(Contract.end_date, True)]
    )
    today = vendors.today()
    page.items = [_decorate_contract(r, today) for r in page.items]
    return page


async def signed_versions(contract_id: int) -> list[tuple[int, int, date, Terms]]:
    """(version id, number, effective from, terms) of every signed version, oldest first:
    what the SLA measurement evaluates events against."""
    rows = (
        await ContractVersion.select()
        .where((ContractVersion.contract == contract_id) & (ContractVersion.status == "signed"))
        .order_by(ContractVersion.effective_from)
    )
    return [
        (r["id"], r["number"], r["effective_from"], rules.terms_from(json.loads(r["terms"])))
        for r in rows
    ]


async def signed_versions_of(
    contract_ids: list[int],
) -> dict[int, list[tuple[int, int, date, Terms]]]:
    """signed_versions() of several contracts in one query, by contract id."""
    rows = (
        await ContractVersion.select()
        .where(ContractVersion.contract.is_in(contract_ids) & (ContractVersion.status == "signed"))
        .order_by(ContractVersion.effective_from)
    )
    found: dict[int, list[tuple[int, int, date, Terms]]] = {}
    for r in rows:
        found.setdefault(r["contract"], []).append(
            (r["id"], r["number"], r["effective_from"], rules.terms_from(json.loads(r["terms"])))
        )
    return found


async def require_readable(principal: Principal, contract_id: int) -> dict:
    """The contract row if the principal may read it (NotFound/Forbidden otherwise)."""
    row = await _contract_row(contract_id)
    _ensure_reader(principal, row)
    return row


async def contract_id_for(number: str) -> int:
    row = await Contract.select(Contract.id).where(Contract.number == number).first()
    if row is None:
        raise NotFound("contract", number)
    return row["id"]


def version_by_number(contract: dict, number: int) -> dict:
    for version in contract["versions"]:
        if version["number"] == number:
            return version
    raise NotFound(f"version of contract {contract['number']}", number)


@dataclass(frozen=True)
class InForce:
    contract_id: int
    version_id: int
    version_number: int
    terms: Terms


async def version_in_force(contract_id: int, day: date) -> InForce | None:
    """The signed version governing the contract on a (hospital-local) day, or None.
    The SLA measurement and the month-end payment call this."""
    rows = await ContractVersion.select().where(
        (ContractVersion.contract == contract_id) & (ContractVersion.status == "signed")
    )
    ref = rules.version_in_force(_refs(rows), day)
    if ref is None:
        return None
    row = next(r for r in rows if r["id"] == ref.id)
    return InForce(contract_id, ref.id, ref.number, rules.terms_from(json.loads(row["terms"])))


# --- changing ------------------------------------------------------------------------------


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
        errors.add("number", "required", "give the contract number (1–40 characters)")
    if not data.title.strip():
        errors.add("title", "required", "is required")
    if data.vendor_id is None:
        errors.add("vendor_id", "required", "choose the vendor")
    if data.category not in CATEGORY_LABELS:
        errors.add("category", "unknown_category", f"one of {', '.join(CATEGORY_LABELS)}")
    if data.start_date is None:
        errors.add("start_date", "required", "is required (YYYY-MM-DD)")
    if data.end_date is None:
        errors.add("end_date", "required", "is required (YYYY-MM-DD)")
    if data.start_date and data.end_date and data.end_date <= data.start_date:
        errors.add("end_date", "after_start", "must be after the start date")
    if data.monthly_fee is None:
        errors.add("monthly_fee", "required", "is required")
    if not 0 <= data.notice_days <= 730:
        errors.add("notice_days", "range", "between 0 and 730 days")
    return errors


async def create_contract(
    actor: Principal, data: ContractInput, terms: Terms | None = None
) -> tuple[int, int]:
    """A contract with its first draft version (the given terms, or the defaults: §6 scheme,
    §7 bands, §5 deadlines). Returns (contract id, version id). Also used by tender awards."""
    _ensure_keeper(actor)
    errors = _contract_errors(data)
    errors.raise_if_any()
    terms = terms or Terms(effective_from=data.start_date, monthly_fee=data.monthly_fee)
    rules.terms_errors(terms, data.start_date, data.end_date).raise_if_any()
    vendor = await vendors.require_vendor(data.vendor_id)
    offered = (await vendors.get_vendor(actor, data.vendor_id))["categories"]
    if data.category not in offered:
        raise InvalidInput.single(
            "category",
            "vendor_category",
            f"{vendor['name']} does not offer {data.category} (it offers {', '.join(offered)})",
        )
    number = data.number.strip()
    async with db.transaction():
        if await Contract.exists().where(Contract.number == number):
            raise Conflict(f"number: contract {number} exists already")
        now = _now()
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
                raise Conflict(f"number: contract {number} exists already") from None
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
    now = _now()
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


async def lock_contract(contract_id: int) -> None:
    """Lock the contract's row until the transaction ends. Every change of a contract or of
    one of its versions takes this lock first, so two of them (two saves of a draft, two
    signatures, two amendments) run one after the other and the second reads what the first
    did: it is refused with 409 instead of overwriting it or adding a second draft."""
    if await db.locked(Contract.select(Contract.id).where(Contract.id == contract_id)).first():
        return
    raise NotFound("contract", contract_id)


async def _version_for_change(version_id: int) -> tuple[dict, dict]:
    """The version and its contract, read once the contract is locked."""
    found = (
        await ContractVersion.select(ContractVersion.contract)
        .where(ContractVersion.id == version_id)
        .first()
    )
    if found is not None:
        await lock_contract(found["contract"])
        row = await ContractVersion.select().where(ContractVersion.id == version_id).first()
        if row is not None:  # not discarded while this waited for the lock
            return row, await _contract_row(row["contract"])
    raise NotFound("contract version", version_id)


def ensure_draft(version: dict) -> None:
    """Signed versions never change: refuse before looking at what was sent."""
    if version["status"] == "signed":
        raise _immutable(version)


def _immutable(row: dict) -> Conflict:
    return Conflict(
        f"version {row['number']} is signed and cannot change; amend the contract "
        "to make a new version"
    )


async def update_draft(
    actor: Principal, version_id: int, terms: Terms, revision: int | None
) -> int:
    """Save a draft's terms; returns the new revision. A save based on an older revision gets
    409 listing what the other save changed."""
    _ensure_keeper(actor)
    async with db.transaction():
        row, contract = await _version_for_change(version_id)
        if row["status"] == "signed":
            raise _immutable(row)
        current = rules.terms_from(json.loads(row["terms"]))
        if revision is not None and revision != row["revision"]:
            since = rules.diff_terms(
                await _terms_at_revision(version_id, revision) or current, current
            )
            changed = "; ".join(since.summary()) or "nothing visible"
            raise Conflict(
                f"revision: someone saved this draft after you opened it (now revision "
                f"{row['revision']}, yours {revision}). Their changes: {changed}. "
                "Reload, then apply yours again."
            )
        rules.terms_errors(terms, contract["start_date"], contract["end_date"]).raise_if_any()
        if rules.diff_terms(current, terms).empty:
            return row["revision"]
        new_revision = row["revision"] + 1
        await ContractVersion.update(
            {
                ContractVersion.terms: json.dumps(rules.to_plain(terms), ensure_ascii=False),
                ContractVersion.effective_from: terms.effective_from,
                ContractVersion.monthly_fee: terms.monthly_fee,
                ContractVersion.revision: new_revision,
                ContractVersion.updated_at: _now(),
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
    _ensure_keeper(actor)
    async with db.transaction():
        row, contract = await _version_for_change(version_id)
        if row["status"] == "signed":
            raise _immutable(row)
        terms = rules.terms_from(json.loads(row["terms"]))
        rules.terms_errors(terms, contract["start_date"], contract["end_date"]).raise_if_any()
        if contract["status"] == ContractStatus.terminated.value:
            raise Conflict("the contract is terminated; nothing more can be signed")
        others = await ContractVersion.select().where(ContractVersion.contract == contract["id"])
        problem = rules.signing_problem(_refs([row])[0], _refs(others))
        if problem:
            raise InvalidInput.single("effective_from", "no_overlap", problem)
        now = _now()
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


def _first_of_next_month(day: date) -> date:
    return (day.replace(day=1) + timedelta(days=32)).replace(day=1)


async def amend(
    actor: Principal, contract_id: int, reason: str, effective_from: date | None = None
) -> int:
    """Copy the latest signed version into a new draft (supplementary agreement, 补充协议)."""
    _ensure_keeper(actor)
    if len(reason.strip()) < 5:
        raise InvalidInput.single(
            "reason", "required", "say why the contract is amended (at least 5 characters)"
        )
    async with db.transaction():
        await lock_contract(contract_id)
        contract = await _contract_row(contract_id)
        if contract["status"] == ContractStatus.terminated.value:
            raise Conflict("the contract is terminated and cannot be amended")
        versions = (
            await ContractVersion.select()
            .where(ContractVersion.contract == contract_id)
            .order_by(ContractVersion.number)
        )
        if any(v["status"] == "draft" for v in versions):
            raise Conflict("a draft version exists already: edit or sign it first")
        signed = [v for v in versions if v["status"] == "signed"]
        if not signed:
            raise Conflict("sign the first version before amending")
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
    _ensure_keeper(actor)
    async with db.transaction():
        row, contract = await _version_for_change(version_id)
        if row["status"] == "signed":
            raise _immutable(row)
        if row["number"] == 1:
            raise Conflict("the first version is the contract itself; edit it instead")
        await ContractVersion.delete().where(ContractVersion.id == version_id)
        await audit.record(
            actor,
            "contract",
            contract["id"],
            "discard_draft",
            {"version": row["number"], "reason": row["amendment_reason"]},
            None,
        )


class StatusAction:
    suspend = "suspend"
    resume = "resume"
    terminate = "terminate"


_STATUS_MOVES = {
    StatusAction.suspend: ((ContractStatus.active,), ContractStatus.suspended),
    StatusAction.resume: ((ContractStatus.suspended,), ContractStatus.active),
    StatusAction.terminate: (
        (ContractStatus.active, ContractStatus.suspended),
        ContractStatus.terminated,
    ),
}


async def change_status(actor: Principal, contract_id: int, action: str, reason: str) -> str:
    _ensure_keeper(actor)
    if action not in _STATUS_MOVES:
        raise InvalidInput.single("action", "unknown_action", f"one of {', '.join(_STATUS_MOVES)}")
    if len(reason.strip()) < 5:
        raise InvalidInput.single("reason", "required", "give the reason (at least 5 characters)")
    allowed, new = _STATUS_MOVES[action]
    async with db.transaction():
        await lock_contract(contract_id)
        contract = await _contract_row(contract_id)
        current = ContractStatus(contract["status"])
        if current not in allowed:
            raise Conflict(f"cannot {action} a contract that is {current.value}")
        await Contract.update(
            {
                Contract.status: new.value,
                Contract.status_reason: reason,
                Contract.updated_at: _now(),
            }
        ).where(Contract.id == contract_id)
        await audit.record(
            actor,
            "contract",
            contract_id,
            action,
            {"status": current.value},
            {"status": new.value, "reason": reason},
        )
    return new.value


# --- comparing, history --------------------------------------------------------------------


async def compare(principal: Principal, contract_id: int, a: int, b: int) -> dict[str, Any]:
    """Diff of version number a → version number b of one contract."""
    contract = await get_contract(principal, contract_id)
    by_number = {v["number"]: v for v in contract["versions"]}
    for field, number in (("a", a), ("b", b)):
        if number not in by_number:
            raise InvalidInput.single(
                field, "unknown_version", f"contract {contract['number']} has no version {number}"
            )
    return {
        "contract": contract,
        "a": by_number[a],
        "b": by_number[b],
        "diff": rules.diff_terms(by_number[a]["terms_obj"], by_number[b]["terms_obj"]),
    }


async def history(principal: Principal, contract_id: int) -> list[dict]:
    contract = await get_contract(principal, contract_id)
    entries = await audit.history("contract", contract_id)
    for version in contract["versions"]:
        entries += await audit.history("contract_version", version["id"])
    return sorted(entries, key=lambda e: e["id"], reverse=True)


def choices() -> dict[str, Any]:
    return {
        "categories": CATEGORY_LABELS,
        "clause_kinds": rules.CLAUSE_KINDS,
        "priorities": rules.PRIORITIES,
        "penalty_triggers": rules.PENALTY_TRIGGERS,
        "grades": rules.GRADES,
        "grade_labels": rules.GRADE_LABELS,
        "statuses": [s.value for s in ContractStatus],
    }


async def contracts_crossing_warnings(on: date) -> list[dict]:
    """Active or suspended contracts whose notice period (notice_days before the end) begins
    on that day, or that end on it: the scheduler's daily expiry warnings, each contract
    warned of on two days, no more."""
    rows = await Contract.select(
        Contract.id, Contract.number, Contract.vendor, Contract.end_date, Contract.notice_days
    ).where(
        Contract.status.is_in([ContractStatus.active, ContractStatus.suspended])
        & (Contract.end_date >= on)
    )
    return [
        {"contract": r["id"], "number": r["number"], "vendor": r["vendor"], "ends": r["end_date"]}
        for r in rows
        if r["end_date"] in (on, on + timedelta(days=r["notice_days"]))
    ]
