"""Home dashboard and health check."""

from __future__ import annotations

from litestar import Controller, Request, get
from litestar.response import Template

from vendorgov.accounts.auth import EVERY_ROLE, allow
from vendorgov.accounts.roles import REGISTRY_READERS
from vendorgov.vendors import service as vendors


class HomePages(Controller):
    include_in_schema = False

    @get("/", guards=[allow(*EVERY_ROLE)])
    async def home(self, request: Request) -> Template:
        principal = request.user
        registry = principal.role in REGISTRY_READERS
        return Template(
            "home.html",
            context={
                "expiring": await vendors.expiring_qualifications(principal),
                "status_counts": await vendors.status_counts() if registry else {},
                "registry": registry,
            },
        )

    @get("/healthz")
    async def health(self) -> dict[str, str]:
        return {"status": "ok"}
