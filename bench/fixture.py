"""The large data the benchmarks run on, on SQLite or PostgreSQL: the demo hospital (one login
per role) plus, by default, 2,000 vendors with one contract each (signed versions with the
demo's clauses, fixed penalties and a cap; every tenth amended mid-month, so its fee is
prorated), 1,000,000 help-desk events in the bench month, 50,000 findings, 20,000
rectification notices with their steps, 1,000 tenders and 24 approved months of runs and
statements before the bench month, plus the bench month's inspections and surveys.

The demo goes in through vendorgov's services (accounts, audit chain, PDFs); everything else
is written with the driver's bulk path (`db.insert_records`: COPY on PostgreSQL, executemany on
SQLite) in one transaction per table, the events built as whole columns with NumPy.

As a module (other benches):

    from fixture import build
    made = build("postgresql://postgres@127.0.0.1:5432/vendorgov_bench", data_dir, contracts=200)
    made.logins["finance"]  # ("zhao.li", "vendorgov-demo")

build() runs in a child process, so the caller's own vendorgov settings and engine are left
alone; it recreates the database (a PostgreSQL database is dropped and created again, a SQLite
file deleted) unless fresh=False. The server that reads the data must use the same data dir (the
secret key that wraps the tenders' keys lives there). As a command:

    python bench/fixture.py URL DATA_DIR [--contracts 2000] [--events 1000000] ...
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlparse

import numpy as np

MONTH = "2026-10"  # the bench month: ended, and not the demo's month
PASSWORD = "vendorgov-demo"


@dataclass
class Sizes:
    contracts: int = 2000
    events: int = 1_000_000
    findings: int = 50_000
    notices: int = 20_000
    tenders: int = 1000
    months: int = 24  # approved runs before MONTH
    seed: int = 1


@dataclass
class Fixture:
    url: str
    data_dir: str
    month: str
    sizes: Sizes
    contract_ids: list[int]
    seconds: float
    # role → (username, password); "vendor" is a vendor user of a bench contract
    logins: dict[str, tuple[str, str]] = field(default_factory=dict)


def build(url: str, data_dir: str | Path, fresh: bool = True, **sizes: int) -> Fixture:
    """Build the data in a child process (see the module docstring) and say what was made."""
    env = {**os.environ, "VENDORGOV_DATABASE_URL": url, "VENDORGOV_DATA_DIR": str(data_dir)}
    command = [sys.executable, __file__, url, str(data_dir), "--json"]
    command += [] if fresh else ["--keep"]
    command += [f"--{k}={v}" for k, v in sizes.items()]
    done = subprocess.run(command, env=env, check=True, capture_output=True, text=True)
    made = json.loads(done.stdout.splitlines()[-1])
    made["sizes"] = Sizes(**made["sizes"])
    made["logins"] = {role: tuple(login) for role, login in made["logins"].items()}
    return Fixture(**made)


def _recreate(url: str, data_dir: Path) -> None:
    parsed = urlparse(url)
    if parsed.scheme == "sqlite":
        from vendorgov.db import sqlite_path

        for suffix in ("", "-wal", "-shm"):
            Path(sqlite_path(url) + suffix).unlink(missing_ok=True)
        return
    import asyncpg

    async def recreate() -> None:
        name = parsed.path.lstrip("/")
        admin = await asyncpg.connect(url.replace(parsed.path, "/postgres"))
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await admin.execute(f'CREATE DATABASE "{name}"')
        finally:
            await admin.close()

    asyncio.run(recreate())


def _migrate() -> None:
    subprocess.run(
        [sys.executable, "-m", "vendorgov.cli", "migrate"], check=True, capture_output=True
    )


USCC_PREFIX = "91420100MB"  # the demo's vendors have others


def _uscc(i: int) -> str:
    from vendorgov.vendors.rules import USCC_ALPHABET, uscc_check_character

    digits = "".join(USCC_ALPHABET[(i // 31**k) % 31] for k in range(8))
    body = USCC_PREFIX + digits[:7]
    return body + uscc_check_character(body)


def _terms(category: str, fee: Decimal, effective: date):
    from vendorgov.contracts.rules import Penalty, Terms
    from vendorgov.demo import sla_clauses

    return Terms(
        effective_from=effective,
        monthly_fee=fee,
        clauses=sla_clauses(category),
        penalties=[
            Penalty("critical_finding", Decimal("2000.00"), "每项严重问题"),
            Penalty("overdue_notice", Decimal("1000.00"), "逾期未整改"),
        ],
        deduction_cap_percent=Decimal(8),
    )


class _Writer:
    """Bulk rows through vendorgov's driver path, one transaction per call."""

    async def __call__(self, table, rows: list[dict]) -> None:
        from vendorgov import db

        async with db.transaction():
            await db.insert_all(table, rows)

    async def ids(self, table, column, prefix: str) -> dict:
        """value of `column` → id, for the rows just written (their values have `prefix`)."""
        rows = await table.select(table.id, column).where(column.like(prefix + "%"))
        return {r[column._meta.name]: r["id"] for r in rows}


