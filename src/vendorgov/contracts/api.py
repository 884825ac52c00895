"""JSON API for contracts (bearer tokens; documented at /schema)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get, post, put
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from vendorgov.accounts.auth import allow
from vendorgov.accounts.roles import Role
from vendorgov.contracts import documents, drafting, lifecycle, rules, service
from vendorgov.contracts.ocds import contract_release
from vendorgov.contracts.service import KEEPERS, READERS
from vendorgov.paging import PageRequest, page_struct
from vendorgov.payments import reading as payment_reading
from vendorgov.vendors import service as vendors

# Vendors read their own contracts and auditors their assigned ones (the service checks which).
READ = allow(*READERS, Role.vendor, Role.auditor)
WRITE = allow(*KEEPERS)
_JSON = msgspec.json.Encoder(decimal_format="number")


class ClauseIn(msgspec.Struct):
    code: str
    name: str
    kind: Annotated[str, msgspec.Meta(description=", ".join(rules.ClauseKind))]
    target: Decimal
    minimum: Decimal
    weight: Decimal
    threshold_minutes: int | None = None
    category: str = ""
    priority: Annotated[str, msgspec.Meta(description="emergency, urgent, routine or empty")] = ""


class SchemeIn(msgspec.Struct):
    sla: Decimal = Decimal(40)
    inspection: Decimal = Decimal(30)
    satisfaction: Decimal = Decimal(20)
    audit: Decimal = Decimal(10)


class BandIn(msgspec.Struct):
    grade: str
    min_score: Decimal
    pay_percent: Decimal


class PenaltyIn(msgspec.Struct):
    trigger: Annotated[str, msgspec.Meta(description=", ".join(rules.PENALTY_TRIGGERS))]
    amount: Decimal
    description: str = ""


class DeadlinesIn(msgspec.Struct):
    critical: int = 24
    major: int = 72
    minor: int = 168


class TermsIn(msgspec.Struct):
    """A version's terms. Money and scores are decimals (send them as strings or numbers)."""

    effective_from: date
    monthly_fee: Decimal
    clauses: list[ClauseIn] = []
    scheme: SchemeIn = msgspec.field(default_factory=SchemeIn)
    bands: list[BandIn] = msgspec.field(
        default_factory=lambda: [
            BandIn(b.grade, b.min_score, b.pay_percent) for b in rules.default_bands()
        ]
    )
    penalties: list[PenaltyIn] = []
    deadlines: DeadlinesIn = msgspec.field(default_factory=DeadlinesIn)
    deduction_cap_percent: Decimal | None = None
    terms_text: str = ""
    # The last month's fee when it differs (the remainder of an awarded total); empty: the same.
    final_month_fee: Decimal | None = None


class DraftIn(TermsIn):
    revision: int | None = None


class ContractIn(msgspec.Struct):
    number: str
    title: str
    vendor_id: int
    category: str
    start_date: date
    end_date: date
    monthly_fee: Decimal
    scope: str = ""
    notice_days: int = 90
    terms: TermsIn | None = None


class CreatedOut(msgspec.Struct):
    id: int
    version_id: int


class VersionOut(msgspec.Struct):
    id: int
    number: int
    status: str
    effective_from: date
    revision: int
    amendment_reason: str
    signed_at: datetime | None
    signed_by: str
    terms: dict[str, Any]


class ContractOut(msgspec.Struct):
    id: int
    number: str
    title: str
    vendor: int
    vendor_name: str
    category: str
    start_date: date
    end_date: date
    status: str
    effective_status: str
    expiry_notice: bool
    vendor_flagged: bool
    tender_id: int | None


ContractPageOut = page_struct(ContractOut, "ContractPageOut")


class ContractDetailOut(ContractOut):
    scope: str
    in_force_id: int | None
    versions: list[VersionOut]


class AmendmentIn(msgspec.Struct):
    reason: str
    effective_from: date | None = None


class StatusIn(msgspec.Struct):
    action: Annotated[str, msgspec.Meta(description="suspend, resume or terminate")]
    reason: str


class ChangeOut(msgspec.Struct):
    field: str
    before: Any
    after: Any


class ClauseChangeOut(msgspec.Struct):
    code: str
    name: str
    changes: list[ChangeOut]


