"""Re-award after the award (Order 87 Art. 68): the winner declined, failed to sign or was found
ineligible; the officer records the ground and evidence, the award's contract draft is
withdrawn through the contracts domain, the winner is passed over and the next candidate is
awarded in the normal way. A signed contract refuses it (409); a published result notice is
withdrawn with it, and the next award publishes a corrected notice (更正公告); two steps at
once: one succeeds, the other 409 (PostgreSQL: truly concurrent)."""

from __future__ import annotations

import asyncio
from decimal import Decimal as D

import pytest

from tests.integration.test_tender_award_order import scored_tender
from tests.integration.test_tender_races import actions, codes
from tests.integration.test_tender_result_notice import awarded_tender, pdf_text
from vendorgov.contracts import drafting
from vendorgov.contracts.tables import Contract, ContractVersion
from vendorgov.errors import Conflict, NotFound
from vendorgov.i18n import using_locale
from vendorgov.tenders import awarding, challenges, deposits, evaluation, results
from vendorgov.tenders.result_dates import local_day, today
from vendorgov.tenders.tables import BidSecurity, PassedOver, ResultNotice, Tender

SCORES = [("90", "80"), ("85", "80"), ("80", "80")]
EVIDENCE = "中标通知书发出后30日内未签订合同（催告函2026-01-20）"


async def awarded(world) -> tuple[int, list, int]:
    tender_id, ids = await scored_tender(world, SCORES)
    contract_id = await awarding.award(world.principals["procurement"], tender_id, ids[0])
    return tender_id, ids, contract_id


async def test_the_winner_fails_to_sign_and_the_next_candidate_is_awarded(world, api):
    # Totals by hand (price 30 each): A 30+36+24 = 90, B 30+34+24 = 88, C 30+32+24 = 86.
    tender_id, (a, b, c), first_contract = await awarded(world)
    path = f"/api/tenders/{tender_id}/withdraw-award"
    body = {"bid_id": a, "ground": "failed_to_sign", "evidence": EVIDENCE}
    async with api("procurement") as client:
        response = await client.post(path, json=body)
        assert response.status_code == 200, response.text
        out = response.json()
        assert out["position"] == 1 and out["bid_id"] == a and out["ground"] == "failed_to_sign"
        assert out["next_bid_id"] == b and out["next_candidate"] == 2
        # The same record again (a second click): the first answer, nothing more recorded.
        again = await client.post(path, json=body)
        assert again.status_code == 200 and again.json()["bid_id"] == a
        # Candidate 1 cannot be awarded again; candidate 2 is awarded normally.
        response = await client.post(f"/api/tenders/{tender_id}/award", json={"bid_id": a})
        assert response.status_code in (409, 422)
        response = await client.post(f"/api/tenders/{tender_id}/award", json={"bid_id": b})
        assert response.status_code == 201, response.text
    # One contract for the tender: the second award's (SQLite may reuse the withdrawn id).
    (contract,) = await Contract.select().where(Contract.tender_id == tender_id)
    assert await ContractVersion.count().where(ContractVersion.contract == contract["id"]) == 1
    ranked = (await evaluation.results(world.principals["procurement"], tender_id))["ranked"]
    assert contract["vendor"] == next(r["vendor"] for r in ranked if r["id"] == b)
    row = await Tender.select().where(Tender.id == tender_id).first()
    assert row["status"] == "awarded" and row["awarded_bid"] == b
    assert row["contract_id"] == contract["id"]
    (passed,) = await PassedOver.select().where(PassedOver.tender == tender_id)
    assert (passed["bid"], passed["position"], passed["evidence"]) == (a, 1, EVIDENCE)
    (entry,) = await actions("tender", tender_id, "withdraw_award")
    assert entry["before"]["bid"] == a and entry["before"]["contract_id"] == first_contract
    assert entry["after"]["ground"] == "failed_to_sign" and entry["after"]["next_candidate"] == 2
    entries = await actions("contract", first_contract, "withdraw_award_draft")
    assert [e["before"]["tender_id"] for e in entries].count(tender_id) == 1


