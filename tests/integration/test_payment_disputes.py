"""Vendor disputes of a computed month (§7): the window, vendor isolation, approval blocked
while a dispute is open or the window runs, upheld and rejected rulings, waivers, and two
rulings at once."""

import asyncio
import dataclasses
import io
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

import pytest

from tests.conftest import (
    PASSWORD,
    PNG,
    csrf_token,
    http_client,
    in_chinese,
    log_in,
    new_vendor,
    unique,
)
from tests.integration.test_payment_runs import october_contract, october_records
from vendorgov.accounts import service as accounts
from vendorgov.audit import service as audit
from vendorgov.errors import Conflict, Forbidden, InvalidInput, NotFound
from vendorgov.payments import disputes
from vendorgov.payments import service as payments
from vendorgov.payments.tables import PaymentRun
from vendorgov.settings import get_settings
from vendorgov.sla.measure import Month


@pytest.fixture
def window(monkeypatch):
    """A three-working-day window, as configured by default in production."""
    settings = dataclasses.replace(get_settings(), dispute_window_days=3)
    monkeypatch.setattr(disputes, "get_settings", lambda: settings)


@pytest.fixture
async def reviewer(world):
    """A second finance user: the one who approves what t.finance computed."""
    user_id = await accounts.create_account(
        world.principals["admin"],
        username=unique("t.reviewer"),
        password=PASSWORD,
        role="finance",
        display_name="Second finance user",
    )
    principal = await accounts.principal_for_user(user_id)
    return principal, (await accounts.create_token(principal, "tests"))[1]


async def vendor_user(world) -> tuple[int, object, str]:
    """A new cleaning vendor with a user and an API token."""
    vendor = await new_vendor(world)
    user_id = await accounts.create_account(
        world.principals["admin"],
        username=unique("t.vendor"),
        password=PASSWORD,
        role="vendor",
        display_name="Vendor user",
        vendor_id=vendor,
    )
    principal = await accounts.principal_for_user(user_id)
    return vendor, principal, (await accounts.create_token(principal, "tests"))[1]


@asynccontextmanager
async def session(app, principal):
    """A page client logged in as this user."""
    async with http_client(app) as c:
        assert (await log_in(c, principal.username)).status_code in (302, 303)
        yield c


async def close_window(run_id: int) -> None:
    await PaymentRun.update({PaymentRun.computed_at: datetime.now(UTC) - timedelta(days=30)}).where(
        PaymentRun.id == run_id
    )


async def computed(world, month: str, *vendor_ids: int) -> tuple[int, list[int]]:
    contracts = []
    for vendor_id in vendor_ids:
        contract_id = await october_contract(world, vendor_id)
        await october_records(world, contract_id)
        contracts.append(contract_id)
    run_id = await payments.compute_run(
        world.principals["finance"], Month.parse(month), contracts, reason="争议测试"
    )
    return run_id, contracts


