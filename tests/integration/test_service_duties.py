"""The desk duties page and the routes page (§9, §8): people chosen by name, a vendor's
managers set only their own company's users' duties (page and API alike), keepers a ward
account's ward; the routes form picks the place by name and the contract by number or vendor;
rejections come back on the page with the input kept and each message beside its field."""

from __future__ import annotations

import html
import re
from contextlib import asynccontextmanager

import pytest

from tests.conftest import PASSWORD, csrf_token, http_client, log_in, unique
from tests.integration.servicedesk_support import make_desk, signed_contract
from vendorgov.accounts import service as accounts
from vendorgov.locations import service as locations
from vendorgov.servicedesk.tables import DeskMember, ServiceRoute

BASE = "http://testserver.local"


@pytest.fixture
def page_as(app):
    @asynccontextmanager
    async def _as(username: str):
        async with http_client(app) as c:
            response = await log_in(c, username)
            assert response.status_code in (302, 303), response.text
            yield c

    return _as


@pytest.fixture
async def desk(world):
    return await make_desk(world)


async def post_from(client, page: str, action: str, data: dict):
    """Submits a form as a browser does: from `page`, its address the Referer."""
    token = await csrf_token(client, page)
    return await client.post(
        action, data={"_csrf_token": token, **data}, headers={"Referer": BASE + page}
    )


def field_error(page: str, field: str) -> str:
    """The message beside the field called `field` (the first .error after it)."""
    at = page.index(f'name="{field}"')
    match = re.search(r'<div class="error">([^<]+)</div>', page[at:])
    assert match, f"no message beside {field}"
    return html.unescape(match[1])


def phone_ready(page: str) -> None:
    assert 'name="viewport" content="width=device-width' in page
    assert "style=" not in page and "<style" not in page
    assert not re.search(r"<script(?![^>]*\bsrc=)", page)


async def duty_of(user_id: int) -> dict | None:
    return await DeskMember.select().where(DeskMember.user_id == user_id).first()


async def test_a_vendor_manager_sets_the_duty_and_team_of_a_worker_by_name(page_as, desk):
    manager, worker = desk.people["manager_a"], desk.people["worker_a"]
    async with page_as(manager.username) as c:
        listed = await c.get("/service/members")
        assert listed.status_code == 200
        phone_ready(listed.text)
        assert f'href="/service/members/{worker.user_id}">报修测试 worker_a</a>' in listed.text
        # only the company's own users, and no raw ids to type
        assert "worker_b" not in listed.text and "nurse" not in listed.text
        assert 'name="user_id"' not in listed.text
        form = await c.get(f"/service/members/{worker.user_id}")
        assert form.status_code == 200
        phone_ready(form.text)
        assert f'<option value="{desk.contract_a}"' in form.text  # the team, by number
        assert f'value="{desk.contract_b}"' not in form.text
        saved = await post_from(
            c,
            f"/service/members/{worker.user_id}",
            f"/service/members/{worker.user_id}",
            {"duty": "worker", "contract_id": str(desk.contract_a)},
        )
        assert saved.status_code == 200 and str(saved.url).endswith("/service/members")
        assert "Desk duty saved." in saved.text
    stored = await duty_of(worker.user_id)
    assert stored["duty"] == "worker" and stored["contract_id"] == desk.contract_a


async def test_a_vendor_manager_cannot_touch_another_vendors_users(page_as, as_api, desk):
    manager = desk.people["manager_a"]
    other = desk.people["worker_b"]
    before = await duty_of(other.user_id)
    async with page_as(manager.username) as c:
        assert (await c.get(f"/service/members/{other.user_id}")).status_code == 404
        token = await csrf_token(c, "/service/members")
        posted = await c.post(
            f"/service/members/{other.user_id}",
            data={"_csrf_token": token, "duty": "manager"},
        )
        assert posted.status_code == 404
        # a ward account is not theirs either, nor their own duty
        nurse = desk.people["nurse"]
        assert (await c.get(f"/service/members/{nurse.user_id}")).status_code == 404
        assert (await c.get(f"/service/members/{manager.user_id}")).status_code == 403
    async with as_api(desk.tokens["manager_a"]) as api:
        refused = await api.put(f"/api/service/members/{other.user_id}", json={"duty": "manager"})
        assert refused.status_code == 404
        own = await api.put(
            f"/api/service/members/{desk.people['worker_a2'].user_id}",
            json={"duty": "worker", "contract_id": desk.contract_b},
        )
        assert own.status_code == 422
        assert own.json()["errors"][0]["field"] == "contract_id"
    async with as_api(desk.tokens["worker_a"]) as api:
        worker_tries = await api.put(
            f"/api/service/members/{desk.people['worker_a2'].user_id}", json={"duty": "manager"}
        )
        assert worker_tries.status_code == 403
    async with page_as(desk.people["worker_a"].username) as c:
        assert (await c.get("/service/members")).status_code == 403
    assert await duty_of(other.user_id) == before


