"""Tenders (§3): create and publish, sealed bids, opening, compliance review, panel, scoring,
results and award. Reads are scoped to the principal; every change is audited in its
transaction. Bid content stays sealed (see sealing.py) until `open_tender`."""

from __future__ import annotations

import base64
import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from vendorgov import db
from vendorgov.accounts import service as accounts
from vendorgov.accounts.roles import Principal, Role
from vendorgov.audit import service as audit
from vendorgov.contracts import rules as contract_rules
from vendorgov.contracts import service as contracts
from vendorgov.contracts.ocds import term_months
from vendorgov.errors import Collector, Conflict, Forbidden, InvalidInput, NotFound
from vendorgov.files import service as files
from vendorgov.files.service import Upload
from vendorgov.settings import get_settings
from vendorgov.tenders import rules, sealing
from vendorgov.tenders.rules import Criterion, EvaluationMethod, Method, Status
from vendorgov.tenders.tables import Bid, BidFile, PanelMember, Score, Tender
from vendorgov.vendors import service as vendors
from vendorgov.vendors.rules import CATEGORY_LABELS, QUALIFICATION_KINDS

STAFF = (Role.admin, Role.procurement)
MIN_REASON = 5


def _now() -> datetime:
    return datetime.now(UTC)


def local(at: datetime) -> datetime:
    return at.astimezone(get_settings().zone)


# --- permissions -----------------------------------------------------------------------------


def _ensure_officer(principal: Principal) -> None:
    # §3: tenders are run by procurement officers; administrators only read them.
    if principal.role is not Role.procurement:
        raise Forbidden("only procurement officers run tenders")


def _ensure_action(tender: dict, action: str) -> None:
    if not rules.allows(Status(tender["status"]), action):
        raise Conflict(
            f"status: a tender that is {tender['status']} does not allow {action.replace('_', ' ')}"
        )


def _reason(text: str, field_name: str = "reason") -> str:
    text = (text or "").strip()
    if len(text) < MIN_REASON:
        raise InvalidInput.single(
            field_name, "required", f"give a written reason (at least {MIN_REASON} characters)"
        )
    return text


# --- reading ---------------------------------------------------------------------------------

_SECRET_COLUMNS = ("sealed_key", "released_key")


def _criteria(text: str) -> list[Criterion]:
    return [Criterion(c["key"], c["name"], Decimal(str(c["weight"]))) for c in json.loads(text)]


def _decorate(row: dict, now: datetime | None = None) -> dict:
    """A tender as pages and the API show it: never its key."""
    now = now or _now()
    tender = {k: v for k, v in row.items() if k not in _SECRET_COLUMNS}
    tender["budget_ceiling"] = db.two_places(row["budget_ceiling"])
    tender["qualification_types"] = json.loads(row["qualification_types"])
    tender["criteria"] = _criteria(row["criteria"])
    tender["documents"] = json.loads(row["documents"])
    tender["sla_template"] = json.loads(row["sla_template"])
    tender["deadline_passed"] = now >= row["bid_deadline"]
    tender["closes_in"] = (row["bid_deadline"] - now).total_seconds()
    tender["bid_deadline_local"] = local(row["bid_deadline"])
    tender["months"] = term_months(row["service_start"], row["service_end"])
    tender["labels"] = {
        "category": CATEGORY_LABELS.get(row["category"], (row["category"],) * 2),
        "method": rules.METHOD_LABELS[row["method"]],
        "evaluation": rules.EVALUATION_LABELS[row["evaluation_method"]],
        "status": rules.STATUS_LABELS[row["status"]],
        "qualifications": [
            QUALIFICATION_KINDS.get(q, (q, q)) for q in tender["qualification_types"]
        ],
    }
    tender["actions"] = list(rules.ACTIONS[Status(row["status"])])
    return tender


async def _tender_row(tender_id: int, lock: bool = False) -> dict:
    """The tender; with lock (inside a transaction), locked until the transaction ends. Every
    change to a tender, its bids, panel and scores takes this lock first and decides on what
    it reads after it, so changes to one tender run one at a time and the second sees the
    first's result."""
    query = Tender.select().where(Tender.id == tender_id)
    row = await (db.locked(query) if lock else query).first()
    if row is None:
        raise NotFound("tender", tender_id)
    return row


async def _member(tender_id: int, user_id: int) -> dict | None:
    return (
        await PanelMember.select()
        .where((PanelMember.tender == tender_id) & (PanelMember.evaluator == user_id))
        .first()
    )


async def _vendor_categories(principal: Principal) -> list[str]:
    return (await vendors.standing([principal.vendor_id], _now().date()))[principal.vendor_id][
        "categories"
    ]


async def _ensure_reader(principal: Principal, row: dict) -> None:
    if principal.role in STAFF:
        return
    if principal.is_vendor:
        if row["status"] == Status.published and row["category"] in await _vendor_categories(
            principal
        ):
            return
        if await Bid.exists().where(
            (Bid.tender == row["id"]) & (Bid.vendor == principal.vendor_id)
        ):
            return
        raise NotFound("tender", row["id"])
    if principal.role is Role.evaluator and await _member(row["id"], principal.user_id):
        return
    if principal.role is Role.evaluator:
        raise NotFound("tender", row["id"])
    raise Forbidden(f"the {principal.role.value} role has no access to tenders")


async def list_tenders(principal: Principal, status: str = "") -> list[dict]:
    query = Tender.select().order_by(Tender.bid_deadline, ascending=False)
    if status and status not in rules.STATUS_LABELS:
        raise InvalidInput.single(
            "status", "choice", f"one of {', '.join(rules.STATUS_LABELS)}, or empty for all"
        )
    if status:
        query = query.where(Tender.status == status)
    if principal.is_vendor:
        mine = await Bid.select(Bid.tender).where(Bid.vendor == principal.vendor_id)
        categories = await _vendor_categories(principal)
        query = query.where(
            ((Tender.status == Status.published.value) & Tender.category.is_in(categories or ["-"]))
            | Tender.id.is_in([b["tender"] for b in mine] or [0])
        )
    elif principal.role is Role.evaluator:
        mine = await PanelMember.select(PanelMember.tender).where(
            PanelMember.evaluator == principal.user_id
        )
        query = query.where(Tender.id.is_in([m["tender"] for m in mine] or [0]))
    elif principal.role not in STAFF:
        raise Forbidden(f"the {principal.role.value} role has no access to tenders")
    now = _now()
    rows = [_for(principal, _decorate(row, now)) for row in await query]
    if principal.role in STAFF:  # the number of bidders is not disclosed before opening
        counts = await _active_bid_counts([r["id"] for r in rows])
        for row in rows:
            row["bids_received"] = counts.get(row["id"], 0)
    return rows


def _for(principal: Principal, tender: dict) -> dict:
    """What of a tender a vendor may know: not why the award went where it went."""
    if principal.is_vendor:
        tender["award_reason"] = ""
    return tender


async def _active_bid_counts(tender_ids: list[int]) -> dict[int, int]:
    if not tender_ids:
        return {}
    rows = await Bid.select(Bid.tender).where(
        Bid.tender.is_in(tender_ids) & (Bid.state == "active")
    )
    counts: dict[int, int] = {}
    for row in rows:
        counts[row["tender"]] = counts.get(row["tender"], 0) + 1
    return counts