async def _contracts(sizes: Sizes, write: _Writer, now: datetime) -> list[tuple[int, str]]:
    """Vendors, their categories, contracts and signed versions; (contract id, category)."""
    from vendorgov.contracts.rules import to_plain
    from vendorgov.contracts.tables import Contract, ContractVersion
    from vendorgov.demo import EVENT_CATEGORIES
    from vendorgov.vendors.tables import Vendor, VendorCategory

    categories = list(EVENT_CATEGORIES)
    n = sizes.contracts
    first = date(2024, 10, 1) - timedelta(days=31 * sizes.months)
    await write(
        Vendor,
        [
            {"name": f"压测服务商 {i:05d}", "uscc": _uscc(i), "created_at": now, "updated_at": now}
            for i in range(n)
        ],
    )
    vendors = await write.ids(Vendor, Vendor.uscc, USCC_PREFIX)
    vendor_of = [vendors[_uscc(i)] for i in range(n)]
    await write(
        VendorCategory,
        [{"vendor": vendor_of[i], "category": categories[i % len(categories)]} for i in range(n)],
    )
    numbers = [f"HT-BENCH-{i:05d}" for i in range(n)]
    await write(
        Contract,
        [
            {
                "number": numbers[i],
                "title": f"压测合同 {i}",
                "vendor": vendor_of[i],
                "category": categories[i % len(categories)],
                "start_date": first,
                "end_date": date(2027, 12, 31),
                "status": "active",
                "created_at": now,
                "updated_at": now,
            }
            for i in range(n)
        ],
    )
    ids = await write.ids(Contract, Contract.number, "HT-BENCH-")
    made = [(ids[numbers[i]], categories[i % len(categories)]) for i in range(n)]
    versions = []
    for i, (contract_id, category) in enumerate(made):
        fee = Decimal(60000 + 1000 * (i % 50))
        signed = [(1, first, fee)]
        if i % 10 == 0:  # amended from the 16th of the bench month: its fee is prorated
            signed.append((2, date(2026, 10, 16), fee * Decimal("1.03")))
        for number, effective, monthly in signed:
            terms = to_plain(_terms(category, monthly, effective))
            versions.append(
                {
                    "contract": contract_id,
                    "number": number,
                    "status": "signed",
                    "effective_from": effective,
                    "monthly_fee": monthly,
                    "terms": json.dumps(terms, ensure_ascii=False),
                    "amendment_reason": "年度调价（合同约定）" if number > 1 else "",
                    "created_at": now,
                    "created_by": "bench",
                    "updated_at": now,
                    "signed_at": now,
                    "signed_by": "bench",
                }
            )
    await write(ContractVersion, versions)
    return made


def _times(values: np.ndarray) -> np.ndarray:
    """datetime64[s] (UTC) as Python datetimes."""
    return values.astype("datetime64[us]").astype(object)


