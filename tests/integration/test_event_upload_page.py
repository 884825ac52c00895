"""Importing a help-desk file from the page: run in the background, progress, report, errors."""

import asyncio

from tests.conftest import csrf_token
from tests.integration.test_sla_events import RESPOND, signed_contract, stored
from vendorgov.settings import get_settings

GOOD = (
    "external_id,category,priority,location,reported_at,responded_at,resolved_at,"
    "satisfaction,complaint\n"
    "P-1,delivery,emergency,急诊,2026-10-03 09:00,2026-10-03 09:04,,5,no\n"
    "P-2,delivery,加急,门诊,2026-10-04 10:00,2026-10-04 10:20,,,是\n"
)
BAD = GOOD + "P-3,delivery,someday,,2026-10-05 25:00,,,7,no\n"


async def _upload(c, contract_id, content, skip_invalid=False):
    token = await csrf_token(c, f"/contracts/{contract_id}/events/import")
    data = {"_csrf_token": token, **({"skip_invalid": "on"} if skip_invalid else {})}
    response = await c.post(
        f"/contracts/{contract_id}/events/import",
        data=data,
        files={"file": ("helpdesk.csv", content.encode(), "text/csv")},
        follow_redirects=False,
    )
    assert response.status_code in (302, 303), response.text
    return response.headers["location"]


async def _finished(c, location):
    for _ in range(100):
        page = await c.get(location, headers={"HX-Request": "true"})
        assert page.status_code == 200
        if "hx-trigger" not in page.text:
            return page.text
        await asyncio.sleep(0.05)
    raise AssertionError("the import did not finish")


async def test_a_file_is_imported_in_the_background_and_reported(login, world):
    contract_id = await signed_contract(world, [RESPOND])
    async with login("supervisor") as c:
        location = await _upload(c, contract_id, GOOD)
        assert location.startswith("/imports/")
        report = await _finished(c, location)
        full = await c.get(location)
    assert "2 new events" in report and "0 updated" in report
    assert "Import of service events" in full.text  # the whole page when not polled
    rows = await stored(contract_id)
    assert [r["external_id"] for r in rows] == ["P-1", "P-2"]
    assert rows[1]["priority"] == "urgent" and rows[1]["complaint"] is True


async def test_a_bad_row_imports_nothing_and_the_page_lists_every_problem(login, world):
    contract_id = await signed_contract(world, [RESPOND])
    async with login("supervisor") as c:
        report = await _finished(c, await _upload(c, contract_id, BAD))
        assert "nothing was imported" in report
        for rule in ("one_of", "time", "range_1_5"):
            assert f'data-rule="{rule}"' in report
        assert await stored(contract_id) == []
        # With skip_invalid the two good rows go in and the bad one is listed.
        report = await _finished(c, await _upload(c, contract_id, BAD, skip_invalid=True))
    assert "2 new events" in report and "1 invalid rows skipped" in report
    assert "someday" not in report and "row" in report.lower()
    assert len(await stored(contract_id)) == 2


async def test_only_importers_upload_and_only_the_uploader_sees_the_job(login, world):
    contract_id = await signed_contract(world, [RESPOND])
    async with login("finance") as c:
        assert (await c.get(f"/contracts/{contract_id}/events/import")).status_code == 403
    async with login("vendor") as c:
        assert (await c.get(f"/contracts/{contract_id}/events/import")).status_code == 403
    async with login("supervisor") as c:
        location = await _upload(c, contract_id, GOOD)
        await _finished(c, location)
    async with login("procurement") as c:
        assert (await c.get(location)).status_code == 404
    async with login("admin") as c:
        assert (await c.get(location)).status_code == 200
    async with login("supervisor") as c:
        assert (await c.get("/imports/no-such-job")).status_code == 404


async def test_a_file_over_the_import_limit_is_refused_with_the_limit(api, world):
    contract_id = await signed_contract(world, [RESPOND])
    limit = get_settings().max_import_bytes

    async def oversized():
        yield b'--boundary\r\nContent-Disposition: form-data; name="file"; '
        yield b'filename="huge.csv"\r\nContent-Type: text/csv\r\n\r\n'
        chunk = b"x" * 2**20
        for _ in range(limit // 2**20 + 2):
            yield chunk
        yield b"\r\n--boundary--\r\n"

    async with api("supervisor") as c:
        response = await c.post(
            f"/api/contracts/{contract_id}/events/import",
            content=oversized(),
            headers={"Content-Type": "multipart/form-data; boundary=boundary"},
        )
    assert response.status_code == 413
    assert f"{limit // 2**20} MB for service-event files" in response.json()["detail"]
    assert await stored(contract_id) == []


async def test_the_import_page_links_a_template_a_logged_in_supervisor_can_download(login):
    async with login("supervisor") as c:
        response = await c.get("/events/template.csv")
    assert response.status_code == 200
    header = response.content.decode("utf-8-sig").splitlines()[0]
    assert header.startswith("Ticket number,Category,Priority")  # the client reads English
