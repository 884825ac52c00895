"""The inbox and its bell, each person's notification settings, and the administrators'
group robots and delivery log."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import FromPath, FromQuery
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template

from vendorgov.accounts.auth import allow
from vendorgov.accounts.roles import ROLE_LABELS, Role
from vendorgov.errors import DomainError
from vendorgov.i18n import _
from vendorgov.notifications import rules, service
from vendorgov.paging import PageRequest
from vendorgov.settings import get_settings
from vendorgov.vendors import service as vendors
from vendorgov.web.forms import Form, error_map

ADMIN = allow(Role.admin)


class InboxPages(Controller):
    include_in_schema = False

    @get("/inbox")
    async def inbox(
        self, request: Request, paging: PageRequest, unread: FromQuery[bool] = False
    ) -> Template:
        return Template(
            "notifications/inbox.html",
            context={
                "items": await service.inbox(request.user, paging, unread_only=unread),
                "unread": unread,
            },
        )

    @get("/inbox/bell")
    async def bell(self, request: Request) -> Template:
        """The header's bell (HTMX swaps it in, and polls it)."""
        return Template(
            "notifications/bell.html",
            context={
                "unread_count": await service.unread_count(request.user.user_id),
                "poll_s": get_settings().bell_poll_s,
            },
        )

    @post("/inbox/{notification_id:int}/open")
    async def open(self, request: Request, notification_id: FromPath[int]) -> Redirect:
        item = await service.mark_read(request.user, notification_id)
        return Redirect(item["link"] or "/inbox")

    @post("/inbox/read-all")
    async def read_all(self, request: Request) -> Redirect:
        count = await service.mark_all_read(request.user)
        flash(request, _("%(count)s items marked read.") % {"count": count}, category="ok")
        return Redirect("/inbox")

    @get("/settings/notifications")
    async def settings_page(self, request: Request) -> Template:
        return await _settings_page(request, vars(await service.settings_for(request.user)))

    @post("/settings/notifications")
    async def save_settings(self, request: Request) -> Template | Redirect:
        form = await Form.read(request)
        choices = service.Choices(
            email=form.text("email"),
            phone=form.text("phone"),
            email_on=form.flag("email_on"),
            sms_on=form.flag("sms_on"),
            quiet_start=form.text("quiet_start"),
            quiet_end=form.text("quiet_end"),
            digest=form.flag("digest"),
        )
        try:
            await service.save_settings(request.user, choices)
        except DomainError as error:
            return await _settings_page(request, form.values(), error_map(error), error.status_code)
        flash(request, _("Notification settings saved."), category="ok")
        return Redirect("/settings/notifications")


async def _settings_page(
    request: Request, values: dict, errors: dict | None = None, status_code: int = 200
) -> Template:
    return Template(
        "notifications/settings.html",
        status_code=status_code,
        context={
            "values": values,
            "errors": errors or {},
            "available": service.channels_available(),
        },
    )


class RobotPages(Controller):
    include_in_schema = False
    guards = [ADMIN]

    async def _page(self, request: Request, status_code: int = 200, **extra: Any) -> Template:
        context = {
            "robots": await service.robots(),
            "channels": rules.ROBOT_CHANNELS,
            "roles": ROLE_LABELS,
            "vendors": await vendors.vendor_choices(),
            "errors": {},
            "values": {},
        }
        context.update(extra)
        return Template("notifications/robots.html", status_code=status_code, context=context)

    @get("/notifications/robots")
    async def index(self, request: Request) -> Template:
        return await self._page(request)

    @post("/notifications/robots")
    async def add(self, request: Request) -> Template | Redirect:
        form = await Form.read(request)
        try:
            vendor_id = form.integer("vendor_id")
            form.errors.raise_if_any()
            await service.add_robot(
                form.text("name"),
                form.text("channel"),
                form.text("address"),
                form.text("role"),
                vendor_id,
            )
        except DomainError as error:
            return await self._page(
                request, error.status_code, errors=error_map(error), values=form.values()
            )
        flash(request, _("Robot added."), category="ok")
        return Redirect("/notifications/robots")

    @post("/notifications/robots/{robot_id:int}")
    async def switch(self, request: Request, robot_id: FromPath[int]) -> Redirect:
        form = await Form.read(request)
        await service.set_robot_active(robot_id, form.text("action") == "activate")
        return Redirect("/notifications/robots")

    @get("/notifications/deliveries")
    async def deliveries(
        self,
        request: Request,
        paging: PageRequest,
        status: FromQuery[str] = "",
        channel: FromQuery[str] = "",
    ) -> Template:
        page = await service.delivery_log(paging, status, channel)
        return Template(
            "notifications/deliveries.html",
            context={"deliveries": page, "status": status, "channel": channel},
        )
