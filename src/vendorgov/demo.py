"""The demo hospital: a Wuhan teaching hospital's outsourced logistics vendors and its staff.

Loaded through the services, so the audit trail tells how it came to be. Dates are relative
to today, so some qualifications are always about to expire and one has lapsed.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pandas as pd

from vendorgov.accounts import service as accounts
from vendorgov.audit.service import SYSTEM
from vendorgov.audits import assignments as audit_assignments
from vendorgov.contracts import drafting as contract_drafting
from vendorgov.contracts import service as contracts
from vendorgov.contracts.rules import Clause, Penalty, Terms
from vendorgov.files.service import Upload
from vendorgov.settings import get_settings
from vendorgov.surveys import demo as demo_surveys
from vendorgov.tenders import demo as demo_tenders
from vendorgov.vendors import qualifications as vendor_qualifications
from vendorgov.vendors import registry as vendor_registry
from vendorgov.vendors import service as vendors
from vendorgov.vendors.rules import (
    CATEGORY_LABELS,
    ContactInput,
    QualificationInput,
    VendorInput,
    uscc_check_character,
)

DEMO_PASSWORD = "vendorgov-demo"

# username, role, display name, index of the vendor (for vendor users)
ACCOUNTS: list[tuple[str, str, str, int | None]] = [
    ("admin", "admin", "系统管理员 Admin", None),
    ("wang.min", "procurement", "王敏 (采购办)", None),
    ("li.qiang", "supervisor", "李强 (后勤督导)", None),
    ("zhao.li", "finance", "赵丽 (财务科)", None),
    ("sun.yan", "finance", "孙燕 (财务科复核)", None),
    ("expert1", "evaluator", "陈教授 (评标专家)", None),
    ("expert2", "evaluator", "刘工 (评标专家)", None),
    ("expert3", "evaluator", "周主任 (评标专家)", None),
    ("expert4", "evaluator", "吴老师 (评标专家)", None),
    ("expert5", "evaluator", "郑经理 (评标专家)", None),
    ("audit.hx", "auditor", "华信第三方审核", None),
    ("jiekang", "vendor", "洁康保洁 客户经理", 0),
    ("antai", "vendor", "安泰保安 项目经理", 1),
    ("huakang", "vendor", "华康物业 投标专员", 8),
    ("jingmei", "vendor", "净美保洁 商务经理", 10),
    # The one-stop service centre (§9): a ward nurse, the ward's shared kiosk, a hotline
    # agent and a cleaner (a worker) of the cleaning vendor.
    ("hsz.zy5", "ward", "张护士 (住院部5楼护士站)", None),
    ("kiosk.zy5", "ward", "住院部5楼护士站 共享平板", None),
    ("kefu", "agent", "陈芳 (服务中心坐席)", None),
    ("jiekang.w1", "vendor", "洁康保洁 保洁员 刘师傅", 0),
]

# name, first 17 characters of the USCC (authority 9 + type 1 + Wuhan/Hubei division +
# organisation code), categories, legal representative, phone, address, contact
VENDORS = [
    (
        "武汉洁康医院保洁服务有限公司",
        "91420100MA4K2J8L3",
        ["cleaning"],
        "张洁",
        "027-8366 1201",
        "武汉市江汉区解放大道 1095 号",
        ("刘芳", "项目经理", "138 0710 2231"),
    ),
    (
        "湖北安泰保安服务有限公司",
        "91420000177570439",
        ["security"],
        "黄志刚",
        "027-8577 3300",
        "武汉市武昌区中北路 86 号",
        ("彭军", "驻院队长", "139 7100 5521"),
    ),
    (
        "武汉膳源餐饮管理有限公司",
        "91420106MA4KX3RT2",
        ["catering"],
        "何丽萍",
        "027-8731 6688",
        "武汉市武昌区友谊大道 303 号",
        ("邓勇", "营养食堂经理", "135 5402 7710"),
    ),
    (
        "武汉速达医疗运送服务有限公司",
        "91420103MA49C7NQ0",
        ["porter"],
        "冯涛",
        "027-8588 2100",
        "武汉市江汉区新华路 218 号",
        ("胡斌", "调度主管", "186 2711 0932"),
    ),
    (
        "湖北仁心护理服务有限公司",
        "91420102MA4F1P6W5",
        ["caregiving"],
        "许静",
        "027-8270 1919",
        "武汉市江岸区建设大道 737 号",
        ("曹敏", "护理部主管", "137 2003 8846"),
    ),
    (
        "武汉净衣医用织物洗涤有限公司",
        "91420112MA4KN8YD7",
        ["laundry"],
        "罗建华",
        "027-8390 4455",
        "武汉市东西湖区金银湖路 16 号",
        ("熊伟", "生产经理", "158 2740 6618"),
    ),
    (
        "湖北通力电梯工程有限公司",
        "91420100722075806",
        ["elevator"],
        "袁立新",
        "027-8479 5200",
        "武汉市洪山区珞喻路 456 号",
        ("蒋磊", "维保站长", "133 9715 0287"),
    ),
    (
        "武汉恒温暖通设备维保有限公司",
        "91420111MA4L0T5H9",
        ["hvac"],
        "沈国平",
        "027-8781 3366",
        "武汉市洪山区光谷大道 77 号",
        ("韩冬", "技术主管", "189 7152 4409"),
    ),
    (
        "湖北华康物业管理有限公司",
        "91420000MA48Y2UC1",
        ["cleaning", "porter", "security"],
        "叶红",
        "027-8562 9090",
        "武汉市硚口区解放大道 558 号",
        ("杨帆", "院区经理", "150 7177 3025"),
    ),
    (
        "武汉绿源后勤服务集团有限公司",
        "91420105MA4KP9GX6",
        ["catering", "cleaning", "laundry"],
        "吕明",
        "027-8489 7711",
        "武汉市汉阳区龙阳大道 8 号",
        ("郭亮", "商务经理", "136 1727 5580"),
    ),
]

# A cleaning company with no contract here yet: it takes part in the demo tenders.
BIDDING_VENDOR = (
    "武汉净美环境服务有限公司",
    "91420104MA4KQ7BN3",
    ["cleaning"],
    "罗静",
    "027-8577 2468",
    "武汉市江岸区中山大道 1628 号",
    ("曹敏", "商务经理", "137 2011 8846"),
)

BANKS = (
    "中国工商银行武汉江汉支行",
    "招商银行武汉分行营业部",
    "中国建设银行武汉武昌支行",
    "汉口银行总行营业部",
)

# Qualification kinds each category needs besides the business licence.
PERMITS = {
    "security": "security_service_permit",
    "catering": "food_business_licence",
    "elevator": "special_equipment_licence",
    "hvac": "refrigeration_service_cert",
    "laundry": "linen_hygiene_permit",
    "caregiving": "caregiver_training_cert",
    "cleaning": "iso9001",
    "porter": "iso45001",
}


def uscc(first17: str) -> str:
    return first17 + uscc_check_character(first17)


def scan_pdf(title: str) -> bytes:
    """A one-page PDF standing in for the scanned certificate."""
    text = title.encode("ascii", "replace").decode()
    stream = f"BT /F1 18 Tf 72 760 Td (Scanned certificate: {text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


async def is_loaded() -> bool:
    return await accounts.user_id_for(ACCOUNTS[0][0]) is not None


async def load(if_empty: bool = False) -> bool:
    if if_empty and await accounts.has_accounts():
        return False
    admin_id = await accounts.create_account(
        SYSTEM, username="admin", password=DEMO_PASSWORD, role="admin", display_name=ACCOUNTS[0][2]
    )
    admin = await accounts.principal_for_user(admin_id)
    today = vendors.today()
    vendor_ids = []
    for index, (name, prefix, cats, rep, phone, address, contact) in enumerate(
        [*VENDORS, BIDDING_VENDOR]
    ):
        vendor_id = await vendor_registry.create_vendor(
            admin,
            VendorInput(
                name=name,
                uscc=uscc(prefix),
                categories=cats,
                legal_representative=rep,
                phone=phone,
                address=address,
                # fuwu (服务): a word the language test does not read as English left over
                email=f"service{index + 1}@fuwu{index + 1}.cn",
                bank_name=BANKS[index % len(BANKS)],
                bank_account=f"4201{index + 1:02d}{int(prefix[-6:], 36) % 10**10:010d}",
            ),
        )
        vendor_ids.append(vendor_id)
        await vendor_registry.add_contact(
            admin,
            vendor_id,
            ContactInput(name=contact[0], title=contact[1], phone=contact[2], is_primary=True),
        )
        await _qualifications(admin, vendor_id, index, prefix, cats, today)
    await vendor_registry.change_status(
        admin,
        vendor_ids[9],
        "suspend",
        "食堂抽检大肠菌群超标，暂停参与新项目投标，待整改复查 (coliform failure in canteen check)",
        today + timedelta(days=45),
    )
    await _contracts(admin, vendor_ids[: len(VENDORS)], today)
    await _service_events(admin, today)
    for username, role, display, vendor_index in ACCOUNTS[1:]:
        await accounts.create_account(
            admin,
            username=username,
            password=DEMO_PASSWORD,
            role=role,
            display_name=display,
            vendor_id=vendor_ids[vendor_index] if vendor_index is not None else None,
        )
    supervisor = await accounts.principal_for_user(await accounts.user_id_for("li.qiang"))
    await _inspections(admin, supervisor, today)
    await demo_surveys.load(supervisor, today)  # after the places, before the month-end
    from vendorgov.servicedesk import demo as demo_servicedesk

    # The app's icon stands in for a cleaner's photo of the result.
    photo = (get_settings().static_dir / "icons" / "icon-192.png").read_bytes()
    await demo_servicedesk.load(admin, supervisor, photo)
    # The audit agency's account works on the cleaning contract this quarter.
    cleaning = next(c for c in await contracts.list_contracts(admin) if c["category"] == "cleaning")
    quarter = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    await audit_assignments.assign_auditor(
        supervisor,
        await accounts.user_id_for("audit.hx"),
        cleaning["id"],
        quarter,
        (quarter + timedelta(days=92)).replace(day=1) - timedelta(days=1),
    )
    await demo_tenders.load(today, sla_clauses("cleaning"), scan_pdf)
    await _month_end(today)
    return True


async def _month_end(today: date) -> None:
    """Last month computed by zhao.li and waiting for sun.yan's approval, during the vendors'
    dispute window (when one is configured); 洁康 disputes its SLA component (finance rules on
    it), 华康 waived."""
    from vendorgov.payments import disputes
    from vendorgov.payments import reading as payment_reading
    from vendorgov.payments import service as payments
    from vendorgov.sla.measure import Month

    clerk = await accounts.principal_for_user(await accounts.user_id_for("zhao.li"))
    month = Month(today.year, today.month).previous()
    run_id = await payments.compute_run(clerk, month)
    if get_settings().dispute_window_days == 0:
        return  # no dispute window configured: nothing to dispute or waive
    run = await payment_reading.get_run(clerk, run_id)
    jiekang = await accounts.principal_for_user(await accounts.user_id_for("jiekang"))
    disputed = next(s for s in run["statements"] if s["vendor_id"] == jiekang.vendor_id)
    await disputes.raise_dispute(
        jiekang,
        run_id,
        disputed["contract"],
        "component:sla",
        "第 3 周住院部电梯停运两天，保洁呼叫响应超时系等候电梯所致，非我方原因，"
        "请核减相关超时工单后重新计算 SLA 得分。",
        [Upload("电梯停运通知.pdf", scan_pdf("住院部电梯停运通知"))],
    )
    huakang = await accounts.principal_for_user(await accounts.user_id_for("huakang"))
    await disputes.waive(huakang, run_id)


# (category, checklist name, items: (text, weight, severity if failed))
CHECKLISTS = [
    (
        "cleaning",
        "病区保洁日常检查 Ward cleaning",
        [
            ("地面清洁无污渍、无积水", "3", "minor"),
            ("卫生间无异味、洁具清洁", "2", "major"),
            ("医疗废物分类收集、封口规范", "3", "critical"),
            ("隔离病房按规程消毒并记录", "3", "critical"),
            ("保洁工具分区使用、标识清楚", "1", "minor"),
        ],
    ),
    (
        "catering",
        "营养膳食卫生检查 Catering hygiene",
        [
            ("食品留样48小时并记录", "3", "critical"),
            ("生熟分开、刀具砧板标识", "2", "major"),
            ("从业人员健康证在有效期内", "2", "major"),
            ("病员餐按时送达病区", "2", "minor"),
        ],
    ),
    (
        "security",
        "安保巡逻检查 Security patrol",
        [
            ("按规定路线和频次巡逻并打卡", "3", "major"),
            ("消防通道畅通无占用", "3", "critical"),
            ("监控室24小时有人值守", "2", "major"),
            ("门岗登记完整", "1", "minor"),
        ],
    ),
    (
        "porter",
        "运送服务检查 Porter delivery",
        [
            ("急诊标本10分钟内接收", "3", "critical"),
            ("运送工具清洁消毒", "2", "major"),
            ("交接签收记录完整", "1", "minor"),
        ],
    ),
    (
        "elevator",
        "电梯维保检查 Elevator maintenance",
        [
            ("每15日维保一次并有记录", "3", "major"),
            ("轿厢应急电话畅通", "3", "critical"),
            ("年检合格证在有效期内并张贴", "2", "major"),
            ("机房整洁、无杂物", "1", "minor"),
        ],
    ),
]


async def _inspections(admin, supervisor, today: date) -> None:
    """The checklists, a month of inspections with a few failed items, and two notices: one
    answered and waiting for verification, one overdue."""
    from vendorgov.audits import lists
    from vendorgov.audits import notices as audit_notices
    from vendorgov.inspections import plans
    from vendorgov.inspections import service as inspections
    from vendorgov.locations import demo as demo_locations
    from vendorgov.paging import export_rows

    template_ids = {}
    for category, name, items in CHECKLISTS:
        template_ids[category] = await inspections.save_template(
            supervisor,
            category,
            name,
            [{"text": t, "weight": w, "severity": sev} for t, w, sev in items],
        )
    contracts_by_category = {
        c["category"]: c
        for c in await contracts.list_contracts(admin)
        if c["effective_status"] == "active"
    }
    places = await demo_locations.load(supervisor)
    zone = get_settings().zone
    start = datetime.combine(today.replace(day=1) - timedelta(days=1), time(9), zone)
    rng = random.Random(11)
    for category, template_id in template_ids.items():
        contract = contracts_by_category.get(category)
        if contract is None:
            continue
        checklist = await inspections.template(template_id)
        for n in range(6):
            at = start - timedelta(days=5 * n, hours=rng.randint(0, 6))
            results = {
                i.key: ("fail" if rng.random() < 0.12 else "na" if rng.random() < 0.05 else "pass")
                for i in checklist["items"]
            }
            await inspections.submit(
                supervisor,
                inspections.InspectionInput(
                    contract_id=contract["id"],
                    template_id=template_id,
                    kind="routine" if n else "comprehensive",
                    location="",
                    location_id=rng.choice(places)["id"],
                    inspected_at=at,
                    results=results,
                    client_token=f"demo-{category}-{n}",
                ),
            )
    # This month's plan of every running contract: the comprehensive inspection and 4 spot
    # checks, some of them due on the supervisor's dashboard.
    for contract in contracts_by_category.values():
        await plans.create_plan(
            supervisor, contract["id"], today.strftime("%Y-%m"), seed=f"demo-{contract['id']}"
        )
    open_findings = await export_rows(lists.finding_page, supervisor, status="open")
    by_contract: dict[int, list[int]] = {}
    for finding in open_findings:
        by_contract.setdefault(finding["contract"], []).append(finding["id"])
    vendor_users = {}
    for username, role, _, _ in ACCOUNTS:
        if role == "vendor":
            user = await accounts.principal_for_user(await accounts.user_id_for(username))
            vendor_users[user.vendor_id] = user
    vendor_of = {c["id"]: c["vendor"] for c in contracts_by_category.values()}
    # A vendor with a login answers its notice; another notice stays unanswered.
    answered = next((c for c in by_contract if vendor_of.get(c) in vendor_users), None)
    unanswered = next((c for c in by_contract if c != answered), None)
    for contract_id in (answered, unanswered):
        if contract_id is None:
            continue
        notice_id = await audit_notices.issue_notice(supervisor, by_contract[contract_id])
        if contract_id == answered:
            vendor_user = vendor_users[vendor_of[contract_id]]
            await audit_notices.act(vendor_user, notice_id, "acknowledge")
            await audit_notices.act(
                vendor_user,
                notice_id,
                "respond",
                "已组织专项整改并加强班组长巡查，附整改前后照片。",
            )


async def _qualifications(
    admin, vendor_id: int, index: int, prefix: str, cats: list[str], today: date
) -> None:
    code = uscc(prefix)
    items = [("business_licence", code, today - timedelta(days=2900), date(2045, 12, 31))]
    for offset, category in enumerate(cats):
        # Spread expiry dates: vendors 2 and 6 have a permit expiring within 60 days,
        # vendor 5's permit lapsed last month; the rest run for years.
        if index in (2, 6) and offset == 0:
            expires = today + timedelta(days=20 + 15 * index // 2)
        elif index == 5 and offset == 0:
            expires = today - timedelta(days=25)
        else:
            expires = today + timedelta(days=400 + 90 * index + 30 * offset)
        number = f"鄂{PERMITS[category][:3].upper()}-{2021 + index % 4}-{1000 + 37 * index}"
        # Issued three years before expiry, but never in the future.
        issued = min(expires - timedelta(days=3 * 365), today - timedelta(days=200))
        items.append((PERMITS[category], number, issued, expires))
    for kind, number, issued, expires in items:
        await vendor_qualifications.add_qualification(
            admin,
            vendor_id,
            QualificationInput(kind=kind, number=number, issued_on=issued, expires_on=expires),
            Upload(filename=f"{kind}.pdf", data=scan_pdf(f"{kind} {number}")),
        )


# Service-level clauses the hospital uses per category: (code, name, kind, threshold minutes,
# target, minimum, weight, priority).
SLA_TEMPLATES: dict[str, list[tuple]] = {
    "cleaning": [
        ("SLA-1", "保洁呼叫15分钟响应", "response_within", 15, "95", "80", "2", ""),
        ("SLA-2", "保洁呼叫2小时内处理完毕", "resolution_within", 120, "92", "75", "2", ""),
        ("SLA-3", "病区满意率", "satisfaction_rate", None, "90", "70", "1", ""),
        ("SLA-4", "有效投诉次数", "complaint_count", None, "1", "5", "1", ""),
    ],
    "security": [
        ("SLA-1", "紧急警情5分钟到场", "response_within", 5, "98", "90", "3", "emergency"),
        ("SLA-2", "巡逻工单90%响应时间", "p90_response_minutes", None, "10", "30", "1", ""),
        ("SLA-3", "有效投诉次数", "complaint_count", None, "0", "3", "1", ""),
    ],
    "catering": [
        ("SLA-1", "病员餐准时送达", "resolution_within", 30, "97", "85", "2", ""),
        ("SLA-2", "就餐满意率", "satisfaction_rate", None, "88", "70", "2", ""),
        ("SLA-3", "有效投诉次数", "complaint_count", None, "2", "8", "1", ""),
    ],
    "porter": [
        ("SLA-1", "急诊标本10分钟内接单", "response_within", 10, "98", "90", "3", "emergency"),
        ("SLA-2", "常规运送60分钟内完成", "resolution_within", 60, "95", "80", "2", "routine"),
        ("SLA-3", "运送工单90%响应时间", "p90_response_minutes", None, "15", "40", "1", ""),
    ],
    "caregiving": [
        ("SLA-1", "陪护需求30分钟响应", "response_within", 30, "95", "80", "2", ""),
        ("SLA-2", "患者及家属满意率", "satisfaction_rate", None, "92", "75", "2", ""),
    ],
    "laundry": [
        ("SLA-1", "污衣收取4小时内完成", "resolution_within", 240, "96", "85", "2", ""),
        ("SLA-2", "科室满意率", "satisfaction_rate", None, "90", "70", "1", ""),
    ],
    "elevator": [
        ("SLA-1", "困人故障15分钟到场", "response_within", 15, "100", "95", "3", "emergency"),
        ("SLA-2", "一般故障4小时内修复", "resolution_within", 240, "95", "80", "2", ""),
    ],
    "hvac": [
        ("SLA-1", "报修30分钟响应", "response_within", 30, "95", "80", "2", ""),
        ("SLA-2", "报修24小时内修复", "resolution_within", 1440, "92", "75", "2", ""),
    ],
}
MONTHLY_FEES = [
    "128000.00",
    "96500.00",
    "210000.00",
    "74800.00",
    "156000.00",
    "58600.00",
    "45000.00",
    "39800.00",
    "268000.00",
    "182000.00",
]


def sla_clauses(category: str) -> list[Clause]:
    return [
        Clause(
            code=code,
            name=name,
            kind=kind,
            threshold_minutes=threshold,
            target=Decimal(target),
            minimum=Decimal(minimum),
            weight=Decimal(weight),
            priority=priority,
        )
        for code, name, kind, threshold, target, minimum, weight, priority in SLA_TEMPLATES[
            category
        ]
    ]


async def _contracts(admin, vendor_ids: list[int], today: date) -> None:
    """One signed contract per vendor for its first category. The elevator contract ends
    within the notice window; the cleaning one has a signed amendment from this month."""
    year_start = date(today.year, 1, 1)
    for index, (vendor_id, vendor) in enumerate(zip(vendor_ids, VENDORS, strict=True)):
        category = vendor[2][0]
        start = year_start if index != 6 else today - timedelta(days=2 * 365 - 60)
        end = (
            (start.replace(year=start.year + 2) - timedelta(days=1))
            if index != 6
            else (today + timedelta(days=60))
        )
        fee = Decimal(MONTHLY_FEES[index])
        terms = Terms(
            effective_from=start,
            monthly_fee=fee,
            clauses=sla_clauses(category),
            penalties=[
                Penalty("critical_finding", Decimal("2000.00"), "每发现一项严重问题扣款"),
                Penalty("overdue_notice", Decimal("1000.00"), "整改通知逾期未完成，每份扣款"),
            ],
            # Above the D deduction (10 %), so that a penalty changes what is paid.
            deduction_cap_percent=Decimal(15),
            terms_text="乙方应按照附件一服务水平协议提供服务，甲方按月考核并据考核结果支付服务费。",
        )
        contract_id, version_id = await contract_drafting.create_contract(
            admin,
            contract_drafting.ContractInput(
                number=f"HT-{start.year}-{index + 1:03d}",
                title=f"{CATEGORY_LABELS[category][1]}服务外包合同",
                vendor_id=vendor_id,
                category=category,
                start_date=start,
                end_date=end,
                monthly_fee=fee,
                scope=f"{vendor[0]}承担本院{CATEGORY_LABELS[category][1]}服务。",
            ),
            terms,
        )
        await contract_drafting.sign(admin, version_id)
        if index == 0 and today.replace(day=1) > start:
            amended = await contract_drafting.amend(
                admin, contract_id, "年度调价3%并提高响应及时率目标", today.replace(day=1)
            )
            terms.effective_from = today.replace(day=1)
            terms.monthly_fee = (fee * Decimal("1.03")).quantize(Decimal("0.01"))
            terms.clauses[0].target = Decimal(97)
            await contract_drafting.update_draft(admin, amended, terms, None)
            await contract_drafting.sign(admin, amended)


EVENT_CATEGORIES = {
    "cleaning": ["cleaning"],
    "security": ["patrol", "alarm"],
    "catering": ["meal"],
    "porter": ["delivery", "specimen"],
    "caregiving": ["care"],
    "laundry": ["linen"],
    "elevator": ["elevator"],
    "hvac": ["repair"],
}


# Share of each contract's help-desk events handled well within every SLA threshold (by the
# order of VENDORS): most vendors grade B or C, the HVAC vendor A, the elevator vendor (whose
# contract is ending) D; see _month_end.
ON_TIME = [0.9, 0.97, 0.91, 0.92, 0.92, 0.93, 0.72, 1.0, 0.97, 0.9]


async def _service_events(admin, today: date) -> None:
    """Three months of help-desk events per contract (seeded, so every demo is the same for a
    given day), measured month by month. An event is either handled well within every clause's
    threshold and rated 4–5, or late beyond all of them and rated 2–3; the contract's ON_TIME
    share decides how many are which."""
    import random

    from vendorgov.sla import event_import
    from vendorgov.sla import service as sla
    from vendorgov.sla.measure import Month

    this_month = Month(today.year, today.month)
    months = [
        this_month.previous().previous().previous(),
        this_month.previous().previous(),
        this_month.previous(),
    ]
    for contract in await contracts.list_contracts(admin):
        rng = random.Random(contract["id"])
        on_time = ON_TIME[int(contract["number"][-3:]) - 1]
        records = []
        for month in months:
            start = datetime.combine(month.first_day, datetime.min.time())
            late = set(rng.sample(range(120), round(120 * (1 - on_time))))
            for n in range(120):
                reported = start + timedelta(days=rng.randrange(28), minutes=rng.randrange(1440))
                if n in late:
                    respond = rng.uniform(35, 90)
                    resolve = respond + rng.uniform(1500, 2400)
                    satisfaction = rng.choice((2, 3))
                else:
                    respond = rng.uniform(1, 4)
                    resolve = respond + rng.uniform(5, 20)
                    satisfaction = rng.choices((5, 4), weights=(7, 3))[0]
                records.append(
                    {
                        "external_id": f"HD-{month}-{contract['id']:02d}-{n:04d}",
                        "category": rng.choice(EVENT_CATEGORIES[contract["category"]]),
                        # Emergencies are answered first: only the D vendor misses those.
                        "priority": rng.choices(
                            PRIORITIES, weights=(1 if n not in late or on_time < 0.8 else 0, 3, 8)
                        )[0],
                        "location": rng.choice(LOCATIONS),
                        "reported_at": reported.strftime("%Y-%m-%d %H:%M"),
                        "responded_at": (reported + timedelta(minutes=respond)).strftime(
                            "%Y-%m-%d %H:%M"
                        ),
                        "resolved_at": (reported + timedelta(minutes=resolve)).strftime(
                            "%Y-%m-%d %H:%M"
                        ),
                        "satisfaction": satisfaction,
                        "complaint": "yes" if n in late and rng.random() < 0.04 else "no",
                    }
                )
        await event_import.import_events(
            admin, contract["id"], pd.DataFrame(records), source="demo"
        )
        for month in months:
            await sla.compute_month(admin, contract["id"], month)


PRIORITIES = ("emergency", "urgent", "routine")
LOCATIONS = (
    "门诊楼1层",
    "住院部5楼东区",
    "住院部8楼西区",
    "急诊科",
    "检验科",
    "手术室",
    "食堂",
    "医技楼电梯厅",
    "行政楼",
)


def logins_text() -> str:
    width = max(len(a[0]) for a in ACCOUNTS)
    lines = [f"Demo logins (password for all: {DEMO_PASSWORD}):"]
    lines += [f"  {u.ljust(width)}  {r:<12} {d}" for u, r, d, _ in ACCOUNTS]
    lines.append(f"Data dir: {get_settings().data_dir}")
    return "\n".join(lines)