async def test_refusals_and_permissions(world, api):
    tender_id, (a, b, c), contract_id = await awarded(world)
    path = f"/api/tenders/{tender_id}/withdraw-award"
    good = {"bid_id": a, "ground": "declined", "evidence": "书面放弃函（2026-01-05）"}
    async with api("procurement") as client:
        for body, field in (
            ({**good, "ground": "changed_mind"}, "ground"),
            ({**good, "evidence": " "}, "evidence"),
        ):
            response = await client.post(path, json=body)
            assert response.status_code == 422, response.text
            assert field in {e["field"] for e in response.json()["errors"]}
        # Not the awarded bid: 409.
        assert (await client.post(path, json={**good, "bid_id": b})).status_code == 409
        for junk in ({}, {"bid_id": "x"}, [], {"bid_id": a, "ground": None}):
            assert (await client.post(path, json=junk)).status_code in (400, 422)
        assert (
            await client.post("/api/tenders/999999999/withdraw-award", json=good)
        ).status_code == 404
    for role in ("admin", "finance"):
        async with api(role) as client:
            assert (await client.post(path, json=good)).status_code == 403
    assert await actions("tender", tender_id, "withdraw_award") == []
    assert await Contract.count().where(Contract.id == contract_id) == 1


async def test_a_signed_contract_is_not_withdrawn(world, api):
    tender_id, (a, b, c), contract_id = await awarded(world)
    officer = world.principals["procurement"]
    version = await ContractVersion.select().where(ContractVersion.contract == contract_id).first()
    await drafting.sign(officer, version["id"])
    try:
        await drafting.withdraw_award_draft(officer, contract_id, "test")
        raise AssertionError("a signed contract was withdrawn")
    except Conflict:
        pass
    async with api("procurement") as client:
        response = await client.post(
            f"/api/tenders/{tender_id}/withdraw-award",
            json={"bid_id": a, "ground": "ineligible", "evidence": "经查实提供虚假材料"},
        )
    assert response.status_code == 409, response.text
    row = await Tender.select().where(Tender.id == tender_id).first()
    assert row["awarded_bid"] == a and row["status"] == "awarded"
    assert await PassedOver.count().where(PassedOver.tender == tender_id) == 0


async def test_the_page_confirms_and_says_what_happens(world, login):
    tender_id, (a, b, c), contract_id = await awarded(world)
    names = {
        r["id"]: r["vendor_name"]
        for r in (await evaluation.results(world.principals["procurement"], tender_id))["ranked"]
    }
    async with login("procurement") as client:
        page = (await client.get(f"/tenders/{tender_id}/results")).text
        assert f"candidate 2, {names[b]}, becomes the next to award" in page
        assert "withdrawn with its contract draft" in page
        token = page.split('name="_csrf_token" value="')[1].split('"')[0]
        data = {"_csrf_token": token, "bid_id": a, "ground": "declined", "evidence": "放弃中标函"}
        response = await client.post(f"/tenders/{tender_id}/withdraw-award", data=data)
        assert response.status_code == 422 and "放弃中标函" in response.text
        assert await Contract.count().where(Contract.id == contract_id) == 1
        response = await client.post(
            f"/tenders/{tender_id}/withdraw-award", data={**data, "confirm": "yes"}
        )
        assert response.status_code == 200, response.text
        assert "Candidates passed over" in response.text and "放弃中标函" in response.text
        assert f'name="bid_id" value="{b}"' in response.text  # the award form, candidate 2
    assert await Contract.count().where(Contract.id == contract_id) == 0


async def test_two_withdrawals_at_once_one_succeeds(world, api):
    tender_id, (a, b, c), contract_id = await awarded(world)
    async with api("procurement") as client:
        responses = await asyncio.gather(
            *[
                client.post(
                    f"/api/tenders/{tender_id}/withdraw-award",
                    json={"bid_id": a, "ground": ground, "evidence": evidence},
                )
                for ground, evidence in (
                    ("declined", "书面放弃函（2026-01-05）"),
                    ("failed_to_sign", EVIDENCE),
                )
            ]
        )
    assert codes(responses) == [200, 409], [r.text for r in responses]
    assert len(await actions("tender", tender_id, "withdraw_award")) == 1
    entries = await actions("contract", contract_id, "withdraw_award_draft")
    assert [e["before"]["tender_id"] for e in entries].count(tender_id) == 1
    assert await PassedOver.count().where(PassedOver.tender == tender_id) == 1