class DiffOut(msgspec.Struct):
    a: int
    b: int
    general: list[ChangeOut]
    clauses_added: list[str]
    clauses_removed: list[str]
    clauses_changed: list[ClauseChangeOut]
    scheme: list[ChangeOut]
    bands: list[ChangeOut]
    penalties: list[ChangeOut]
    deadlines: list[ChangeOut]
    terms_text: list[str]
    summary: list[str]


def _terms(data: msgspec.Struct) -> rules.Terms:
    plain = msgspec.to_builtins(data)
    plain.pop("revision", None)
    return rules.parse_terms(plain)


def _version_out(v: dict) -> VersionOut:
    return VersionOut(
        id=v["id"],
        number=v["number"],
        status=v["status"],
        effective_from=v["effective_from"],
        revision=v["revision"],
        amendment_reason=v["amendment_reason"],
        signed_at=v["signed_at"],
        signed_by=v["signed_by"],
        terms=rules.to_plain(v["terms_obj"]),
    )


def _changes(changes: list[rules.Change]) -> list[ChangeOut]:
    def plain(value: Any) -> Any:
        return str(value) if isinstance(value, (Decimal, date)) else value

    return [ChangeOut(c.field, plain(c.before), plain(c.after)) for c in changes]


async def _version_id(request: Request, contract_id: int, number: int) -> int:
    contract = await service.get_contract(request.user, contract_id)
    return service.version_by_number(contract, number)["id"]


