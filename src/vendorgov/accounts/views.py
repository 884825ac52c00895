"""Log in and out, API tokens, and the administrator's account pages."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import FromPath, FromQuery
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template

from vendorgov.accounts import service
from vendorgov.accounts.auth import CREDENTIALS_KEY, EVERY_ROLE, SESSION_KEY, allow
from vendorgov.accounts.roles import ROLE_LABELS, Role
from vendorgov.i18n import _
from vendorgov.paging import PageRequest
from vendorgov.vendors import service as vendors
from vendorgov.web.forms import Form, safe_next

ROTATE_SESSION = "_rotate"


class LoginPages(Controller):
    include_in_schema = False

    @get("/login")
    async def login_form(self, request: Request, next: FromQuery[str] = "/") -> Template:
        return Template(
            "login.html", context={"next": safe_next(next), "error": "", "username": ""}
        )

    @post("/login")
    async def login(self, request: Request) -> Template | Redirect:
        form = await Form.read(request)
        target = safe_next(form.text("next") or "/")
        principal = await service.authenticate(
            form.text("username"), str(form.data.get("password", ""))
        )
        if principal is None:
            return Template(
                "login.html",
                status_code=401,
                context={
                    "next": target,
                    "username": form.text("username"),
                    "error": _("Wrong username or password, or the account is inactive."),
                },
            )
        # A fresh session id at login, so an id planted before it is worthless.
        request.set_session(
            {
                SESSION_KEY: principal.user_id,
                CREDENTIALS_KEY: principal.credentials_version,
                ROTATE_SESSION: True,
            }
        )
        return Redirect(target)

    @post("/logout", guards=[allow(*EVERY_ROLE)])
    async def logout(self, request: Request) -> Redirect:
        request.clear_session()
        return Redirect("/login")


class TokenPages(Controller):
    path = "/tokens"
    include_in_schema = False
    guards = [allow(*EVERY_ROLE)]

    async def _page(
        self,
        request: Request,
        status_code: int = 200,
        paging: PageRequest = PageRequest(),
        **extra: Any,
    ) -> Template:
        return Template(
            "accounts/tokens.html",
            status_code=status_code,
            context={
                "tokens": await service.list_tokens(request.user.user_id, paging),
                "new_token": None,
                "errors": {},
                **extra,
            },
        )

    @get("/")
    async def index(self, request: Request, paging: PageRequest) -> Template:
        return await self._page(request, paging=paging)

    @post("/")
    async def create(self, request: Request) -> Template:
        form = await Form.read(request)
        _id, token = await service.create_token(request.user, form.text("name"))
        return await self._page(request, 201, new_token=token)

    @post("/{token_id:int}/revoke")
    async def revoke(self, request: Request, token_id: FromPath[int]) -> Redirect:
        await service.revoke_token(request.user, token_id)
        flash(request, _("Token revoked."), category="ok")
        return Redirect("/tokens")


class AccountPages(Controller):
    path = "/accounts"
    include_in_schema = False
    guards = [allow(Role.admin)]

    async def _page(
        self,
        status_code: int = 200,
        filters: dict | None = None,
        vendor_q: str = "",
        **extra: Any,
    ) -> Template:
        filters = filters or {"q": "", "role": "", "request": PageRequest()}
        chosen = (extra.get("values") or {}).get("vendor_id")
        context = {
            "accounts": await service.list_accounts(**filters),
            "q": filters["q"],
            "role": filters["role"],
            "roles": ROLE_LABELS,
            "vendors": await vendors.vendor_choices(
                vendor_q, int(chosen) if str(chosen or "").isdecimal() else None
            ),
            "vendor_q": vendor_q,
            "errors": {},
            "values": {},
        }
        context.update(extra)
        return Template("accounts/list.html", status_code=status_code, context=context)

    @get("/")
    async def index(
        self,
        paging: PageRequest,
        q: FromQuery[str] = "",
        role: FromQuery[str] = "",
        vendor_q: FromQuery[str] = "",
    ) -> Template:
        return await self._page(
            filters={"q": q, "role": role, "request": paging}, vendor_q=vendor_q
        )

    # A rejected form comes back on the page it was sent from, input kept
    # (web.errors.FormRetry): these handlers only do the work.
    @post("/")
    async def create(self, request: Request) -> Redirect:
        form = await Form.read(request)
        vendor_id = form.integer("vendor_id")
        form.errors.raise_if_any()
        await service.create_account(
            request.user,
            username=form.text("username"),
            password=str(form.data.get("password", "")),
            role=form.text("role"),
            display_name=form.text("display_name"),
            email=form.text("email"),
            vendor_id=vendor_id,
        )
        flash(
            request,
            _("Account %(name)s created.", name=form.text("display_name")),
            category="ok",
        )
        return Redirect("/accounts")

    @post("/{user_id:int}/active")
    async def set_active(self, request: Request, user_id: FromPath[int]) -> Redirect:
        form = await Form.read(request)
        await service.set_active(request.user, user_id, form.flag("active"))
        return Redirect("/accounts")

    @post("/{user_id:int}/password")
    async def set_password(self, request: Request, user_id: FromPath[int]) -> Redirect:
        form = await Form.read(request)
        await service.set_password(request.user, user_id, str(form.data.get("password", "")))
        flash(request, _("Password changed."), category="ok")
        return Redirect("/accounts")
