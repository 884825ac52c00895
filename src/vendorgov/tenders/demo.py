"""The demo hospital's tenders: one run to award last month, one open for bids, one draft.

Loaded through the tender service like a real run. Only the awarded tender's deadline is
moved into the past after its bids arrived, as a demo cannot wait for it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from vendorgov.accounts import service as accounts
from vendorgov.contracts.rules import Clause, Penalty, Terms, sla_template
from vendorgov.files.service import Upload
from vendorgov.settings import get_settings
from vendorgov.tenders import (
    awarding,
    bidding,
    evaluation,
    opening,
    panel,
    publication,
    scoring,
)
from vendorgov.tenders.rules import Criterion
from vendorgov.tenders.tables import Tender

CRITERIA = [
    Criterion("price", "投标报价 Price", Decimal(30)),
    Criterion("plan", "服务方案 Service plan", Decimal(30)),
    Criterion("staffing", "人员配置 Staffing", Decimal(25)),
    Criterion("experience", "类似项目业绩 Experience", Decimal(15)),
]
# vendor user → (price, scores per expert: plan, staffing, experience)
AWARDED_BIDS = {
    "jiekang": (
        "2736000.00",
        [(88, 86, 92), (85, 84, 90), (90, 88, 93), (86, 85, 91), (87, 86, 90)],
    ),
    "huakang": (
        "2650000.00",
        [(84, 82, 85), (82, 80, 83), (86, 83, 86), (83, 81, 84), (85, 82, 85)],
    ),
    "jingmei": (
        "2598000.00",
        [(80, 78, 70), (78, 76, 68), (82, 79, 72), (79, 77, 70), (81, 78, 71)],
    ),
}


async def _principal(username: str):
    return await accounts.principal_for_user(await accounts.user_id_for(username))


def _first_of_month(day: date, months_ahead: int) -> date:
    month = day.month - 1 + months_ahead
    return date(day.year + month // 12, month % 12 + 1, 1)


def _template(clauses: list[Clause], start: date) -> dict:
    return sla_template(
        Terms(
            effective_from=start,
            monthly_fee=Decimal(1),
            clauses=clauses,
            penalties=[
                Penalty("critical_finding", Decimal("2000.00"), "每发现一项严重问题扣款"),
                Penalty("overdue_notice", Decimal("1000.00"), "整改通知逾期未完成，每份扣款"),
            ],
            deduction_cap_percent=Decimal(10),
        )
    )


def _input(reference, title, start, deadline, clauses, **extra) -> publication.TenderInput:
    return publication.TenderInput(
        reference=reference,
        title=title,
        category=extra.pop("category", "cleaning"),
        method=extra.pop("method", "open"),
        evaluation_method=extra.pop("evaluation_method", "comprehensive"),
        budget_ceiling=Decimal(extra.pop("ceiling")),
        service_start=start,
        service_end=start.replace(year=start.year + 2) - timedelta(days=1),
        bid_deadline=deadline,
        scope=extra.pop("scope"),
        qualification_types=extra.pop("qualifications", ["business_licence", "iso9001"]),
        criteria=extra.pop("criteria", CRITERIA),
        sla_template=_template(clauses, start),
    )


async def load(today: date, clauses: list[Clause], scan: Callable[[str], bytes]) -> None:
    officer = await _principal("wang.min")
    zone = get_settings().zone
    now = datetime.now(UTC)
    experts = [await _principal(f"expert{n}") for n in range(1, 6)]
    # The experts' pools (§3): the five experts serve on cleaning and security tenders.
    for category in ("cleaning", "security"):
        for expert in experts:
            await panel.add_to_pool(officer, category, expert.user_id)

    # 1. Awarded: the outpatient building's cleaning, opened and scored by the five
    # experts drawn from the pool.
    start = _first_of_month(today, 2)
    awarded = await publication.create_tender(
        officer,
        _input(
            "ZB-2026-011",
            "门诊楼及医技楼保洁服务采购",
            start,
            now + timedelta(days=21),  # §3a's minimum bid period
            clauses,
            ceiling="2880000.00",
            scope="门诊楼、医技楼公共区域及诊室日常保洁、医疗废物院内收集转运，服务期两年。",
        ),
    )
    await publication.publish(officer, awarded)
    bid_ids = {}
    for username, (price, _) in AWARDED_BIDS.items():
        receipt = await bidding.submit_bid(
            await _principal(username),
            awarded,
            Decimal(price),
            [
                ("保洁人员工资及社保", Decimal(price) * 7 / 10),
                ("耗材及设备", Decimal(price) * 3 / 10),
            ],
            [Upload("技术方案.pdf", scan(f"{username} 技术方案 ZB-2026-011"))],
        )
        bid_ids[username] = receipt["bid_id"]
    # The deadline falls right after the last bid, as if the demo had waited for it.
    await Tender.update({Tender.bid_deadline: datetime.now(UTC)}).where(Tender.id == awarded)
    await opening.open_tender(officer, awarded)
    # The panel: five experts drawn at random from the cleaning pool (all of it), the draw
    # recorded with its seed.
    await panel.draw_experts(officer, awarded, len(experts))
    for n, expert in enumerate(experts):
        await scoring.declare(expert, awarded, [], "")
        entries = []
        for username, (_, scores) in AWARDED_BIDS.items():
            for key, value in zip(("plan", "staffing", "experience"), scores[n], strict=True):
                entries.append(scoring.ScoreInput(bid_ids[username], key, Decimal(value), ""))
        await scoring.save_scores(expert, awarded, entries, submit=True)
    await evaluation.close_evaluation(officer, awarded)
    first = (await evaluation.results(officer, awarded))["candidates"][0]
    await awarding.award(officer, awarded, first["id"])

    # 2. Open for bids: the inpatient wards, deadline in three weeks at 09:30 hospital time.
    deadline_day = today + timedelta(days=21)
    deadline = datetime.combine(deadline_day, time(9, 30), zone).astimezone(UTC)
    open_tender = await publication.create_tender(
        officer,
        _input(
            "ZB-2026-018",
            "住院部病区保洁服务采购",
            _first_of_month(deadline_day, 2),
            deadline,
            clauses,
            ceiling="3960000.00",
            scope="住院部 1–18 层病区、护士站及走廊日常保洁和终末消毒，服务期两年。",
        ),
    )
    await publication.add_document(
        officer, open_tender, Upload("招标文件.pdf", scan("ZB-2026-018 招标文件"))
    )
    await publication.publish(officer, open_tender)
    for username, price in (("jiekang", "3825000.00"), ("jingmei", "3710000.00")):
        await bidding.submit_bid(
            await _principal(username),
            open_tender,
            Decimal(price),
            [],
            [Upload("技术方案.pdf", scan(f"{username} 技术方案 ZB-2026-018"))],
        )

    # 3. A draft: campus security, lowest evaluated price.
    await publication.create_tender(
        officer,
        _input(
            "ZB-2026-020",
            "院区安保服务采购",
            _first_of_month(today, 3),
            datetime.combine(today + timedelta(days=30), time(9, 30), zone).astimezone(UTC),
            [],
            category="security",
            evaluation_method="lowest_price",
            criteria=[],
            qualifications=["business_licence", "security_service_permit"],
            ceiling="2160000.00",
            scope="院区门岗、巡逻、监控中心值守，服务期两年。",
        ),
    )