async def get_tender(principal: Principal, tender_id: int) -> dict:
    row = await _tender_row(tender_id)
    await _ensure_reader(principal, row)
    tender = _for(principal, _decorate(row))
    if principal.role in STAFF:
        tender["bids_received"] = (await _active_bid_counts([tender_id])).get(tender_id, 0)
    if row["awarded_bid"] and principal.role in STAFF:
        won = next(b for b in (await _evaluation(row))["ranked"] if b["id"] == row["awarded_bid"])
        tender["award"] = {k: won[k] for k in ("vendor_name", "price", "rank")}
    if principal.is_vendor:
        tender["my_bid"] = await _my_bid(principal, tender_id)
        won = tender["my_bid"] is not None and tender["my_bid"]["id"] == row["awarded_bid"]
        tender["you_won"] = won
        if not won:
            tender["contract_id"] = tender["awarded_bid"] = None
    if principal.role is Role.evaluator:
        tender["member"] = await _member(tender_id, principal.user_id)
    return tender


async def _my_bid(principal: Principal, tender_id: int) -> dict | None:
    row = (
        await Bid.select()
        .where((Bid.tender == tender_id) & (Bid.vendor == principal.vendor_id))
        .order_by(Bid.id, ascending=False)
        .first()
    )
    return _bid_view(row, opened=row is not None and row["price"] is not None) if row else None


def _bid_view(row: dict, opened: bool) -> dict:
    """A bid as shown: before opening only that it exists, when it arrived and its digest."""
    view = {
        "id": row["id"],
        "tender": row["tender"],
        "state": row["state"],
        "received_at": row["received_at"],
        "received_at_local": local(row["received_at"]),
        "digest": row["digest"],
        "file_count": row["file_count"],
    }
    if opened:
        view.update(
            price=db.two_places(row["price"]),
            digest_ok=row["digest_ok"],
            invalid_reasons=json.loads(row["invalid_reasons"]),
            compliance=row["compliance"],
            compliance_reason=row["compliance_reason"],
            abnormally_low=bool(row["abnormally_low"]),
            low_decision=row["low_decision"],
            low_reason=row["low_reason"],
        )
        view["eligible"] = _eligible(view)
    return view


def _eligible(bid: dict) -> bool:
    """Valid at opening, not ruled non-compliant, not rejected as abnormally low."""
    return (
        bid["state"] == "active"
        and bid.get("price") is not None
        and not bid["invalid_reasons"]
        and bid["compliance"] != "non_compliant"
        and bid["low_decision"] != "rejected"
    )


async def bids(principal: Principal, tender_id: int) -> list[dict]:
    """The bids received. Before opening: arrival times and digests only (no vendor, price or
    file) for staff; a vendor sees only its own submissions."""
    row = await _tender_row(tender_id)
    await _ensure_reader(principal, row)
    opened = row["opened_at"] is not None
    query = Bid.select(Bid.all_columns(), Bid.vendor.name.as_alias("vendor_name")).where(
        Bid.tender == tender_id
    )
    if principal.is_vendor:
        query = query.where(Bid.vendor == principal.vendor_id)
    elif principal.role is Role.evaluator:
        member = await _member(tender_id, principal.user_id)
        if not opened or not member or not member["declared_at"] or member["conflict"]:
            raise Forbidden("declare your conflicts of interest first; bids are shown after that")
    elif principal.role not in STAFF:
        raise Forbidden(f"the {principal.role.value} role has no access to bids")
    if not opened and not principal.is_vendor:
        query = query.where(Bid.state == "active")
    rows = await query.order_by(Bid.received_at)
    result = []
    for number, bid in enumerate(rows, start=1):
        view = _bid_view(bid, opened)
        view["number"] = number
        if opened or principal.is_vendor:
            view["vendor"] = bid["vendor"]
            view["vendor_name"] = bid["vendor_name"]
        if opened:
            # Only the bids standing at the deadline were opened; replaced and withdrawn ones
            # stay sealed.
            view["files"] = _file_names(bid, row) if bid["state"] == "active" else []
        result.append(view)
    return result


# --- creating and publishing -----------------------------------------------------------------


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
        "monthly_fee": str(rules.monthly_fee(data.budget_ceiling, months)),
    }
    try:
        terms = contract_rules.parse_terms(plain)
    except InvalidInput as error:
        errors.errors.extend(error.errors)
        return {}
    except (AttributeError, TypeError, ValueError):  # e.g. clauses not a list of objects
        errors.add(
            "sla_template", "format", "clauses, penalties and bands as in a contract version"
        )
        return {}
    check = contract_rules.terms_errors(terms, data.service_start, data.service_end)
    for e in check.errors:
        if e.field in ("monthly_fee", "effective_from"):
            continue  # reported on budget_ceiling and the service term
        errors.add(f"sla_template.{e.field}", e.rule, e.message)
    plain = contract_rules.to_plain(terms)
    plain.pop("effective_from")
    plain.pop("monthly_fee")
    return plain


def _tender_errors(data: TenderInput, now: datetime, check_deadline: bool = True) -> Collector:
    errors = Collector()
    if not data.reference.strip() or len(data.reference.strip()) > 30:
        errors.add("reference", "required", "give the reference number (1–30 characters)")
    if not data.title.strip() or len(data.title.strip()) > 200:
        errors.add("title", "required", "give the title (1–200 characters)")
    for name, day in (("service_start", data.service_start), ("service_end", data.service_end)):
        if day and not 2000 <= day.year <= 2100:
            errors.add(name, "range", "a date between 2000 and 2100")
    if (
        data.service_start
        and data.service_end
        and (data.service_end - data.service_start).days > 3653
    ):
        errors.add("service_end", "term", "a service term of at most 10 years")
    if data.category not in CATEGORY_LABELS:
        errors.add("category", "unknown_category", f"one of {', '.join(CATEGORY_LABELS)}")
    if data.method not in rules.METHOD_LABELS:
        errors.add("method", "unknown_method", f"one of {', '.join(rules.METHOD_LABELS)}")
    if data.evaluation_method not in rules.EVALUATION_LABELS:
        errors.add("evaluation_method", "unknown", f"one of {', '.join(rules.EVALUATION_LABELS)}")
    else:
        rules.criteria_errors(data.criteria, EvaluationMethod(data.evaluation_method), errors)
    if data.budget_ceiling is None:
        errors.add("budget_ceiling", "required", "is required")
    elif not rules.is_amount(data.budget_ceiling) or data.budget_ceiling <= 0:
        errors.add(
            "budget_ceiling",
            "positive",
            f"more than 0 and at most {rules.MAX_AMOUNT}, with at most 2 decimals",
        )
    if data.service_start is None:
        errors.add("service_start", "required", "is required (YYYY-MM-DD)")
    if data.service_end is None:
        errors.add("service_end", "required", "is required (YYYY-MM-DD)")
    if data.service_start and data.service_end and data.service_end <= data.service_start:
        errors.add("service_end", "after_start", "must be after the service start")
    elif (
        data.service_start
        and data.service_end
        and not any(e.field in ("service_start", "service_end") for e in errors.errors)
        and data.budget_ceiling is not None
        and rules.is_amount(data.budget_ceiling)
        and data.budget_ceiling > 0
        and rules.monthly_fee(
            data.budget_ceiling, term_months(data.service_start, data.service_end)
        )
        <= 0
    ):
        errors.add(
            "budget_ceiling", "monthly_fee", "too small to pay a monthly fee of at least ¥0.01"
        )
    unknown = [q for q in data.qualification_types if q not in QUALIFICATION_KINDS]
    if unknown:
        errors.add(
            "qualification_types",
            "unknown",
            f"unknown {', '.join(unknown)}; one of {', '.join(QUALIFICATION_KINDS)}",
        )
    if check_deadline:
        rules.deadline_errors(data.bid_deadline, now, errors)
    elif data.bid_deadline is None:
        errors.add("bid_deadline", "required", "is required")
    if (
        data.bid_deadline
        and data.service_start
        and local(data.bid_deadline).date() >= data.service_start
    ):
        errors.add("bid_deadline", "before_service", "must be before the service starts")
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
            [
                {"key": c.key, "name": c.name.strip(), "weight": str(c.weight)}
                for c in data.criteria
            ],
            ensure_ascii=False,
        ),
        "sla_template": json.dumps(template, ensure_ascii=False),
        "bid_deadline": data.bid_deadline,
    }