async def test_a_supervisor_sets_a_ward_accounts_ward_and_bad_input_comes_back_inline(
    page_as, world, desk
):
    name = unique("病区护士")
    user_id = await accounts.create_account(
        world.principals["admin"],
        username=unique("t.sd.duty"),
        password=PASSWORD,
        role="ward",
        display_name=name,
    )
    async with page_as(world.principals["supervisor"].username) as c:
        found = await c.get("/service/members", params={"q": name})
        assert f'href="/service/members/{user_id}">{name}</a>' in found.text
        page = f"/service/members/{user_id}"
        form = await c.get(page)
        assert 'hx-get="/service/places"' in form.text and 'name="location_id"' not in form.text
        missing = await post_from(c, page, page, {"duty": "kiosk", "q": "东区"})
        assert missing.status_code == 422
        assert "belongs to a ward" in field_error(missing.text, "q")
        assert 'value="东区"' in missing.text  # what was typed is kept
        assert await duty_of(user_id) is None
        bad_duty = await post_from(
            c, page, page, {"duty": "manager", "location_id": str(desk.ward)}
        )
        assert bad_duty.status_code == 422
        assert "Duty: use staff, kiosk" in field_error(bad_duty.text, "duty")
        assert "东区护士站" in bad_duty.text  # the chosen ward, by name, still chosen
        assert f'value="{desk.ward}" checked' in bad_duty.text
        saved = await post_from(c, page, page, {"duty": "kiosk", "location_id": str(desk.ward)})
        assert saved.status_code == 200 and "Desk duty saved." in saved.text
        again = await c.get(page)
        assert "东区护士站" in again.text and 'value="kiosk" selected' in again.text
    stored = await duty_of(user_id)
    assert stored["duty"] == "kiosk" and stored["location_id"] == desk.ward


async def test_the_routes_page_picks_place_and_contract_by_name(page_as, world, desk):
    supervisor = world.principals["supervisor"]
    p = unique("RT")
    campus = await locations.create(supervisor, "campus", f"{p}分院", p, pinyin="fy")
    extra = await signed_contract(world, desk.vendor_a)  # a cleaning contract
    number = await accounts_contract_number(extra)
    async with page_as(supervisor.username) as c:
        page = await c.get("/service/routes", params={"contract_q": number})
        assert page.status_code == 200
        phone_ready(page.text)
        assert f'<option value="{extra}"' in page.text and number in page.text
        assert 'hx-get="/service/places"' in page.text
        assert "Place id" not in page.text and "Contract id" not in page.text
        places = await c.get("/service/places", params={"q": f"{p}分院"})
        assert f'value="{campus}"' in places.text and f"{p}分院" in places.text
        target = f"/service/routes?contract_q={number}"
        wrong = await post_from(
            c,
            target,
            "/service/routes",
            {"category": "security", "location_id": str(campus), "contract_id": str(extra)},
        )
        assert wrong.status_code == 422
        assert "choose a contract of this category" in field_error(wrong.text, "contract_id")
        assert f'value="{campus}" checked' in wrong.text and f"{p}分院" in wrong.text
        assert f'<option value="{extra}" selected' in wrong.text
        assert await ServiceRoute.count().where(ServiceRoute.location_id == campus) == 0
        unknown = await post_from(
            c,
            target,
            "/service/routes",
            {"category": "cleaning", "location_id": "999999999", "contract_id": str(extra)},
        )
        assert unknown.status_code == 422
        assert "no active place" in field_error(unknown.text, "q")
        added = await post_from(
            c,
            target,
            "/service/routes",
            {"category": "cleaning", "location_id": str(campus), "contract_id": str(extra)},
        )
        assert added.status_code == 200 and "Route added." in added.text
        row = re.search(
            rf"<tr>\s*<td[^>]*>[^<]*</td>\s*<td[^>]*>{p}分院</td>(.*?)</tr>", added.text, re.S
        )
        assert row and number in row[1]  # the contract by its number and vendor, not an id
    assert await ServiceRoute.count().where(ServiceRoute.location_id == campus) == 1


async def accounts_contract_number(contract_id: int) -> str:
    from vendorgov.contracts import service as contracts

    return (await contracts.routing_target(contract_id))["number"]


@pytest.fixture
def as_api(app):
    @asynccontextmanager
    async def _as(token: str):
        async with http_client(app) as c:
            c.headers["Authorization"] = f"Bearer {token}"
            yield c

    return _as
