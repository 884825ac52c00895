"""The service centre's pages: the QR code's place page, the phone form with inline errors,
a worker's steps with a photo, the rating, the live board, the routes page."""

from __future__ import annotations

from contextlib import asynccontextmanager

import pytest

from tests.conftest import CSRF_RE, PNG, http_client, log_in
from tests.integration.servicedesk_support import make_desk
from vendorgov.servicedesk.tables import ServiceRequest


@pytest.fixture
def page_as(app):
    @asynccontextmanager
    async def _as(username: str):
        async with http_client(app) as c:
            response = await log_in(c, username)
            assert response.status_code in (302, 303), response.text
            yield c

    return _as


async def token(c, path: str) -> str:
    return CSRF_RE.search((await c.get(path)).text).group(1)


async def test_a_nurse_files_from_the_qr_code_and_rates_after_the_worker(page_as, world):
    desk = await make_desk(world)
    async with page_as(desk.people["nurse"].username) as nurse:
        form = await nurse.get(f"/at/{desk.ward}")
        assert form.status_code == 200 and str(form.url).endswith(
            f"/service/new?location_id={desk.ward}"
        )
        assert "东区护士站" in form.text and "报修测试 nurse" in form.text  # the contact prefilled
        csrf = CSRF_RE.search(form.text).group(1)
        fields = {
            "_csrf_token": csrf,
            "location_id": str(desk.ward),
            "category": "cleaning",
            "priority": "urgent",
            "description": "",
            "contact_name": "王护士",
            "contact_phone": "8123",
            "client_token": "page-1",
        }
        refused = await nurse.post("/service/requests", data=fields)
        assert refused.status_code == 422 and "say what is needed" in refused.text
        assert 'value="王护士"' in refused.text and "东区护士站" in refused.text
        fields["description"] = "卫生间纸巾用完"
        filed = await nurse.post(
            "/service/requests", data=fields, files={"photo": ("p.png", PNG, "image/png")}
        )
        assert filed.status_code == 200 and "SR-" in filed.text
        request_id = int(str(filed.url).rsplit("/", 1)[1])
    async with page_as(desk.people["worker_a"].username) as worker:
        queue = await worker.get("/service/requests")
        assert f"/service/requests/{request_id}" in queue.text
        for step in ("accept", "arrive"):
            csrf = await token(worker, f"/service/requests/{request_id}")
            done = await worker.post(
                f"/service/requests/{request_id}/{step}", data={"_csrf_token": csrf}
            )
            assert done.status_code == 200
        csrf = await token(worker, f"/service/requests/{request_id}")
        no_image = await worker.post(
            f"/service/requests/{request_id}/resolve",
            data={"_csrf_token": csrf},
            files={"photo": ("x.png", b"plain text", "image/png")},
        )
        assert no_image.status_code == 422 and "not one of" in no_image.text
        resolved = await worker.post(
            f"/service/requests/{request_id}/resolve",
            data={"_csrf_token": csrf, "note": "已补充"},
            files={"photo": ("done.png", PNG, "image/png")},
        )
        assert resolved.status_code == 200
        photo = await worker.get(f"/service/requests/{request_id}/photo/resolution")
        assert photo.status_code == 200 and photo.content == PNG
    async with page_as(desk.people["worker_b"].username) as other:
        assert (await other.get(f"/service/requests/{request_id}")).status_code == 404
    async with page_as(desk.people["nurse"].username) as nurse:
        csrf = await token(nurse, f"/service/requests/{request_id}")
        rated = await nurse.post(
            f"/service/requests/{request_id}/rate",
            data={"_csrf_token": csrf, "rating": "2", "comment": "太慢"},
        )
        assert rated.status_code == 200
    row = await ServiceRequest.select().where(ServiceRequest.id == request_id).first()
    assert row["rating"] == 2 and row["complaint_review"] == "pending" and row["photo_id"]


async def test_supervisors_choose_between_request_and_inspection(login, world):
    desk = await make_desk(world)
    async with login("supervisor") as c:
        page = await c.get(f"/at/{desk.ward}")
    assert page.status_code == 200
    assert f"/service/new?location_id={desk.ward}" in page.text
    assert f"/inspections/new?location_id={desk.ward}" in page.text
    async with login("finance") as c:
        assert (await c.get(f"/at/{desk.ward}")).status_code == 403


async def test_the_board_refreshes_itself_and_the_console_looks_up_callers(login, world):
    desk = await make_desk(world)
    async with login("agent") as c:
        board = await c.get("/service/board")
        live = await c.get("/service/board/live")
        console = await c.get("/service/console")
        places = await c.get("/service/places", params={"q": "dqhsz"})
        callers = await c.get("/service/callers", params={"contact_phone": "8123"})
        figures = await c.get("/service/figures")
    assert board.status_code == 200 and 'hx-trigger="every' in board.text
    assert live.status_code == 200 and live.text.lstrip().startswith("<section")
    assert console.status_code == 200 and 'hx-get="/service/callers"' in console.text
    assert f'value="{desk.ward}"' in places.text
    assert callers.status_code == 200 and figures.status_code == 200
    async with login("vendor") as c:
        assert (await c.get("/service/board")).status_code == 403


async def test_the_routes_page_refuses_a_contract_of_another_category(login, world):
    desk = await make_desk(world)
    async with login("supervisor") as c:
        csrf = await token(c, "/service/routes")
        refused = await c.post(
            "/service/routes",
            data={
                "_csrf_token": csrf,
                "category": "security",
                "location_id": str(desk.ward),
                "contract_id": str(desk.contract_a),
            },
        )
    assert refused.status_code == 422 and "is for Cleaning" in refused.text


async def test_the_kiosk_asks_for_the_contact_every_time(page_as, world):
    desk = await make_desk(world)
    async with page_as(desk.people["kiosk"].username) as kiosk:
        form = await kiosk.get(f"/at/{desk.ward}")
    assert form.status_code == 200 and "报修测试 kiosk" not in form.text.split("<main")[1]
