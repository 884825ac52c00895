"""A service desk to test with: a ward's places, two vendors' signed contracts (30-minute
response, 2-hour resolution), routes, vendor managers and workers, ward accounts; each with
an API token."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from tests.conftest import PASSWORD, PNG, new_vendor, unique
from vendorgov.accounts import service as accounts
from vendorgov.accounts.roles import Principal
from vendorgov.contracts import drafting as contract_drafting
from vendorgov.contracts.rules import Clause, Terms
from vendorgov.locations import service as locations
from vendorgov.servicedesk import access, routing

PHOTO = base64.b64encode(PNG).decode()
RESPOND = Clause(
    code="SLA-1",
    name="30分钟内到场",
    kind="response_within",
    target=Decimal(90),
    minimum=Decimal(50),
    weight=Decimal(1),
    threshold_minutes=30,
)
RESOLVE = Clause(
    code="SLA-2",
    name="2小时内解决",
    kind="resolution_within",
    target=Decimal(90),
    minimum=Decimal(50),
    weight=Decimal(1),
    threshold_minutes=120,
)


@dataclass
class Desk:
    campus: int
    ward: int  # a room under a building and floor
    other_building: int  # routed to vendor B's contract
    contract_a: int
    contract_b: int
    vendor_a: int
    vendor_b: int
    people: dict[str, Principal] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)


async def signed_contract(world, vendor_id: int, category: str = "cleaning") -> int:
    officer = world.principals["procurement"]
    contract_id, version_id = await contract_drafting.create_contract(
        officer,
        contract_drafting.ContractInput(
            number=unique("HT-SR"),
            title="保洁服务合同",
            vendor_id=vendor_id,
            category=category,
            start_date=date(2026, 1, 1),
            end_date=date(2030, 12, 31),
            monthly_fee=Decimal("50000.00"),
        ),
        Terms(
            effective_from=date(2026, 1, 1),
            monthly_fee=Decimal("50000.00"),
            clauses=[RESPOND, RESOLVE],
        ),
    )
    await contract_drafting.sign(officer, version_id)
    return contract_id


async def _person(world, name: str, role: str, vendor_id: int | None = None) -> Principal:
    user_id = await accounts.create_account(
        world.principals["admin"],
        username=unique(f"t.sd.{name}"),
        password=PASSWORD,
        role=role,
        display_name=f"报修测试 {name}",
        vendor_id=vendor_id,
    )
    return await accounts.principal_for_user(user_id)


async def make_desk(world) -> Desk:
    supervisor = world.principals["supervisor"]
    p = unique("SD")
    campus = await locations.create(supervisor, "campus", f"{p}院区", f"{p}", pinyin="yq")
    building = await locations.create(supervisor, "building", "住院部", f"{p}-ZY", campus, "zyb")
    floor = await locations.create(supervisor, "floor", "5楼", f"{p}-ZY5", building, "wl")
    ward = await locations.create(supervisor, "area", "东区护士站", f"{p}-ZY5E", floor, "dqhsz")
    other = await locations.create(supervisor, "building", "门诊楼", f"{p}-MZ", campus, "mzl")
    vendor_a = await new_vendor(world)
    vendor_b = await new_vendor(world)
    contract_a = await signed_contract(world, vendor_a)
    contract_b = await signed_contract(world, vendor_b)
    await routing.add_route(supervisor, "cleaning", campus, contract_a)
    await routing.add_route(supervisor, "cleaning", other, contract_b)
    desk = Desk(campus, ward, other, contract_a, contract_b, vendor_a, vendor_b)
    admin = world.principals["admin"]
    for name, role, vendor in (
        ("nurse", "ward", None),
        ("nurse2", "ward", None),
        ("kiosk", "ward", None),
        ("manager_a", "vendor", vendor_a),
        ("worker_a", "vendor", vendor_a),
        ("worker_a2", "vendor", vendor_a),
        ("manager_b", "vendor", vendor_b),
        ("worker_b", "vendor", vendor_b),
    ):
        desk.people[name] = await _person(world, name, role, vendor)
    for name in ("worker_a", "worker_a2", "worker_b"):
        await access.set_member(admin, desk.people[name].user_id, "worker")
    await access.set_member(admin, desk.people["nurse"].user_id, "staff", ward)
    await access.set_member(admin, desk.people["kiosk"].user_id, "kiosk", ward)
    for name, person in desk.people.items():
        desk.tokens[name] = (await accounts.create_token(person, "tests"))[1]
    return desk


def new_request(desk: Desk, **overrides) -> dict:
    return {
        "category": "cleaning",
        "location_id": desk.ward,
        "description": "护士站地面有积水，请尽快处理",
        "priority": "urgent",
        "contact_name": "王护士",
        "contact_phone": "8123",
        **overrides,
    }