async def _events(sizes: Sizes, made: list[tuple[int, str]], now: datetime) -> None:
    """`events` in the bench month and a twentieth as many in the last two days of the month
    before (some still open when it began), in the order they were reported, over every
    contract, in categories its clauses measure."""
    from vendorgov import db
    from vendorgov.demo import EVENT_CATEGORIES
    from vendorgov.sla.tables import ServiceEvent

    rng = np.random.default_rng(sizes.seed)
    total = sizes.events + sizes.events // 20
    start = np.datetime64("2026-09-30T16:00:00")  # 1 October 00:00 in Asia/Shanghai
    offsets = np.concatenate(
        [
            rng.integers(0, 31 * 86400, sizes.events),
            rng.integers(-2 * 86400, 0, total - sizes.events),
        ]
    )
    reported = np.sort(start + offsets.astype("timedelta64[s]"))
    respond = rng.exponential(9 * 60, total).astype("timedelta64[s]")
    resolve = respond + rng.exponential(60 * 60, total).astype("timedelta64[s]")
    which = rng.integers(0, len(made), total)
    contract = np.array([c for c, _ in made])[which]
    category = np.array([EVENT_CATEGORIES[k][0] for _, k in made], dtype=object)[which]
    resolved = _times(reported + resolve)
    resolved[rng.random(total) < 0.02] = None
    satisfaction = rng.choice(
        np.array([None, 3, 4, 5], dtype=object), total, p=[0.7, 0.05, 0.1, 0.15]
    )
    columns = [
        "contract",
        "external_id",
        "category",
        "priority",
        "location",
        "reported_at",
        "responded_at",
        "resolved_at",
        "satisfaction",
        "complaint",
        "updated_at",
    ]
    step = 200_000  # rows as Python tuples a slice at a time
    for first in range(0, total, step):
        part = slice(first, first + step)
        count = len(contract[part])
        records = zip(
            contract[part].tolist(),
            (f"B{sizes.seed}-{i:09d}" for i in range(first, first + count)),
            category[part].tolist(),
            rng.choice(["emergency", "urgent", "routine"], count, p=[0.1, 0.3, 0.6]).tolist(),
            ["住院部"] * count,
            _times(reported[part]).tolist(),
            _times(reported[part] + respond[part]).tolist(),
            resolved[part].tolist(),
            satisfaction[part].tolist(),
            (rng.random(count) < 0.005).tolist(),
            [now] * count,
            strict=True,
        )
        records = [
            (*r[:5], *(t if t is None else t.replace(tzinfo=UTC) for t in r[5:8]), *r[8:])
            for r in records
        ]
        async with db.transaction():
            await db.insert_records(ServiceEvent, columns, records)


async def _month_inputs(made: list[tuple[int, str]], write: _Writer, now: datetime) -> None:
    """The bench month's inspections (four per contract) and survey responses (twenty)."""
    from vendorgov.inspections.tables import ChecklistTemplate, Inspection
    from vendorgov.sla.tables import SurveyResponse

    template = await ChecklistTemplate.select(ChecklistTemplate.id).first()
    october = datetime(2026, 9, 30, 16, tzinfo=UTC)
    await write(
        Inspection,
        [
            {
                "contract": contract_id,
                "template": template["id"],
                "kind": "routine",
                "location": "住院部",
                "inspector": "li.qiang",
                "inspected_at": october + timedelta(days=3 + 7 * k, hours=2),
                "score": Decimal("60.00") if (n + k) % 3 == 0 else Decimal("100.00"),
                "results": json.dumps({"floor": {"result": "pass"}, "toilet": {"result": "pass"}}),
                "client_token": f"bench-{contract_id}-{k}",
                "created_at": now,
            }
            for n, (contract_id, _) in enumerate(made)
            for k in range(4)
        ],
    )
    await write(
        SurveyResponse,
        [
            {
                "contract": contract_id,
                "respondent_type": "patient" if k % 2 else "staff",
                "score": 5 - (k + n) % 3,
                "responded_on": date(2026, 10, 1 + k),
                "created_at": now,
            }
            for n, (contract_id, _) in enumerate(made)
            for k in range(20)
        ],
    )


def _moments(rng, count: int, months: int) -> np.ndarray:
    """`count` random instants over the `months` months up to the bench month's end, UTC."""
    end = np.datetime64("2026-10-31T16:00:00")
    return end - rng.integers(0, months * 30 * 86400, count).astype("timedelta64[s]")


async def _findings(sizes: Sizes, made: list[tuple[int, str]], write: _Writer) -> None:
    rng = np.random.default_rng(sizes.seed + 1)
    n = sizes.findings
    contract = np.array([c for c, _ in made])[rng.integers(0, len(made), n)].tolist()
    found = _times(_moments(rng, n, sizes.months + 1)).tolist()
    source = rng.choice(["inspection", "audit", "complaint"], n, p=[0.6, 0.25, 0.15]).tolist()
    severity = rng.choice(["minor", "major", "critical"], n, p=[0.6, 0.3, 0.1]).tolist()
    status = rng.choice(["open", "noticed", "closed"], n, p=[0.2, 0.2, 0.6]).tolist()
    from vendorgov.audits.tables import Finding

    await write(
        Finding,
        [
            {
                "contract": contract[i],
                "source": source[i],
                "category": ("地面无污渍、无积水", "卫生间无异味", "隔离病房按规程消毒")[i % 3],
                "severity": severity[i],
                "description": f"压测问题 {i}",
                "found_at": found[i].replace(tzinfo=UTC),
                "status": status[i],
                "created_by": "li.qiang",
            }
            for i in range(n)
        ],
    )


