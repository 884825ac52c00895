"""Authentication (sessions for pages, bearer tokens for the API) and role guards."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult

from vendorgov.accounts import service
from vendorgov.accounts.roles import Principal, Role, role_label
from vendorgov.i18n import N_, _

SESSION_KEY = "uid"
# The account's credentials version at login: a reset or (de)activation raises it.
CREDENTIALS_KEY = "cv"
API_PREFIX = "/api/"
# Paths anyone may open: the login page and the language switch, static files, the API
# description, health and readiness; /metrics has its own guard (loopback or a token, see
# web/ops.py).
PUBLIC_PATHS = [
    "^/login",
    "^/language$",  # the switch works before login too (it finds the session itself)
    "^/static/",
    "^/schema",
    "^/healthz",
    "^/readyz",
    "^/metrics",
    "^/favicon.ico",
]


class AccountAuthMiddleware(AbstractAuthenticationMiddleware):
    """API routes take only `Authorization: Bearer <token>` (so they need no CSRF token and
    cookies never authorise them); pages take only the server-side session."""

    async def authenticate_request(self, connection: ASGIConnection) -> AuthenticationResult:
        # raw_path, not path: inside a mounted app (Piccolo Admin at /admin) "path" is
        # relative to the mount, and /admin/api/… would pass for our token-only API.
        raw_path = connection.scope.get("raw_path") or connection.scope["path"].encode()
        if raw_path.startswith(API_PREFIX.encode()):
            scheme, _, token = connection.headers.get("authorization", "").partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                # Marked, not translated: this may run before the locale is known; the
                # error handler translates the detail in the request's language.
                raise NotAuthorizedException(
                    N_(
                        "Send your API token as 'Authorization: Bearer <token>' (create one "
                        "under 'API tokens' after logging in)."
                    )
                )
            principal = await service.principal_for_token(token.strip())
            if principal is None:
                raise NotAuthorizedException(
                    N_("The API token is unknown, revoked, or its account is inactive.")
                )
            return AuthenticationResult(user=principal, auth="token")
        session = connection.scope.get("session") or {}
        principal = await service.principal_for_session(
            session.get(SESSION_KEY), session.get(CREDENTIALS_KEY)
        )
        if principal is None:
            raise NotAuthorizedException(N_("Please log in."))
        return AuthenticationResult(user=principal, auth="session")


def allow(*roles: Role) -> Callable[[ASGIConnection, BaseRouteHandler], Awaitable[None]]:
    """A guard admitting only the given roles. Async on purpose: Litestar runs a sync guard in
    a worker thread, a hop that cost more than the rest of a small request."""

    async def guard(connection: ASGIConnection, _handler: BaseRouteHandler) -> None:
        user: Principal = connection.user
        if user.role not in roles:
            raise PermissionDeniedException(
                _(
                    "The %(role)s role may not do this (allowed: %(roles)s).",
                    role=role_label(user.role),
                    roles=", ".join(role_label(r) for r in roles),
                )
            )

    guard.__name__ = f"allow_{'_'.join(r.value for r in roles)}"
    return guard


EVERY_ROLE = tuple(Role)
