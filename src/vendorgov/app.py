"""The application factory: routes, security, templates, errors."""

from __future__ import annotations

import gc
from typing import Any

from litestar import Litestar, Request, Router, asgi
from litestar.config.csrf import CSRFConfig
from litestar.connection import ASGIConnection
from litestar.di import Provide
from litestar.middleware import DefineMiddleware
from litestar.middleware.rate_limit import RateLimitConfig
from litestar.middleware.session.server_side import (
    ServerSideSessionBackend,
    ServerSideSessionConfig,
)
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme
from litestar.plugins.flash import FlashConfig, FlashPlugin
from litestar.static_files import create_static_files_router
from litestar.types import Receive, Scope, Send

from vendorgov import __doc__ as about
from vendorgov import db, stores
from vendorgov.accounts import people
from vendorgov.accounts.api import AccountApi
from vendorgov.accounts.auth import PUBLIC_PATHS, AccountAuthMiddleware, allow
from vendorgov.accounts.roles import Role
from vendorgov.accounts.views import ROTATE_SESSION, AccountPages, LoginPages, TokenPages
from vendorgov.audit.chain import derive_key
from vendorgov.audit.views import AuditApi, AuditPages
from vendorgov.audits.views import NoticePages
from vendorgov.contracts.api import ContractApi
from vendorgov.contracts.views import ContractPages
from vendorgov.inspections.api import InspectionApi
from vendorgov.inspections.plan_api import PlanApi
from vendorgov.inspections.plan_views import PlanPages
from vendorgov.inspections.views import InspectionPages
from vendorgov.jobs.api import JobApi
from vendorgov.jobs.worker import app_plugins, local_worker
from vendorgov.locations.api import LocationApi
from vendorgov.locations.views import LocationPages
from vendorgov.notifications.api import InboxApi
from vendorgov.notifications.views import InboxPages, RobotPages
from vendorgov.paging import page_params
from vendorgov.payments.api import PaymentApi
from vendorgov.payments.views import MonthEndPages
from vendorgov.servicedesk.api import ServiceDeskApi
from vendorgov.servicedesk.member_views import MemberPages
from vendorgov.servicedesk.views import ServiceDeskPages
from vendorgov.settings import Settings, get_settings, private_dir
from vendorgov.sla.api import EventTemplateApi, SlaApi, SurveyApi
from vendorgov.sla.views import ScorecardPages
from vendorgov.surveys import public as public_surveys
from vendorgov.surveys.api import SurveyApi as QuestionnaireApi
from vendorgov.surveys.api import SurveyResultApi
from vendorgov.surveys.views import SurveyPages
from vendorgov.tenders.api import TenderApi
from vendorgov.tenders.award_api import AwardApi
from vendorgov.tenders.award_views import AwardPages
from vendorgov.tenders.list_export import TenderListExport
from vendorgov.tenders.panel_api import PanelApi
from vendorgov.tenders.panel_views import PanelPages
from vendorgov.tenders.results_api import ResultApi
from vendorgov.tenders.results_views import ResultPages
from vendorgov.tenders.views import TenderPages
from vendorgov.vendors.api import VendorApi
from vendorgov.vendors.views import VendorPages
from vendorgov.web import errors, loop_lag, offline, ops
from vendorgov.web.input import check_request
from vendorgov.web.list_exports import ExportPages
from vendorgov.web.locale import LanguagePages, LocaleMiddleware
from vendorgov.web.pages import HomePages
from vendorgov.web.security import SwaggerPage, add_security_headers, client_identifier
from vendorgov.web.templating import compile_all, make_template_config
from vendorgov.workdays.api import WorkdayApi
from vendorgov.workdays.views import WorkdayPages

_FRESH_SESSION_ID = "vendorgov.fresh_session_id"
# The CSRF tokens' key, derived from the installation secret apart from the bid-sealing and
# audit keys (tenders.sealing, audit.chain): knowing one reveals nothing of the others.
CSRF_LABEL = b"vendorgov session csrf"


_LOADED_SESSION = "vendorgov.loaded_session"


