"""The tender pages (§3): bad input comes back as the same page with the message next to its
field and a 4xx status, never a 500; the bid receipt shows the digest of exactly the content
shown; sealed bids show no price on the officer's page."""

from __future__ import annotations

import hashlib
import html
import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from tests.conftest import PASSWORD, PDF, csrf_token, http_client, log_in, new_vendor, unique
from vendorgov.accounts import service as accounts
from vendorgov.settings import get_settings
from vendorgov.tenders import bidding, publication, reading
from vendorgov.tenders.rules import Criterion
from vendorgov.tenders.tables import Bid, PanelMember, Tender

D = Decimal
START = date(date.today().year + 1, 1, 1)
END = date(date.today().year + 1, 12, 31)


def form_data(**overrides) -> dict:
    """The create form as a browser sends it: a valid cleaning tender."""
    deadline = (datetime.now(get_settings().zone) + timedelta(days=3)).replace(microsecond=0)
    data = {
        "reference": unique("ZB"),
        "title": "病区保洁服务采购",
        "category": "cleaning",
        "method": "open",
        "evaluation_method": "comprehensive",
        "budget_ceiling": "1,200,000.00",
        "service_start": START.isoformat(),
        "service_end": END.isoformat(),
        "bid_deadline": deadline.strftime("%Y-%m-%dT%H:%M:%S"),
        "scope": "住院部日常保洁",
        "qualification_types": "business_licence",
        "criteria_rows": "4",
        "criteria-0-key": "price",
        "criteria-0-name": "价格",
        "criteria-0-weight": "30",
        "criteria-1-key": "plan",
        "criteria-1-name": "服务方案",
        "criteria-1-weight": "40",
        "criteria-2-key": "",
        "criteria-2-name": "",
        "criteria-2-weight": "",
        "criteria-3-key": "staffing",
        "criteria-3-name": "人员配置",
        "criteria-3-weight": "30",
        "clause_rows": "2",
        "clauses-0-code": "SLA-1",
        "clauses-0-name": "保洁呼叫30分钟响应",
        "clauses-0-kind": "response_within",
        "clauses-0-threshold_minutes": "30",
        "clauses-0-target": "95",
        "clauses-0-minimum": "80",
        "clauses-0-weight": "1",
    }
    data.update(overrides)
    return data


def field_error(page: str, name: str) -> str:
    """The inline message under the input called `name`."""
    match = re.search(
        rf'name="{re.escape(name)}"[^>]*>(?:[^<]*</textarea>)?'
        r'(?:\s*<div class="hint">[^<]*</div>)?\s*<div class="error">([^<]+)</div>',
        page,
    )
    assert match, f"no inline error under {name}"
    return html.unescape(match[1])


async def vendor_user(world, name: str | None = None):
    """A cleaning vendor with a login; returns (username, principal)."""
    vendor_id = await new_vendor(world, name=name or unique("保洁公司"), categories=["cleaning"])
    username = unique("bidder")
    user_id = await accounts.create_account(
        world.principals["admin"],
        username=username,
        password=PASSWORD,
        role="vendor",
        display_name=username,
        vendor_id=vendor_id,
    )
    return username, await accounts.principal_for_user(user_id)


async def published_tender(world, **overrides) -> int:
    officer = world.principals["procurement"]
    data = dict(
        reference=unique("ZB"),
        title="门诊保洁服务采购",
        category="cleaning",
        method="open",
        evaluation_method="comprehensive",
        budget_ceiling=D("1000000.00"),
        service_start=START,
        service_end=END,
        bid_deadline=datetime.now(UTC) + timedelta(hours=1),
        criteria=[
            Criterion("price", "价格", D(30)),
            Criterion("plan", "服务方案", D(70)),
        ],
    )
    data.update(overrides)
    tender_id = await publication.create_tender(officer, publication.TenderInput(**data))
    await publication.publish(officer, tender_id)
    return tender_id