def _audited(columns: dict) -> dict:
    return {
        k: (json.loads(v) if k in ("qualification_types", "criteria", "sla_template") else v)
        for k, v in columns.items()
        if k != "sla_template"
    }


async def create_tender(actor: Principal, data: TenderInput) -> int:
    _ensure_officer(actor)
    now = _now()
    errors = _tender_errors(data, now)
    template = _template_terms(data, errors)
    errors.raise_if_any()
    columns = _columns(data, template)
    async with db.transaction():
        if await Tender.exists().where(Tender.reference == columns["reference"]):
            raise Conflict(f"reference: tender {columns['reference']} exists already")
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
                raise Conflict(f"reference: tender {columns['reference']} exists already") from None
            raise
        await audit.record(actor, "tender", tender.id, "create", None, _audited(columns))
    return tender.id


async def update_tender(actor: Principal, tender_id: int, data: TenderInput) -> None:
    """Edit a draft. The reference is fixed once created (the sealing key is bound to it)."""
    _ensure_officer(actor)
    now = _now()
    errors = _tender_errors(data, now)
    template = _template_terms(data, errors)
    errors.raise_if_any()
    async with db.transaction():
        row = await _tender_row(tender_id, lock=True)
        _ensure_action(row, "edit")
        columns = _columns(data, template)
        if columns["reference"] != row["reference"]:
            raise InvalidInput.single("reference", "fixed", "the reference cannot change")
        before = _audited({k: row[k] for k in columns})
        await Tender.update({**columns, Tender.updated_at: now}).where(Tender.id == tender_id)
        await audit.record(actor, "tender", tender_id, "edit", before, _audited(columns))


async def add_document(actor: Principal, tender_id: int, upload: Upload) -> None:
    """A tender document (specification, forms) while the tender is a draft."""
    _ensure_officer(actor)
    files.check_upload("document", upload)
    async with db.transaction():
        row = await _tender_row(tender_id, lock=True)
        _ensure_action(row, "edit")
        file_id = await files.store(upload, actor.user_id)
        documents = json.loads(row["documents"])
        documents.append({"file_id": str(file_id), "filename": upload.filename})
        await Tender.update(
            {Tender.documents: json.dumps(documents, ensure_ascii=False), Tender.updated_at: _now()}
        ).where(Tender.id == tender_id)
        await audit.record(
            actor, "tender", tender_id, "add_document", None, {"filename": upload.filename}
        )


async def document(principal: Principal, tender_id: int, file_id: str) -> files.StoredContent:
    row = await _tender_row(tender_id)
    await _ensure_reader(principal, row)
    if file_id not in [d["file_id"] for d in json.loads(row["documents"])]:
        raise NotFound("tender document", file_id)
    return await files.content(uuid.UUID(file_id))


async def _transition(
    actor: Principal,
    tender_id: int,
    action: str,
    new_status: Status,
    extra: dict | None = None,
    check=None,
) -> dict:
    """Move a tender from one status to another in one audited transaction."""
    _ensure_officer(actor)
    async with db.transaction():
        row = await _tender_row(tender_id, lock=True)
        _ensure_action(row, action)
        if check:
            check(row)
        changes = {"status": new_status.value, "updated_at": _now(), **(extra or {})}
        await Tender.update(changes).where(Tender.id == tender_id)
        await audit.record(
            actor,
            "tender",
            tender_id,
            action,
            {"status": row["status"]},
            {k: v for k, v in changes.items() if k != "updated_at"},
        )
    return row


async def publish(actor: Principal, tender_id: int) -> None:
    def check(row: dict) -> None:
        errors = Collector()
        rules.deadline_errors(row["bid_deadline"], _now(), errors)
        errors.raise_if_any()

    await _transition(
        actor, tender_id, "publish", Status.published, {"published_at": _now()}, check
    )