class SessionBackend(ServerSideSessionBackend):
    """Litestar's server-side sessions, writing only when there is something to write.

    The stock backend stores every request's session, even an empty one for a client with no
    cookie (a new file per anonymous request) and an unchanged one on every page view. This one
    skips both, and gives a session a new id when the login handler asks, dropping the old one
    so an id planted before login is worthless.
    """

    async def load_from_connection(self, connection: ASGIConnection) -> dict[str, Any]:
        data = await super().load_from_connection(connection)
        connection.scope[_LOADED_SESSION] = dict(data)  # type: ignore[literal-required]
        return data

    def get_session_id(self, connection: ASGIConnection) -> str:
        return connection.scope.get(_FRESH_SESSION_ID) or super().get_session_id(connection)

    async def store_in_message(self, scope_session, message, connection) -> None:
        if isinstance(scope_session, dict):
            if scope_session.pop(ROTATE_SESSION, None):
                old = connection.cookies.get(self.config.key)
                if old:
                    await self.delete(
                        old, store=self.config.get_store_from_app(connection.scope["app"])
                    )
                connection.scope[_FRESH_SESSION_ID] = self.generate_session_id()  # type: ignore
            elif scope_session == connection.scope.get(_LOADED_SESSION) and (
                scope_session or not connection.cookies.get(self.config.key)
            ):
                return  # unchanged, or empty with nothing to clear
        await super().store_in_message(scope_session, message, connection)


class SessionConfig(ServerSideSessionConfig):
    _backend_class = SessionBackend


async def _is_login_attempt(request: Any) -> bool:
    # async: Litestar would run a sync check in a worker thread on every request
    return request.method == "POST" and request.url.path == "/login"


async def _is_survey_answer(request: Any) -> bool:
    return request.method == "POST"


def _admin_app():
    """Piccolo Admin, read-only: every change goes through vendorgov so it is audited."""
    from piccolo.apps.user.tables import BaseUser
    from piccolo_admin.endpoints import create_admin
    from piccolo_api.session_auth.tables import SessionsBase

    from vendorgov.accounts.tables import Account, ApiToken
    from vendorgov.audit.tables import AuditEntry
    from vendorgov.files.tables import StoredFile
    from vendorgov.vendors.tables import Contact, Qualification, Vendor, VendorCategory

    settings = get_settings()
    return create_admin(
        tables=[
            Vendor,
            VendorCategory,
            Contact,
            Qualification,
            Account,
            ApiToken,
            StoredFile,
            AuditEntry,
        ],
        auth_table=BaseUser,
        session_table=SessionsBase,
        read_only=True,
        site_name="vendorgov admin",
        production=settings.secure_cookies,
    )


def _mount_admin():
    app_holder: dict[str, Any] = {}

    @asgi(
        "/admin",
        is_mount=True,
        copy_scope=True,
        guards=[allow(Role.admin)],
        include_in_schema=False,
    )
    async def admin(scope: Scope, receive: Receive, send: Send) -> None:
        if "app" not in app_holder:
            app_holder["app"] = _admin_app()
        await app_holder["app"](scope, receive, send)

    return admin


def _settle_memory() -> None:
    """What start-up built (routes, schemas, templates) lives as long as the process: move it
    out of the garbage collector's sight, so that the full collections made under load stay
    short (they took 50 ms each, a pause every request in flight waited for)."""
    gc.collect()
    gc.freeze()


async def before_request(request: Request) -> None:
    """Checks the input, and has the people's names at hand for the page (`person` filter)."""
    await check_request(request)
    await people.refresh()


