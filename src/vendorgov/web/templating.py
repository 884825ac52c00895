"""Jinja set-up: filters in the hospital's time zone and navigation by role."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader, select_autoescape
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.template.config import TemplateConfig

from vendorgov.accounts import people
from vendorgov.accounts.roles import ROLE_LABELS, Principal, Role
from vendorgov.i18n import N_, current_locale, translations
from vendorgov.money import cents
from vendorgov.settings import Settings
from vendorgov.vendors.rules import CATEGORY_LABELS, QUALIFICATION_KINDS

# (label, path, roles that see it)
NAVIGATION: list[tuple[str, str, tuple[Role, ...]]] = [
    ("Dashboard", "/", tuple(Role)),
    ("Vendors", "/vendors", (Role.admin, Role.procurement, Role.supervisor, Role.finance)),
    ("My company", "/vendors/mine", (Role.vendor,)),
    ("Tenders", "/tenders", (Role.admin, Role.procurement, Role.vendor, Role.evaluator)),
    (
        "Contracts",
        "/contracts",
        (Role.admin, Role.procurement, Role.supervisor, Role.finance, Role.vendor),
    ),
    ("Supervision", "/supervision", (Role.admin, Role.supervisor)),
    ("Plans", "/inspection-plans", (Role.admin, Role.supervisor)),
    ("Locations", "/locations", (Role.admin, Role.supervisor)),
    ("Audits", "/audits", (Role.admin, Role.supervisor, Role.auditor)),
    ("Findings", "/findings", (Role.admin, Role.supervisor, Role.procurement, Role.finance)),
    (
        "Notices",
        "/notices",
        (Role.admin, Role.supervisor, Role.procurement, Role.finance, Role.vendor),
    ),
    ("Month-end", "/month-end", (Role.admin, Role.finance)),
    ("Statements", "/statements", (Role.vendor,)),
    ("Accounts", "/accounts", (Role.admin,)),
    (N_("Calendar"), "/workdays", (Role.admin, Role.procurement, Role.finance)),
    ("Audit trail", "/audit", (Role.admin,)),
    ("API tokens", "/tokens", tuple(Role)),
]


def nav_for(principal: Principal | None) -> list[tuple[str, str]]:
    if principal is None:
        return []
    return [(label, path) for label, path, roles in NAVIGATION if principal.role in roles]


def make_environment(settings: Settings) -> Environment:
    """The Jinja environment of pages and printed documents alike."""
    environment = Environment(
        loader=FileSystemLoader(str(settings.templates_dir)),
        autoescape=select_autoescape(["html", "xml"]),
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"],
    )
    # Jinja formats %(name)s itself (newstyle), so it gets the bare catalog lookups.
    environment.install_gettext_callables(  # type: ignore[attr-defined]
        lambda message: translations(current_locale.get()).gettext(message),
        lambda singular, plural, n: translations(current_locale.get()).ngettext(
            singular, plural, n
        ),
        newstyle=True,
        pgettext=lambda context, message: translations(current_locale.get()).pgettext(
            context, message
        ),
    )
    zone = settings.zone

    def local(value: Any, fmt: str = "%Y-%m-%d %H:%M") -> str:
        if value is None or value == "":
            return ""
        if isinstance(value, str):
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        if isinstance(value, datetime):
            if value.tzinfo is None:  # naive timestamps here are UTC
                value = value.replace(tzinfo=UTC)
            return value.astimezone(zone).strftime(fmt)
        if isinstance(value, date):
            return value.isoformat()
        return str(value)

    environment.filters["local"] = local
    environment.globals.update(
        nav_for=nav_for,
        ROLE_LABELS=ROLE_LABELS,
        CATEGORY_LABELS=CATEGORY_LABELS,
        QUALIFICATION_KINDS=QUALIFICATION_KINDS,
        timezone_name=settings.timezone,
        with_query=with_query,
    )
    environment.filters["money"] = money
    # Who acted, recorded by username, shown by display name.
    environment.filters["person"] = people.display_name
    environment.filters["signed_money"] = signed_money
    return environment


def with_query(request: Any, path: str = "", **changes: Any) -> str:
    """This page's URL (or `path`) with some query parameters changed (None or "" removes
    one): what the pager, the sort headers and the export link to, keeping every filter."""
    params = {k: v for k, v in request.query_params.items() if k not in changes}
    params.update({k: v for k, v in changes.items() if v not in (None, "")})
    return (path or request.url.path) + ("?" + urlencode(params) if params else "")


def money(value: Any) -> str:
    """1,234,567.89 from a Decimal (never through float)."""
    if value is None or value == "":
        return ""
    return f"{cents(value):,}"


def signed_money(value: Any, plus: bool = False) -> str:
    """A statement line as it acts on the net: −1,234.00 when it takes off (a true minus
    sign, never "−-"), +1,234.00 with `plus` when it adds back (a cap)."""
    if value is None or value == "":
        return ""
    amount = cents(value)
    if amount < 0:
        return f"−{-amount:,}"
    return f"+{amount:,}" if plus and amount else f"{amount:,}"


def make_template_config(settings: Settings) -> TemplateConfig:
    return TemplateConfig(engine=JinjaTemplateEngine.from_environment(make_environment(settings)))
