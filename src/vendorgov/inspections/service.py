"""Checklist templates and inspections: submitted from a phone, scored, failed items raised as
findings (through the audits service) in the same transaction."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from functools import lru_cache

from vendorgov import db, group_commit
from vendorgov.accounts import service as accounts
from vendorgov.accounts.roles import Principal, Role, role_label
from vendorgov.audit import service as audit
from vendorgov.audits import service as findings
from vendorgov.audits.rules import Severity
from vendorgov.contracts import service as contracts
from vendorgov.errors import (
    Collector,
    Conflict,
    DomainError,
    Forbidden,
    InvalidInput,
    NotFound,
)
from vendorgov.files import service as files
from vendorgov.humane import category_label
from vendorgov.i18n import N_, _
from vendorgov.inspections import rules
from vendorgov.inspections.rules import InspectionKind, ItemOutcome, ItemResult
from vendorgov.inspections.tables import ChecklistTemplate, Inspection, PlanItem
from vendorgov.locations import service as locations
from vendorgov.settings import get_settings

INSPECTORS = (Role.admin, Role.supervisor)
PHOTO_TYPES = ("image/jpeg", "image/png", "image/webp")
TEMPLATE_KEEPERS = (Role.admin, Role.supervisor)
_KINDS = frozenset(k.value for k in InspectionKind)


@dataclass(frozen=True)
class ChecklistItem:
    key: str
    text: str
    weight: Decimal
    severity: Severity
    clause: str = ""


def _items(row: dict) -> list[ChecklistItem]:
    return list(_parsed_items(row["items"]))


@lru_cache(maxsize=256)
def _parsed_items(text: str) -> tuple[ChecklistItem, ...]:
    """A checklist's items from their stored JSON: a pure function of the text (the items are
    frozen), remembered, as every inspection submitted parses its checklist's."""
    return tuple(
        ChecklistItem(
            i["key"], i["text"], Decimal(i["weight"]), Severity(i["severity"]), i["clause"]
        )
        for i in json.loads(text)
    )


def item_errors(items: list[dict]) -> Collector:
    errors = Collector()
    if not items:
        errors.add("items", "required", _("Items: a checklist needs at least one item."))
    keys = set()
    for n, item in enumerate(items, start=1):
        where = f"items.{n}"
        if not str(item.get("text", "")).strip():
            errors.add(f"{where}.text", "required", _("Item text: required."))
        try:
            if Decimal(str(item.get("weight"))) <= 0:
                errors.add(f"{where}.weight", "positive", _("Weight: more than 0."))
        except InvalidOperation:
            errors.add(f"{where}.weight", "number", _("Weight: not a number; write e.g. 1 or 2.5."))
        if item.get("severity") not in {s.value for s in Severity}:
            errors.add(f"{where}.severity", "one_of", _("Severity: use minor, major or critical."))
        key = str(item.get("key") or n)
        if key in keys:
            errors.add(
                f"{where}.key",
                "unique",
                _("Key %(key)s is used twice; give each item its own key.", key=key),
            )
        keys.add(key)
    return errors