def create_app(
    settings: Settings | None = None, extra_route_handlers: list | None = None
) -> Litestar:
    settings = settings or get_settings()
    private_dir(settings.data_dir)
    template_config = make_template_config(settings)
    session = SessionConfig(
        key="vg_session",
        store=stores.SESSIONS,
        max_age=settings.session_hours * 3600,
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
        # The API authenticates by token; static files and health checks need no session.
        # Nor the anonymous survey page, which keeps nothing between requests.
        exclude=[
            "^/api/",
            "^/static/",
            "^/schema",
            *ops.OPS_PATHS,
            *offline.PATHS,
            *public_surveys.PATHS,
        ],
    )
    rate_limit = RateLimitConfig(
        rate_limit=("minute", settings.login_attempts_per_minute),
        check_throttle_handler=_is_login_attempt,
        identifier_for_request=client_identifier(settings.trusted_proxies),
        store=stores.RATE_LIMIT,
    )
    # Anonymous survey answers, per client address (the page's GET is not counted).
    survey_limit = RateLimitConfig(
        rate_limit=("minute", settings.survey_answers_per_minute),
        check_throttle_handler=_is_survey_answer,
        identifier_for_request=client_identifier(settings.trusted_proxies),
        store=stores.SURVEY_RATE_LIMIT,
    )
    app = Litestar(
        route_handlers=[
            # Only the login form is throttled, so the middleware wraps only its routes.
            Router(path="/", route_handlers=[LoginPages], middleware=[rate_limit.middleware]),
            Router(
                path="/",
                route_handlers=[public_surveys.PublicSurveyPages],
                # 0 turns the limit off (a proxy in front limits instead)
                middleware=[survey_limit.middleware] if settings.survey_answers_per_minute else [],
            ),
            SurveyPages,
            HomePages,
            LanguagePages,
            VendorPages,
            ContractPages,
            ScorecardPages,
            NoticePages,
            InspectionPages,
            LocationPages,
            InboxPages,
            RobotPages,
            WorkdayPages,
            PlanPages,
            MonthEndPages,
            TenderListExport,
            TenderPages,
            ResultPages,
            PanelPages,
            AwardPages,
            AccountPages,
            TokenPages,
            AuditPages,
            ServiceDeskPages,
            MemberPages,
            VendorApi,
            ContractApi,
            SlaApi,
            SurveyApi,
            QuestionnaireApi,
            SurveyResultApi,
            EventTemplateApi,
            InspectionApi,
            LocationApi,
            WorkdayApi,
            PlanApi,
            PaymentApi,
            TenderApi,
            ResultApi,
            PanelApi,
            AwardApi,
            AccountApi,
            AuditApi,
            ops.router(settings),
            JobApi,
            InboxApi,
            ExportPages,
            ServiceDeskApi,
            _mount_admin(),
            *offline.ROUTES,
            create_static_files_router(
                path="/static", directories=[settings.static_dir], include_in_schema=False
            ),
            *(extra_route_handlers or []),
        ],
        middleware=[
            ops.metrics_config().middleware,
            session.middleware,
            DefineMiddleware(
                AccountAuthMiddleware,
                exclude=[*PUBLIC_PATHS, *offline.PATHS, *public_surveys.PATHS],
            ),
            # After authentication: the account's language comes first.
            LocaleMiddleware(),
        ],
        csrf_config=CSRFConfig(
            secret=derive_key(settings.secret_key, CSRF_LABEL).hex(),
            cookie_name="vg_csrf",
            cookie_secure=settings.secure_cookies,
            # The API authenticates by bearer token only, never by cookie, so cross-site
            # requests cannot ride on it; Piccolo Admin checks its own CSRF header. Probes
            # and scrapers need no cookie.
            # The anonymous survey form carries its own token, signed for the device cookie
            # (SameSite=Lax: not sent with a cross-site POST), which does a CSRF token's job.
            exclude=["^/api/", "^/admin", *ops.OPS_PATHS, *public_surveys.PATHS],
        ),
        stores=stores.app_stores(settings),
        template_config=template_config,
        plugins=[
            FlashPlugin(FlashConfig(template_config=template_config)),
            ops.logging_plugin(),
            *app_plugins(),
        ],
        before_request=before_request,
        # Every list's page, page_size, sort and cursor parameters (vendorgov.paging).
        dependencies={"paging": Provide(page_params)},
        exception_handlers={Exception: errors.handle},
        before_send=[add_security_headers],
        openapi_config=OpenAPIConfig(
            title="vendorgov API",
            version="0.1.0",
            description=about,
            path="/schema",
            render_plugins=[
                SwaggerPage(
                    path="/",
                    js_url="/static/vendor/swagger/swagger-ui-bundle.js",
                    css_url="/static/vendor/swagger/swagger-ui.css",
                    standalone_preset_js_url="/static/vendor/swagger/swagger-ui-standalone-preset.js",
                    favicon="",  # the default points at a CDN
                )
            ],
            components=Components(
                security_schemes={
                    "BearerToken": SecurityScheme(
                        type="http", scheme="bearer", description="A personal API token (vg_…)"
                    )
                }
            ),
            security=[{"BearerToken": []}],
        ),
        # Without Redis the app runs jobs and the scheduler itself (jobs.worker).
        lifespan=[lambda app: db.lifespan_connections(), local_worker, loop_lag.monitored],
        # Templates compiled before the memory is settled: they live as long as the process.
        on_startup=[lambda: compile_all(template_config.engine_instance.engine), _settle_memory],
        request_max_body_size=settings.max_upload_bytes + 1024 * 1024,
    )
    return ops.with_request_ids(app, ops.json_logs())
