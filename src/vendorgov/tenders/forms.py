"""The tender pages' forms: parsing typed input, a refusal sent back to its page (FormRetry),
and the confirmation irreversible steps need."""

from __future__ import annotations

import functools
import re
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from litestar import Request
from litestar.datastructures import MultiDict

from vendorgov.contracts.views import clauses_from_form
from vendorgov.errors import DomainError, InvalidInput
from vendorgov.i18n import _
from vendorgov.inspections.api import parse_instant
from vendorgov.settings import get_settings
from vendorgov.tenders import publication, sealing
from vendorgov.tenders.rules import PRICE_KEY, Criterion, Source
from vendorgov.web.forms import FORM_RETRY, Form, error_map

BLANK_CRITERIA_ROWS = 2
BLANK_CLAUSE_ROWS = 2
PRICE_LINE_ROWS = 4
MAX_ROWS = 60
# A bid may carry several proposal files, each within the upload limit.
BID_BODY_LIMIT = 60 * 2**20
# The criteria a new tender starts with (price among them, §3).
STARTING_CRITERIA = (
    (PRICE_KEY, "投标报价 Price", "30"),
    ("plan", "服务方案 Service plan", "40"),
    ("staffing", "人员配置 Staffing", "30"),
)
_ROW_FIELD = re.compile(r"^(\w+)\[(\d+)\](.*)$")
_DATETIME_LOCAL = "%Y-%m-%dT%H:%M:%S"


# --- reading the forms -----------------------------------------------------------------------


def _rows(form: Form, name: str) -> int:
    raw = form.text(name)
    return min(int(raw), MAX_ROWS) if raw.isdecimal() else 0


def _instant(form: Form, name: str):
    """A datetime-local value, read in the hospital's time zone."""
    raw = form.text(name)
    if not raw:
        return None
    try:
        return parse_instant(name, raw)
    except InvalidInput as error:
        form.errors.errors += error.errors
        return None


def _tender_input(
    form: Form, template: dict | None = None
) -> tuple[publication.TenderInput, dict[str, list[int]]]:
    """The create/edit form → TenderInput, and which form row each criterion came from."""
    criteria, criteria_rows = [], []
    for i in range(_rows(form, "criteria_rows")):
        key, name = form.text(f"criteria-{i}-key"), form.text(f"criteria-{i}-name")
        if not (key or name or form.text(f"criteria-{i}-weight")):
            continue
        weight = form.decimal(f"criteria-{i}-weight", f"criteria[{i}].weight")
        source = form.text(f"criteria-{i}-source") or Source.panel.value
        no_history = (
            form.decimal(f"criteria-{i}-no_history_score", f"criteria[{i}].no_history_score")
            if source == Source.past_performance
            else None
        )
        criteria.append(
            Criterion(key, name, weight if weight is not None else Decimal(0), source, no_history)
        )
        criteria_rows.append(i)
    clauses = clauses_from_form(form, form.errors)
    data = publication.TenderInput(
        reference=form.text("reference"),
        title=form.text("title"),
        category=form.text("category"),
        method=form.text("method"),
        evaluation_method=form.text("evaluation_method"),
        budget_ceiling=form.decimal("budget_ceiling", "budget_ceiling"),
        service_start=form.date("service_start"),
        service_end=form.date("service_end"),
        bid_deadline=_instant(form, "bid_deadline"),
        scope=str(form.data.get("scope", "")),
        qualification_types=form.texts("qualification_types"),
        criteria=criteria,
        tie_rule=form.text("tie_rule"),
        sme_percent=form.decimal("sme_percent", "sme_percent")
        if form.text("sme_percent")
        else None,
        # The template keeps what this form does not edit (scheme, bands, penalties, ...).
        sla_template={**(template or {}), "clauses": clauses},
        bid_security=form.decimal("bid_security", "bid_security") or Decimal(0),
    )
    return data, {"criteria": criteria_rows}


def _field_errors(error: DomainError, rows: dict[str, list] | None = None) -> dict[str, str]:
    """field → message for inline display: the n-th entered criterion or price line onto the
    form row it came from (rows of numbers), the n-th score onto its input (rows of names),
    SLA template errors onto the clause rows."""
    result: dict[str, str] = {}
    for name, message in error_map(error).items():
        name = name.removeprefix("sla_template.")
        match = _ROW_FIELD.match(name)
        if match and rows and match[1] in rows and int(match[2]) < len(rows[match[1]]):
            row = rows[match[1]][int(match[2])]
            name = row if isinstance(row, str) else f"{match[1]}[{row}]{match[3]}"
        result.setdefault(name, message)
    return result


@dataclass
class Refusal:
    """A refused form whose page is being rendered again (web.errors.FormRetry): the input as
    typed, the messages by field and which of the page's forms was sent. The response keeps
    the rejection's status (FormRetry sets it), whatever the page answers."""

    form: Form
    errors: dict[str, str]
    form_name: str = ""
    values: dict[str, str] = field(default_factory=dict)