async def test_the_window_isolation_and_a_rejected_dispute(app, world, window, reviewer, login):
    finance, (second, _) = world.principals["finance"], reviewer
    vendor_id, vendor, _ = await vendor_user(world)
    other = world.principals["vendor_b"]
    run_id, (contract_id,) = await computed(world, "2026-08", vendor_id)
    page = f"/month-end/runs/{run_id}/contracts/{contract_id}"
    # The vendor sees its draft and may dispute it; another vendor sees nothing (404).
    async with session(app, vendor) as c:
        shown = await c.get(page)
        drafts = await c.get("/statements")
        token = await csrf_token(c, page)
        sent = await c.post(
            f"{page}/disputes",
            data={
                "_csrf_token": token,
                "line": "line:0",
                "reason": "等级扣款有误：检查评分未计入复查",
            },
            files={"evidence": ("photo.png", io.BytesIO(PNG), "image/png")},
        )
    assert shown.status_code == 200 and "Dispute this line" in shown.text
    assert "Waive the dispute window" in shown.text and page in drafts.text
    assert sent.status_code == 200 and "Dispute sent" in sent.text
    async with login("vendor_b") as c:
        assert (await c.get(page)).status_code == 404
        assert (await c.get(f"{page}/statement.pdf")).status_code == 404
        token = await csrf_token(c, "/statements")
        forged = await c.post(
            f"{page}/disputes", data={"_csrf_token": token, "line": "line:0", "reason": "x"}
        )
        assert forged.status_code == 404
        waived = await c.post(f"/month-end/runs/{run_id}/waiver", data={"_csrf_token": token})
        assert waived.status_code == 404
    with pytest.raises(NotFound):
        await disputes.raise_dispute(other, run_id, contract_id, "line:0", "not mine")
    with pytest.raises(Forbidden):
        await disputes.raise_dispute(finance, run_id, contract_id, "line:0", "finance")
    (dispute,) = await disputes.of_month(finance, "2026-08")
    assert dispute["status"] == "open" and dispute["vendor_id"] == vendor_id
    assert dispute["line_label"].startswith("基本服务费 base fee") and dispute["evidence"]
    async with login("vendor_b") as c:
        evidence = f"/month-end/disputes/{dispute['id']}/evidence/{dispute['evidence'][0]}"
        assert (await c.get(evidence)).status_code == 404
    async with session(app, vendor) as c:
        assert (await c.get(evidence)).headers["content-type"] == "image/png"
    # Bad input: nothing written, the field named.
    for line, reason, field in (
        ("line:99", "x", "line"),
        ("component:sla", "x", "line"),
        ("line:0", "  ", "reason"),
        ("line:0", "x" * 2001, "reason"),
    ):
        with pytest.raises(InvalidInput) as error:
            await disputes.raise_dispute(vendor, run_id, contract_id, line, reason)
        assert error.value.errors[0].field == field
    assert len(await disputes.of_month(finance, "2026-08")) == 1
    # Open dispute: no approval.
    with pytest.raises(Conflict, match="awaits a ruling"):
        await payments.approve(second, run_id)
    with pytest.raises(Forbidden):
        await disputes.rule(vendor, dispute["id"], "reject", "no")
    with pytest.raises(InvalidInput, match="reason the vendor"):
        await disputes.rule(second, dispute["id"], "reject", " ")
    with pytest.raises(InvalidInput, match="uphold or reject"):
        await disputes.rule(second, dispute["id"], "ignore", "x")
    reason = "复查记录属于9月，不计入8月考核"
    assert await disputes.rule(second, dispute["id"], "reject", reason) == "rejected"
    with pytest.raises(Conflict, match="rejected by"):
        await disputes.rule(finance, dispute["id"], "uphold", "late")
    # The vendor reads the ruling on its statement (page and PDF).
    async with session(app, vendor) as c:
        ruled = await c.get(page)
        pdf = await c.get(f"{page}/statement.pdf")
    assert reason in ruled.text and "Rejected" in ruled.text
    assert pdf.headers["content-type"] == "application/pdf"
    # The window still runs: no approval until it closes.
    with pytest.raises(Conflict, match="dispute window runs until"):
        await payments.approve(second, run_id)
    await close_window(run_id)
    async with session(app, vendor) as c:
        assert (await c.get(page)).status_code == 404  # a draft outside its window
    with pytest.raises(Conflict, match="window closed"):
        await disputes.raise_dispute(vendor, run_id, contract_id, "line:0", "too late")
    await payments.approve(second, run_id)
    actions = [e["action"] for e in await audit.history("payment_dispute", dispute["id"])]
    assert sorted(actions) == ["raise", "reject"]


async def test_an_upheld_dispute_needs_a_recomputed_month(app, world, window, reviewer):
    from pypdf import PdfReader

    finance, (second, _) = world.principals["finance"], reviewer
    vendor_id, vendor, _ = await vendor_user(world)
    run_id, (contract_id,) = await computed(world, "2026-07", vendor_id)
    dispute_id = await disputes.raise_dispute(
        vendor, run_id, contract_id, "component:audit", "投诉已被撤回，不应计为严重问题"
    )
    note = "投诉已撤回：删除该问题后重新计算"
    assert await disputes.rule(second, dispute_id, "uphold", note) == "upheld"
    await disputes.waive(vendor, run_id)
    with pytest.raises(Conflict, match="upheld: correct the cause and compute the month again"):
        await payments.approve(second, run_id)
    again = await payments.compute_run(
        finance, Month.parse("2026-07"), [contract_id], reason=f"异议 {dispute_id} 成立"
    )
    # A new revision opens a new window: the earlier waiver does not carry over.
    with pytest.raises(Conflict, match="have not waived"):
        await payments.approve(second, again)
    await disputes.waive(vendor, again)
    await disputes.waive(vendor, again)  # harmless twice
    await payments.approve(second, again)
    with pytest.raises(Conflict, match="no longer a draft"):
        await disputes.raise_dispute(vendor, again, contract_id, "line:0", "after approval")
    # The ruling stays on the month's statements, page and signed PDF.
    async with session(app, vendor) as c:
        page = await c.get(f"/month-end/runs/{again}/contracts/{contract_id}")
        with in_chinese(c):
            pdf = await c.get(f"/month-end/runs/{again}/contracts/{contract_id}/statement.pdf")
    assert note in page.text and "Upheld" in page.text and "earlier revision" in page.text
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    compact = text.replace(" ", "").replace("\n", "")
    assert note in compact and "成立" in compact  # fetched in Chinese