async def save_template(actor: Principal, category: str, name: str, items: list[dict]) -> int:
    """A new version of the category's checklist called `name` (version 1 if new)."""
    if actor.role not in TEMPLATE_KEEPERS:
        raise Forbidden(
            _("The %(role)s role does not keep checklists.", role=role_label(actor.role))
        )
    errors = item_errors(items)
    name = name.strip()
    if not name:
        errors.add("name", "required", _("Name: required; name the checklist."))
    errors.raise_if_any()
    stored = [
        {
            "key": str(item.get("key") or n),
            "text": str(item["text"]).strip(),
            "weight": str(Decimal(str(item["weight"]))),
            "severity": item["severity"],
            "clause": str(item.get("clause") or ""),
        }
        for n, item in enumerate(items, start=1)
    ]
    async with db.transaction():
        # Two saves of one checklist at once: versions n+1 and n+2, the later one active.
        await db.serialize(f"checklist_template:{category}:{name}")
        latest = (
            await ChecklistTemplate.select(ChecklistTemplate.version)
            .where((ChecklistTemplate.category == category) & (ChecklistTemplate.name == name))
            .order_by(ChecklistTemplate.version, ascending=False)
            .first()
        )
        version = (latest["version"] + 1) if latest else 1
        await ChecklistTemplate.update({ChecklistTemplate.active: False}).where(
            (ChecklistTemplate.category == category) & (ChecklistTemplate.name == name)
        )
        row = ChecklistTemplate(
            category=category,
            name=name,
            version=version,
            items=json.dumps(stored, ensure_ascii=False),
            active=True,
            created_at=datetime.now(UTC),
        )
        await row.save()
        await audit.record(
            actor,
            "checklist",
            row.id,
            "create",
            None,
            {"name": name, "version": version, "items": stored},
        )
    return row.id


async def templates(category: str | None = None) -> list[dict]:
    """The active checklists (the latest version of each), with their items."""
    query = ChecklistTemplate.select().where(ChecklistTemplate.active == True)  # noqa: E712
    if category:
        query = query.where(ChecklistTemplate.category == category)
    rows = await query.order_by(ChecklistTemplate.category).order_by(ChecklistTemplate.name)
    return [{**r, "items": _items(r)} for r in rows]


# Submitting an inspection is the busiest write of the supervisors' phones. Its statements are
# plain SQL compiled once: Piccolo's query builder took about as long to build them as the
# whole request took otherwise (issue 15).
_TEMPLATE = "SELECT * FROM checklist_template WHERE id = {}"
_DRAFT = "SELECT id, score FROM inspection WHERE client_token = {}"
_INSERT_INSPECTION = (
    "INSERT INTO inspection (contract, template, kind, location, inspector_id, inspector, "
    "inspected_at, score, results, client_token, created_at, location_id) "
    "VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}) RETURNING id"
)
# PostgreSQL: the inspection and its audit entry in one statement (see audit.create_sql).
_CREATE_INSPECTION_PG = audit.create_sql(_INSERT_INSPECTION)


async def template(template_id: int) -> dict:
    rows = await db.fetch(_TEMPLATE, template_id)
    if not rows:
        raise NotFound(N_("checklist"), template_id)
    return {**rows[0], "items": _items(rows[0])}


@dataclass
class InspectionInput:
    contract_id: int
    template_id: int
    kind: str
    location: str
    inspected_at: datetime  # aware
    results: dict[str, str]  # item key → pass / fail / na
    notes: dict[str, str] = field(default_factory=dict)
    client_token: str = ""
    photos: dict[str, list[files.Upload]] = field(default_factory=dict)  # item key → images
    location_id: int | None = None  # the place in the tree; `location` then defaults to its name
    plan_item_id: int | None = None  # the plan item this inspection carries out


@dataclass
class Submitted:
    inspection_id: int
    score: Decimal | None
    finding_ids: list[int]
    created: bool  # False when the same draft had been stored already


async def _stored_draft(client_token: str) -> Submitted | None:
    """The inspection stored from this draft, if any (inside a transaction, SQLite sees the
    one stored by a request that shares its commit)."""
    if not client_token:
        return None
    rows = await db.fetch(_DRAFT, client_token)
    if not rows:
        return None
    existing = rows[0]
    raised = await findings.finding_ids_of_inspection(existing["id"])
    return Submitted(existing["id"], db.two_places(existing["score"]), raised, created=False)


