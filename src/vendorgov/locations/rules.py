"""Pure rules of the location tree: levels, names and codes, import rows, paths."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from vendorgov.errors import Collector
from vendorgov.i18n import N_, _

# The import's path columns, from the top of the tree down; a place's kind is its level.
LEVELS = ("campus", "building", "floor", "area")
COLUMNS = (*LEVELS, "code", "pinyin")
REQUIRED = ("campus", "code")
KIND_LABELS = {
    "campus": N_("campus"),
    "building": N_("building"),
    "floor": N_("floor"),
    "area": N_("area"),
}
# The import's headers as the interface names them: a file's headers are read in English or
# Chinese alike (the column keys themselves are read too).
HEADERS = {**KIND_LABELS, "code": N_("Code"), "pinyin": N_("Pinyin")}
CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,39}")
PINYIN = re.compile(r"[A-Za-z]{0,40}")
NAME_CHARS = 100


def kind_of(depth: int) -> str:
    """campus for depth 1 … area for depth 4."""
    return LEVELS[depth - 1]


def kind_label(kind: str) -> str:
    """A level's name in the current language (the code itself when it is not a level)."""
    return _(KIND_LABELS[kind]) if kind in KIND_LABELS else kind


def depth_of(kind: str) -> int:
    return LEVELS.index(kind) + 1


def check_place(errors: Collector, where: str, name: str, code: str | None, pinyin: str) -> None:
    """Name (required, short), code (letters, digits, . _ -) and pinyin initials (letters)."""
    if not name.strip():
        errors.add(f"{where}name", "required", _("Name: required; enter the place's name."))
    elif len(name.strip()) > NAME_CHARS:
        errors.add(f"{where}name", "max_length", _("Name: at most %(n)s characters.", n=NAME_CHARS))
    if code is not None and not CODE.fullmatch(code.strip()):
        errors.add(
            f"{where}code",
            "format",
            _(
                "Code: 1 to 40 letters, digits, dots, dashes or underscores, starting with a "
                "letter or digit."
            ),
        )
    if not PINYIN.fullmatch(pinyin.strip()):
        errors.add(f"{where}pinyin", "format", _("Pinyin initials: letters only (e.g. mzl)."))


@dataclass(frozen=True)
class ImportRow:
    row: int  # the spreadsheet's row number (the header is row 1)
    names: tuple[str, ...]  # campus … down to the place this row defines
    code: str
    pinyin: str

    @property
    def kind(self) -> str:
        return kind_of(len(self.names))


def import_rows(records: Sequence[Mapping[str, str]]) -> tuple[list[ImportRow], Collector]:
    """Each record defines one place: the last filled path column, with the row's code. The
    columns above it name its ancestors (defined by other rows or already in the tree)."""
    errors = Collector()
    rows: list[ImportRow] = []
    codes: dict[str, int] = {}
    paths: dict[tuple[str, ...], int] = {}
    for n, record in enumerate(records, start=2):
        where = f"rows.{n}."
        cells = [str(record.get(level) or "").strip() for level in LEVELS]
        while cells and not cells[-1]:
            cells.pop()
        if not cells:
            errors.add(
                f"{where}campus", "required", _("Row %(n)s names no place; fill in its path.", n=n)
            )
            continue
        if "" in cells:
            gap = LEVELS[cells.index("")]
            errors.add(
                f"{where}{gap}",
                "required",
                _("Row %(n)s skips the %(level)s; fill it in.", n=n, level=kind_label(gap)),
            )
            continue
        code = str(record.get("code") or "").strip()
        pinyin = str(record.get("pinyin") or "").strip().lower()
        before = len(errors.errors)
        check_place(errors, where, cells[-1], code, pinyin)
        for level, name in zip(LEVELS, cells[:-1], strict=False):
            if len(name) > NAME_CHARS:
                errors.add(
                    f"{where}{level}",
                    "max_length",
                    _("Name: at most %(n)s characters.", n=NAME_CHARS),
                )
        if len(errors.errors) > before:
            continue
        names = tuple(cells)
        if code in codes:
            errors.add(
                f"{where}code",
                "unique",
                _(
                    "Code %(code)s is also on row %(row)s; give each place its own code.",
                    code=code,
                    row=codes[code],
                ),
            )
            continue
        if names in paths:
            errors.add(
                f"{where}{kind_of(len(names))}",
                "unique",
                _(
                    "%(place)s is also on row %(row)s; keep one row per place.",
                    place=" ".join(names),
                    row=paths[names],
                ),
            )
            continue
        codes[code], paths[names] = n, n
        rows.append(ImportRow(n, names, code, pinyin))
    # Parents before children: a row's ancestors are then known when it is stored.
    rows.sort(key=lambda r: (len(r.names), r.row))
    return rows, errors


def child_path(parent_path: str, location_id: int) -> str:
    """The materialised path of a place: its ancestors' ids and its own, e.g. /3/17/52/."""
    return f"{parent_path or '/'}{location_id}/"


def ids_in(path: str) -> list[int]:
    return [int(part) for part in path.strip("/").split("/") if part]


def common_ancestor(paths: Sequence[str]) -> int | None:
    """The deepest place every path runs through (a notice's place when its findings are in
    several rooms of one ward), or None when they share none."""
    if not paths:
        return None
    shared = ids_in(paths[0])
    for path in paths[1:]:
        other = ids_in(path)
        n = 0
        while n < min(len(shared), len(other)) and shared[n] == other[n]:
            n += 1
        shared = shared[:n]
    return shared[-1] if shared else None