async def test_approval_waits_for_every_vendor_to_waive(api, world, window, reviewer):
    _, second_token = reviewer
    first, _, first_token = await vendor_user(world)
    other, _, other_token = await vendor_user(world)
    run_id, contracts = await computed(world, "2026-06", first, other)
    async with api("vendor") as c:
        c.headers["Authorization"] = f"Bearer {first_token}"
        drafts = (await c.get("/api/payments/statements/drafts")).json()
        own = await c.get(f"/api/payments/runs/{run_id}/statements/{contracts[0]}")
        theirs = await c.get(f"/api/payments/runs/{run_id}/statements/{contracts[1]}")
        bad = await c.post(
            f"/api/payments/runs/{run_id}/statements/{contracts[0]}/disputes",
            json={"line": "nonsense", "reason": "x"},
        )
        waived = await c.post(f"/api/payments/runs/{run_id}/waiver")
    assert any(d["run"] == run_id for d in drafts)
    assert own.status_code == 200 and own.json()["dispute_window"]["waived"] is False
    assert own.json()["net_capitals"].startswith("人民币")
    assert theirs.status_code == 404
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "line"
    assert waived.json() == {"status": "waived"}
    async with api("finance") as c:
        c.headers["Authorization"] = f"Bearer {second_token}"
        blocked = await c.post(f"/api/payments/runs/{run_id}/approve")
    assert blocked.status_code == 409 and "1 of 2 vendors" in blocked.text
    async with api("vendor") as c:
        c.headers["Authorization"] = f"Bearer {other_token}"
        assert (await c.post(f"/api/payments/runs/{run_id}/waiver")).status_code == 200
    async with api("finance") as c:
        c.headers["Authorization"] = f"Bearer {second_token}"
        approved = await c.post(f"/api/payments/runs/{run_id}/approve")
    assert approved.status_code == 200


async def test_two_rulings_at_once_one_wins(api, world, window, reviewer):
    _, second_token = reviewer
    vendor, _, vendor_token = await vendor_user(world)
    run_id, (contract_id,) = await computed(world, "2026-05", vendor)
    async with api("vendor") as c:
        c.headers["Authorization"] = f"Bearer {vendor_token}"
        made = await c.post(
            f"/api/payments/runs/{run_id}/statements/{contract_id}/disputes",
            json={"line": "line:0", "reason": "基本服务费天数有误"},
        )
    assert made.status_code == 201
    dispute_id = made.json()["id"]
    async with api("finance") as first, api("finance") as other:
        other.headers["Authorization"] = f"Bearer {second_token}"
        answers = await asyncio.gather(
            first.post(
                f"/api/payments/disputes/{dispute_id}/ruling",
                json={"decision": "reject", "note": "天数正确"},
            ),
            other.post(
                f"/api/payments/disputes/{dispute_id}/ruling",
                json={"decision": "uphold", "note": "天数有误"},
            ),
        )
    assert sorted(a.status_code for a in answers) == [200, 409]
    (row,) = [
        d
        for d in await disputes.of_month(world.principals["finance"], "2026-05")
        if d["id"] == dispute_id
    ]
    winner = next(a for a in answers if a.status_code == 200).json()["status"]
    assert row["status"] == winner
    entries = await audit.history("payment_dispute", dispute_id)
    assert sorted(e["action"] for e in entries) in (["raise", "reject"], ["raise", "uphold"])