async def submit(actor: Principal, data: InspectionInput) -> Submitted:
    """Store an inspection with its score and raise a finding for every failed item, all in
    one transaction. Re-sending a draft with the same client token returns the stored one,
    also when the copies arrive at the same moment."""
    if actor.role not in INSPECTORS:
        raise Forbidden(_("The %(role)s role does not inspect.", role=role_label(actor.role)))
    if db.is_postgres():
        return await _submit(actor, data)
    # SQLite: the checks read on the writer's connection, in the transaction that stores (as
    # request filing does): the reader's page cache is dropped after every commit and each
    # submit commits, so its reads came from the file again; the writer's cache stays warm.
    async with db.transaction():
        return await _submit(actor, data)


async def _submit(actor: Principal, data: InspectionInput) -> Submitted:
    try:
        items, stored, score = await _checked(actor, data)
    except DomainError:
        # A draft stored before may no longer pass (its contract ended since, say): the stored
        # one is the answer. Looked up only then: the store re-checks in its transaction.
        if stored_before := await _stored_draft(data.client_token):
            return stored_before
        raise
    try:
        return await _store(actor, data, items, stored, score)
    except Exception as error:
        # PostgreSQL: another copy of the draft was stored while this one ran; the unique
        # token made this insert wait for its commit and then fail. Answer with that one.
        if db.is_unique_violation(error) and (first := await _stored_draft(data.client_token)):
            return first
        raise


async def _checked(
    actor: Principal, data: InspectionInput
) -> tuple[list[ChecklistItem], dict[str, dict], Decimal | None]:
    """The checklist's items, the results as stored and the score, once every rule holds
    (InvalidInput naming each field that breaks one, otherwise)."""
    local_day = data.inspected_at.astimezone(get_settings().zone).date()
    contract, in_force = await contracts.readable_in_force(actor, data.contract_id, local_day)
    checklist = await template(data.template_id)
    errors = Collector()
    if data.kind not in _KINDS:
        errors.add("kind", "one_of", _("Kind: use routine, spot_check or comprehensive."))
    if data.location_id is not None:
        place = await locations.require_place(data.location_id)
        data.location = data.location.strip() or place["full_name"]
    if not data.location.strip():
        errors.add("location", "required", _("Place: required; say where the inspection was."))
    if checklist["category"] != contract["category"]:
        errors.add(
            "template_id",
            "category",
            _(
                "Checklist: a %(checklist)s checklist for a %(contract)s contract; choose a "
                "%(contract)s checklist.",
                checklist=category_label(checklist["category"]),
                contract=category_label(contract["category"]),
            ),
        )
    if data.inspected_at > datetime.now(UTC):
        errors.add("inspected_at", "not_future", _("Inspected at: in the future; check the time."))
    running = contract["status"] in ("active", "suspended")  # not draft or terminated
    within = contract["start_date"] <= local_day <= contract["end_date"]
    if in_force is None or not running or not within:
        errors.add(
            "contract_id",
            "in_force",
            _(
                "Contract %(number)s is not in force on %(day)s; check the contract or the date.",
                number=contract["number"],
                day=local_day,
            ),
        )
    items = checklist["items"]
    errors.errors += rules.results_errors([i.key for i in items], data.results).errors
    for key, uploads in data.photos.items():
        for upload in uploads:
            try:
                files.check_upload(f"photos.{key}", upload, PHOTO_TYPES)
            except InvalidInput as refused:
                errors.errors += refused.errors
    errors.raise_if_any()
    outcomes = [ItemOutcome(i.weight, ItemResult(data.results[i.key])) for i in items]
    stored = {
        i.key: {"result": data.results[i.key], "note": data.notes.get(i.key, "").strip()}
        for i in items
    }
    return items, stored, rules.inspection_score(outcomes)


