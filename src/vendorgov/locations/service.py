"""The location tree: imported from a spreadsheet, edited on a page, and asked by other
domains for a place's name or a subtree's ids (they never read the table themselves)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from vendorgov import db
from vendorgov.accounts.roles import Principal, Role, role_label
from vendorgov.audit import service as audit
from vendorgov.errors import Collector, Conflict, Forbidden, InvalidInput, NotFound
from vendorgov.i18n import N_, _
from vendorgov.locations import rules
from vendorgov.locations.tables import Location
from vendorgov.sla import intake

KEEPERS = (Role.admin, Role.supervisor)
# Vendors see a place only as the name on their own findings and notices.
READERS = (*KEEPERS, Role.procurement, Role.finance, Role.auditor)


READ = N_("The %(role)s role does not read locations.")
EDIT = N_("The %(role)s role does not edit locations.")


def _ensure(actor: Principal, roles: tuple[Role, ...], message: str) -> None:
    if actor.role not in roles:
        raise Forbidden(_(message, role=role_label(actor.role)))


def _now() -> datetime:
    return datetime.now(UTC)


async def _row(location_id: int) -> dict:
    row = await Location.select().where(Location.id == location_id).first()
    if row is None:
        raise NotFound(N_("location"), location_id)
    return row


async def get(actor: Principal, location_id: int) -> dict:
    _ensure(actor, READERS, READ)
    return await _row(location_id)


async def tree(
    actor: Principal, q: str = "", under: int | None = None, include_inactive: bool = False
) -> list[dict]:
    """Places in tree order (each after its parent), optionally a subtree, optionally those
    whose name, code or pinyin initials contain `q`."""
    _ensure(actor, READERS, READ)
    query = Location.select()
    if under is not None:
        query = query.where(Location.path.like(f"{(await _row(under))['path']}%"))
    if not include_inactive:
        query = query.where(Location.active == True)  # noqa: E712
    if q.strip():
        query = query.where(
            db.icontains(Location.name, q.strip())
            | db.icontains(Location.code, q.strip())
            | db.icontains(Location.pinyin, q.strip())
        )
    rows = await query
    return sorted(rows, key=lambda r: r["full_name"].split(" "))


async def choose(q: str, limit: int = 20) -> list[dict]:
    """Active places whose name, full name, code or pinyin initials contain `q`, for choosing
    where a request is (no role check: the caller's service checks who files requests);
    the shallowest first, at most `limit`."""
    text = q.strip()
    if not text:
        return []
    rows = (
        await Location.select(Location.id, Location.code, Location.full_name, Location.path)
        .where(Location.active == True)  # noqa: E712
        .where(
            db.icontains(Location.full_name, text)
            | db.icontains(Location.code, text)
            | db.icontains(Location.pinyin, text)
        )
        .limit(500)
    )
    return sorted(rows, key=lambda r: (r["path"].count("/"), r["full_name"]))[:limit]


async def subtree_ids(location_id: int) -> list[int]:
    """The place and everything under it: what a list filtered by a place matches."""
    path = (await _row(location_id))["path"]
    rows = await Location.select(Location.id).where(Location.path.like(f"{path}%"))
    return [r["id"] for r in rows]


async def names_of(location_ids: list[int | None]) -> dict[int, str]:
    """Full names ("本院区 门诊楼 3楼 卫生间") by id, for lists and documents."""
    wanted = sorted({i for i in location_ids if i is not None})
    if not wanted:
        return {}
    rows = await Location.select(Location.id, Location.full_name).where(Location.id.is_in(wanted))
    return {r["id"]: r["full_name"] for r in rows}


async def ids_for_labels(labels: list[str]) -> dict[str, int]:
    """Which of these texts (an imported event's location) are a place's code or full name,
    and that place's id."""
    wanted = sorted({t.strip() for t in labels if t and t.strip()})
    if not wanted:
        return {}
    found: dict[str, int] = {}
    for start in range(0, len(wanted), 500):  # bounded IN lists
        chunk = wanted[start : start + 500]
        rows = await Location.select(Location.id, Location.code, Location.full_name).where(
            Location.code.is_in(chunk) | Location.full_name.is_in(chunk)
        )
        for r in rows:
            found.setdefault(r["code"], r["id"])
            found.setdefault(r["full_name"], r["id"])
    return {t: found[t] for t in wanted if t in found}


async def require_place(location_id: int, field: str = "location_id") -> dict:
    """The active place with this id, or InvalidInput on `field` (for other domains' forms)."""
    row = await Location.select().where(Location.id == location_id).first()
    if row is None or not row["active"]:
        raise InvalidInput.single(
            field,
            "exists",
            _("Place: there is no active place %(id)s; choose one.", id=location_id),
        )
    return row


async def common_place(location_ids: list[int | None]) -> int | None:
    """The deepest place all the given places are in (a notice's place)."""
    if not location_ids or None in location_ids:
        return None  # a finding with no place: the notice has none either
    wanted = set(location_ids)
    rows = await Location.select(Location.path).where(Location.id.is_in(sorted(wanted)))
    return rules.common_ancestor([r["path"] for r in rows])


async def leaves(under: list[int] | None = None) -> list[dict]:
    """Active places with no active place below them (rooms, areas, or a floor without
    areas), under the given places or anywhere: where spot checks are drawn from."""
    rows = await Location.select(
        Location.id, Location.parent_id, Location.path, Location.full_name
    ).where(Location.active == True)  # noqa: E712
    if under:
        prefixes = [r["path"] for r in rows if r["id"] in under]
        rows = [r for r in rows if any(r["path"].startswith(p) for p in prefixes)]
    parents = {r["parent_id"] for r in rows}
    return sorted((r for r in rows if r["id"] not in parents), key=lambda r: r["id"])


async def _refresh(rows_by_id: dict[int, dict] | None = None) -> None:
    """Recompute every path and full name from the parent links, writing the changed ones
    (after a move, a rename or an import; inside the caller's transaction)."""
    rows = rows_by_id or {r["id"]: r for r in await Location.select()}
    done: dict[int, tuple[str, str]] = {}

    def resolve(row: dict) -> tuple[str, str]:
        if row["id"] not in done:
            parent = rows.get(row["parent_id"]) if row["parent_id"] else None
            path, name = resolve(parent) if parent else ("/", "")
            done[row["id"]] = (
                rules.child_path(path, row["id"]),
                f"{name} {row['name']}".strip(),
            )
        return done[row["id"]]

    for row in rows.values():
        path, full = resolve(row)
        if (path, full) != (row["path"], row["full_name"]):
            await Location.update({Location.path: path, Location.full_name: full}).where(
                Location.id == row["id"]
            )


async def _parent(parent_id: int | None, kind: str, field: str = "parent_id") -> dict | None:
    """The parent a place of this kind may go under: none for a campus, else the level above."""
    depth = rules.depth_of(kind)
    if depth == 1:
        if parent_id is not None:
            raise InvalidInput.single(
                field, "level", _("Under: a campus has no parent; leave it empty.")
            )
        return None
    if parent_id is None:
        raise InvalidInput.single(
            field,
            "required",
            _(
                "Under: a %(kind)s goes under a %(parent)s; choose one.",
                kind=rules.kind_label(kind),
                parent=rules.kind_label(rules.kind_of(depth - 1)),
            ),
        )
    parent = await db.locked(Location.select().where(Location.id == parent_id)).first()
    if parent is None or not parent["active"]:
        raise InvalidInput.single(
            field, "exists", _("Under: there is no active place %(id)s; choose one.", id=parent_id)
        )
    if parent["kind"] != rules.kind_of(depth - 1):
        raise InvalidInput.single(
            field,
            "level",
            _(
                "Under: a %(kind)s goes under a %(parent)s, not a %(given)s.",
                kind=rules.kind_label(kind),
                parent=rules.kind_label(rules.kind_of(depth - 1)),
                given=rules.kind_label(parent["kind"]),
            ),
        )
    return parent


async def create(
    actor: Principal,
    kind: str,
    name: str,
    code: str,
    parent_id: int | None = None,
    pinyin: str = "",
) -> int:
    _ensure(actor, KEEPERS, EDIT)
    errors = Collector()
    if kind not in rules.LEVELS:
        errors.add(
            "kind",
            "one_of",
            _(
                "Level: use one of %(levels)s.",
                levels=", ".join(rules.kind_label(k) for k in rules.LEVELS),
            ),
        )
    rules.check_place(errors, "", name, code, pinyin)
    errors.raise_if_any()
    async with db.transaction():
        parent = await _parent(parent_id, kind)
        if await Location.exists().where(Location.code == code.strip()):
            raise Conflict(_("The code %(code)s is taken; choose another.", code=code.strip()), [])
        row = Location(
            parent_id=parent_id,
            kind=kind,
            name=name.strip(),
            code=code.strip(),
            pinyin=pinyin.strip().lower(),
            path="",
            full_name="",
            active=True,
            updated_at=_now(),
        )
        try:
            await row.save()
        except Exception as error:
            if db.is_unique_violation(error):
                raise Conflict(
                    _("The code %(code)s is taken; choose another.", code=code.strip()), []
                ) from None
            raise
        path = rules.child_path(parent["path"] if parent else "/", row.id)
        full = f"{parent['full_name'] + ' ' if parent else ''}{name.strip()}"
        await Location.update({Location.path: path, Location.full_name: full}).where(
            Location.id == row.id
        )
        await audit.record(
            actor, "location", row.id, "create", None, {"kind": kind, "name": full, "code": code}
        )
    return row.id


@dataclass
class Change:
    name: str | None = None
    pinyin: str | None = None
    parent_id: int | None = None  # move under this place (same level as the old parent)
    active: bool | None = None


async def update(actor: Principal, location_id: int, change: Change) -> dict:
    """Rename, move or (de)activate one place; deactivating takes its subtree with it, and a
    place comes back only under an active parent."""
    _ensure(actor, KEEPERS, EDIT)
    errors = Collector()
    if change.name is not None or change.pinyin is not None:
        rules.check_place(
            errors, "", "-" if change.name is None else change.name, None, change.pinyin or ""
        )
    errors.raise_if_any()
    async with db.transaction():
        row = await db.locked(Location.select().where(Location.id == location_id)).first()
        if row is None:
            raise NotFound(N_("location"), location_id)
        values: dict = {}
        if change.name is not None and change.name.strip() != row["name"]:
            values[Location.name] = change.name.strip()
        if change.pinyin is not None:
            values[Location.pinyin] = change.pinyin.strip().lower()
        if change.parent_id is not None and change.parent_id != row["parent_id"]:
            await _parent(change.parent_id, row["kind"])  # a level above: never a descendant
            values[Location.parent_id] = change.parent_id
        if change.active is False and row["active"]:
            await Location.update({Location.active: False, Location.updated_at: _now()}).where(
                Location.path.like(f"{row['path']}%")
            )
        if change.active is True and not row["active"]:
            if row["parent_id"] and not (await _row(row["parent_id"]))["active"]:
                raise Conflict(_("Its parent is deactivated; reactivate the parent first."), [])
            values[Location.active] = True
        if values:
            values[Location.updated_at] = _now()
            await Location.update(values).where(Location.id == location_id)
        if Location.name in values or Location.parent_id in values:
            await _refresh()
        after = await _row(location_id)
        await audit.record(
            actor,
            "location",
            location_id,
            "update",
            {k: row[k] for k in ("name", "pinyin", "parent_id", "active", "full_name")},
            {k: after[k] for k in ("name", "pinyin", "parent_id", "active", "full_name")},
        )
    return after


def _names(row: dict, rows: dict[int, dict]) -> tuple[str, ...]:
    """The names from the campus down to this place (names may hold spaces: not split from
    the full name)."""
    above = rows.get(row["parent_id"]) if row["parent_id"] else None
    return (*(_names(above, rows) if above else ()), row["name"])


@dataclass
class Imported:
    created: int
    updated: int


async def import_tree(actor: Principal, filename: str, data: bytes) -> Imported:
    """Places from a CSV/XLSX with the columns campus, building, floor, area, code and
    pinyin: each row one place. A code already in the tree updates that place (renames,
    moves under the row's parent, reactivates). All rows or none."""
    _ensure(actor, KEEPERS, EDIT)
    frame = intake.read_table(
        filename,
        data,
        required=rules.REQUIRED,
        columns=rules.COLUMNS,
        headers=rules.HEADERS,
        what=N_("places"),
    )
    records = frame.fillna("").astype(str).to_dict("records")
    rows, errors = rules.import_rows(records)
    errors.raise_if_any()
    created = updated = 0
    async with db.transaction():
        await db.serialize("location_tree")  # two imports at once: one after the other
        existing = {r["id"]: r for r in await Location.select()}
        by_code = {r["code"]: r for r in existing.values()}
        by_names = {_names(r, existing): r["id"] for r in existing.values()}
        placed: dict[tuple[str, ...], int] = {}
        for row in rows:
            parent_id = None
            if len(row.names) > 1:
                above = row.names[:-1]
                parent_id = placed.get(above) or by_names.get(above)
                if parent_id is None:
                    errors.add(
                        f"rows.{row.row}.{rules.kind_of(len(above))}",
                        "exists",
                        _(
                            "%(place)s is neither a row of the file nor in the tree; add a row "
                            "for it.",
                            place=" ".join(above),
                        ),
                    )
                    continue
            known = by_code.get(row.code)
            if known and known["kind"] != row.kind:
                errors.add(
                    f"rows.{row.row}.code",
                    "level",
                    _(
                        "%(code)s is a %(kind)s in the tree, not a %(given)s; check the code.",
                        code=row.code,
                        kind=rules.kind_label(known["kind"]),
                        given=rules.kind_label(row.kind),
                    ),
                )
                continue
            values = {"name": row.names[-1], "parent_id": parent_id, "pinyin": row.pinyin}
            if known:
                if any(known[k] != v for k, v in values.items()) or not known["active"]:
                    await Location.update({**values, "active": True, "updated_at": _now()}).where(
                        Location.id == known["id"]
                    )
                    existing[known["id"]] = {**known, **values, "active": True}
                    updated += 1
                placed[row.names] = known["id"]
                continue
            new = Location(
                **values,
                kind=row.kind,
                code=row.code,
                path="",
                full_name="",
                active=True,
                updated_at=_now(),
            )
            await new.save()
            existing[new.id] = {
                **values,
                "id": new.id,
                "kind": row.kind,
                "code": row.code,
                "path": "",
                "full_name": "",
                "active": True,
            }
            placed[row.names] = new.id
            created += 1
        errors.raise_if_any()
        await _refresh(existing)
        await audit.record(
            actor,
            "location_import",
            filename[:100],
            "import",
            None,
            {"created": created, "updated": updated, "rows": len(rows)},
        )
    return Imported(created, updated)