async def test_weights_not_summing_to_100_come_back_inline(login):
    async with login("procurement") as c:
        token = await csrf_token(c, "/tenders/new")
        data = form_data(**{"criteria-3-weight": "20", "_csrf_token": token})
        response = await c.post("/tenders", data=data)
    assert response.status_code == 422
    page = response.text
    assert "weights must sum to 100 (they sum to 90)" in page
    # What was typed is kept, blank row included, in its place.
    assert 'value="病区保洁服务采购"' in page
    assert 'name="criteria-3-weight" value="20"' in page
    assert 'value="SLA-1"' in page


async def test_unreadable_numbers_and_bad_clauses_are_shown_on_their_rows(login):
    async with login("procurement") as c:
        token = await csrf_token(c, "/tenders/new")
        data = form_data(
            **{
                "criteria-3-weight": "thirty",
                "budget_ceiling": "12万",
                "bid_deadline": "tomorrow",
                "_csrf_token": token,
            }
        )
        response = await c.post("/tenders", data=data)
        assert response.status_code == 422
        assert (
            field_error(response.text, "criteria-3-weight")
            == "“thirty” is not a number; write digits, e.g. 1234.50."
        )
        assert (
            field_error(response.text, "budget_ceiling")
            == "“12万” is not a number; write digits, e.g. 1234.50."
        )
        assert "is not a time" in field_error(response.text, "bid_deadline")

        # The service's rules on the SLA template land on the clause row.
        data = form_data(**{"clauses-0-minimum": "99", "_csrf_token": token})
        response = await c.post("/tenders", data=data)
        assert response.status_code == 422
        assert "clauses-0-minimum" in response.text
        assert re.search(
            r'name="clauses-0-(target|minimum)"[^>]*>\s*<div class="error">', response.text
        )


async def test_forged_row_counts_are_no_500(login):
    async with login("procurement") as c:
        token = await csrf_token(c, "/tenders/new")
        data = form_data(
            criteria_rows="many", clause_rows="-1", _csrf_token=token, **{"criteria-x-key": "a"}
        )
        response = await c.post("/tenders", data=data)
    assert response.status_code == 422
    assert "comprehensive scoring needs criteria" in response.text


