"""One way every list is paged, sorted and exported.

A list asks for a PageRequest (page, page size, sort key; or a keyset cursor where the table
grows without bound), validated here so that a bad page or sort column is a 422 naming the
field. Services hand their filtered Piccolo query and its filters to `fetch_page`, which runs
two statements whatever the number of rows: the count and the page itself. Pages and the JSON
API both return the same shape: {items, total, page, page_size, pages, next_cursor}.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import msgspec
from litestar.params import FromQuery

from vendorgov.errors import FieldError, InvalidInput
from vendorgov.i18n import _

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
# A dashboard shows counts and at most this many items of each kind, linked to the list.
DASHBOARD_ITEMS = 10
# An export reads the whole filtered set in pages of this size (never one unbounded query);
# beyond EXPORT_LIMIT rows it is refused with a hint to narrow the filters.
EXPORT_LIMIT = 50_000


@dataclass(frozen=True)
class PageRequest:
    page: int = 1
    page_size: int = DEFAULT_PAGE_SIZE
    sort: str = ""  # a column key, "-key" for descending; "" for the list's default order
    cursor: int | None = None  # keyset: rows after this id in the default (newest first) order

    @property
    def descending(self) -> bool:
        return self.sort.startswith("-")

    @property
    def key(self) -> str:
        return self.sort.lstrip("-")


async def page_params(
    page: FromQuery[int] = 1,
    page_size: FromQuery[int] = DEFAULT_PAGE_SIZE,
    sort: FromQuery[str] = "",
    cursor: FromQuery[int | None] = None,
) -> PageRequest:
    """The query parameters every list takes (a Litestar dependency, so they are documented
    in the OpenAPI schema once per list); checked against the list's columns by fetch_page."""
    return PageRequest(page, page_size, sort, cursor)


def check(request: PageRequest, sorts: Iterable[str]) -> None:
    """A 422 naming the field for a page, page size, sort column or cursor out of range."""
    errors = []
    if request.page < 1:
        errors.append(FieldError("page", "min", "pages are counted from 1"))
    if not 1 <= request.page_size <= MAX_PAGE_SIZE:
        errors.append(FieldError("page_size", "range", f"between 1 and {MAX_PAGE_SIZE}"))
    if request.sort and request.key not in sorts:
        allowed = ", ".join(sorts)
        errors.append(FieldError("sort", "one_of", f"one of {allowed} (prefix - to reverse)"))
    if request.cursor is not None and request.cursor < 0:
        errors.append(FieldError("cursor", "min", "a cursor is a non-negative row id"))
    if errors:
        raise InvalidInput(errors)


@dataclass
class Page:
    items: list[Any]
    total: int
    page: int
    page_size: int
    sort: str = ""
    next_cursor: int | None = None
    facets: dict[str, Any] = field(default_factory=dict)  # e.g. the clauses to filter by

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))

    def as_json(self, convert=lambda item: item) -> dict:
        return {
            "items": [convert(i) for i in self.items],
            "total": self.total,
            "page": self.page,
            "pages": self.pages,
            "page_size": self.page_size,
            "next_cursor": self.next_cursor,
        }


async def fetch_page(
    table,
    query,
    where: Sequence[Any],
    request: PageRequest,
    sorts: Mapping[str, Any],
    default: Sequence[tuple[Any, bool]],
    keyset: bool = False,
) -> Page:
    """One page of `query` (a Piccolo select of `table` without where/order/limit) filtered by
    `where`, and the total. `default` is the order when no sort is asked: (column, ascending)
    pairs; the table's id always breaks ties, so pages never overlap. With `keyset`, the
    default order is newest id first and `request.cursor` continues after a row id: no OFFSET
    scan on tables that grow without bound (its `default` must then be newest id first)."""
    check(request, sorts)
    count = await table.count().where(*where) if where else await table.count()
    if request.sort:
        order = [(sorts[request.key], not request.descending)]
    else:
        order = list(default)
    if where:
        query = query.where(*where)
    use_keyset = keyset and not request.sort and request.cursor is not None
    if use_keyset:
        query = query.where(table.id < request.cursor)
    if not (keyset and not request.sort):
        order.append((table.id, True))
    for column, ascending in order:
        query = query.order_by(column, ascending=ascending)
    query = query.limit(request.page_size + 1)
    if not use_keyset:
        query = query.offset((request.page - 1) * request.page_size)
    rows = await query
    more = len(rows) > request.page_size
    rows = rows[: request.page_size]
    next_cursor = rows[-1]["id"] if keyset and not request.sort and more and rows else None
    return Page(rows, count, request.page, request.page_size, request.sort, next_cursor)


async def export_rows(fetch, *args, **kwargs) -> list[dict]:
    """Every row of a filtered list for an export, read page by page through the list's own
    service function (`fetch(*args, request=..., **kwargs)` returning a Page)."""
    first = await fetch(*args, request=PageRequest(page_size=MAX_PAGE_SIZE), **kwargs)
    if first.total > EXPORT_LIMIT:
        raise InvalidInput.single(
            "filters",
            "export_limit",
            _(
                "%(count)s rows match; an export holds at most %(limit)s: narrow the filters.",
                count=first.total,
                limit=EXPORT_LIMIT,
            ),
        )
    rows = list(first.items)
    for number in range(2, first.pages + 1):
        page = await fetch(
            *args, request=replace(PageRequest(page_size=MAX_PAGE_SIZE), page=number), **kwargs
        )
        rows += page.items
    return rows


def page_struct(item: type[msgspec.Struct], name: str) -> type[msgspec.Struct]:
    """The JSON API's page type for a list of `item` (a named struct, for the OpenAPI schema)."""
    return msgspec.defstruct(
        name,
        [
            ("items", list[item]),
            ("total", int),
            ("page", int),
            ("pages", int),
            ("page_size", int),
            ("next_cursor", int | None, None),
        ],
    )


def day_range(column, start: date | None, end: date | None, zone) -> list:
    """Filters for a timestamp column from the start of day `start` to the end of day `end`,
    both inclusive and counted in the hospital's zone (timestamps are UTC in the database)."""
    if start and end and end < start:
        raise InvalidInput.single("date_to", "after_from", "the range ends before it starts")
    where = []
    if start:
        where.append(column >= datetime.combine(start, time(), zone).astimezone(UTC))
    if end:
        after = datetime.combine(end + timedelta(days=1), time(), zone)
        where.append(column < after.astimezone(UTC))
    return where


def page_of(rows: list[dict], request: PageRequest, sorts: Iterable[str]) -> Page:
    """A page of a list already read whole, in the same shape: for the small ones (checklist
    templates) and for tenders until their service pages in SQL (it reads every tender)."""
    check(request, sorts)
    if request.sort:
        key = request.key
        rows = sorted(
            rows, key=lambda r: (r[key] is None, r[key] or ""), reverse=request.descending
        )
    start = (request.page - 1) * request.page_size
    return Page(
        rows[start : start + request.page_size],
        len(rows),
        request.page,
        request.page_size,
        request.sort,
    )