async def _notices(sizes: Sizes, made: list[tuple[int, str]], write: _Writer) -> None:
    """Notices with their issue step (and a close step when closed); some overdue."""
    from vendorgov.audits.tables import Notice, NoticeStep

    rng = np.random.default_rng(sizes.seed + 2)
    n = sizes.notices
    contract = np.array([c for c, _ in made])[rng.integers(0, len(made), n)].tolist()
    issued = [t.replace(tzinfo=UTC) for t in _times(_moments(rng, n, sizes.months + 1)).tolist()]
    status = rng.choice(
        ["issued", "acknowledged", "responded", "closed"], n, p=[0.15, 0.1, 0.1, 0.65]
    ).tolist()
    numbers = [f"ZG-BENCH-{i:07d}" for i in range(n)]
    rows = []
    for i in range(n):
        closed = issued[i] + timedelta(hours=60) if status[i] == "closed" else None
        rows.append(
            {
                "number": numbers[i],
                "contract": contract[i],
                "status": status[i],
                "issued_at": issued[i],
                "deadline": issued[i] + timedelta(hours=72),
                "closed_at": closed,
                "issued_by": "li.qiang",
            }
        )
    await write(Notice, rows)
    ids = await write.ids(Notice, Notice.number, "ZG-BENCH-")
    steps = []
    for row in rows:
        notice = ids[row["number"]]
        at, deadline = row["issued_at"], row["deadline"]
        steps.append(
            {
                "notice": notice,
                "at": at,
                "action": "issue",
                "actor": "li.qiang",
                "deadline": deadline,
            }
        )
        if row["closed_at"] is not None:
            steps.append(
                {"notice": notice, "at": row["closed_at"], "action": "close", "actor": "li.qiang"}
            )
    await write(NoticeStep, steps)


async def _tenders(sizes: Sizes, write: _Writer, now: datetime) -> None:
    """Tenders without bids: drafts, published ones open for bids, failed and cancelled."""
    from vendorgov.contracts.rules import to_plain
    from vendorgov.demo import EVENT_CATEGORIES
    from vendorgov.settings import get_settings
    from vendorgov.tenders import sealing
    from vendorgov.tenders.demo import CRITERIA
    from vendorgov.tenders.tables import Tender

    categories = list(EVENT_CATEGORIES)
    criteria = json.dumps([{**asdict(c), "weight": str(c.weight)} for c in CRITERIA])
    secret = get_settings().secret_key
    rows = []
    for i in range(sizes.tenders):
        category = categories[i % len(categories)]
        reference = f"ZB-BENCH-{i:05d}"
        status = ("draft", "published", "failed", "cancelled")[i % 4]
        terms = to_plain(_terms(category, Decimal(80000), date(2027, 1, 1)))
        rows.append(
            {
                "reference": reference,
                "title": f"压测招标 {i}",
                "category": category,
                "method": "open",
                "evaluation_method": "comprehensive",
                "budget_ceiling": Decimal(1_000_000 + i),
                "service_start": date(2027, 1, 1),
                "service_end": date(2028, 12, 31),
                "criteria": criteria,
                "sla_template": json.dumps(terms, ensure_ascii=False),
                "bid_deadline": now + timedelta(days=30 - i % 60),
                "status": status,
                "sealed_key": sealing.wrap_key(secret, sealing.new_key(), reference),
                "created_at": now,
                "created_by": "wang.min",
                "updated_at": now,
                "published_at": None if status == "draft" else now - timedelta(days=20),
                "closed_reason": "压测" if status in ("failed", "cancelled") else "",
            }
        )
    await write(Tender, rows)


def _month_labels(sizes: Sizes) -> list[str]:
    """The `months` months before the bench month, oldest first."""
    from vendorgov.sla.measure import Month

    month, labels = Month.parse(MONTH), []
    for _ in range(sizes.months):
        month = month.previous()
        labels.append(str(month))
    return labels[::-1]


