"""Which language a request is served in, and the header's language switch.

The account's choice when a user is logged in; before login the `vg_lang` cookie the switch
sets, else the browser's Accept-Language; zh-CN when none of those names a language of ours.
An explicit `?lang=en` (an export link, a shared URL) wins over all of them for that request.
"""

from __future__ import annotations

from litestar import Controller, Request, post
from litestar.middleware import ASGIMiddleware
from litestar.response import Redirect
from litestar.types import ASGIApp, Receive, Scope, Send

from vendorgov.accounts import service as accounts
from vendorgov.accounts.auth import CREDENTIALS_KEY, SESSION_KEY
from vendorgov.i18n import current_locale, negotiate, valid_locale
from vendorgov.settings import get_settings
from vendorgov.web.forms import Form, safe_next

COOKIE = "vg_lang"
LOCALE_KEY = "vendorgov.locale"


def request_locale(scope: Scope, cookies: dict[str, str], query: dict, headers) -> str:
    user = scope.get("user")
    return (
        valid_locale(query.get("lang", "").replace("-", "_"))
        or (valid_locale(user.language) if user is not None else None)
        or valid_locale(cookies.get(COOKIE))
        or negotiate(headers.get("accept-language", ""))
    )


class LocaleMiddleware(ASGIMiddleware):
    """Sets `current_locale` for the rest of the request. Not reset on the way out: the
    exception handlers and the template response render after this returns, in the same
    request task (each request has its own context, so nothing leaks to the next one)."""

    scopes = ("http",)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        request: Request = Request(scope)
        locale = request_locale(scope, request.cookies, request.query_params, request.headers)
        scope[LOCALE_KEY] = locale  # type: ignore[literal-required]
        current_locale.set(locale)
        await next_app(scope, receive, send)


class LanguagePages(Controller):
    include_in_schema = False

    @post("/language")
    async def switch(self, request: Request) -> Redirect:
        """The header's switch (a CSRF-checked form): the account keeps the choice when the
        user is logged in, and a year-long cookie keeps it on this browser either way (the
        login page, after logout)."""
        form = await Form.read(request)
        language = valid_locale(form.text("language")) or current_locale.get()
        session = request.scope.get("session") or {}
        principal = await accounts.principal_for_session(
            session.get(SESSION_KEY), session.get(CREDENTIALS_KEY)
        )
        if principal is not None:
            await accounts.set_language(principal, language)
        response = Redirect(safe_next(form.text("next") or "/"))
        response.set_cookie(
            COOKIE,
            language,
            max_age=365 * 24 * 3600,
            httponly=True,
            samesite="lax",
            secure=get_settings().secure_cookies,
        )
        return response
