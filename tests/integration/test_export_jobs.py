"""A list's export above VENDORGOV_EXPORT_INLINE_ROWS is made by a job: the page follows it to
a download only its starter gets; below, the CSV comes at once. Both hold exactly the filtered
rows (a date filter survives the trip through the job's JSON), neutralised."""

from __future__ import annotations

import asyncio
import csv
import dataclasses
import io

import pytest

from tests.conftest import http_client
from tests.integration.test_lists import build
from vendorgov.settings import get_settings
from vendorgov.web import list_exports

INLINE_ROWS = 10


@pytest.fixture
def low_threshold(monkeypatch):
    settings = dataclasses.replace(get_settings(), export_inline_rows=INLINE_ROWS)
    monkeypatch.setattr(list_exports, "get_settings", lambda: settings)


def _rows(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


async def _followed(c, location: str) -> str:
    for _ in range(200):
        page = await c.get(location, headers={"HX-Request": "true"})
        assert page.status_code == 200, page.text
        if "hx-trigger" not in page.text:
            return page.text
        await asyncio.sleep(0.05)
    raise AssertionError(f"{location} did not finish")


async def test_a_large_export_is_a_job_whose_file_only_its_starter_gets(
    app, login, world, low_threshold
):
    scenario = await build(world, 15)
    filters = {"contract_id": scenario.contracts[0], "found_from": "2026-10-01"}
    async with login("supervisor") as c:
        started = await c.get("/findings/export.csv", params=filters, follow_redirects=False)
        assert started.status_code in (302, 303), started.text
        location = started.headers["location"]
        assert location.startswith("/exports/")
        finished = await _followed(c, location)
        assert "15 rows exported" in finished and f"{location}/file" in finished
        download = await c.get(f"{location}/file")
        assert download.status_code == 200
        assert download.headers["content-type"].startswith("text/csv")
        rows = _rows(download.content)
        # The header and the 15 findings: the date filter kept its meaning in the job.
        assert len(rows) == 16
        assert any(cell == '\'=HYPERLINK("x")' for row in rows for cell in row)
        assert not any(cell.startswith("=") for row in rows for cell in row)
    async with login("procurement") as other:
        assert (await other.get(location)).status_code == 404
        assert (await other.get(f"{location}/file")).status_code == 404
    async with http_client(app) as anonymous:
        refused = await anonymous.get(f"{location}/file", follow_redirects=False)
        assert refused.status_code in (302, 303, 401) and "text/csv" not in str(refused.headers)


async def test_a_later_date_filter_and_a_small_export_come_at_once(login, world, low_threshold):
    scenario = await build(world, 15)
    # The 15 findings were found hourly from 2026-10-01 08:00 (hospital time): none from the
    # 2nd; a search finds exactly one. Both at or under the threshold: the CSV at once.
    async with login("supervisor") as c:
        later = await c.get(
            "/findings/export.csv",
            params={"contract_id": scenario.contracts[0], "found_from": "2026-10-02"},
            follow_redirects=False,
        )
        one = await c.get(
            "/findings/export.csv",
            params={"contract_id": scenario.contracts[0], "q": f"{scenario.tag} 地面未清洁 03"},
            follow_redirects=False,
        )
    assert later.status_code == 200 and len(_rows(later.content)) == 1
    assert one.status_code == 200 and len(_rows(one.content)) == 2


async def test_a_large_audit_export_runs_as_a_job_for_administrators(login, world, low_threshold):
    await build(world, 12)
    async with login("admin") as c:
        started = await c.get(
            "/audit/export.csv", params={"date_from": "2026-01-01"}, follow_redirects=False
        )
        assert started.status_code in (302, 303), started.text
        finished = await _followed(c, started.headers["location"])
        download = await c.get(f"{started.headers['location']}/file")
    assert "rows exported" in finished
    rows = _rows(download.content)
    assert len(rows) > INLINE_ROWS + 1 and rows[0][0]