async def _runs(sizes: Sizes, made: list[tuple[int, str]], write: _Writer, now: datetime) -> None:
    """One approved run per month before the bench month, a statement per contract."""
    from vendorgov.contracts.tables import Contract
    from vendorgov.payments.tables import PaymentRun, Statement

    labels = _month_labels(sizes)
    await write(
        PaymentRun,
        [
            {
                "month": label,
                "revision": 1,
                "status": "approved",
                "computed_by": "zhao.li",
                "computed_at": now,
                "approved_by": "sun.yan",
                "approved_at": now,
            }
            for label in labels
        ],
    )
    runs = await write.ids(PaymentRun, PaymentRun.month, "")
    vendors = {
        r["id"]: r["vendor"]
        for r in await Contract.select(Contract.id, Contract.vendor).where(
            Contract.number.like("HT-BENCH-%")
        )
    }
    grades = (("A", 100, "95.50"), ("B", 98, "88.25"), ("C", 95, "76.00"), ("D", 90, "64.10"))
    rows = []
    for m, label in enumerate(labels):
        for n, (contract_id, _) in enumerate(made):
            grade, pay, score = grades[(n + m) % 7 // 2 % 4]
            base = Decimal(60000 + 1000 * (n % 50)).quantize(Decimal("0.01"))
            deduction = (base * (100 - pay) / 100).quantize(Decimal("0.01"))
            lines = [
                {"kind": "base", "description": "version 1", "amount": str(base), "evidence": []},
                {
                    "kind": "grade",
                    "description": f"grade {grade}: pay {pay}%",
                    "amount": str(deduction),
                    "evidence": [],
                },
            ]
            rows.append(
                {
                    "run": runs[label],
                    "contract": contract_id,
                    "vendor_id": vendors[contract_id],
                    "components": json.dumps(
                        {"sla": score, "inspection": "90", "satisfaction": "85", "audit": "99"}
                    ),
                    "weights": json.dumps(
                        {"sla": "40", "inspection": "30", "satisfaction": "20", "audit": "10"}
                    ),
                    "score": Decimal(score),
                    "grade": grade,
                    "pay_percent": Decimal(pay),
                    "base": base,
                    "deductions": deduction,
                    "net": base - deduction,
                    "lines": json.dumps(lines),
                    "termination_review": 0,
                }
            )
    await write(Statement, rows)


LOGINS = {
    "admin": "admin",
    "procurement": "wang.min",
    "supervisor": "li.qiang",
    "finance": "zhao.li",
    "finance_reviewer": "sun.yan",
    "evaluator": "expert1",
    "auditor": "audit.hx",
    "vendor": "bench.vendor",  # the vendor of HT-BENCH-00000
}


async def _fill(sizes: Sizes) -> list[int]:
    from vendorgov import db, demo
    from vendorgov.accounts import service as accounts
    from vendorgov.contracts.tables import Contract

    now = datetime.now(UTC)
    write = _Writer()
    async with db.lifespan_connections():
        await demo.load()
        made = await _contracts(sizes, write, now)
        await _events(sizes, made, now)
        await _month_inputs(made, write, now)
        await _findings(sizes, made, write)
        await _notices(sizes, made, write)
        await _tenders(sizes, write, now)
        await _runs(sizes, made, write, now)
        admin = await accounts.principal_for_user(await accounts.user_id_for("admin"))
        first = await Contract.select(Contract.vendor).where(Contract.id == made[0][0]).first()
        await accounts.create_account(
            admin,
            username=LOGINS["vendor"],
            password=PASSWORD,
            role="vendor",
            display_name="压测服务商 客户经理",
            vendor_id=first["vendor"],
        )
        # The planner's statistics and (PostgreSQL) the visibility map, as after a day of
        # autovacuum: without the map no count can be an index-only scan.
        await db.fetch("VACUUM ANALYZE" if db.is_postgres() else "ANALYZE")
    return [c for c, _ in made]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("url", help="sqlite:////abs/path.sqlite3 or postgresql://…/database")
    parser.add_argument("data_dir")
    for name, default in asdict(Sizes()).items():
        parser.add_argument(f"--{name}", type=int, default=default)
    parser.add_argument("--keep", action="store_true", help="do not recreate the database")
    parser.add_argument("--json", action="store_true", help="print what was made as JSON")
    args = parser.parse_args()
    os.environ["VENDORGOV_DATABASE_URL"] = args.url
    os.environ["VENDORGOV_DATA_DIR"] = args.data_dir
    sizes = Sizes(**{k: getattr(args, k) for k in asdict(Sizes())})
    began = time.perf_counter()
    if not args.keep:
        _recreate(args.url, Path(args.data_dir))
    _migrate()
    ids = asyncio.run(_fill(sizes))
    made = Fixture(
        url=args.url,
        data_dir=args.data_dir,
        month=MONTH,
        sizes=sizes,
        contract_ids=ids,
        seconds=round(time.perf_counter() - began, 1),
        logins={role: (user, PASSWORD) for role, user in LOGINS.items()},
    )
    if args.json:
        print(json.dumps(asdict(made)))
    else:
        print(
            f"built in {made.seconds} s: {sizes.contracts:,} contracts, {sizes.events:,} events "
            f"in {MONTH}, {sizes.findings:,} findings, {sizes.notices:,} notices, "
            f"{sizes.tenders:,} tenders, {sizes.months} months of runs; logins (password "
            f"{PASSWORD}): " + ", ".join(f"{r} {u}" for r, u in LOGINS.items())
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
