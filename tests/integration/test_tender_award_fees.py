"""The contract an award creates pays the awarded total to the cent (§3, §7): equal monthly fees,
the remainder in the term's last month, shown that way, and paid that way by the month-end."""

from datetime import UTC, datetime
from decimal import Decimal

from tests.integration.test_tenders import (
    SERVICE_START,
    bid,
    bidder,
    pass_deadline,
    published,
    seat_panel,
)
from vendorgov.contracts import drafting as contract_drafting
from vendorgov.contracts import service as contracts
from vendorgov.payments import reading as payment_reading
from vendorgov.payments import service as payments
from vendorgov.sla.measure import Month
from vendorgov.tenders import awarding, evaluation, opening, scoring
from vendorgov.tenders.rules import Criterion

D = Decimal


class AfterTheTerm(datetime):
    """The month-end pays only ended months: its clock set to after the service year."""

    @classmethod
    def now(cls, tz=None):
        return datetime(SERVICE_START.year + 1, 2, 1, tzinfo=UTC)


async def awarded_contract(world, price: str) -> int:
    """A lowest-price tender over the service year won at `price`; the award's draft contract,
    signed."""
    officer = world.principals["procurement"]
    tender_id = await published(
        world,
        evaluation_method="lowest_price",
        criteria=[Criterion("price", "价格", D(100))],
    )
    bids = [await bid(await bidder(world), tender_id, p) for p in (price, "950000.00", "990000.00")]
    await pass_deadline(tender_id)
    await opening.open_tender(officer, tender_id)
    panel = await seat_panel(world, tender_id, 5)
    for e in panel:
        await scoring.declare(e, tender_id, [], "")
        await scoring.save_scores(e, tender_id, [], submit=True)
    await evaluation.close_evaluation(officer, tender_id)
    contract_id = await awarding.award(officer, tender_id, bids[0]["bid_id"])
    contract = await contracts.get_contract(officer, contract_id)
    await contract_drafting.sign(officer, contract["draft"]["id"])
    return contract_id


async def test_twelve_months_at_full_pay_pay_exactly_the_awarded_price(world, login, monkeypatch):
    contract_id = await awarded_contract(world, "880000.00")
    officer = world.principals["procurement"]
    contract = await contracts.get_contract(officer, contract_id)
    terms = contract["versions"][0]["terms_obj"]
    # 880,000 / 12 = 73,333.333… → 73,333.33 × 11 = 806,666.63; the last month 73,333.37.
    assert (terms.monthly_fee, terms.final_month_fee) == (D("73333.33"), D("73333.37"))

    # Shown that way on the contract page and counted that way in the OCDS release.
    async with login("procurement") as page:
        html = (await page.get(f"/contracts/{contract_id}")).text
        version = (await page.get(f"/contracts/{contract_id}/versions/1")).text
        release = (await page.get(f"/contracts/{contract_id}/ocds.json")).json()
    shown = "11 × ¥73,333.33 + final month ¥73,333.37 = ¥880,000.00 over 12 months"
    assert shown in html and shown in version
    assert D(str(release["contracts"][0]["value"]["amount"])) == D("880000.00")

    # No findings, no inspections: the audit component alone scores 100 → A, pay 100 %.
    finance = world.principals["finance"]
    monkeypatch.setattr(payments, "datetime", AfterTheTerm)
    paid = []
    for month in range(1, 13):
        run_id = await payments.compute_run(
            finance, Month(SERVICE_START.year, month), [contract_id]
        )
        (statement,) = [
            s
            for s in (await payment_reading.get_run(finance, run_id))["statements"]
            if s["contract"] == contract_id
        ]
        assert statement["grade"] == "A" and statement["deductions"] == 0
        paid.append(statement["net"])
    assert paid == [D("73333.33")] * 11 + [D("73333.37")]
    assert sum(paid) == D("880000.00")


async def test_a_price_dividing_evenly_has_no_final_month_fee(world):
    contract_id = await awarded_contract(world, "900000.00")
    contract = await contracts.get_contract(world.principals["procurement"], contract_id)
    terms = contract["versions"][0]["terms_obj"]
    assert (terms.monthly_fee, terms.final_month_fee) == (D("75000.00"), None)