async def test_after_the_notice_the_award_moves_on_with_a_corrected_notice(world, api, login):
    """The common case: the winner is told by the award notice and then will not sign. The
    published notice is withdrawn (kept, with why), the next candidate is awarded, and its
    notice says which one it corrects; the challenge period and the award notice follow the
    notice in force; the new winner's deposit is due at signing, the old winner's with the
    corrected notice."""
    officer = world.principals["procurement"]
    t = await awarded_tender(world, bid_security=D("20000.00"))
    first, second, third = t.bidders
    for n, b in enumerate(t.bidders):
        await deposits.record(officer, t.tender_id, b.vendor_id, D("20000.00"), today(), f"RA-{n}")
    await results.publish(officer, t.tender_id)
    refund_due = {e["vendor"]: e["refund_due"] for e in await _deposits(t.tender_id)}
    assert refund_due[first.vendor_id] is None and refund_due[second.vendor_id] is not None
    async with api("procurement") as client:
        response = await client.post(
            f"/api/tenders/{t.tender_id}/withdraw-award",
            json={"bid_id": t.bid_ids[0], "ground": "failed_to_sign", "evidence": EVIDENCE},
        )
        assert response.status_code == 200, response.text
        # no notice in force until the next award's is published
        assert (await client.get(f"/api/tenders/{t.tender_id}/result-notice")).status_code == 409
        awarded_next = await client.post(
            f"/api/tenders/{t.tender_id}/award", json={"bid_id": t.bid_ids[1]}
        )
        assert awarded_next.status_code == 201, awarded_next.text
    (withdrawn,) = await results.withdrawn_notices(t.tender_id)
    assert withdrawn["winner"] == first.name
    assert withdrawn["reason"] == f"Failed to sign the contract: {EVIDENCE}"
    corrected = await results.publish(officer, t.tender_id)
    assert corrected["content"]["winner"]["vendor_name"] == second.name
    assert corrected["content"]["corrects"]["winner"] == first.name
    assert await ResultNotice.count().where(ResultNotice.tender == t.tender_id) == 2
    # the challenge period runs from the corrected notice
    period = await challenges.period(t.tender_id)
    assert period["notice_on"] == local_day(corrected["published_at"])
    # the award notice is the new winner's; the old winner learns nothing of it
    assert (await results.award_notice(second.principal, t.tender_id))["content"]["winner"][
        "vendor_name"
    ] == second.name
    with pytest.raises(NotFound):
        await results.award_notice(first.principal, t.tender_id)
    refund_due = {e["vendor"]: e["refund_due"] for e in await _deposits(t.tender_id)}
    assert refund_due[second.vendor_id] is None  # due at signing now
    assert refund_due[first.vendor_id] is not None and refund_due[third.vendor_id] is not None
    # the PDF, in Chinese, and the page say which notice this corrects
    with using_locale("zh_CN"):
        body, _name = await results.notice_pdf(await results.notice(officer, t.tender_id))
    text = "".join(pdf_text(body).split())
    assert first.name in text and "拒绝签订合同" in text and "更正" in text
    async with login("procurement") as client:
        page = (await client.get(f"/tenders/{t.tender_id}/notice")).text
        assert 'id="corrects"' in page and 'id="notices-withdrawn"' in page
        assert EVIDENCE in page
    (entry,) = await actions("tender", t.tender_id, "withdraw_award")
    assert entry["after"]["notice_withdrawn"] is not None


async def _deposits(tender_id: int) -> list[dict]:
    return await BidSecurity.select().where(BidSecurity.tender == tender_id)


async def test_after_the_notice_racing_withdrawals_and_publications_keep_one_notice(world, api):
    """Two withdrawals at once after the notice: one withdraws it, the other is a 409; then
    the corrected notice published twice at once is published once (PostgreSQL: truly
    concurrent requests)."""
    t = await awarded_tender(world)
    path = f"/api/tenders/{t.tender_id}/withdraw-award"
    async with api("procurement") as client:
        assert (await client.post(f"/api/tenders/{t.tender_id}/result-notice")).status_code == 200
        responses = await asyncio.gather(
            *[
                client.post(path, json={"bid_id": t.bid_ids[0], "ground": g, "evidence": e})
                for g, e in (("declined", "书面放弃函"), ("failed_to_sign", EVIDENCE))
            ]
        )
        assert codes(responses) == [200, 409], [r.text for r in responses]
        assert len(await results.withdrawn_notices(t.tender_id)) == 1
        awarded_next = await client.post(
            f"/api/tenders/{t.tender_id}/award", json={"bid_id": t.bid_ids[1]}
        )
        assert awarded_next.status_code == 201, awarded_next.text
        published = await asyncio.gather(
            *[client.post(f"/api/tenders/{t.tender_id}/result-notice") for _ in range(2)]
        )
    assert codes(published) == [200, 200], [r.text for r in published]
    assert published[0].json()["published_at"] == published[1].json()["published_at"]
    notices = await ResultNotice.select().where(ResultNotice.tender == t.tender_id)
    assert sorted(n["withdrawn_at"] is None for n in notices) == [False, True]
    assert len(await actions("tender", t.tender_id, "publish_result_notice")) == 2
