"""The tender and contract page forms refused the one way every page form is
(web.errors.FormRetry): the page they were sent from comes back with what was typed and each
message beside its field — in Chinese when the browser names no language — with the
rejection's status, and nothing is saved. Without a Referer the form's own page comes back."""

from __future__ import annotations

import html
import re
from contextlib import asynccontextmanager

from tests.conftest import csrf_token, http_client, log_in, unique
from tests.integration.test_contracts import create as create_contract
from tests.integration.test_tender_award_order import scored_tender
from tests.integration.test_tender_pages import form_data
from tests.integration.test_tenders import published
from vendorgov.contracts.tables import Contract, ContractVersion
from vendorgov.tenders import clarifications
from vendorgov.tenders.tables import Clarification, Tender

BASE = "http://testserver.local"


@asynccontextmanager
async def browser(app, username: str, language: str | None = None):
    """A logged-in browser; `language` None sends no Accept-Language (zh-CN, the default)."""
    async with http_client(app) as c:
        assert (await log_in(c, username)).status_code in (302, 303)
        if language is None:
            del c.headers["Accept-Language"]
        else:
            c.headers["Accept-Language"] = language
        yield c


async def submit(client, page: str, action: str, data: dict, referer: bool = True):
    """Posts a form as a browser does: from `page`, whose address is the Referer."""
    token = await csrf_token(client, page)
    headers = {"Referer": BASE + page} if referer else {}
    return await client.post(action, data={"_csrf_token": token, **data}, headers=headers)


def beside(page: str, name: str) -> str:
    """The message right after the input, textarea or confirmation box called `name`."""
    match = re.search(
        rf'name="{re.escape(name)}"[^>]*>(?:[^<]*</textarea>|[^<]*</label>)?'
        r'(?:\s*<div class="hint">[^<]*</div>)?\s*<div class="error">([^<]+)</div>',
        page,
    )
    assert match, f"no message beside {name}"
    return html.unescape(match[1])


async def test_a_refused_tender_keeps_what_was_typed_in_chinese_by_default(app, world):
    reference = unique("ZB-RETRY")
    data = form_data(reference=reference, title="", **{"criteria-1-name": "服务方案（重新填写）"})
    async with browser(app, "t.procurement") as c:
        page = await submit(c, "/tenders/new", "/tenders", data)
    assert page.status_code == 422
    assert 'lang="zh-CN"' in page.text and "Invalid input</h1>" not in page.text
    assert beside(page.text, "title") == "项目名称：必填，1至200个字。"
    assert f'value="{reference}"' in page.text
    assert 'value="服务方案（重新填写）"' in page.text and 'value="SLA-1"' in page.text
    assert await Tender.count().where(Tender.reference == reference) == 0


async def test_a_refused_tender_edit_without_a_referer_comes_back_on_the_edit_page(app, world):
    tender_id = await published(world)
    async with browser(app, "t.procurement", "en") as c:
        # A published tender can no longer be edited: 409, said on the edit page, typed kept.
        data = form_data(title="改过的标题")
        page = await submit(c, f"/tenders/{tender_id}", f"/tenders/{tender_id}/edit", data, False)
    assert page.status_code == 409
    assert 'value="改过的标题"' in page.text
    assert "does not allow this: edit the tender" in page.text


async def test_a_refused_clarification_answer_keeps_it_beside_its_question(app, world):
    tender_id = await published(world)
    question_id = await clarifications.ask(
        world.principals["vendor"], tender_id, "保洁人员是否需要持证上岗？"
    )
    page_url = f"/tenders/{tender_id}"
    async with browser(app, "t.procurement") as c:
        page = await submit(
            c,
            page_url,
            f"/tenders/{tender_id}/clarifications",
            {"question_id": str(question_id), "answer": "需要"},
        )
    assert page.status_code == 422
    assert ">需要</textarea>" in page.text
    assert beside(page.text, "answer") == "答复：应为5至4000个字。"
    row = await Clarification.select().where(Clarification.id == question_id).first()
    assert row["published_at"] is None and not row["answer"]


async def test_an_award_without_its_confirmation_says_so_beside_the_box(app, world):
    tender_id, (first, _second, _third) = await scored_tender(
        world, [("90", "80"), ("85", "80"), ("80", "80")]
    )
    page_url = f"/tenders/{tender_id}/results"
    async with browser(app, "t.procurement") as c:
        page = await submit(
            c,
            page_url,
            f"/tenders/{tender_id}/award",
            {"bid_id": str(first), "reason": "综合得分第一"},
        )
        assert page.status_code == 422
        assert ">综合得分第一</textarea>" in page.text
        assert beside(page.text, "confirm") == "确认：请勾选确认框，此操作不可撤销。"
        # The same in English, when the browser asks for it.
        c.headers["Accept-Language"] = "en"
        page = await submit(c, page_url, f"/tenders/{tender_id}/award", {"bid_id": str(first)})
        assert page.status_code == 422
        assert beside(page.text, "confirm").startswith("Confirmation: tick the box")
    row = await Tender.select().where(Tender.id == tender_id).first()
    assert row["awarded_bid"] is None
    assert await Contract.count().where(Contract.tender_id == tender_id) == 0


async def _signed_contract(app, world) -> int:
    async with http_client(app) as c:
        c.headers["Authorization"] = f"Bearer {world.tokens['procurement']}"
        contract_id = await create_contract(c, world)
        assert (await c.post(f"/api/contracts/{contract_id}/versions/1/sign")).status_code == 200
    return contract_id


async def test_a_refused_amendment_keeps_its_date_and_says_why_beside_the_reason(app, world):
    contract_id = await _signed_contract(app, world)
    page_url = f"/contracts/{contract_id}"
    async with browser(app, "t.procurement") as c:
        page = await submit(
            c,
            page_url,
            f"/contracts/{contract_id}/amend",
            {"reason": "调价", "effective_from": "2026-07-01"},
        )
    assert page.status_code == 422
    assert '<details class="card" open>' in page.text
    assert 'name="reason" value="调价"' in page.text
    assert 'value="2026-07-01"' in page.text
    assert beside(page.text, "reason") == "原因：请说明变更合同的原因，至少5个字。"
    assert await ContractVersion.count().where(ContractVersion.contract == contract_id) == 1


async def test_a_refused_status_change_keeps_the_action_and_says_why_in_english(app, world):
    contract_id = await _signed_contract(app, world)
    async with browser(app, "t.procurement", "en") as c:
        # No Referer: the contract's page comes back all the same.
        page = await submit(
            c,
            f"/contracts/{contract_id}",
            f"/contracts/{contract_id}/status",
            {"action": "terminate", "reason": "no"},
            referer=False,
        )
    assert page.status_code == 422
    assert '<option value="terminate" selected>' in page.text
    assert beside(page.text, "reason") == "Reason: say why, in at least 5 characters."
    row = await Contract.select().where(Contract.id == contract_id).first()
    assert row["status"] != "terminated"