async def _store(
    actor: Principal,
    data: InspectionInput,
    items: list[ChecklistItem],
    stored: dict[str, dict],
    score: Decimal | None,
) -> Submitted:
    failed = [item for item in items if data.results[item.key] == ItemResult.failed.value]
    if (
        db.is_postgres()
        and not (failed or data.photos or data.plan_item_id is not None)
        and not db.engine().transaction_exists()
    ):
        # Nothing else to write: one statement, autocommitted. A copy of the draft stored
        # meanwhile makes it fail on the unique token (answered by the caller).
        entry = _audit_entry(actor, data, stored, score)
        # Committed with the others arriving meanwhile: one chain lock, one WAL flush.
        rows = await group_commit.fetch_grouped(
            _CREATE_INSPECTION_PG,
            *_row_values(actor, data, stored, score, entry.at),
            *entry.append_args(),
        )
        return Submitted(rows[0]["id"], score, [], created=True)
    async with db.transaction():
        if first := await _stored_draft(data.client_token):
            return first
        for key, uploads in data.photos.items():
            if key in stored:
                stored[key]["photos"] = [
                    str(await files.store(u, actor.user_id)) for u in uploads if u.data
                ]
        entry = _audit_entry(actor, data, stored, score)
        rows = await db.fetch(
            _INSERT_INSPECTION, *_row_values(actor, data, stored, score, entry.at)
        )
        inspection_id = rows[0]["id"]
        if data.plan_item_id is not None:
            await _carry_out(data.plan_item_id, data.contract_id, inspection_id)
        raised = [
            await findings.raise_finding(
                actor,
                findings.FindingInput(
                    contract_id=data.contract_id,
                    source="inspection",
                    severity=item.severity.value,
                    category=item.text,
                    description=stored[item.key]["note"] or item.text,
                    clause_code=item.clause,
                    inspection_id=inspection_id,
                    item_key=item.key,
                    found_at=data.inspected_at,
                    location_id=data.location_id,
                ),
            )
            for item in failed
        ]
        await audit.record_prepared(entry, inspection_id)
    return Submitted(inspection_id, score, raised, created=True)


def _row_values(
    actor: Principal,
    data: InspectionInput,
    stored: dict[str, dict],
    score: Decimal | None,
    now: datetime,
) -> tuple:
    """The values of _INSERT_INSPECTION's placeholders."""
    return (
        data.contract_id,
        data.template_id,
        data.kind,
        data.location.strip(),
        actor.user_id,
        actor.username,
        data.inspected_at.astimezone(UTC),
        score,
        json.dumps(stored, ensure_ascii=False),
        data.client_token or f"server-{now.timestamp()}-{actor.user_id}",
        now,
        data.location_id,
    )


def _audit_entry(
    actor: Principal, data: InspectionInput, stored: dict[str, dict], score: Decimal | None
) -> audit.Prepared:
    return audit.prepare(
        actor,
        "inspection",
        "create",
        None,
        {
            "contract": data.contract_id,
            "template": data.template_id,
            "score": score,
            "results": stored,
        },
    )


async def _carry_out(plan_item_id: int, contract_id: int, inspection_id: int) -> None:
    """Mark the plan item done by this inspection (in the inspection's transaction): once,
    and only by an inspection of the plan's contract."""
    item = (
        await PlanItem.select(PlanItem.plan.contract.as_alias("contract"), PlanItem.status)
        .where(PlanItem.id == plan_item_id)
        .first()
    )
    if item is None or item["contract"] != contract_id:
        raise InvalidInput.single(
            "plan_item_id",
            "exists",
            _("Plan item %(id)s is not of this contract; choose one of its plan.", id=plan_item_id),
        )
    done = (
        await PlanItem.update({PlanItem.status: "done", PlanItem.inspection_id: inspection_id})
        .where((PlanItem.id == plan_item_id) & (PlanItem.status == "pending"))
        .returning(PlanItem.id)
    )
    if not done:
        raise Conflict(
            _("This plan item was done by another inspection meanwhile; reload the plan."), []
        )


