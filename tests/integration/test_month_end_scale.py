"""A month-end of 1,000 contracts with a few events each, quick enough for CI on SQLite and
PostgreSQL: its bulk writes (statements, clause results, SLA months) pass the 32,767
parameters asyncpg sends with one query (four clauses × 1,000 contracts × 15 columns of clause
results was one INSERT of 60,000), and measuring all contracts at once gives each what it gets
alone."""

import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from tests.conftest import new_vendor, unique
from vendorgov.contracts import drafting as contract_drafting
from vendorgov.contracts.rules import Clause, Terms
from vendorgov.contracts.tables import Contract, ContractVersion
from vendorgov.payments import reading as payment_reading
from vendorgov.payments import service as payments
from vendorgov.sla.measure import Month
from vendorgov.sla.tables import ClauseResult, ServiceEvent

D = Decimal
FEBRUARY = Month(2026, 2)  # a month of its own
CONTRACTS = 1000
CLAUSES = [
    Clause("SLA-1", "响应", "response_within", D(95), D(80), D(1), threshold_minutes=30),
    Clause("SLA-2", "处理", "resolution_within", D(90), D(70), D(1), threshold_minutes=240),
    Clause("SLA-3", "P90", "p90_response_minutes", D(20), D(60), D(1)),
    Clause("SLA-4", "投诉", "complaint_count", D(0), D(3), D(1)),
]


async def _thousand_contracts(world) -> list[int]:
    """One contract made and signed through the service, then copied (rows only) to 1,000."""
    officer = world.principals["procurement"]
    vendor_id = await new_vendor(world)
    first, version_id = await contract_drafting.create_contract(
        officer,
        contract_drafting.ContractInput(
            number=unique("HT-SC"),
            title="规模测试合同",
            vendor_id=vendor_id,
            category="cleaning",
            start_date=date(2026, 1, 1),
            end_date=date(2027, 12, 31),
            monthly_fee=D("30000.00"),
        ),
        Terms(effective_from=date(2026, 1, 1), monthly_fee=D("30000.00"), clauses=CLAUSES),
    )
    await contract_drafting.sign(officer, version_id)
    contract = await Contract.select().where(Contract.id == first).first()
    version = await ContractVersion.select().where(ContractVersion.id == version_id).first()
    del contract["id"], version["id"]
    copies = await Contract.insert(
        *[Contract(**{**contract, "number": unique("HT-SC")}) for _ in range(CONTRACTS - 1)]
    ).returning(Contract.id)
    ids = [first, *(r["id"] for r in copies)]
    await ContractVersion.insert(
        *[ContractVersion(**{**version, "contract": cid}) for cid in ids[1:]]
    )
    return ids


async def test_a_month_end_of_a_thousand_contracts(world):
    ids = await _thousand_contracts(world)
    now = datetime.now(UTC)
    reported = datetime(2026, 2, 10, 1, tzinfo=UTC)
    await ServiceEvent.insert(
        *[
            ServiceEvent(
                contract=cid,
                external_id=f"S{n}",
                category="repair",
                priority="routine",
                reported_at=reported,
                responded_at=reported + timedelta(minutes=10 + n % 40),
                resolved_at=reported + timedelta(minutes=100),
                complaint=cid % 7 == 0,
                updated_at=now,
            )
            for cid in ids
            for n in range(2)
        ]
    )
    # CPU time, not wall time: on a busy CI machine the wall clock says little. About 6 s.
    started = time.process_time()
    run_id = await payments.compute_run(world.principals["finance"], FEBRUARY, ids)
    elapsed = time.process_time() - started
    run = await payment_reading.get_run(world.principals["finance"], run_id)
    assert len(run["statements"]) == CONTRACTS
    stored = await ClauseResult.count().where(
        ClauseResult.contract.is_in(ids) & (ClauseResult.month == str(FEBRUARY))
    )
    assert stored == CONTRACTS * len(CLAUSES)
    assert all(s["components"]["sla"] is not None for s in run["statements"])
    assert elapsed < 30, f"the month-end of {CONTRACTS} contracts took {elapsed:.1f} CPU s"
    # Measured among a thousand, a contract gets what it gets computed alone (a new revision
    # recomputing it only): one with a complaint (every seventh) and one without.
    together = {s["contract"]: s for s in run["statements"]}
    for contract_id in (next(c for c in ids if c % 7 == 0), next(c for c in ids if c % 7)):
        alone_run = await payment_reading.get_run(
            world.principals["finance"],
            await payments.compute_run(world.principals["finance"], FEBRUARY, [contract_id]),
        )
        alone = next(s for s in alone_run["statements"] if s["contract"] == contract_id)
        assert not alone["carried_over"]
        fields = ("components_exact", "score", "grade", "base", "deductions", "net", "lines")
        assert {f: alone[f] for f in fields} == {f: together[contract_id][f] for f in fields}
