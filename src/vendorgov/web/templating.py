"""Jinja set-up: filters in the hospital's time zone and navigation by role."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader, Template, select_autoescape
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.template.config import TemplateConfig

from vendorgov.accounts import people
from vendorgov.accounts.roles import ROLE_LABELS, Principal, Role
from vendorgov.formats import as_local, capitals, cn_date, wan, yuan
from vendorgov.humane import field_label, field_message, humane, pair_label, status_label
from vendorgov.i18n import LANGUAGE_NAMES, LOCALES, N_, _, current_locale, html_lang, translations
from vendorgov.money import cents
from vendorgov.settings import Settings
from vendorgov.vendors.rules import CATEGORY_LABELS, QUALIFICATION_KINDS
from vendorgov.web.forms import FORM_RETRY

# (label, path, roles that see it); labels are msgids, translated per request by nav_for.
NAVIGATION: list[tuple[str, str, tuple[Role, ...]]] = [
    (N_("Dashboard"), "/", tuple(Role)),
    (N_("Vendors"), "/vendors", (Role.admin, Role.procurement, Role.supervisor, Role.finance)),
    (N_("My company"), "/vendors/mine", (Role.vendor,)),
    (N_("Tenders"), "/tenders", (Role.admin, Role.procurement, Role.vendor, Role.evaluator)),
    (
        N_("Contracts"),
        "/contracts",
        (Role.admin, Role.procurement, Role.supervisor, Role.finance, Role.vendor),
    ),
    (N_("Supervision"), "/supervision", (Role.admin, Role.supervisor)),
    (N_("Plans"), "/inspection-plans", (Role.admin, Role.supervisor)),
    (N_("Locations"), "/locations", (Role.admin, Role.supervisor)),
    (N_("Report a problem"), "/service/new", (Role.ward,)),
    (
        N_("Service requests"),
        "/service/requests",
        (Role.admin, Role.supervisor, Role.agent, Role.ward, Role.vendor),
    ),
    (N_("Service board"), "/service/board", (Role.admin, Role.supervisor, Role.agent)),
    (N_("Hotline"), "/service/console", (Role.admin, Role.supervisor, Role.agent)),
    (N_("Request routes"), "/service/routes", (Role.admin, Role.supervisor)),
    (N_("Desk duties"), "/service/members", (Role.admin, Role.supervisor, Role.vendor)),
    (N_("Surveys"), "/surveys", (Role.admin, Role.supervisor)),
    (N_("Satisfaction"), "/surveys/results", (Role.procurement, Role.finance, Role.vendor)),
    (N_("Audits"), "/audits", (Role.admin, Role.supervisor, Role.auditor)),
    (
        N_("Findings"),
        "/findings",
        (Role.admin, Role.supervisor, Role.procurement, Role.finance, Role.auditor),
    ),
    (
        N_("Notices"),
        "/notices",
        (Role.admin, Role.supervisor, Role.procurement, Role.finance, Role.vendor, Role.auditor),
    ),
    (N_("Month-end"), "/month-end", (Role.admin, Role.finance)),
    (N_("Statements"), "/statements", (Role.vendor,)),
    (N_("Accounts"), "/accounts", (Role.admin,)),
    (N_("Calendar"), "/workdays", (Role.admin, Role.procurement, Role.finance)),
    (N_("Audit trail"), "/audit", (Role.admin,)),
    (N_("Group robots"), "/notifications/robots", (Role.admin,)),
    (N_("API tokens"), "/tokens", tuple(Role)),
]


def nav_for(principal: Principal | None) -> list[tuple[str, str]]:
    """The principal's navigation, labels in the request's language."""
    if principal is None:
        return []
    return [(_(label), path) for label, path, roles in NAVIGATION if principal.role in roles]


def language() -> dict[str, Any]:
    """This page's language tag, the other language the header's switch offers, and the
    choices of the profile's language form."""
    locale = current_locale.get()
    other = next(code for code in LOCALES if code != locale)
    return {
        "lang": html_lang(locale),
        "locale": locale,
        "other": other,
        "other_lang": html_lang(other),
        "other_name": LANGUAGE_NAMES[other],
        "choices": LANGUAGE_NAMES,
    }


class FormAwareTemplate(Template):
    """When a rejected form's page is rendered again (web.errors.FormRetry), the typed values
    and the messages by field replace the page's own `values` and `errors`, so every form
    built with the `field` macro refills itself and shows each message beside its field. A
    page whose template shows no `errors` at all gets them as `unshown_errors`, which
    base.html lists above the content, so no rejection passes in silence."""

    def new_context(self, vars=None, shared=False, locals=None):  # noqa: A002 (Jinja's names)
        request = (vars or {}).get("request")
        retry = request.scope.get(FORM_RETRY) if request is not None else None
        if retry and not (vars or {}).get("unshown_errors"):
            vars = {**vars, "errors": retry["errors"], "values": retry["values"]}
            if not _shows_errors(self.environment, self.name):
                vars["unshown_errors"] = list(retry["errors"].values())
        return super().new_context(vars, shared, locals)


def _shows_errors(environment: Environment, name: str | None) -> bool:
    """Whether a template mentions `errors` (its forms show messages by field)."""
    if name is None:
        return True
    source = environment.loader.get_source(environment, name)[0]  # type: ignore[union-attr]
    return "errors" in source


def make_environment(settings: Settings) -> Environment:
    """The Jinja environment of pages and printed documents alike."""
    environment = Environment(
        loader=FileSystemLoader(str(settings.templates_dir)),
        autoescape=select_autoescape(["html", "xml"]),
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"],
        # Templates ship with the code and change only with a restart: no stat() of each
        # template a page uses on every render to see whether it changed.
        auto_reload=False,
    )
    environment.template_class = FormAwareTemplate
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
        value = as_local(value, zone)
        if isinstance(value, datetime):
            return value.strftime(fmt)
        if isinstance(value, date):
            return value.isoformat()
        return str(value)

    environment.filters["local"] = local
    environment.globals.update(
        nav_for=nav_for,
        language=language,
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
    environment.filters.update(
        field_label=field_label,
        field_message=field_message,
        humane=humane,
        status_label=status_label,
        label=pair_label,
        yuan=yuan,
        wan=wan,
        capitals=capitals,
        cn_date=lambda value: cn_date(value, zone),
    )
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


def compile_all(environment: Environment) -> None:
    """Compile every template now: compiling one on its first request held the event loop for
    tens of milliseconds (a run's page: 80 ms), every request in flight waiting through it."""
    for name in environment.list_templates(extensions=["html", "xml", "txt"]):
        environment.get_template(name)


def make_template_config(settings: Settings) -> TemplateConfig:
    return TemplateConfig(engine=JinjaTemplateEngine.from_environment(make_environment(settings)))
