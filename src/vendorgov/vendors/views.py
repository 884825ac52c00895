"""Vendor registry pages: list with search and filters, detail with qualifications and history,
create and edit forms, status changes."""

from __future__ import annotations

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, FromQuery
from litestar.plugins.flash import flash
from litestar.response import File, Redirect, Template

from vendorgov.accounts.auth import allow
from vendorgov.accounts.roles import REGISTRY_KEEPERS, REGISTRY_READERS, Principal, Role
from vendorgov.files.responses import inline_file
from vendorgov.humane import status_label
from vendorgov.i18n import N_, _
from vendorgov.paging import PageRequest
from vendorgov.vendors import qualifications, registry, service, sme
from vendorgov.vendors.rules import SME_LABELS, ContactInput, QualificationInput, VendorInput
from vendorgov.web import list_exports
from vendorgov.web.forms import Form, retried_action, retried_list

READERS = allow(*REGISTRY_READERS, Role.vendor)
EXPORT_COLUMNS = {
    "id": N_("Vendor no."),
    "name": N_("Vendor"),
    "uscc": N_("Unified social credit code"),
    "categories": N_("Service categories"),
    "effective_status": N_("Status"),
    "qualifications_expiring": N_("Qualifications expiring"),
    "qualifications_expired": N_("Qualifications expired"),
}
KEEPERS = allow(*REGISTRY_KEEPERS)


def _vendor_input(form: Form) -> VendorInput:
    return VendorInput(
        name=form.text("name"),
        uscc=form.text("uscc"),
        categories=form.texts("categories"),
        legal_representative=form.text("legal_representative"),
        address=form.text("address"),
        phone=form.text("phone"),
        email=form.text("email"),
        bank_name=form.text("bank_name"),
        bank_account=form.text("bank_account"),
    )


# The detail page's forms by the last part of the address they post to: a rejected one is
# shown again (FormRetry) open, with its messages and what was typed.
_DETAIL_FORMS = {
    "sme": "sme",
    "status": "status",
    "contacts": "contact",
    "qualifications": "qualification",
    "delete": "delete",
}


def _retried_form(request: Request) -> str:
    action = retried_action(request)
    return _DETAIL_FORMS.get(action.rstrip("/").rsplit("/", 1)[-1], "") if action else ""


def _form_page(vendor: dict | None, selected: list[str]) -> Template:
    """The register / edit form; a rejected submission's input and messages come from
    FormRetry (templating.FormAwareTemplate)."""
    return Template(
        "vendors/form.html",
        context={
            "vendor": vendor,
            "values": vendor or {},
            "selected": selected,
            "errors": {},
            **service.choices(),
        },
    )


async def _detail(request: Request, vendor_id: int) -> Template:
    principal: Principal = request.user
    vendor = await service.get_vendor(principal, vendor_id)
    return Template(
        "vendors/detail.html",
        context={
            "vendor": vendor,
            "history": await service.history(principal, vendor_id),
            "can_edit": principal.role in REGISTRY_KEEPERS,
            "can_upload": principal.role in REGISTRY_KEEPERS or principal.vendor_id == vendor_id,
            "sme_labels": SME_LABELS,
            "errors": {},
            "form_name": _retried_form(request),
            "values": {},
            **service.choices(),
        },
    )


def _categories_as_text(row: dict) -> None:
    row["categories"] = " ".join(row["categories"])


EXPORT = list_exports.register(
    list_exports.ListExport(
        "vendors", service.list_vendors, EXPORT_COLUMNS, "vendors.csv", _categories_as_text
    )
)