def retried(request: Request) -> Refusal | None:
    """The refusal a page shows, when it is being rendered again after a rejected form
    (FormRetry); None on an ordinary visit."""
    retry = request.scope.get(FORM_RETRY)
    if retry is None:
        return None
    data = MultiDict([(k, v) for k, vs in retry.get("lists", {}).items() for v in vs])
    return Refusal(Form(data), retry["errors"], retry.get("form", ""), retry["values"])


def form_state(request: Request) -> dict[str, Any]:
    """What a page's forms show (the form macros read it): after a refused form its messages
    by field, the input as typed and which of the page's forms was sent; nothing otherwise."""
    refusal = retried(request)
    if refusal is None:
        return {"errors": {}, "values": {}, "form_name": ""}
    return {"errors": refusal.errors, "values": refusal.values, "form_name": refusal.form_name}


async def ensure_confirmed(request: Request) -> None:
    """Irreversible steps (publish, open, award, fail, cancel) are taken only with the form's
    confirmation box ticked, which states what will happen (the confirm_box macro): a page
    refuses the step otherwise, and shows it again with the box to tick."""
    form = await Form.read(request)
    if not form.flag("confirm"):
        raise InvalidInput.single(
            "confirm",
            "required",
            _("Confirmation: tick the box to confirm; this step cannot be undone."),
        )


def refused_shows(page: str, form_name: str = ""):
    """A form handler whose refusal (any domain error but 404, which stays a 404 page) comes
    back on its page through the one mechanism every page form uses (web.errors.FormRetry):
    the page the form was sent from (its Referer; else `page`, an address that may name path
    parameters and form fields: "/tenders/{tender_id}/bids", "/tenders/experts?category=
    {category}") is rendered again with what was typed and the messages by field. The handler
    may put `rows` (see _field_errors) in request.state to place row errors; `form_name` says
    which of the page's forms was sent ("bid-{bid_id}"), for the page to open that one."""

    def wrap(handler):
        @functools.wraps(handler)
        async def run(self, request: Request, **kwargs):
            try:
                return await handler(self, request, **kwargs)
            except DomainError as error:
                if error.status_code != 404:
                    form = await Form.read(request)
                    fill = {k: quote(str(v)) for k, v in {**form.values(), **kwargs}.items()}
                    error.retry_errors = _field_errors(error, request.state.get("rows"))
                    error.retry_form = form_name.format(**kwargs)
                    error.retry_page = page.format_map(defaultdict(str, fill))
                raise

        return run

    return wrap


def _tender_values(tender: dict) -> dict[str, str]:
    """A tender as the edit form's typed values."""
    values = {
        k: str(tender[k])
        for k in (
            "reference",
            "title",
            "category",
            "method",
            "evaluation_method",
            "scope",
            "tie_rule",
        )
    }
    values["sme_percent"] = str(tender["sme_percent"])
    values.update(
        budget_ceiling=str(tender["budget_ceiling"]),
        bid_security=str(tender["bid_security"]),
        service_start=tender["service_start"].isoformat(),
        service_end=tender["service_end"].isoformat(),
        bid_deadline=tender["bid_deadline_local"].strftime(_DATETIME_LOCAL),
    )
    for i, c in enumerate(tender["criteria"]):
        values.update(
            {f"criteria-{i}-key": c.key, f"criteria-{i}-name": c.name},
            **{f"criteria-{i}-weight": str(c.weight), f"criteria-{i}-source": c.source},
        )
        if c.no_history_score is not None:
            values[f"criteria-{i}-no_history_score"] = str(c.no_history_score)
    return values


def _new_values() -> dict[str, str]:
    values = {
        "method": "open",
        "evaluation_method": "comprehensive",
        "category": "cleaning",
        "sme_percent": str(get_settings().sme_deduction_percent),
    }
    for i, (key, name, weight) in enumerate(STARTING_CRITERIA):
        values.update(
            {f"criteria-{i}-key": key, f"criteria-{i}-name": name, f"criteria-{i}-weight": weight}
        )
    return values


def _price_lines(form: Form) -> tuple[list[tuple[str, Decimal]], list[int]]:
    lines, rows = [], []
    for i in range(_rows(form, "line_rows")):
        item = form.text(f"lines-{i}-item")
        amount = form.decimal(f"lines-{i}-amount", f"price_lines[{i}].amount")
        if not item and not form.text(f"lines-{i}-amount"):
            continue
        lines.append((item, amount if amount is not None else Decimal(0)))
        rows.append(i)
    return lines, rows


def _content_rows(content: dict) -> str:
    """The exact text the receipt's SHA-256 digest is computed over."""
    return sealing.canonical(content).decode()


# --- the pages -------------------------------------------------------------------------------
