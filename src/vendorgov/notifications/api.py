"""The inbox for API clients (a mobile app, an integration polling for work)."""

from __future__ import annotations

from datetime import datetime

import msgspec
from litestar import Controller, Request, get, post
from litestar.params import FromPath, FromQuery

from vendorgov.notifications import rules, service
from vendorgov.paging import PageRequest, page_struct


class InboxItem(msgspec.Struct):
    id: int
    kind: str
    title: str
    body: str
    link: str
    created_at: datetime
    read_at: datetime | None


InboxPage = page_struct(InboxItem, "InboxPage")


class UnreadCount(msgspec.Struct):
    unread: int


def _item(row: dict) -> dict:
    return {name: row[name] for name in InboxItem.__struct_fields__}


class InboxApi(Controller):
    path = "/api/inbox"
    tags = ["inbox"]

    @get("/", summary="My notifications, newest first (keyset: pass next_cursor as cursor)")
    async def list_items(
        self, request: Request, paging: PageRequest, unread: FromQuery[bool] = False
    ) -> InboxPage:
        page = await service.inbox(request.user, paging, unread_only=unread)
        return msgspec.convert(page.as_json(_item), InboxPage)

    @get("/unread", summary="How many of my notifications are unread")
    async def unread(self, request: Request) -> UnreadCount:
        return UnreadCount(await service.unread_count(request.user.user_id))

    @post("/{notification_id:int}/read", status_code=200, summary="Mark one read (idempotent)")
    async def read(self, request: Request, notification_id: FromPath[int]) -> InboxItem:
        row = await service.mark_read(request.user, notification_id)
        row["title"], row["body"] = rules.words(row["kind"], row["params"])
        return msgspec.convert(_item(row), InboxItem)
