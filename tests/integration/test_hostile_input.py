"""Input chosen to break things gets a 4xx naming the field and the rule, and nothing is
written: a NUL byte (PostgreSQL refuses it in text), references to records that do not exist
or are still referred to, absurd JSON nesting and numbers, files that only look like workbooks."""

import io
import zipfile

import pytest

from tests.conftest import csrf_token, new_vendor
from tests.integration.test_inspections_notices import cleaning_contract
from tests.integration.test_sla_events import RESPOND, event, signed_contract, stored
from vendorgov.audits.tables import Finding
from vendorgov.vendors.tables import Vendor


def _named(response, field: str, rule: str) -> None:
    assert response.headers["content-type"].startswith("application/problem+json")
    errors = response.json()["errors"]
    assert any(e["field"] == field and e["rule"] == rule for e in errors), errors


@pytest.mark.parametrize(
    "path, parameter",
    [
        ("/api/findings", "status"),
        ("/api/findings", "severity"),
        ("/api/contracts/", "status"),
        ("/api/contracts/", "category"),
        ("/api/checklists", "category"),
        ("/api/vendors/", "q"),
        ("/api/vendors/", "category"),
        ("/api/tenders", "status"),
    ],
)
async def test_a_nul_byte_in_a_list_filter_is_a_named_4xx(api, path, parameter):
    async with api("admin") as c:
        response = await c.get(path, params={parameter: "open\x00"})
    assert response.status_code == 422, response.text
    _named(response, parameter, "no_nul")


@pytest.mark.parametrize(
    "path, parameter",
    [
        ("/findings", "status"),
        ("/contracts/", "status"),
        ("/vendors/", "q"),
        ("/tenders/", "status"),
    ],
)
async def test_a_nul_byte_in_a_page_filter_shows_a_message(login, path, parameter):
    async with login("admin") as c:
        response = await c.get(path, params={parameter: "a\x00b"})
    assert response.status_code == 422
    assert "text/html" in response.headers["content-type"]
    assert parameter in response.text and "NUL" in response.text


async def test_a_nul_byte_in_a_json_body_writes_nothing(api, world):
    async with api("procurement") as c:
        response = await c.post(
            "/api/vendors/", json={"name": "保洁\x00公司", "uscc": "x", "categories": ["cleaning"]}
        )
    assert response.status_code == 422, response.text
    _named(response, "name", "no_nul")
    assert await Vendor.count().where(Vendor.name.like("保洁%公司")) == 0


async def test_a_nul_byte_in_a_page_form_shows_a_message(login):
    async with login("procurement") as c:
        token = await csrf_token(c, "/vendors/new")
        response = await c.post(
            "/vendors/", data={"_csrf_token": token, "name": "x\x00y", "uscc": "1"}
        )
    assert response.status_code == 422
    assert "name" in response.text and "NUL" in response.text


async def test_a_finding_on_a_contract_that_does_not_exist(api):
    async with api("supervisor") as c:
        response = await c.post(
            "/api/findings",
            json={
                "contract_id": 987654321,
                "source": "complaint",
                "severity": "minor",
                "description": "走廊地面湿滑",
            },
        )
    assert response.status_code == 422, response.text
    _named(response, "contract_id", "exists")
    assert await Finding.count().where(Finding.contract == 987654321) == 0


async def test_deleting_a_vendor_with_contracts_says_what_refers_to_it(api, world):
    vendor_id = await new_vendor(world)
    await cleaning_contract(world, vendor_id)
    async with api("procurement") as c:
        response = await c.delete(f"/api/vendors/{vendor_id}")
    assert response.status_code == 409, response.text
    assert "contracts or tender bids refer to this vendor" in response.json()["detail"]
    assert await Vendor.exists().where(Vendor.id == vendor_id)