class VendorPages(Controller):
    path = "/vendors"
    include_in_schema = False

    @get("/", guards=[READERS])
    async def index(
        self,
        request: Request,
        q: FromQuery[str] = "",
        category: FromQuery[str] = "",
        status: FromQuery[str] = "",
        expiring: FromQuery[bool] = False,
        paging: PageRequest = PageRequest(),
    ) -> Template:
        principal: Principal = request.user
        if principal.is_vendor:
            return Redirect(f"/vendors/{principal.vendor_id}")  # type: ignore[return-value]
        vendors = await service.list_vendors(
            principal,
            q=q,
            category=category,
            status=status,
            expiring_only=expiring,
            request=paging,
        )
        template = (
            "vendors/_rows.html" if request.headers.get("hx-request") else "vendors/list.html"
        )
        return Template(
            template,
            context={
                "vendors": vendors,
                "q": q,
                "category": category,
                "status": status,
                "expiring": expiring,
                "can_edit": principal.role in REGISTRY_KEEPERS,
                **service.choices(),
            },
        )

    @get("/export.csv", guards=[READERS])
    async def export(
        self,
        request: Request,
        q: FromQuery[str] = "",
        category: FromQuery[str] = "",
        status: FromQuery[str] = "",
        expiring: FromQuery[bool] = False,
    ) -> Response[bytes]:
        """The filtered registry (every page) as CSV (a job's download when large)."""
        filters = {"q": q, "category": category, "status": status, "expiring_only": expiring}
        return await list_exports.respond(request, EXPORT, filters)

    @get("/mine", guards=[allow(Role.vendor)])
    async def mine(self, request: Request) -> Redirect:
        return Redirect(f"/vendors/{request.user.vendor_id}")

    @get("/new", guards=[KEEPERS])
    async def new(self, request: Request) -> Template:
        return _form_page(None, retried_list(request, "categories") or [])

    @post("/", guards=[KEEPERS])
    async def create(self, request: Request) -> Redirect:
        # A refusal comes back on the form (web.errors.FormRetry), with what was typed.
        form = await Form.read(request)
        data = _vendor_input(form)
        vendor_id = await registry.create_vendor(request.user, data)
        flash(request, _("Vendor %(name)s registered.", name=data.name), category="ok")
        return Redirect(f"/vendors/{vendor_id}")

    @get("/{vendor_id:int}", guards=[READERS])
    async def detail(self, request: Request, vendor_id: FromPath[int]) -> Template:
        return await _detail(request, vendor_id)

    @get("/{vendor_id:int}/history", guards=[READERS])
    async def history(self, request: Request, vendor_id: FromPath[int]) -> Template:
        return Template(
            "audit/_history.html",
            context={"history": await service.history(request.user, vendor_id)},
        )

    @get("/{vendor_id:int}/edit", guards=[KEEPERS])
    async def edit(self, request: Request, vendor_id: FromPath[int]) -> Template:
        vendor = await service.get_vendor(request.user, vendor_id)
        retried = retried_list(request, "categories")
        return _form_page(vendor, vendor["categories"] if retried is None else retried)

    @post("/{vendor_id:int}/edit", guards=[KEEPERS])
    async def update(self, request: Request, vendor_id: FromPath[int]) -> Redirect:
        await service.require_vendor(vendor_id)  # no such vendor: 404, whatever was typed
        form = await Form.read(request)
        data = _vendor_input(form)
        revision = form.integer("revision")  # unreadable: saved without the stale check
        await registry.update_vendor(request.user, vendor_id, data, revision)
        flash(request, _("Changes saved."), category="ok")
        return Redirect(f"/vendors/{vendor_id}")

    @post("/{vendor_id:int}/delete", guards=[KEEPERS])
    async def delete(self, request: Request, vendor_id: FromPath[int]) -> Redirect:
        await registry.delete_vendor(request.user, vendor_id)
        flash(request, _("Vendor deleted."), category="ok")
        return Redirect("/vendors")

    @post("/{vendor_id:int}/status", guards=[KEEPERS])
    async def change_status(self, request: Request, vendor_id: FromPath[int]) -> Redirect:
        form = await Form.read(request)
        until = form.date("until")
        form.errors.raise_if_any()
        new = await registry.change_status(
            request.user, vendor_id, form.text("action"), form.text("reason"), until
        )
        flash(request, _("Vendor status: %(status)s.", status=status_label(new)), category="ok")
        return Redirect(f"/vendors/{vendor_id}")

    @post("/{vendor_id:int}/contacts", guards=[KEEPERS])
    async def add_contact(self, request: Request, vendor_id: FromPath[int]) -> Redirect:
        form = await Form.read(request)
        data = ContactInput(
            name=form.text("name"),
            title=form.text("title"),
            phone=form.text("phone"),
            email=form.text("email"),
            is_primary=form.flag("is_primary"),
        )
        await registry.add_contact(request.user, vendor_id, data)
        flash(request, _("Contact %(name)s added.", name=data.name), category="ok")
        return Redirect(f"/vendors/{vendor_id}#contacts")

    @post("/{vendor_id:int}/contacts/{contact_id:int}/delete", guards=[KEEPERS])
    async def remove_contact(
        self, request: Request, vendor_id: FromPath[int], contact_id: FromPath[int]
    ) -> Redirect:
        await registry.remove_contact(request.user, vendor_id, contact_id)
        flash(request, _("Contact removed."), category="ok")
        return Redirect(f"/vendors/{vendor_id}#contacts")

    @post("/{vendor_id:int}/qualifications", guards=[READERS])
    async def add_qualification(self, request: Request, vendor_id: FromPath[int]) -> Redirect:
        form = await Form.read(request)
        data = QualificationInput(
            kind=form.text("kind"),
            number=form.text("number"),
            issued_on=form.date("issued_on"),
            expires_on=form.date("expires_on"),
        )
        form.errors.raise_if_any()
        await qualifications.add_qualification(
            request.user, vendor_id, data, await form.upload("scan")
        )
        flash(request, _("Qualification added."), category="ok")
        return Redirect(f"/vendors/{vendor_id}#qualifications")

    @post("/{vendor_id:int}/sme", guards=[READERS])
    async def declare_sme(self, request: Request, vendor_id: FromPath[int]) -> Redirect:
        """§3a: the vendor (or an officer for it) declares a small or micro enterprise; a
        refusal comes back on the vendor page (FormRetry)."""
        form = await Form.read(request)
        await sme.declare_sme(
            request.user, vendor_id, form.text("sme_size"), form.text("sme_evidence")
        )
        flash(request, _("Enterprise size declaration recorded."), category="ok")
        return Redirect(f"/vendors/{vendor_id}#sme")

    @post("/{vendor_id:int}/qualifications/{qualification_id:int}/delete", guards=[KEEPERS])
    async def remove_qualification(
        self, request: Request, vendor_id: FromPath[int], qualification_id: FromPath[int]
    ) -> Redirect:
        await qualifications.remove_qualification(request.user, vendor_id, qualification_id)
        flash(request, _("Qualification removed."), category="ok")
        return Redirect(f"/vendors/{vendor_id}#qualifications")

    @get("/{vendor_id:int}/qualifications/{qualification_id:int}/scan", guards=[READERS])
    async def scan(
        self, request: Request, vendor_id: FromPath[int], qualification_id: FromPath[int]
    ) -> File:
        stored = await qualifications.qualification_scan(request.user, vendor_id, qualification_id)
        return inline_file(stored)