async def change_deadline(
    actor: Principal, tender_id: int, deadline: datetime | None, reason: str
) -> None:
    """§3: only procurement officers change the deadline, and not once it has passed."""
    _ensure_officer(actor)
    reason = _reason(reason)
    errors = Collector()
    rules.deadline_errors(deadline, _now(), errors)
    errors.raise_if_any()
    async with db.transaction():
        row = await _tender_row(tender_id, lock=True)
        _ensure_action(row, "change_deadline")
        if _now() >= row["bid_deadline"]:
            raise Conflict("bid_deadline: the deadline has passed; it can no longer change")
        if deadline == row["bid_deadline"]:
            return  # the same move again (a second click): done already
        if deadline < row["bid_deadline"]:
            # §3: postponed only; also what the slower of two officers moving it at once hears.
            raise Conflict(
                "bid_deadline: the deadline is now "
                f"{local(row['bid_deadline']):%Y-%m-%d %H:%M:%S %Z}; it can only be postponed"
            )
        if local(deadline).date() >= row["service_start"]:
            raise InvalidInput.single(
                "bid_deadline", "before_service", "must be before the service starts"
            )
        await Tender.update({Tender.bid_deadline: deadline, Tender.updated_at: _now()}).where(
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


async def cancel(actor: Principal, tender_id: int, reason: str) -> None:
    reason = _reason(reason)
    await _transition(actor, tender_id, "cancel", Status.cancelled, {"closed_reason": reason})


async def fail(actor: Principal, tender_id: int, reason: str) -> None:
    reason = _reason(reason)
    await _transition(actor, tender_id, "fail", Status.failed, {"closed_reason": reason})


# --- bidding ---------------------------------------------------------------------------------


def _tender_key(row: dict) -> bytes:
    if row["released_key"]:
        return base64.b64decode(row["released_key"])
    return sealing.unwrap_key(get_settings().secret_key, row["sealed_key"], row["reference"])


def _envelope_context(row: dict, vendor_id: int) -> str:
    return f"{row['reference']}:bid:{vendor_id}"


def _file_context(row: dict, salt: str, position: int) -> str:
    return f"{row['reference']}:file:{salt}:{position}"


async def submit_bid(
    actor: Principal,
    tender_id: int,
    price: Decimal | None,
    price_lines: list[tuple[str, Decimal]],
    uploads: list[Upload],
) -> dict:
    """A vendor's sealed bid; an earlier one of the same vendor is replaced. Returns the
    receipt: digest, exact receipt time and the content the digest covers (to keep)."""
    if not actor.is_vendor:
        raise Forbidden("only vendor users submit bids")
    errors = Collector()
    rules.price_lines_errors(price, price_lines, errors)
    for i, upload in enumerate(uploads):
        try:
            files.check_upload(f"files[{i}]", upload)
        except InvalidInput as error:
            errors.errors.extend(error.errors)
    errors.raise_if_any()
    standing = (await vendors.standing([actor.vendor_id], local(_now()).date()))[actor.vendor_id]
    row = await _tender_row(tender_id)
    # A tender the vendor cannot see (a draft, another category) does not exist for it.
    visible = row["status"] == Status.published and row["category"] in standing["categories"]
    if not visible and not await Bid.exists().where(
        (Bid.tender == tender_id) & (Bid.vendor == actor.vendor_id)
    ):
        raise NotFound("tender", tender_id)
    if standing["status"] != "active":
        raise InvalidInput.single(
            "vendor", "status", f"a {standing['status']} vendor cannot bid (§2)"
        )
    files_meta = [
        {"name": u.filename, "sha256": sealing.file_digest(u.data), "size": len(u.data)}
        for u in uploads
    ]
    salt = sealing.new_salt()
    content = {
        "tender": row["reference"],
        "vendor": standing["uscc"],
        "price": str(price),
        "price_lines": [[item.strip(), str(amount)] for item, amount in price_lines],
        "files": files_meta,
        "salt": salt,
    }
    digest = sealing.digest(content)
    # Encrypted before the write lock is taken: up to 60 MB of files must not hold up every
    # other writer. The tender key never changes, so the row read above serves.
    key = _tender_key(row)
    sealed = sealing.encrypt(
        key, sealing.canonical(content), _envelope_context(row, actor.vendor_id)
    )
    blobs = [
        sealing.encrypt(key, upload.data, _file_context(row, salt, position))
        for position, upload in enumerate(uploads)
    ]
    async with db.transaction():
        row = await _tender_row(tender_id, lock=True)
        received_at = _now()
        if row["status"] != Status.published:
            raise Conflict(f"status: the tender is {row['status']}, not open for bids")
        if received_at >= row["bid_deadline"]:
            raise Conflict(
                "bid_deadline: bids closed at "
                f"{local(row['bid_deadline']):%Y-%m-%d %H:%M:%S %Z}; this one arrived "
                f"{local(received_at):%Y-%m-%d %H:%M:%S}"
            )
        previous = await Bid.select(Bid.id).where(
            (Bid.tender == tender_id) & (Bid.vendor == actor.vendor_id) & (Bid.state == "active")
        )
        await Bid.update({Bid.state: "replaced"}).where(
            Bid.id.is_in([p["id"] for p in previous] or [0])
        )
        bid = Bid(
            tender=tender_id,
            vendor=actor.vendor_id,
            state="active",
            received_at=received_at,
            submitted_by=actor.username,
            digest=digest,
            sealed=base64.b64encode(sealed).decode(),
            file_count=len(uploads),
        )
        await bid.save()
        for position, blob in enumerate(blobs):
            # No uploader on the stored blob: the file store must not tell who bid.
            stored = await files.store(Upload("sealed-bid-file", blob), None)
            await BidFile(bid=bid.id, stored_file=stored, position=position).save()
        await audit.record(
            actor,
            "bid",
            bid.id,
            "submit",
            None,
            {
                "tender": row["reference"],
                "received_at": received_at,
                "digest": digest,
                "files": len(uploads),
                "replaces": [p["id"] for p in previous],
            },
        )
    return {
        "bid_id": bid.id,
        "tender_id": tender_id,
        "tender_reference": row["reference"],
        "received_at": received_at,
        "received_at_local": local(received_at),
        "digest": digest,
        "replaces": [p["id"] for p in previous],
        "content": content,
    }


async def withdraw_bid(actor: Principal, tender_id: int) -> None:
    if not actor.is_vendor:
        raise Forbidden("only vendor users withdraw bids")
    async with db.transaction():
        row = await _tender_row(tender_id, lock=True)
        if row["status"] != Status.published or _now() >= row["bid_deadline"]:
            raise Conflict("bid_deadline: bids can be withdrawn only before the deadline")
        latest = await (
            Bid.select(Bid.id, Bid.state)
            .where((Bid.tender == tender_id) & (Bid.vendor == actor.vendor_id))
            .order_by(Bid.id, ascending=False)
            .first()
        )
        if latest is not None and latest["state"] == "withdrawn":
            return  # withdrawn already (a repeated request): the same result
        active = [latest] if latest is not None and latest["state"] == "active" else []
        if not active:
            raise NotFound("active bid of your company on tender", tender_id)
        await Bid.update({Bid.state: "withdrawn"}).where(Bid.id == active[0]["id"])
        await audit.record(
            actor, "bid", active[0]["id"], "withdraw", {"state": "active"}, {"state": "withdrawn"}
        )


async def my_bids(actor: Principal) -> list[dict]:
    """A vendor's submissions, newest first, with their tenders."""
    if not actor.is_vendor:
        raise Forbidden("only vendor users have bids")
    rows = (
        await Bid.select(
            Bid.all_columns(),
            Bid.tender.reference.as_alias("tender_reference"),
            Bid.tender.title.as_alias("tender_title"),
            Bid.tender.status.as_alias("tender_status"),
            Bid.tender.awarded_bid.as_alias("awarded_bid"),
        )
        .where(Bid.vendor == actor.vendor_id)
        .order_by(Bid.received_at, ascending=False)
    )
    result = []
    for row in rows:
        view = _bid_view(row, opened=row["price"] is not None)
        view.update(
            tender_reference=row["tender_reference"],
            tender_title=row["tender_title"],
            tender_status=row["tender_status"],
            won=row["awarded_bid"] == row["id"],
        )
        result.append(view)
    return result


async def receipt(principal: Principal, bid_id: int) -> dict:
    row = (
        await Bid.select(Bid.all_columns(), Bid.tender.reference.as_alias("tender_reference"))
        .where(Bid.id == bid_id)
        .first()
    )
    if row is None or not principal.is_vendor or row["vendor"] != principal.vendor_id:
        raise NotFound("bid", bid_id)
    view = _bid_view(row, opened=row["price"] is not None)
    view["tender_reference"] = row["tender_reference"]
    return view


def _file_names(bid: dict, tender: dict) -> list[dict]:
    """Names and sizes of an opened bid's files (from its opened content)."""
    try:
        content = _open_envelope(tender, bid)
    except sealing.SealBroken:
        return []
    return [{"position": i, **f} for i, f in enumerate(content["files"])]


def _open_envelope(tender: dict, bid: dict) -> dict:
    data = sealing.decrypt(
        _tender_key(tender),
        base64.b64decode(bid["sealed"]),
        _envelope_context(tender, bid["vendor"]),
    )
    return json.loads(data)


async def bid_file(principal: Principal, bid_id: int, position: int) -> tuple[str, bytes]:
    """A technical-proposal file, readable only once its tender was opened: staff, panel
    members who declared no conflict, and the bidding vendor."""
    bid = await Bid.select().where(Bid.id == bid_id).first()
    if bid is None:
        raise NotFound("bid", bid_id)
    tender = await _tender_row(bid["tender"])
    if principal.is_vendor and bid["vendor"] != principal.vendor_id:
        raise NotFound("bid", bid_id)
    await bids(principal, bid["tender"])  # the same access rule as the bid list
    if tender["opened_at"] is None:
        raise Forbidden("bids are sealed until opening")
    if bid["state"] != "active":
        raise NotFound("opened bid", bid_id)  # a replaced or withdrawn bid is never opened
    try:
        content = _open_envelope(tender, bid)
        if not 0 <= position < len(content["files"]):
            raise NotFound("bid file", position)
        stored = (
            await BidFile.select()
            .where((BidFile.bid == bid_id) & (BidFile.position == position))
            .first()
        )
        if stored is None:
            raise NotFound("bid file", position)
        blob = (await files.content(stored["stored_file"])).path.read_bytes()
        data = sealing.decrypt(
            _tender_key(tender), blob, _file_context(tender, content["salt"], position)
        )
    except sealing.SealBroken:
        raise Conflict(
            "bid: its sealed content does not match its digest (see the opening)"
        ) from None
    return content["files"][position]["name"], data


# --- opening ---------------------------------------------------------------------------------


async def open_tender(actor: Principal, tender_id: int) -> dict:
    """Open the sealed bids at or after the deadline: re-check digests, decide validity (§3),
    flag abnormally low prices; the tender fails if too few valid bids remain."""
    _ensure_officer(actor)
    settings = get_settings()
    async with db.transaction():
        row = await _tender_row(tender_id, lock=True)
        _ensure_action(row, "open")
        now = _now()
        if now < row["bid_deadline"]:
            raise Conflict(
                "bid_deadline: opening is possible from "
                f"{local(row['bid_deadline']):%Y-%m-%d %H:%M:%S %Z}"
            )
        key = _tender_key(row)
        active = await Bid.select().where((Bid.tender == tender_id) & (Bid.state == "active"))
        deadline_day = local(row["bid_deadline"]).date()
        standing = await vendors.standing(
            [b["vendor"] for b in active], deadline_day, recorded_by=row["bid_deadline"]
        )
        ceiling = db.two_places(row["budget_ceiling"])
        required = json.loads(row["qualification_types"])
        outcome: dict[int, dict] = {}
        for bid in active:
            price, reasons, digest_ok = None, [], True
            try:
                content = _open_envelope(row, bid)
                digest_ok = sealing.digest(content) == bid["digest"]
                stored = {
                    f["position"]: f["stored_file"]
                    for f in await BidFile.select().where(BidFile.bid == bid["id"])
                }
                for position, meta in enumerate(content["files"]):
                    blob = (await files.content(stored[position])).path.read_bytes()
                    data = sealing.decrypt(key, blob, _file_context(row, content["salt"], position))
                    digest_ok = digest_ok and sealing.file_digest(data) == meta["sha256"]
                price = Decimal(content["price"])
            except (sealing.SealBroken, KeyError, NotFound, ValueError, InvalidOperation):
                digest_ok = False
            if not digest_ok:
                reasons.append("the content does not match the digest on its receipt")
            if price is not None:
                vendor = standing[bid["vendor"]]
                facts = rules.BidFacts(price, vendor["status"], vendor["qualifications"])
                reasons += rules.invalid_reasons(facts, ceiling, required, deadline_day)
            outcome[bid["id"]] = {"price": price, "reasons": reasons, "digest_ok": digest_ok}
        valid = {b: o["price"] for b, o in outcome.items() if not o["reasons"]}
        low = rules.abnormally_low(valid, Decimal(settings.abnormal_low_percent))
        for bid_id, o in outcome.items():
            await Bid.update(
                {
                    Bid.price: o["price"],
                    Bid.digest_ok: o["digest_ok"],
                    Bid.invalid_reasons: json.dumps(o["reasons"], ensure_ascii=False),
                    Bid.abnormally_low: bid_id in low,
                }
            ).where(Bid.id == bid_id)
        minimum = rules.min_bidders(Method(row["method"]))
        status, reason = Status.opened, ""
        if len(valid) < minimum:
            status = Status.failed
            reason = f"{len(valid)} valid bid(s) at opening; at least {minimum} needed (§3)"
        await Tender.update(
            {
                Tender.status: status.value,
                Tender.released_key: base64.b64encode(key).decode(),
                Tender.opened_at: now,
                Tender.opened_by: actor.username,
                Tender.closed_reason: reason,
                Tender.updated_at: now,
            }
        ).where(Tender.id == tender_id)
        summary = {
            "status": status.value,
            "bids": len(active),
            "valid": len(valid),
            "digest_mismatches": [b for b, o in outcome.items() if not o["digest_ok"]],
            "abnormally_low": sorted(low),
            "closed_reason": reason,
        }
        await audit.record(actor, "tender", tender_id, "open", {"status": row["status"]}, summary)
    return summary


# --- compliance review and abnormally low prices ---------------------------------------------


async def _opened_bid(bid_id: int) -> tuple[dict, dict]:
    """A bid under review and its tender, read under the tender's lock (in a transaction):
    a decision taken at the same moment is seen, not overwritten unseen."""
    found = await Bid.select(Bid.tender).where(Bid.id == bid_id).first()
    if found is None:
        raise NotFound("bid", bid_id)
    tender = await _tender_row(found["tender"], lock=True)
    bid = await Bid.select().where(Bid.id == bid_id).first()
    _ensure_action(tender, "review")
    if bid["state"] != "active" or json.loads(bid["invalid_reasons"]):
        raise Conflict("bid: only valid bids are reviewed")
    return bid, tender


async def _ensure_no_submissions(tender_id: int) -> None:
    """A bid put back in the running after scores were handed in would stay unscored by
    those evaluators (submitted scores are final), so that is refused."""
    if await PanelMember.exists().where(
        (PanelMember.tender == tender_id)
        & (PanelMember.conflict == False)  # noqa: E712 (Piccolo builds SQL from ==)
        & PanelMember.submitted_at.is_not_null()
    ):
        raise Conflict("bid: evaluators have submitted scores; reviews are closed")


async def review_bid(actor: Principal, bid_id: int, compliant: bool, reason: str) -> None:
    """Record the panel's compliance decision on a valid bid; non-compliance needs a reason."""
    _ensure_officer(actor)
    reason = _reason(reason) if not compliant else (reason or "").strip()
    async with db.transaction():
        bid, tender = await _opened_bid(bid_id)
        value = "compliant" if compliant else "non_compliant"
        if (bid["compliance"], bid["compliance_reason"]) == (value, reason):
            return  # the same decision again: recorded already
        if compliant and bid["compliance"] == "non_compliant":
            await _ensure_no_submissions(tender["id"])
        await Bid.update({Bid.compliance: value, Bid.compliance_reason: reason}).where(
            Bid.id == bid_id
        )
        await audit.record(
            actor,
            "bid",
            bid_id,
            "compliance",
            {"compliance": bid["compliance"]},
            {"compliance": value, "reason": reason},
        )


async def decide_low_price(actor: Principal, bid_id: int, decision: str, reason: str) -> None:
    """The panel's decision on an abnormally low price: explanation accepted, or rejected
    (the bid becomes invalid). Required before evaluation closes."""
    _ensure_officer(actor)
    if decision not in ("accepted", "rejected"):
        raise InvalidInput.single("decision", "choice", "accepted or rejected")
    reason = _reason(reason)
    async with db.transaction():
        bid, tender = await _opened_bid(bid_id)
        if (bid["low_decision"], bid["low_reason"]) == (decision, reason):
            return  # the same decision again: recorded already
        if decision == "accepted" and bid["low_decision"] == "rejected":
            await _ensure_no_submissions(tender["id"])
        if not bid["abnormally_low"]:
            raise Conflict("bid: this bid is not flagged as abnormally low")
        await Bid.update({Bid.low_decision: decision, Bid.low_reason: reason}).where(
            Bid.id == bid_id
        )
        await audit.record(
            actor,
            "bid",
            bid_id,
            "low_price_decision",
            {"low_decision": bid["low_decision"]},
            {"low_decision": decision, "reason": reason},
        )


# --- the panel -------------------------------------------------------------------------------


async def panel(principal: Principal, tender_id: int) -> list[dict]:
    """The panel and its progress (declared, conflicts, scores entered, submitted)."""
    row = await _tender_row(tender_id)
    if principal.role not in STAFF:
        raise Forbidden("the panel's progress is for procurement officers")
    members = (
        await PanelMember.select().where(PanelMember.tender == tender_id).order_by(PanelMember.id)
    )
    counts: dict[int, int] = {}
    for s in await Score.select(Score.member).where(
        Score.member.is_in([m["id"] for m in members] or [0])
    ):
        counts[s["member"]] = counts.get(s["member"], 0) + 1
    for m in members:
        m["scores_entered"] = counts.get(m["id"], 0)
    del row
    return members


def _active(members: list[dict]) -> list[dict]:
    return [m for m in members if not m["conflict"]]


async def assign_panel(actor: Principal, tender_id: int, evaluator_ids: list[int]) -> None:
    """Add evaluators to the panel. The panel without members who declared a conflict must
    be odd and at least the minimum (§3)."""
    _ensure_officer(actor)
    evaluators = {a["user_id"]: a for a in await accounts.active_accounts(Role.evaluator)}
    unknown = [i for i in evaluator_ids if i not in evaluators]
    if unknown or not evaluator_ids:
        raise InvalidInput.single(
            "evaluator_ids",
            "evaluators",
            "choose active evaluator accounts"
            + (f" ({', '.join(map(str, unknown))} are not)" if unknown else ""),
        )
    async with db.transaction():
        row = await _tender_row(tender_id, lock=True)
        if row["status"] not in (Status.published, Status.opened):
            raise Conflict(f"status: a {row['status']} tender's panel cannot change")
        members = await PanelMember.select().where(PanelMember.tender == tender_id)
        present = {m["evaluator"] for m in members}
        new = [i for i in dict.fromkeys(evaluator_ids) if i not in present]
        if not new:
            return  # all of them are on the panel already (e.g. the same request twice)
        size = len(_active(members)) + len(new)
        problem = rules.panel_errors(size, Method(row["method"]), get_settings().panel_minimum_open)
        if problem:
            raise InvalidInput.single("evaluator_ids", "panel_size", problem)
        now = _now()
        for user_id in new:
            account = evaluators[user_id]
            await PanelMember(
                tender=tender_id,
                evaluator=user_id,
                username=account["username"],
                display_name=account["display_name"],
                assigned_at=now,
            ).save()
        await audit.record(
            actor,
            "tender",
            tender_id,
            "assign_panel",
            {"panel": sorted(m["username"] for m in members)},
            {
                "panel": sorted(
                    [m["username"] for m in members] + [evaluators[i]["username"] for i in new]
                )
            },
        )


async def _my_membership(actor: Principal, tender_id: int) -> tuple[dict, dict]:
    if actor.role is not Role.evaluator:
        raise Forbidden("only evaluators declare and score")
    row = await _tender_row(tender_id)
    member = await _member(tender_id, actor.user_id)
    if member is None:
        raise NotFound("tender", tender_id)
    return row, member


async def bidders(actor: Principal, tender_id: int) -> list[dict]:
    """The bidding companies an evaluator declares against (names only, nothing of the bids)."""
    row, _ = await _my_membership(actor, tender_id)
    if row["opened_at"] is None:
        raise Conflict("status: bidders are known at opening")
    active = await Bid.select(Bid.vendor, Bid.vendor.name.as_alias("name")).where(
        (Bid.tender == tender_id) & (Bid.state == "active")
    )
    unique = {(b["vendor"], b["name"]) for b in active}
    return [{"vendor_id": v, "name": n} for v, n in sorted(unique, key=lambda v: v[1])]


async def declare(actor: Principal, tender_id: int, conflicts: list[int], note: str) -> bool:
    """Declare conflicts of interest with the bidders before seeing any bid. A conflict
    removes the evaluator from the tender. Returns True when the evaluator may score."""
    async with db.transaction():
        # Decided under the tender's lock: a second tab, or the tender closing, may be at it.
        await _tender_row(tender_id, lock=True)
        row, member = await _my_membership(actor, tender_id)
        if member["declared_at"] is not None:
            raise Conflict("declaration: already declared")
        if row["status"] != Status.opened:
            raise Conflict(
                f"status: declarations are made once bids are opened (tender is {row['status']})"
            )
        names = {b["vendor_id"]: b["name"] for b in await bidders(actor, tender_id)}
        unknown = [v for v in conflicts if v not in names]
        if unknown:
            raise InvalidInput.single(
                "conflicts", "bidder", "declare only against this tender's bidders"
            )
        if conflicts:
            note = _reason(note, "note")
        await PanelMember.update(
            {
                PanelMember.declared_at: _now(),
                PanelMember.conflict: bool(conflicts),
                PanelMember.conflict_note: (note or "").strip(),
            }
        ).where(PanelMember.id == member["id"])
        await audit.record(
            actor,
            "panel_member",
            member["id"],
            "declare",
            None,
            {"tender": row["reference"], "conflicts": [names[v] for v in conflicts], "note": note},
        )
    return not conflicts


async def scoring_sheet(actor: Principal, tender_id: int) -> dict:
    """What an evaluator scores: the eligible bids and the non-price criteria, with their own
    scores; everyone's once the whole panel has submitted."""
    row, member = await _my_membership(actor, tender_id)
    if member["declared_at"] is None:
        raise Forbidden("declare your conflicts of interest with the bidders first")
    if member["conflict"]:
        raise Forbidden("you declared a conflict of interest and left this tender")
    opened = await bids(actor, tender_id)
    eligible = [b for b in opened if b.get("eligible")]
    members = await PanelMember.select().where(PanelMember.tender == tender_id)
    everyone_done = all(m["submitted_at"] for m in _active(members))
    member_ids = [m["id"] for m in _active(members)] if everyone_done else [member["id"]]
    scores = await Score.select().where(Score.member.is_in(member_ids))
    names = {m["id"]: m["display_name"] for m in members}
    mine = {(s["bid"], s["criterion"]): s for s in scores if s["member"] == member["id"]}
    return {
        "tender": _decorate(row),
        "member": member,
        "bids": eligible,
        "criteria": [c for c in _criteria(row["criteria"]) if not c.is_price],
        "mine": {
            k: {"score": db.two_places(s["score"]), "comment": s["comment"]}
            for k, s in mine.items()
        },
        "everyone": [
            {**s, "score": db.two_places(s["score"]), "evaluator": names[s["member"]]}
            for s in scores
        ]
        if everyone_done
        else [],
        "everyone_done": everyone_done,
    }


@dataclass(frozen=True)
class ScoreInput:
    bid_id: int
    criterion: str
    score: Decimal | None
    comment: str = ""


async def save_scores(
    actor: Principal, tender_id: int, entries: list[ScoreInput], submit: bool
) -> None:
    """Save (and, with submit, hand in) an evaluator's scores: 0–100 per non-price criterion
    of each eligible bid. Submitted scores are final."""
    async with db.transaction():
        # Everything is checked under the tender's lock: a second tab may submit, a review
        # change what is in the running, or the officer close scoring at the same moment.
        await _tender_row(tender_id, lock=True)
        await _save_scores(actor, tender_id, entries, submit)


async def _save_scores(
    actor: Principal, tender_id: int, entries: list[ScoreInput], submit: bool
) -> None:
    """save_scores' checks and writes, run under the tender's lock."""
    sheet = await scoring_sheet(actor, tender_id)
    member = sheet["member"]
    tender = sheet["tender"]
    if tender["status"] != Status.opened:
        raise Conflict("status: scoring is closed")
    if member["submitted_at"] is not None:
        raise Conflict("scores: already submitted; submitted scores are final")
    bid_ids = {b["id"] for b in sheet["bids"]}
    keys = {c.key for c in sheet["criteria"]}
    errors = Collector()
    for i, e in enumerate(entries):
        where = f"scores[{i}]"
        if e.bid_id not in bid_ids:
            errors.add(f"{where}.bid_id", "eligible", "not a bid open to scoring")
        if e.criterion not in keys:
            errors.add(f"{where}.criterion", "criterion", f"one of {', '.join(sorted(keys))}")
        if e.score is None:
            errors.add(f"{where}.score", "required", "give a score from 0 to 100")
        elif not rules.is_score(e.score):
            errors.add(f"{where}.score", "range", "from 0 to 100, at most 2 decimals")
    given = {(e.bid_id, e.criterion) for e in entries} | set(sheet["mine"])
    if submit:
        missing = [(b, k) for b in sorted(bid_ids) for k in sorted(keys) if (b, k) not in given]
        if missing:
            errors.add(
                "scores", "complete", f"{len(missing)} score(s) missing: every bid and criterion"
            )
    errors.raise_if_any()
    for e in entries:
        await Score.delete().where(
            (Score.member == member["id"])
            & (Score.bid == e.bid_id)
            & (Score.criterion == e.criterion)
        )
        await Score(
            member=member["id"],
            bid=e.bid_id,
            criterion=e.criterion,
            score=e.score,
            comment=e.comment.strip(),
        ).save()
    if submit:
        await PanelMember.update({PanelMember.submitted_at: _now()}).where(
            PanelMember.id == member["id"]
        )
    await audit.record(
        actor,
        "panel_member",
        member["id"],
        "submit_scores" if submit else "save_scores",
        None,
        {
            "tender": tender["reference"],
            "scores": [[e.bid_id, e.criterion, e.score] for e in entries],
        },
    )


# --- results and award -----------------------------------------------------------------------


async def _evaluation(tender: dict) -> dict:
    """Everything the results, the report and the exports show, computed per §3 from the
    stored bids and scores."""
    criteria = _criteria(tender["criteria"])
    rows = (
        await Bid.select(Bid.all_columns(), Bid.vendor.name.as_alias("vendor_name"))
        .where((Bid.tender == tender["id"]) & (Bid.state == "active"))
        .order_by(Bid.received_at)
    )
    all_bids = []
    for row in rows:
        view = _bid_view(row, opened=True)
        view.update(vendor=row["vendor"], vendor_name=row["vendor_name"])
        all_bids.append(view)
    eligible = {b["id"]: b for b in all_bids if b["eligible"]}
    prices = {b: v["price"] for b, v in eligible.items()}
    members = _active(
        await PanelMember.select()
        .where(PanelMember.tender == tender["id"])
        .order_by(PanelMember.id)
    )
    scores = await Score.select().where(Score.member.is_in([m["id"] for m in members] or [0]))
    by_bid: dict[int, dict[str, list[Decimal]]] = {b: {} for b in eligible}
    matrix = []
    names = {m["id"]: m["display_name"] for m in members}
    for s in scores:
        if s["bid"] in eligible:
            by_bid[s["bid"]].setdefault(s["criterion"], []).append(db.two_places(s["score"]))
            matrix.append(
                {
                    "member": s["member"],
                    "evaluator": names[s["member"]],
                    "bid": s["bid"],
                    "vendor_name": eligible[s["bid"]]["vendor_name"],
                    "criterion": s["criterion"],
                    "score": db.two_places(s["score"]),
                    "comment": s["comment"],
                }
            )
    comprehensive = tender["evaluation_method"] == EvaluationMethod.comprehensive
    if comprehensive:
        means = rules.criterion_means(by_bid)
        price_scores = rules.price_scores(prices)
        totals = rules.totals(criteria, prices, means)
        ranked = rules.rank_comprehensive(totals, prices)
    else:
        means, price_scores, totals = {}, rules.price_scores(prices), {}
        ranked = rules.rank_lowest_price(prices)
    candidates = rules.candidates(ranked)
    candidate_ids = [r.bid for r in candidates]
    for r in ranked:
        bid = eligible[r.bid]
        bid.update(
            rank=r.rank,
            total=r.total,
            price_score=rules.two_places(price_scores[r.bid]),
            means={k: rules.two_places(v) for k, v in means.get(r.bid, {}).items()},
            candidate=candidate_ids.index(r.bid) + 1 if r.bid in candidate_ids else None,
        )
    return {
        "criteria": criteria,
        "bids": all_bids,
        "ranked": [eligible[r.bid] for r in ranked],
        "candidates": [eligible[b] for b in candidate_ids],
        "members": members,
        "matrix": sorted(matrix, key=lambda m: (m["member"], m["bid"], m["criterion"])),
        "comprehensive": comprehensive,
    }


async def results(principal: Principal, tender_id: int) -> dict:
    """Price scores, criterion means, totals, ranks and candidates (staff; panel members once
    the evaluation has closed)."""
    row = await _tender_row(tender_id)
    await _ensure_reader(principal, row)
    if principal.is_vendor:
        raise Forbidden("vendors see only their own bid")
    if principal.role is Role.evaluator:
        member = await _member(tender_id, principal.user_id)
        if member["conflict"] or member["declared_at"] is None:
            raise Forbidden("only panel members who declared no conflict see the results")
        if row["evaluated_at"] is None:
            raise Forbidden("results are shown to the panel once the evaluation has closed")
    if row["opened_at"] is None:
        raise Conflict("status: there are no results before opening")
    return {"tender": _decorate(row), **await _evaluation(row)}


async def close_evaluation(actor: Principal, tender_id: int) -> dict:
    """Close scoring: every abnormally low price decided, the panel complete and submitted.
    Fails the tender if compliance review left too few bids."""
    _ensure_officer(actor)
    async with db.transaction():
        row = await _tender_row(tender_id, lock=True)
        _ensure_action(row, "close_evaluation")
        evaluation = await _evaluation(row)
        undecided = [
            b["vendor_name"]
            for b in evaluation["bids"]
            if b["abnormally_low"]
            and not b["low_decision"]
            and not b["invalid_reasons"]
            and b["compliance"] != "non_compliant"
        ]
        if undecided:
            raise InvalidInput.single(
                "low_decision",
                "required",
                "record the panel's decision on the abnormally low price of "
                + ", ".join(undecided),
            )
        minimum = rules.min_bidders(Method(row["method"]))
        eligible = len(evaluation["ranked"])
        now = _now()
        if eligible < minimum:
            reason = (
                f"{eligible} bid(s) left after compliance review; at least {minimum} needed (§3)"
            )
            changes = {Tender.status: Status.failed.value, Tender.closed_reason: reason}
        else:
            members = evaluation["members"]
            problem = rules.panel_errors(
                len(members), Method(row["method"]), get_settings().panel_minimum_open
            )
            if problem:
                raise InvalidInput.single("panel", "panel_size", problem)
            waiting = [m["display_name"] for m in members if not m["submitted_at"]]
            if waiting:
                raise InvalidInput.single(
                    "panel", "submitted", "waiting for the scores of " + ", ".join(waiting)
                )
            # A bid ruled compliant again after some evaluators submitted lacks their scores.
            expected = {
                (b["id"], c.key)
                for b in evaluation["ranked"]
                for c in evaluation["criteria"]
                if not c.is_price
            }
            given: dict[int, set] = {m["id"]: set() for m in members}
            for s in evaluation["matrix"]:
                given[s["member"]].add((s["bid"], s["criterion"]))
            short = [m["display_name"] for m in members if not expected <= given[m["id"]]]
            if short:
                raise InvalidInput.single(
                    "panel",
                    "complete",
                    "not every bid in the running is scored by " + ", ".join(short),
                )
            changes = {Tender.status: Status.evaluated.value, Tender.evaluated_at: now}
        await Tender.update({**changes, Tender.updated_at: now}).where(Tender.id == tender_id)
        after = {
            "status": changes[Tender.status],
            "ranks": [
                [b["id"], b["vendor_name"], b["total"], b["rank"]] for b in evaluation["ranked"]
            ],
            "candidates": [b["id"] for b in evaluation["candidates"]],
        }
        await audit.record(
            actor, "tender", tender_id, "close_evaluation", {"status": row["status"]}, after
        )
    return after


async def award(actor: Principal, tender_id: int, bid_id: int, reason: str = "") -> int:
    """Award to the first candidate (or another ranked bid with a written reason); creates the
    draft contract carrying scope, price and the SLA template. Returns the contract id."""
    _ensure_officer(actor)
    async with db.transaction():
        row = await _tender_row(tender_id, lock=True)
        _ensure_action(row, "award")
        evaluation = await _evaluation(row)
        ranked = {b["id"]: b for b in evaluation["ranked"]}
        if bid_id not in ranked:
            raise InvalidInput.single("bid_id", "ranked", "award one of the ranked bids")
        chosen = ranked[bid_id]
        rank_list = [
            rules.Ranked(b["id"], b["rank"], b["price"], b["total"]) for b in ranked.values()
        ]
        if rules.award_needs_reason(bid_id, rank_list):
            reason = _reason(reason)
        months = term_months(row["service_start"], row["service_end"])
        fee = rules.monthly_fee(chosen["price"], months)
        terms = contract_rules.terms_from(
            {
                **json.loads(row["sla_template"]),
                "effective_from": row["service_start"].isoformat(),
                "monthly_fee": str(fee),
            }
        )
        contract_id, _ = await contracts.create_contract(
            actor,
            contracts.ContractInput(
                number=f"{row['reference']}-C",
                title=row["title"],
                vendor_id=chosen["vendor"],
                category=row["category"],
                start_date=row["service_start"],
                end_date=row["service_end"],
                monthly_fee=fee,
                scope=row["scope"],
                tender_id=tender_id,
            ),
            terms,
        )
        now = _now()
        await Tender.update(
            {
                Tender.status: Status.awarded.value,
                Tender.awarded_bid: bid_id,
                Tender.award_reason: (reason or "").strip(),
                Tender.awarded_at: now,
                Tender.awarded_by: actor.username,
                Tender.contract_id: contract_id,
                Tender.updated_at: now,
            }
        ).where(Tender.id == tender_id)
        await audit.record(
            actor,
            "tender",
            tender_id,
            "award",
            {"status": row["status"]},
            {
                "status": Status.awarded.value,
                "bid": bid_id,
                "vendor": chosen["vendor_name"],
                "price": chosen["price"],
                "rank": chosen["rank"],
                "reason": reason,
                "contract_id": contract_id,
            },
        )
    return contract_id


def choices() -> dict[str, Any]:
    return {
        "categories": CATEGORY_LABELS,
        "methods": rules.METHOD_LABELS,
        "evaluations": rules.EVALUATION_LABELS,
        "qualification_kinds": QUALIFICATION_KINDS,
        "statuses": rules.STATUS_LABELS,
    }


# --- publication and documents ---------------------------------------------------------------


async def ocds_release(principal: Principal, tender_id: int) -> dict:
    """The OCDS release of the tender (and its award). Bidders appear only from opening on."""
    from vendorgov.tenders.ocds import tender_release

    if principal.role not in STAFF:
        raise Forbidden("the OCDS release is published by procurement")
    tender = await get_tender(principal, tender_id)
    tenderers, award = [], None
    if tender["opened_at"]:
        rows = await Bid.select(Bid.id, Bid.vendor, Bid.price).where(
            (Bid.tender == tender_id) & (Bid.state == "active")
        )
        standing = await vendors.standing([r["vendor"] for r in rows], _now().date())
        tenderers = sorted(
            (
                {"name": standing[r["vendor"]]["name"], "uscc": standing[r["vendor"]]["uscc"]}
                for r in rows
            ),
            key=lambda v: v["uscc"],
        )
        won = [r for r in rows if r["id"] == tender["awarded_bid"]]
        if won:
            vendor = standing[won[0]["vendor"]]
            award = {
                "name": vendor["name"],
                "uscc": vendor["uscc"],
                "price": db.two_places(won[0]["price"]),
            }
    return tender_release(tender, tenderers, award)


async def report(principal: Principal, tender_id: int) -> dict:
    """What the evaluation report (评标报告) and the scoring-matrix exports print: the results
    with the award decision, once the evaluation has closed (or the tender failed at it)."""
    data = await results(principal, tender_id)
    tender = data["tender"]
    if tender["evaluated_at"] is None and tender["status"] != Status.failed:
        raise Conflict("status: the report is issued once the evaluation has closed")
    data["awarded"] = next((b for b in data["ranked"] if b["id"] == tender["awarded_bid"]), None)
    return data


async def reminders(principal: Principal) -> list[dict]:
    """What waits on the principal in tenders, for the dashboard: officers — bids to open,
    evaluations to close, awards to make; evaluators — declarations and scores; vendors —
    open tenders of their categories without their bid."""
    if principal.role not in (Role.procurement, Role.evaluator, Role.vendor):
        return []
    tenders = [
        t
        for t in await list_tenders(principal)
        if t["status"] in ("published", "opened", "evaluated")
    ]
    items = []
    opened = [t for t in tenders if t["status"] == Status.opened]
    members: dict[int, list[dict]] = {t["id"]: [] for t in opened}
    query = PanelMember.select().where(PanelMember.tender.is_in(list(members) or [0]))
    if principal.role is Role.evaluator:
        query = query.where(PanelMember.evaluator == principal.user_id)
    for m in await query:  # one query for every opened tender's panel
        members[m["tender"]].append(m)
    if principal.role is Role.procurement:
        for t in tenders:
            if t["status"] == Status.published and t["deadline_passed"]:
                items.append({"tender": t, "what": "deadline passed: open the bids"})
            elif t["status"] == Status.evaluated:
                items.append({"tender": t, "what": "evaluated: award"})
        for t in opened:
            active = _active(members[t["id"]])
            if active and all(m["submitted_at"] for m in active):
                items.append({"tender": t, "what": "the panel has submitted: close the evaluation"})
    elif principal.role is Role.evaluator:
        for t in opened:
            member = members[t["id"]][0]
            if member["conflict"] or member["submitted_at"]:
                continue
            what = "score the bids" if member["declared_at"] else "declare conflicts of interest"
            items.append({"tender": t, "what": what})
    else:
        mine = {b["tender"] for b in await my_bids(principal) if b["state"] == "active"}
        for t in tenders:
            if t["status"] == Status.published and not t["deadline_passed"] and t["id"] not in mine:
                items.append({"tender": t, "what": "open for bids"})
    return items
