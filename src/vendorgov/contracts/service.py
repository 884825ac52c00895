"""Contracts, reading stage: who may read and keep contracts, one contract with its versions,
the paginated contract lists, the version in force on a day, comparing versions and history.
Every read is scoped to the principal; the writing stages (drafting.py, status.py) build on the
row helpers and the lock here."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any

from piccolo.columns.combination import WhereRaw

from vendorgov import db, paging
from vendorgov.accounts.roles import Principal, Role, role_label
from vendorgov.audit import service as audit
from vendorgov.audits import access as audit_access
from vendorgov.contracts import rules
from vendorgov.contracts.ocds import term_months
from vendorgov.contracts.rules import ContractStatus, Terms, VersionRef
from vendorgov.contracts.tables import Contract, ContractVersion
from vendorgov.errors import Forbidden, InvalidInput, NotFound
from vendorgov.i18n import N_, _
from vendorgov.paging import Page, PageRequest
from vendorgov.vendors import service as vendors
from vendorgov.vendors.rules import CATEGORY_LABELS

# Hospital staff who read every contract; a vendor user reads its own.
READERS = (Role.admin, Role.procurement, Role.supervisor, Role.finance)


KEEPERS = (Role.admin, Role.procurement)


def utc_now() -> datetime:
    return datetime.now(UTC)


def ensure_keeper(principal: Principal) -> None:
    if principal.role not in KEEPERS:
        raise Forbidden(_("Only procurement officers and administrators change contracts."))


async def _ensure_reader(principal: Principal, contract: dict) -> None:
    if principal.role in READERS:
        return
    if principal.is_vendor and principal.vendor_id == contract["vendor"]:
        return
    if principal.role is Role.auditor and await audit_access.periods(principal, contract["id"]):
        return  # read-only: every change checks ensure_keeper
    if principal.is_vendor or principal.role is Role.auditor:
        # Another vendor's contract, or one not assigned to the auditor, does not exist for them.
        raise NotFound(N_("contract"), contract["id"])
    raise Forbidden(
        _("The %(role)s role has no access to contracts.", role=role_label(principal.role))
    )


# A contract and its signed versions are read by id on the hot paths (every inspection and
# finding submitted, every contract page): plain SQL compiled once, as Piccolo's query builder
# took longer to build these statements than the database took to run them.
_CONTRACT_ROW = (
    "SELECT contract.*, vendor.name AS vendor_name, vendor.status AS vendor_status "
    "FROM contract JOIN vendor ON vendor.id = contract.vendor WHERE contract.id = {}"
)


_CONTRACT_SIGNED_REFS = (
    "SELECT contract.*, vendor.name AS vendor_name, vendor.status AS vendor_status, "
    "v.id AS version_id, v.number AS version_number, v.effective_from AS version_from "
    "FROM contract JOIN vendor ON vendor.id = contract.vendor "
    "LEFT JOIN contract_version v ON v.contract = contract.id AND v.status = 'signed' "
    "WHERE contract.id = {}"
)


_VERSIONS = "SELECT * FROM contract_version WHERE contract = {} ORDER BY number"


_SIGNED_VERSIONS = (
    "SELECT id, number, effective_from, status, terms FROM contract_version "
    "WHERE contract = {} AND status = 'signed'"
)


async def contract_row(contract_id: int) -> dict:
    rows = await db.fetch(_CONTRACT_ROW, contract_id)
    if not rows:
        raise NotFound(N_("contract"), contract_id)
    return rows[0]


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


def version_refs(rows: list[dict]) -> list[VersionRef]:
    return [
        VersionRef(r["id"], r["number"], r["effective_from"], r["status"] == "signed") for r in rows
    ]


async def _versions(contract_id: int) -> list[dict]:
    rows = await db.fetch(_VERSIONS, contract_id)
    return [_version_dict(r) for r in rows]


async def get_contract(principal: Principal, contract_id: int) -> dict:
    row = await contract_row(contract_id)
    await _ensure_reader(principal, row)
    today = vendors.today()
    _decorate_contract(row, today)
    row["versions"] = await _versions(contract_id)
    current = rules.version_in_force(version_refs(row["versions"]), today)
    row["in_force_id"] = current.id if current else None
    row["draft"] = next((v for v in row["versions"] if not v["signed"]), None)
    return row


async def get_version(principal: Principal, version_id: int) -> dict:
    row = await ContractVersion.select().where(ContractVersion.id == version_id).first()
    if row is None:
        raise NotFound(N_("contract version"), version_id)
    contract = await contract_row(row["contract"])
    await _ensure_reader(principal, contract)
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
        raise Forbidden(
            _("The %(role)s role has no access to contracts.", role=role_label(principal.role))
        )
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


async def contract_labels(principal: Principal) -> list[dict]:
    """Every contract the principal may read, by end date as list_contracts(), with only
    what pickers and summaries show of it: id, number, category and vendor name (the whole
    rows and their decoration took 100 ms at 2,000 contracts)."""
    where = _contract_where(principal)
    query = Contract.select(
        Contract.id,
        Contract.number,
        Contract.category,
        Contract.vendor.name.as_alias("vendor_name"),
    ).order_by(Contract.end_date)
    return await (query.where(*where) if where else query)


def labels_matching(labels: list[dict], search: str) -> list[dict]:
    """The contract_labels whose number or vendor name contains `search`, in any case (all
    when it is blank): the pickers' search over labels already read."""
    needle = search.strip().casefold()
    return [
        c
        for c in labels
        if needle in c["number"].casefold() or needle in c["vendor_name"].casefold()
    ]


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