async def get_inspection(actor: Principal, inspection_id: int) -> dict:
    row = await Inspection.select().where(Inspection.id == inspection_id).first()
    if row is None:
        raise NotFound(N_("inspection"), inspection_id)
    await contracts.require_readable(actor, row["contract"])
    checklist = await template(row["template"])
    results = json.loads(row["results"])
    named = (await accounts.people([row["inspector"]])).get(row["inspector"])
    return {
        **row,
        "inspector_name": named["name"] if named else "",  # shown: never the login name
        "score": db.two_places(row["score"]),
        "template_name": checklist["name"],
        "template_version": checklist["version"],
        "items": [
            {
                "key": i.key,
                "text": i.text,
                "weight": i.weight,
                "severity": i.severity.value,
                **results[i.key],
            }
            for i in checklist["items"]
        ],
    }


async def photo(actor: Principal, inspection_id: int, file_id: str) -> files.StoredContent:
    """A photo of the inspection, to whoever may read its contract."""
    found = await get_inspection(actor, inspection_id)
    if not any(file_id in item.get("photos", []) for item in found["items"]):
        raise NotFound(N_("photo"), file_id)
    return await files.content(uuid.UUID(file_id))


async def item_photos(items: list[tuple[int, str]]) -> dict[tuple[int, str], list[str]]:
    """The photos taken of inspection items, by (inspection id, item key): what a notice shows
    of the findings those items raised. The caller has checked that the reader may see them."""
    ids = sorted({inspection_id for inspection_id, _ in items})
    if not ids:
        return {}
    rows = await Inspection.select(Inspection.id, Inspection.results).where(
        Inspection.id.is_in(ids)
    )
    results = {r["id"]: json.loads(r["results"]) for r in rows}
    return {
        (inspection_id, key): results.get(inspection_id, {}).get(key, {}).get("photos", [])
        for inspection_id, key in items
    }


async def recent(actor: Principal, since: datetime, limit: int) -> tuple[list[dict], int]:
    """The newest `limit` inspections since an instant (the supervisor's day) and how many
    there were in all (a hospital group inspects hundreds a day)."""
    if actor.role not in INSPECTORS:
        raise Forbidden(_("The %(role)s role does not inspect.", role=role_label(actor.role)))
    since_then = Inspection.inspected_at >= since
    rows = await (
        Inspection.select(
            Inspection.id,
            Inspection.inspected_at,
            Inspection.location,
            Inspection.score,
            Inspection.inspector,
            Inspection.contract.number.as_alias("contract_number"),
        )
        .where(since_then)
        .order_by(Inspection.inspected_at, ascending=False)
        .limit(limit)
    )
    return rows, await Inspection.count().where(since_then)


async def inspection_component(contract_id: int, start: datetime, end: datetime) -> Fraction | None:
    """Mean of the (2-decimal) scores of the contract's inspections in [start, end), exact: it
    is not rounded before the assessment score (§6); None when there were none (the component
    is then left out)."""
    return (await inspection_components([contract_id], start, end))[contract_id]


async def inspection_components(
    contract_ids: list[int], start: datetime, end: datetime
) -> dict[int, Fraction | None]:
    """inspection_component() of several contracts in one query, by contract id."""
    if not contract_ids:
        return {}
    rows = await Inspection.select(Inspection.contract, Inspection.score).where(
        Inspection.contract.is_in(contract_ids)
        & (Inspection.inspected_at >= start)
        & (Inspection.inspected_at < end)
        & Inspection.score.is_not_null()
    )
    scores: dict[int, list[Fraction]] = {}
    for r in rows:
        scores.setdefault(r["contract"], []).append(Fraction(db.two_places(r["score"])))
    return {
        cid: sum(own, Fraction(0)) / len(own) if (own := scores.get(cid)) else None
        for cid in contract_ids
    }


async def locations_of(inspection_ids: list[int]) -> dict[int, str]:
    """Where each inspection took place, for the month-end's penalty evidence."""
    if not inspection_ids:
        return {}
    rows = await Inspection.select(Inspection.id, Inspection.location).where(
        Inspection.id.is_in(inspection_ids)
    )
    return {r["id"]: r["location"] for r in rows}
