"""JSON API for the vendor registry (bearer tokens; documented at /schema)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import msgspec
from litestar import Controller, Request, delete, get, patch, post
from litestar.datastructures import UploadFile
from litestar.params import FromPath, FromQuery, JSONBody, MultipartBody
from litestar.response import File
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from vendorgov.accounts.roles import Role
from vendorgov.errors import Collector
from vendorgov.files.responses import inline_file
from vendorgov.files.service import Upload
from vendorgov.i18n import _
from vendorgov.paging import PageRequest, page_struct
from vendorgov.vendors import qualifications, registry, service, sme
from vendorgov.vendors.rules import ContactInput, QualificationInput, VendorInput
from vendorgov.vendors.views import KEEPERS, READERS


class VendorIn(msgspec.Struct):
    name: str
    uscc: str
    categories: list[str]
    legal_representative: str = ""
    address: str = ""
    phone: str = ""
    email: str = ""
    bank_name: str = ""
    bank_account: str = ""


class VendorPatch(msgspec.Struct, omit_defaults=True):
    """Fields to change; `revision`, when given, must be the current one (else 409)."""

    name: str | None = None
    uscc: str | None = None
    categories: list[str] | None = None
    legal_representative: str | None = None
    address: str | None = None
    phone: str | None = None
    email: str | None = None
    bank_name: str | None = None
    bank_account: str | None = None
    revision: int | None = None


class StatusChangeIn(msgspec.Struct):
    action: Annotated[str, msgspec.Meta(description="suspend, blacklist or reinstate")]
    reason: str
    until: date | None = None


class ContactIn(msgspec.Struct):
    name: str
    title: str = ""
    phone: str = ""
    email: str = ""
    is_primary: bool = False


class ContactOut(msgspec.Struct):
    id: int
    name: str
    title: str
    phone: str
    email: str
    is_primary: bool


class QualificationOut(msgspec.Struct):
    id: int
    kind: str
    number: str
    issued_on: date
    expires_on: date
    expiry: Annotated[
        str, msgspec.Meta(description="valid, expiring (within the warning window) or expired")
    ]


class VendorOut(msgspec.Struct):
    id: int
    name: str
    uscc: str
    categories: list[str]
    legal_representative: str
    address: str
    phone: str
    email: str
    bank_name: str
    bank_account: str
    status: str
    effective_status: str
    status_reason: str
    suspended_until: date | None
    revision: int
    created_at: datetime
    updated_at: datetime


class VendorSummaryOut(VendorOut):
    qualifications_expiring: int
    qualifications_expired: int


VendorPageOut = page_struct(VendorSummaryOut, "VendorPageOut")


class VendorDetailOut(VendorOut):
    contacts: list[ContactOut]
    qualifications: list[QualificationOut]
    # §3a: the small/micro enterprise declaration ("" none), as tenders read it at opening.
    sme_size: str = ""
    sme_evidence: str = ""
    sme_declared_at: datetime | None = None


class SmeIn(msgspec.Struct):
    sme_size: str  # "" (none, withdraws a declaration), small or micro
    evidence: str = ""


class SmeOut(msgspec.Struct):
    id: int
    sme_size: str
    changed: bool


class CreatedOut(msgspec.Struct):
    id: int


class RevisionOut(msgspec.Struct):
    id: int
    revision: int


class StatusOut(msgspec.Struct):
    id: int
    status: str


class HistoryEntryOut(msgspec.Struct):
    id: int
    at: datetime
    actor: str
    action: str
    before: dict | None
    after: dict | None
    hash: str


class QualificationForm(msgspec.Struct):
    kind: str
    number: str
    issued_on: str
    expires_on: str
    scan: UploadFile


def _out(row: dict, kind: type[msgspec.Struct]):
    return msgspec.convert(row, kind, from_attributes=True, strict=False)


def _parse_date(name: str, raw: str, errors: Collector) -> date | None:
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        errors.add(name, "date", _("“%(value)s” is not a date; write it as 2026-11-30.", value=raw))
        return None


class VendorApi(Controller):
    path = "/api/vendors"
    tags = ["vendors"]

    @get("/", guards=[READERS], summary="List vendors (a vendor user sees only its own)")
    async def list_vendors(
        self,
        request: Request,
        q: FromQuery[str] = "",
        category: FromQuery[str] = "",
        status: FromQuery[str] = "",
        expiring: FromQuery[bool] = False,
        paging: PageRequest = PageRequest(),
    ) -> VendorPageOut:
        page = await service.list_vendors(
            request.user,
            q=q,
            category=category,
            status=status,
            expiring_only=expiring,
            request=paging,
        )
        return _out(page.as_json(), VendorPageOut)

    @post("/", guards=[KEEPERS], status_code=HTTP_201_CREATED, summary="Register a vendor")
    async def create(self, request: Request, data: JSONBody[VendorIn]) -> CreatedOut:
        vendor_id = await registry.create_vendor(
            request.user, VendorInput(**msgspec.structs.asdict(data))
        )
        return CreatedOut(id=vendor_id)

    @get("/{vendor_id:int}", guards=[READERS], summary="A vendor with contacts and qualifications")
    async def detail(self, request: Request, vendor_id: FromPath[int]) -> VendorDetailOut:
        return _out(await service.get_vendor(request.user, vendor_id), VendorDetailOut)

    @patch("/{vendor_id:int}", guards=[KEEPERS], summary="Change a vendor's details")
    async def update(
        self, request: Request, vendor_id: FromPath[int], data: JSONBody[VendorPatch]
    ) -> RevisionOut:
        current = await service.get_vendor(request.user, vendor_id)
        given = msgspec.structs.asdict(data)
        revision = given.pop("revision")
        merged = {
            k: current[k]
            for k in (
                "name",
                "uscc",
                "categories",
                "legal_representative",
                "address",
                "phone",
                "email",
                "bank_name",
                "bank_account",
            )
        }
        merged.update({k: v for k, v in given.items() if v is not None})
        new_revision = await registry.update_vendor(
            request.user, vendor_id, VendorInput(**merged), revision
        )
        return RevisionOut(id=vendor_id, revision=new_revision)

    @delete(
        "/{vendor_id:int}",
        guards=[KEEPERS],
        status_code=HTTP_200_OK,
        summary="Delete a vendor nothing refers to",
    )
    async def remove(self, request: Request, vendor_id: FromPath[int]) -> CreatedOut:
        await registry.delete_vendor(request.user, vendor_id)
        return CreatedOut(id=vendor_id)

    @post(
        "/{vendor_id:int}/status",
        guards=[KEEPERS],
        status_code=HTTP_200_OK,
        summary="Suspend, blacklist or reinstate, with a reason",
    )
    async def change_status(
        self, request: Request, vendor_id: FromPath[int], data: JSONBody[StatusChangeIn]
    ) -> StatusOut:
        new = await registry.change_status(
            request.user, vendor_id, data.action, data.reason, data.until
        )
        return StatusOut(id=vendor_id, status=new)

    @post(
        "/{vendor_id:int}/sme",
        guards=[READERS],
        status_code=HTTP_200_OK,
        summary="Declare the vendor a small or micro enterprise with the evidence (§3a); the "
        "vendor itself or a procurement officer",
    )
    async def declare_sme(
        self, request: Request, vendor_id: FromPath[int], data: JSONBody[SmeIn]
    ) -> SmeOut:
        changed = await sme.declare_sme(request.user, vendor_id, data.sme_size, data.evidence)
        return SmeOut(id=vendor_id, sme_size=data.sme_size.strip(), changed=changed)

    @get("/{vendor_id:int}/history", guards=[READERS], summary="The vendor's audit trail")
    async def history(self, request: Request, vendor_id: FromPath[int]) -> list[HistoryEntryOut]:
        return [_out(r, HistoryEntryOut) for r in await service.history(request.user, vendor_id)]

    @post("/{vendor_id:int}/contacts", guards=[KEEPERS], status_code=HTTP_201_CREATED)
    async def add_contact(
        self, request: Request, vendor_id: FromPath[int], data: JSONBody[ContactIn]
    ) -> CreatedOut:
        contact_id = await registry.add_contact(
            request.user, vendor_id, ContactInput(**msgspec.structs.asdict(data))
        )
        return CreatedOut(id=contact_id)

    @delete("/{vendor_id:int}/contacts/{contact_id:int}", guards=[KEEPERS], status_code=HTTP_200_OK)
    async def remove_contact(
        self, request: Request, vendor_id: FromPath[int], contact_id: FromPath[int]
    ) -> CreatedOut:
        await registry.remove_contact(request.user, vendor_id, contact_id)
        return CreatedOut(id=contact_id)

    @post(
        "/{vendor_id:int}/qualifications",
        guards=[READERS],
        status_code=HTTP_201_CREATED,
        summary="Add a qualification with its scan (multipart: kind, number, issued_on, "
        "expires_on, scan)",
    )
    async def add_qualification(
        self,
        request: Request,
        vendor_id: FromPath[int],
        data: MultipartBody[QualificationForm],
    ) -> CreatedOut:
        errors = Collector()
        issued = _parse_date("issued_on", data.issued_on, errors)
        expires = _parse_date("expires_on", data.expires_on, errors)
        errors.raise_if_any()
        upload = Upload(filename=data.scan.filename or "scan", data=await data.scan.read())
        qualification_id = await qualifications.add_qualification(
            request.user,
            vendor_id,
            QualificationInput(
                kind=data.kind, number=data.number, issued_on=issued, expires_on=expires
            ),
            upload,
        )
        return CreatedOut(id=qualification_id)

    @delete(
        "/{vendor_id:int}/qualifications/{qualification_id:int}",
        guards=[KEEPERS],
        status_code=HTTP_200_OK,
    )
    async def remove_qualification(
        self, request: Request, vendor_id: FromPath[int], qualification_id: FromPath[int]
    ) -> CreatedOut:
        await qualifications.remove_qualification(request.user, vendor_id, qualification_id)
        return CreatedOut(id=qualification_id)

    @get(
        "/{vendor_id:int}/qualifications/{qualification_id:int}/scan",
        guards=[READERS],
        summary="Download a qualification's scan",
    )
    async def scan(
        self, request: Request, vendor_id: FromPath[int], qualification_id: FromPath[int]
    ) -> File:
        return inline_file(
            await qualifications.qualification_scan(request.user, vendor_id, qualification_id)
        )


ROLE_NAMES = [r.value for r in Role]