async def categories_of(contract_ids: list[int]) -> dict[int, str]:
    """Each existing contract's service category by id: what surveys cover a contract by."""
    wanted = sorted(set(contract_ids))
    if not wanted:
        return {}
    rows = await Contract.select(Contract.id, Contract.category).where(Contract.id.is_in(wanted))
    return {r["id"]: r["category"] for r in rows}


async def require_readable(principal: Principal, contract_id: int) -> dict:
    """The contract row if the principal may read it (NotFound/Forbidden otherwise)."""
    row = await contract_row(contract_id)
    await _ensure_reader(principal, row)
    return row


async def readable_in_force(
    principal: Principal, contract_id: int, day: date
) -> tuple[dict, VersionRef | None]:
    """require_readable() and the signed version in force on the day (as version_in_force(),
    without its terms) in one query: for what is submitted against a contract in force."""
    rows = await db.fetch(_CONTRACT_SIGNED_REFS, contract_id)
    if not rows:
        raise NotFound(N_("contract"), contract_id)
    row = {k: v for k, v in rows[0].items() if not k.startswith("version_")}
    await _ensure_reader(principal, row)
    refs = [
        VersionRef(r["version_id"], r["version_number"], r["version_from"], True)
        for r in rows
        if r["version_id"] is not None
    ]
    return row, rules.version_in_force(refs, day)


async def routing_target(contract_id: int) -> dict:
    """What the service desk routes requests by (§9), for anyone filing one: number, vendor,
    category, effective status (only a running contract takes requests). NotFound if none."""
    row = _decorate_contract(await contract_row(contract_id), vendors.today())
    return {
        k: row[k]
        for k in ("id", "number", "title", "vendor", "vendor_name", "category", "effective_status")
    }


# A request being filed (§9): the routed contract, its vendor and its signed versions with
# their terms. The service desk joins these to its own query (one round trip per request).
_ROUTING_COLUMNS = (
    "contract.id AS routed_id, contract.number AS routed_number, contract.title AS routed_title, "
    "contract.vendor AS routed_vendor, contract.category AS routed_category, "
    "contract.status AS routed_status, contract.end_date AS routed_end_date, "
    "vendor.name AS routed_vendor_name, v.id AS version_id, v.number AS version_number, "
    "v.effective_from AS version_from, v.terms AS version_terms"
)


def routing_join_sql(contract_id_sql: str) -> tuple[str, str]:
    """(columns, joins) that add to a query the contract whose id is `contract_id_sql`, its
    vendor and its signed versions (one row each; none: one row of NULLs), for
    routing_from_rows()."""
    joins = (
        f"LEFT JOIN contract ON contract.id = {contract_id_sql} "
        "LEFT JOIN vendor ON vendor.id = contract.vendor "
        "LEFT JOIN contract_version v ON v.contract = contract.id AND v.status = 'signed'"
    )
    return _ROUTING_COLUMNS, joins