async def test_a_deadline_in_the_past_is_refused_inline(login):
    past = (datetime.now(get_settings().zone) - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M")
    async with login("procurement") as c:
        token = await csrf_token(c, "/tenders/new")
        response = await c.post("/tenders", data=form_data(bid_deadline=past, _csrf_token=token))
    assert response.status_code == 422
    assert field_error(response.text, "bid_deadline") == "must be in the future"


async def test_create_edit_and_publish_through_the_pages(login):
    data = form_data()
    async with login("procurement") as c:
        token = await csrf_token(c, "/tenders/new")
        response = await c.post("/tenders", data={**data, "_csrf_token": token})
        assert response.status_code == 200
        assert "Draft tender created" in response.text
        tender_id = int(re.search(r"/tenders/(\d+)/edit", response.text)[1])
        tender = await reading.get_tender(await _officer(), tender_id)
        assert [c.key for c in tender["criteria"]] == ["price", "plan", "staffing"]
        assert tender["budget_ceiling"] == D("1200000.00")
        assert tender["sla_template"]["clauses"][0]["code"] == "SLA-1"
        assert tender["bid_deadline_local"].strftime("%Y-%m-%dT%H:%M:%S") == data["bid_deadline"]

        edit = await c.get(f"/tenders/{tender_id}/edit")
        assert edit.status_code == 200
        assert f'value="{data["bid_deadline"]}"' in edit.text
        # Editing keeps the reference and what the form does not show.
        changed = {**data, "title": "病区保洁服务采购（第二次）", "_csrf_token": token}
        response = await c.post(f"/tenders/{tender_id}/edit", data=changed)
        assert response.status_code == 200 and "Draft saved" in response.text

        response = await c.post(
            f"/tenders/{tender_id}/documents",
            files={"file": ("招标文件.pdf", PDF, "application/pdf")},
            data={"_csrf_token": token},
        )
        assert "招标文件.pdf attached" in response.text

        # Irreversible: refused until the box stating what will happen is ticked.
        response = await c.post(f"/tenders/{tender_id}/publish", data={"_csrf_token": token})
        assert response.status_code == 422 and "tick the box to confirm" in response.text
        assert "I confirm: vendors will see the tender" in response.text
        assert (await Tender.select(Tender.status).where(Tender.id == tender_id).first())[
            "status"
        ] == "draft"
        response = await c.post(
            f"/tenders/{tender_id}/publish", data={"_csrf_token": token, "confirm": "yes"}
        )
        assert "Published" in response.text
        # Published: no edit; the opening button waits for the deadline.
        assert f"/tenders/{tender_id}/edit" not in response.text
        assert "Open the bids" in response.text and "disabled" in response.text
        response = await c.post(
            f"/tenders/{tender_id}/open", data={"_csrf_token": token, "confirm": "yes"}
        )
        assert response.status_code == 409
        assert "can be opened from" in response.text

        listing = await c.get("/tenders?status=published")
        assert data["reference"] in listing.text


async def _officer():
    return await accounts.principal_for_user(await accounts.user_id_for("t.procurement"))


async def test_the_receipt_shows_the_digest_of_the_content_shown(app, world, login):
    tender_id = await published_tender(world)
    async with login("vendor") as c:
        page = await c.get(f"/tenders/{tender_id}")
        assert page.status_code == 200 and "Submit the bid" in page.text
        token = await csrf_token(c, f"/tenders/{tender_id}")
        response = await c.post(
            f"/tenders/{tender_id}/bid",
            data={
                "_csrf_token": token,
                "price": "880,000.00",
                "line_rows": "4",
                "lines-0-item": "人员工资",
                "lines-0-amount": "600000",
                "lines-2-item": "耗材",
                "lines-2-amount": "280000.00",
            },
            files={"files": ("技术方案.pdf", PDF, "application/pdf")},
        )
        assert response.status_code == 201, response.text
        page = response.text
        digest = re.search(r'id="digest">([0-9a-f]{64})<', page)[1]
        canonical = html.unescape(re.search(r'id="canonical">([^<]+)</pre>', page)[1])
        assert hashlib.sha256(canonical.encode()).hexdigest() == digest
        assert '"price":"880000.00"' in canonical
        assert hashlib.sha256(PDF).hexdigest() in canonical
        received = re.search(r'id="received-at">([^<]+)<', page)[1]
        assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", received)

        ref = (await bidding.my_bid_page(world.principals["vendor"])).items[0]["ref"]
        assert f'id="bid-ref">{ref}<' in page
        receipt = await c.get(f"/tenders/bids/{ref}/receipt")
        assert digest in receipt.text and received in receipt.text
        bid_id = (await Bid.select(Bid.id).where(Bid.ref == ref).first())["id"]
        assert (await c.get(f"/tenders/bids/{bid_id}/receipt")).status_code == 404
        assert "880000" not in receipt.text and "880,000" not in receipt.text
        mine = await c.get("/tenders/bids")
        assert digest[:16] in mine.text and "sealed" in mine.text

    async with login("procurement") as c:
        bids = await c.get(f"/tenders/{tender_id}/bids")
        assert bids.status_code == 200
        assert digest in bids.text
        assert "880000" not in bids.text and "880,000" not in bids.text


async def test_bad_bids_come_back_inline(world, login):
    tender_id = await published_tender(world)
    async with login("vendor") as c:
        token = await csrf_token(c, f"/tenders/{tender_id}")
        response = await c.post(
            f"/tenders/{tender_id}/bid", data={"_csrf_token": token, "price": "八十万"}
        )
        assert response.status_code == 422
        assert (
            field_error(response.text, "price")
            == "“八十万” is not a number; write digits, e.g. 1234.50."
        )

        response = await c.post(
            f"/tenders/{tender_id}/bid",
            data={
                "_csrf_token": token,
                "price": "880000",
                "line_rows": "4",
                "lines-1-item": "",
                "lines-1-amount": "100",
                "lines-3-item": "耗材",
                "lines-3-amount": "200",
            },
        )
        assert response.status_code == 422
        assert field_error(response.text, "lines-1-item") == "name the item"
        assert "the lines must add up to the total price 880000" in response.text
        assert (
            'name="lines-3-amount" aria-label="line 4 amount" inputmode="decimal" value="200"'
            in response.text
        )


async def test_a_bid_after_the_deadline_is_refused_on_the_page(world, login):
    tender_id = await published_tender(world)
    async with login("vendor") as c:
        token = await csrf_token(c, f"/tenders/{tender_id}")
        # The vendor had the form open while the deadline passed.
        await Tender.update({Tender.bid_deadline: datetime.now(UTC)}).where(Tender.id == tender_id)
        response = await c.post(
            f"/tenders/{tender_id}/bid", data={"_csrf_token": token, "price": "880000.00"}
        )
    assert response.status_code == 409
    assert "bids closed at" in html.unescape(response.text)
    assert "Submit the bid" not in response.text
    assert all(
        b["tender"] != tender_id
        for b in (await bidding.my_bid_page(world.principals["vendor"])).items
    )


async def test_a_run_through_the_pages_to_award(app, world, login):
    """Opening, review, panel, declarations, scores, closing and award through the pages."""
    tender_id = await published_tender(world, qualification_types=[])
    users = [await vendor_user(world) for _ in range(3)]
    prices = ["900000.00", "850000.00", "800000.00"]
    for (username, _), price in zip(users, prices, strict=True):
        async with http_client(app) as c:
            assert (await log_in(c, username)).status_code in (302, 303)
            token = await csrf_token(c, f"/tenders/{tender_id}")
            response = await c.post(
                f"/tenders/{tender_id}/bid", data={"_csrf_token": token, "price": price}
            )
            assert response.status_code == 201
    await Tender.update({Tender.bid_deadline: datetime.now(UTC)}).where(Tender.id == tender_id)
    experts = []
    for _ in range(5):
        username = unique("expert")
        await accounts.create_account(
            world.principals["admin"],
            username=username,
            password=PASSWORD,
            role="evaluator",
            display_name=username,
        )
        experts.append(username)
    async with login("procurement") as c:
        token = await csrf_token(c, f"/tenders/{tender_id}")
        response = await c.post(f"/tenders/{tender_id}/open", data={"_csrf_token": token})
        assert response.status_code == 422 and "every sealed bid is decrypted now" in response.text
        response = await c.post(
            f"/tenders/{tender_id}/open", data={"_csrf_token": token, "confirm": "yes"}
        )
        assert "Opened: 3 bid(s), 3 valid" in response.text
        assert "850,000.00" in response.text
        bid_ids = [b["id"] for b in await bidding.bids(await _officer(), tender_id)]
        response = await c.post(
            f"/tenders/{tender_id}/bids/{bid_ids[0]}/compliance",
            data={"_csrf_token": token, "compliant": "no", "reason": ""},
        )
        assert response.status_code == 422
        assert "give a written reason" in response.text

        # The experts join the cleaning pool on the pools page (listed by display name, here
        # the same as the username) ...
        for name in experts:
            pool = await c.get("/tenders/experts?category=cleaning")
            evaluator_id = re.search(rf'<option value="(\d+)" >{name}</option>', pool.text)[1]
            response = await c.post(
                "/tenders/experts",
                data={"_csrf_token": token, "category": "cleaning", "evaluator_id": evaluator_id},
            )
            assert "Expert added to the pool" in response.text
            assert f'<td class="nowrap">{name}</td>' in response.text
        # ... and the panel's experts are drawn from it, after a confirmation.
        panel = await c.get(f"/tenders/{tender_id}/panel")
        assert "the panel needs at least 5 expert(s)" in panel.text
        response = await c.post(
            f"/tenders/{tender_id}/draw", data={"_csrf_token": token, "count": "5"}
        )
        assert response.status_code == 422 and "drawn now at random" in response.text
        response = await c.post(
            f"/tenders/{tender_id}/draw",
            data={"_csrf_token": token, "count": "4", "confirm": "yes"},
        )
        assert response.status_code == 422
        assert "this tender&#39;s panel needs at least 5 members (it has 4)" in response.text
        assert 'value="4"' in response.text  # the typed count is kept
        response = await c.post(
            f"/tenders/{tender_id}/draw",
            data={"_csrf_token": token, "count": "5", "confirm": "yes"},
        )
        assert "5 experts drawn at random" in response.text
        drawn = await PanelMember.select(PanelMember.username).where(
            PanelMember.tender == tender_id
        )
        assert len(drawn) == 5 and "first draw" in response.text

    for n, username in enumerate(m["username"] for m in drawn):
        async with http_client(app) as c:
            await log_in(c, username)
            before = await c.get(f"/tenders/{tender_id}/scoring")
            assert before.status_code == 403  # declare first
            token = await csrf_token(c, f"/tenders/{tender_id}/declaration")
            response = await c.post(
                f"/tenders/{tender_id}/declaration", data={"_csrf_token": token}
            )
            assert "Declaration recorded" in response.text
            scores = {f"score-{b}-plan": str(70 + 5 * i) for i, b in enumerate(bid_ids)}
            if n == 0:
                bad = {**scores, f"score-{bid_ids[0]}-plan": "101"}
                response = await c.post(
                    f"/tenders/{tender_id}/scoring",
                    data={"_csrf_token": token, "submit": "final", **bad},
                )
                assert response.status_code == 422
                assert field_error(response.text, f"score-{bid_ids[0]}-plan").startswith(
                    "Score: from 0 to 100"
                )
            response = await c.post(
                f"/tenders/{tender_id}/scoring",
                data={"_csrf_token": token, "submit": "final", **scores},
            )
            assert "Scores submitted" in response.text

    async with login("procurement") as c:
        token = await csrf_token(c, f"/tenders/{tender_id}/panel")
        response = await c.post(f"/tenders/{tender_id}/close", data={"_csrf_token": token})
        assert "Evaluation closed" in response.text
        # 800k with plan 80 ranks first: the award form is for candidate 1, and says what
        # the award does (the contract's monthly fees) before it is confirmed.
        assert f'name="bid_id" value="{bid_ids[2]}"' in response.text
        assert "Award to candidate 1" in response.text and "monthly fees of" in response.text
        confirmed = {"_csrf_token": token, "confirm": "yes"}
        # Candidate 2 before candidate 1 is passed over: refused, even with a reason
        # (Order 87 Art. 68).
        response = await c.post(
            f"/tenders/{tender_id}/award",
            data={**confirmed, "bid_id": bid_ids[1], "reason": "第一名报价偏高，改授予第二名"},
        )
        assert response.status_code == 422
        assert "candidate 2 may be taken only when" in response.text
        response = await c.post(
            f"/tenders/{tender_id}/award", data={"_csrf_token": token, "bid_id": bid_ids[2]}
        )
        assert response.status_code == 422 and "the award cannot be changed" in response.text
        response = await c.post(
            f"/tenders/{tender_id}/award", data={**confirmed, "bid_id": bid_ids[2]}
        )
        assert response.status_code == 200
        assert re.search(r"/contracts/\d+$", str(response.url))
        assert "Awarded" in response.text


async def test_every_form_refusal_is_the_page_again_and_an_unknown_tender_a_404(login):
    """One mechanism for every form: a refusal is the same page with the input kept and the
    message inline (its status 422/409), a tender that does not exist a 404 page."""
    data = form_data()
    async with login("procurement") as c:
        token = await csrf_token(c, "/tenders/new")
        response = await c.post("/tenders", data={**data, "_csrf_token": token})
        tender_id = int(re.search(r"/tenders/(\d+)/edit", response.text)[1])
        bad = {**data, "title": "", "scope": "保留的范围", "_csrf_token": token}
        response = await c.post(f"/tenders/{tender_id}/edit", data=bad)
        assert response.status_code == 422
        assert "Title: required" in field_error(response.text, "title")
        assert "保留的范围" in response.text
        response = await c.post(f"/tenders/{tender_id}/documents", data={"_csrf_token": token})
        assert response.status_code == 422
        assert "choose the document to attach" in response.text
        response = await c.post(
            f"/tenders/{tender_id}/close-tender",
            data={"action": "cancel", "reason": "x", "_csrf_token": token, "confirm": "yes"},
        )
        assert response.status_code == 422 and "give a written reason" in response.text
        for path in ("publish", "open", "edit", "panel", "close", "award", "deadline"):
            response = await c.post(f"/tenders/999999/{path}", data={"_csrf_token": token})
            assert response.status_code == 404, (path, response.status_code)