@pytest.mark.parametrize("opening", [b"[", b'{"a":'])
async def test_json_nested_100000_deep_is_refused_at_once(api, world, opening):
    contract_id = await signed_contract(world, [RESPOND])
    closing = b"]" if opening == b"[" else b"}"
    body = opening * 100_000 + b"1" + closing * 100_000
    async with api("admin") as c:
        for path in (f"/api/contracts/{contract_id}/events", "/api/vendors/", "/api/findings"):
            response = await c.post(
                path, content=body, headers={"Content-Type": "application/json"}
            )
            assert response.status_code == 400, (path, response.text)
            _named(response, "body", "max_depth")
    assert await stored(contract_id) == []


@pytest.mark.parametrize(
    "field, value",
    [
        ("satisfaction", 2**63),
        ("satisfaction", -(2**63) - 1),
        ("satisfaction", 2**64),
        ("satisfaction", 1e308),
        ("satisfaction", 3.5),
    ],
)
async def test_out_of_range_numbers_in_events_are_a_named_422(api, world, field, value):
    contract_id = await signed_contract(world, [RESPOND])
    async with api("supervisor") as c:
        response = await c.post(
            f"/api/contracts/{contract_id}/events",
            json=[event("E-1", "2026-10-01 08:00", **{field: value})],
        )
    assert response.status_code in (400, 422), response.text
    assert field in response.text
    assert await stored(contract_id) == []


async def test_a_survey_score_of_2_to_the_63_is_a_named_422(api, world):
    contract_id = await signed_contract(world, [RESPOND])
    async with api("supervisor") as c:
        response = await c.post(
            f"/api/contracts/{contract_id}/surveys/",
            json=[{"respondent_type": "patient", "score": 2**63, "responded_on": "2026-10-01"}],
        )
    assert response.status_code in (400, 422), response.text
    assert "score" in response.text


def _not_a_workbook() -> list[bytes]:
    broken_zip = io.BytesIO()
    with zipfile.ZipFile(broken_zip, "w") as archive:
        archive.writestr("hello.txt", "not a workbook")
    truncated = io.BytesIO()
    with zipfile.ZipFile(truncated, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook>" * 1000)
    return [b"PK\x03\x04 this is not a zip", broken_zip.getvalue(), truncated.getvalue()[:300]]


@pytest.mark.parametrize("content", _not_a_workbook())
async def test_a_file_starting_with_pk_that_is_no_workbook_is_a_422(api, world, content):
    contract_id = await signed_contract(world, [RESPOND])
    async with api("supervisor") as c:
        response = await c.post(
            f"/api/contracts/{contract_id}/events/import",
            files={"file": ("events.xlsx", content, "application/octet-stream")},
        )
    assert response.status_code == 422, response.text
    _named(response, "file", "file_type")
    assert await stored(contract_id) == []


@pytest.mark.parametrize("files", [{}, {"other": ("x.pdf", b"%PDF-1.4", "application/pdf")}])
async def test_a_text_value_where_a_file_is_expected_is_a_4xx(api, world, files):
    async with api("procurement") as c:
        response = await c.post(
            f"/api/vendors/{world.vendor_a}/qualifications",
            data={
                "kind": "x",
                "number": "1",
                "issued_on": "2026-01-01",
                "expires_on": "1",
                "scan": "0",
            },
            files=files,
        )
    assert response.status_code == 400, response.text
    if files:  # multipart: the text arrived where the file should be (a url-encoded body is
        # refused as a whole: no multipart boundary)
        assert response.json()["errors"][0]["field"] == "scan"


async def test_a_nul_byte_in_a_multipart_text_field_is_a_named_4xx(api, world):
    from tests.conftest import PDF

    async with api("procurement") as c:
        response = await c.post(
            f"/api/vendors/{world.vendor_a}/qualifications",
            data={
                "kind": "business_license",
                "number": "91\x00",
                "issued_on": "2026-01-01",
                "expires_on": "2027-01-01",
            },
            files={"scan": ("scan.pdf", PDF + b"\x00binary is fine", "application/pdf")},
        )
    assert response.status_code == 422, response.text
    _named(response, "number", "no_nul")