@lru_cache(maxsize=256)
def _parsed_terms(text: str) -> Terms:
    """Terms by their stored JSON: a signed version's text never changes, and parsing it
    (clauses, Decimals) cost more than the query that read it. Callers only read them."""
    return rules.terms_from(json.loads(text))


def routing_from_rows(rows: list[dict], day: date) -> tuple[dict, Terms | None] | None:
    """From the rows routing_join_sql() added: routing_target() and the terms of the signed
    version in force on the (hospital-local) day; None if there is no such contract."""
    if not rows or rows[0]["routed_id"] is None:
        return None
    first = rows[0]
    status = rules.effective_contract_status(
        ContractStatus(first["routed_status"]), first["routed_end_date"], vendors.today()
    )
    target = {
        k: first[f"routed_{k}"]
        for k in ("id", "number", "title", "vendor", "vendor_name", "category")
    }
    target["effective_status"] = status.value
    refs = [
        VersionRef(r["version_id"], r["version_number"], r["version_from"], True)
        for r in rows
        if r["version_id"] is not None
    ]
    ref = rules.version_in_force(refs, day)
    if ref is None:
        return target, None
    text = next(r["version_terms"] for r in rows if r["version_id"] == ref.id)
    return target, _parsed_terms(text)


async def contract_id_for(number: str) -> int:
    row = await Contract.select(Contract.id).where(Contract.number == number).first()
    if row is None:
        raise NotFound(N_("contract"), number)
    return row["id"]


def version_by_number(contract: dict, number: int) -> dict:
    for version in contract["versions"]:
        if version["number"] == number:
            return version
    raise NotFound(N_("contract version"), f"{contract['number']} / {number}")


@dataclass(frozen=True)
class InForce:
    contract_id: int
    version_id: int
    version_number: int
    terms: Terms


async def version_in_force(contract_id: int, day: date) -> InForce | None:
    """The signed version governing the contract on a (hospital-local) day, or None.
    The SLA measurement and the month-end payment call this."""
    rows = await db.fetch(_SIGNED_VERSIONS, contract_id)
    ref = rules.version_in_force(version_refs(rows), day)
    if ref is None:
        return None
    row = next(r for r in rows if r["id"] == ref.id)
    return InForce(contract_id, ref.id, ref.number, rules.terms_from(json.loads(row["terms"])))


async def lock_contract(contract_id: int) -> None:
    """Lock the contract's row until the transaction ends. Every change of a contract or of
    one of its versions takes this lock first, so two of them (two saves of a draft, two
    signatures, two amendments) run one after the other and the second reads what the first
    did: it is refused with 409 instead of overwriting it or adding a second draft."""
    if await db.locked(Contract.select(Contract.id).where(Contract.id == contract_id)).first():
        return
    raise NotFound(N_("contract"), contract_id)


async def compare(principal: Principal, contract_id: int, a: int, b: int) -> dict[str, Any]:
    """Diff of version number a → version number b of one contract."""
    contract = await get_contract(principal, contract_id)
    by_number = {v["number"]: v for v in contract["versions"]}
    for field, number in (("a", a), ("b", b)):
        if number not in by_number:
            raise InvalidInput.single(
                field,
                "unknown_version",
                _(
                    "Version: contract %(contract)s has no version %(number)s; choose one of "
                    "its versions.",
                    contract=contract["number"],
                    number=number,
                ),
            )
    return {
        "contract": contract,
        "a": by_number[a],
        "b": by_number[b],
        "diff": rules.diff_terms(by_number[a]["terms_obj"], by_number[b]["terms_obj"]),
    }


async def history(principal: Principal, contract_id: int) -> list[dict]:
    return await contract_history(await get_contract(principal, contract_id))


async def contract_history(contract: dict) -> list[dict]:
    """The audit entries of a contract read with get_contract() and of its versions, newest
    first."""
    return await audit.history_of(
        {"contract": [contract["id"]], "contract_version": [v["id"] for v in contract["versions"]]}
    )


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


async def first_signed_at(contract_id: int) -> datetime | None:
    """When the contract's first version was signed (None while nothing is signed)."""
    row = (
        await ContractVersion.select(ContractVersion.signed_at)
        .where((ContractVersion.contract == contract_id) & (ContractVersion.status == "signed"))
        .order_by(ContractVersion.signed_at)
        .first()
    )
    return row["signed_at"] if row else None
