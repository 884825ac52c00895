"""Two finance users reviewing the same run at the same moment, through the API: one wins,
the other is told what happened (409), and the run is reviewed once (domain rules §7). On
PostgreSQL the requests really race; on SQLite writes are serialized."""

import asyncio

from tests.conftest import new_vendor
from tests.integration.test_payment_runs import october_contract
from vendorgov.audit import service as audit
from vendorgov.payments import reading as payment_reading
from vendorgov.payments import service as payments
from vendorgov.sla.measure import Month

# A month of its own: the other month-end tests compute September and October.
AUGUST = Month(2026, 8)


async def _computed_run(world) -> int:
    contract_id = await october_contract(world, await new_vendor(world))
    return await payments.compute_run(world.principals["finance"], AUGUST, [contract_id], "竞争")


async def test_two_reviewers_approving_at_once_approve_once(api, world):
    for _ in range(3):
        run_id = await _computed_run(world)
        url = f"/api/payments/runs/{run_id}/approve"
        async with api("finance_b") as b, api("finance_c") as c:
            responses = await asyncio.gather(b.post(url), c.post(url))
        codes = sorted(r.status_code for r in responses)
        assert codes == [200, 409], [r.text for r in responses]
        loser = next(r for r in responses if r.status_code == 409)
        assert "approved by t.finance_" in loser.json()["detail"]
        run = await payment_reading.get_run(world.principals["finance"], run_id)
        winner = "t.finance_b" if responses[0].status_code == 200 else "t.finance_c"
        assert (run["status"], run["approved_by"]) == ("approved", winner)
        actions = [e["action"] for e in await audit.history("payment_run", run_id)]
        assert actions.count("approve") == 1


async def test_approving_and_returning_at_once_does_one_of_them(api, world):
    run_id = await _computed_run(world)
    async with api("finance_b") as b, api("finance_c") as c:
        approved, returned = await asyncio.gather(
            b.post(f"/api/payments/runs/{run_id}/approve"),
            c.post(f"/api/payments/runs/{run_id}/return", json={"reason": "罚款依据不全"}),
        )
    assert sorted([approved.status_code, returned.status_code]) == [200, 409]
    run = await payment_reading.get_run(world.principals["finance"], run_id)
    assert run["status"] == ("approved" if approved.status_code == 200 else "returned")
    actions = [e["action"] for e in await audit.history("payment_run", run_id)]
    assert actions.count("approve") + actions.count("return") == 1