class ContractApi(Controller):
    path = "/api/contracts"
    tags = ["contracts"]

    @get("/", guards=[READ], summary="Contracts (a vendor user sees only its own)")
    async def list_contracts(
        self,
        request: Request,
        status: FromQuery[str] = "",
        vendor_id: FromQuery[int | None] = None,
        category: FromQuery[str] = "",
        expiring: FromQuery[bool] = False,
        flagged: FromQuery[bool] = False,
        q: FromQuery[str] = "",
        paging: PageRequest = PageRequest(),
    ) -> ContractPageOut:
        page = await service.contract_page(
            request.user,
            request=paging,
            q=q,
            status=status,
            vendor_id=vendor_id,
            category=category,
            expiring_only=expiring,
            flagged_only=flagged,
        )
        return msgspec.convert(page.as_json(), ContractPageOut, strict=False)

    @post(
        "/",
        guards=[WRITE],
        status_code=HTTP_201_CREATED,
        summary="Create a contract with its first draft version",
    )
    async def create(self, request: Request, data: JSONBody[ContractIn]) -> CreatedOut:
        contract_id, version_id = await drafting.create_contract(
            request.user,
            drafting.ContractInput(
                number=data.number,
                title=data.title,
                vendor_id=data.vendor_id,
                category=data.category,
                start_date=data.start_date,
                end_date=data.end_date,
                monthly_fee=data.monthly_fee,
                scope=data.scope,
                notice_days=data.notice_days,
            ),
            _terms(data.terms) if data.terms else None,
        )
        return CreatedOut(id=contract_id, version_id=version_id)

    @get("/{contract_id:int}", guards=[READ], summary="A contract with all its versions")
    async def detail(self, request: Request, contract_id: FromPath[int]) -> ContractDetailOut:
        row = await service.get_contract(request.user, contract_id)
        versions = [_version_out(v) for v in row.pop("versions")]
        return msgspec.convert(
            {**row, "versions": versions}, ContractDetailOut, strict=False, from_attributes=True
        )

    @get(
        "/{contract_id:int}/in-force",
        guards=[READ],
        summary="The signed version in force on a date (default today, hospital time)",
    )
    async def in_force(
        self, request: Request, contract_id: FromPath[int], on: FromQuery[date | None] = None
    ) -> VersionOut | None:
        contract = await service.get_contract(request.user, contract_id)
        found = await service.version_in_force(contract_id, on or vendors.today())
        if found is None:
            return None
        return _version_out(service.version_by_number(contract, found.version_number))

    @put(
        "/{contract_id:int}/versions/{number:int}",
        guards=[WRITE],
        summary="Save a draft version's terms (send the revision you edited: 409 if stale)",
    )
    async def update_draft(
        self,
        request: Request,
        contract_id: FromPath[int],
        number: FromPath[int],
        data: JSONBody[DraftIn],
    ) -> dict[str, int]:
        version_id = await _version_id(request, contract_id, number)
        revision = await drafting.update_draft(
            request.user, version_id, _terms(data), data.revision
        )
        return {"id": version_id, "revision": revision}

    @post(
        "/{contract_id:int}/versions/{number:int}/sign",
        guards=[WRITE],
        status_code=HTTP_200_OK,
        summary="Sign a draft: it becomes immutable",
    )
    async def sign(
        self, request: Request, contract_id: FromPath[int], number: FromPath[int]
    ) -> dict[str, int]:
        version_id = await _version_id(request, contract_id, number)
        await drafting.sign(request.user, version_id)
        return {"id": version_id, "number": number}

    @post(
        "/{contract_id:int}/amendments",
        guards=[WRITE],
        status_code=HTTP_201_CREATED,
        summary="Copy the latest signed version into a new draft, with the reason",
    )
    async def amend(
        self, request: Request, contract_id: FromPath[int], data: JSONBody[AmendmentIn]
    ) -> dict[str, int]:
        version_id = await drafting.amend(
            request.user, contract_id, data.reason, data.effective_from
        )
        version = await service.get_version(request.user, version_id)
        return {"id": version_id, "number": version["number"]}

    @post(
        "/{contract_id:int}/status",
        guards=[WRITE],
        status_code=HTTP_200_OK,
        summary="Suspend, resume or terminate",
    )
    async def change_status(
        self, request: Request, contract_id: FromPath[int], data: JSONBody[StatusIn]
    ) -> dict[str, str]:
        return {
            "status": await lifecycle.change_status(
                request.user, contract_id, data.action, data.reason
            )
        }

    @get("/{contract_id:int}/compare", guards=[READ], summary="What changed from version a to b")
    async def compare(
        self, request: Request, contract_id: FromPath[int], a: FromQuery[int], b: FromQuery[int]
    ) -> DiffOut:
        result = await service.compare(request.user, contract_id, a, b)
        diff: rules.VersionDiff = result["diff"]
        return DiffOut(
            a=a,
            b=b,
            general=_changes(diff.general),
            clauses_added=[c.code for c in diff.clauses.added],
            clauses_removed=[c.code for c in diff.clauses.removed],
            clauses_changed=[
                ClauseChangeOut(code, name, _changes(ch)) for code, name, ch in diff.clauses.changed
            ],
            scheme=_changes(diff.scheme),
            bands=_changes(diff.bands),
            penalties=_changes(diff.penalties),
            deadlines=_changes(diff.deadlines),
            terms_text=diff.terms_text,
            summary=diff.summary(),
        )

    @get(
        "/{contract_id:int}/versions/{number:int}/document.pdf",
        guards=[READ],
        summary="The contract document (合同 with the SLA annex) of a version, PDF",
        media_type="application/pdf",
    )
    async def document(
        self, request: Request, contract_id: FromPath[int], number: FromPath[int]
    ) -> Response[bytes]:
        contract = await service.get_contract(request.user, contract_id)
        version = service.version_by_number(contract, number)
        return await documents.pdf_response(contract, version)

    @get(
        "/{contract_id:int}/ocds",
        guards=[READ],
        summary="OCDS 1.1 release of the contract, its amendments and approved payments",
    )
    async def ocds(self, request: Request, contract_id: FromPath[int]) -> Response[bytes]:
        contract = await service.get_contract(request.user, contract_id)
        vendor = await vendors.require_vendor(contract["vendor"])
        paid = await payment_reading.approved_payments(contract_id)
        release = contract_release(contract, vendor, paid, str(request.base_url))
        return Response(_JSON.encode(release), media_type="application/json")

    @get("/{contract_id:int}/history", guards=[READ], summary="Audit trail of the contract")
    async def history(self, request: Request, contract_id: FromPath[int]) -> list[dict]:
        return [
            {
                k: e[k]
                for k in ("id", "at", "actor", "entity", "entity_id", "action", "before", "after")
            }
            for e in await service.history(request.user, contract_id)
        ]
