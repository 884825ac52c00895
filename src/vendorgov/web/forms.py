"""Reading submitted forms: typed values with the field named when one does not parse."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from litestar import Request
from litestar.datastructures import UploadFile

from vendorgov.errors import Collector, DomainError, FieldError
from vendorgov.files.service import Upload
from vendorgov.i18n import _

# Where a rejected form's page, rendered again, finds what was typed and what was wrong
# (web.errors.FormRetry puts it in the scope; templating.FormAwareTemplate reads it).
FORM_RETRY = "vendorgov.form_retry"


class Form:
    def __init__(self, data):
        self.data = data
        self.errors = Collector()

    @classmethod
    async def read(cls, request: Request) -> Form:
        return cls(await request.form())

    def text(self, name: str) -> str:
        value = self.data.get(name, "")
        return value.strip() if isinstance(value, str) else ""

    def texts(self, name: str) -> list[str]:
        return [v for v in self.data.getall(name, []) if isinstance(v, str) and v]

    def flag(self, name: str) -> bool:
        return self.text(name) in ("on", "1", "true", "yes")

    def date(self, name: str) -> date | None:
        raw = self.text(name)
        if not raw:
            return None
        try:
            return date.fromisoformat(raw)
        except ValueError:
            self.errors.add(
                name, "date", _("“%(value)s” is not a date; write it as 2026-11-30.", value=raw)
            )
            return None

    def integer(self, name: str) -> int | None:
        raw = self.text(name)
        if not raw:
            return None
        try:
            return int(raw)
        except ValueError:
            self.errors.add(
                name,
                "integer",
                _("“%(value)s” is not a whole number; write digits only.", value=raw),
            )
            return None

    def decimal(self, name: str, field: str = "") -> Decimal | None:
        """A typed number (thousands separators allowed) or None; reported under `field`
        (a table's row, say) when given, else under `name`."""
        raw = self.text(name).replace(",", "")
        if not raw:
            return None
        try:
            value = Decimal(raw)
        except InvalidOperation:
            value = None
        if value is None or not value.is_finite():
            self.errors.add(field or name, "number", not_a_number(raw))
            return None
        return value

    async def uploads(self, name: str) -> list[Upload]:
        """Every file sent under `name` (a multiple file input), skipping empty ones."""
        return [
            Upload(filename=v.filename, data=await v.read())
            for v in self.data.getall(name, [])
            if isinstance(v, UploadFile) and v.filename
        ]

    async def upload(self, name: str) -> Upload | None:
        value = self.data.get(name)
        if not isinstance(value, UploadFile) or not value.filename:
            return None
        return Upload(filename=value.filename, data=await value.read())

    def values(self) -> dict[str, str]:
        """What was typed, to refill the form after an error."""
        return {k: v for k, v in self.data.items() if isinstance(v, str)}


def not_a_number(raw: str) -> str:
    return _("“%(value)s” is not a number; write digits, e.g. 1234.50.", value=raw)


def error_map(error: DomainError) -> dict[str, str]:
    """field → message, for inline messages; errors without a field go under '_'."""
    result: dict[str, str] = {}
    for item in error.errors or [FieldError("_", "", error.message)]:
        result.setdefault(item.field, item.message)
    return result


def safe_next(target: str) -> str:
    """Only same-site paths: a login or the language switch never redirects to another host."""
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


def retried_list(request: Request, name: str) -> list[str] | None:
    """Every value typed under `name` (ticked checkboxes) in a rejected form whose page is
    being rendered again (FormRetry); None when the page is not such a retry."""
    retry = request.scope.get(FORM_RETRY)
    return None if retry is None else list(retry.get("lists", {}).get(name, []))


def retried_action(request: Request) -> str:
    """The address a rejected form was sent to, when its page is being rendered again
    (FormRetry): on a page with several forms, which of them to show the messages in."""
    return (request.scope.get(FORM_RETRY) or {}).get("action", "")


def retried_id(request: Request, name: str) -> int | None:
    """The id typed in a rejected form whose page is being rendered again (FormRetry), e.g.
    the vendor a picker must still offer when it shows only the first of many."""
    value = (request.scope.get(FORM_RETRY) or {}).get("values", {}).get(name, "")
    return int(value) if str(value).isdecimal() else None
