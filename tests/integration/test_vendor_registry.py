"""Vendor registry behaviour through the API and pages, including every bad input of the
foundation issue: each gets a clear 4xx naming the field and rule, and changes nothing."""

from datetime import timedelta

from tests.conftest import PDF, PNG, csrf_token, new_vendor, random_uscc, unique
from vendorgov.files.tables import StoredFile
from vendorgov.settings import get_settings
from vendorgov.vendors import service as vendors

PROBLEM = "application/problem+json"


def problem_errors(response):
    assert response.headers["content-type"].startswith(PROBLEM), response.text
    body = response.json()
    assert body["status"] == response.status_code and body["detail"]
    return {(e["field"], e["rule"]) for e in body.get("errors", [])}


async def count_named(world, name):
    return (await vendors.list_vendors(world.principals["admin"], q=name)).total


async def test_invalid_uscc_is_refused_with_field_and_rule(api, world):
    name = unique("无效代码")
    async with api("procurement") as c:
        response = await c.post(
            "/api/vendors",
            json={"name": name, "uscc": "914403001922038217", "categories": ["cleaning"]},
        )
    assert response.status_code == 422
    assert ("uscc", "uscc_check") in problem_errors(response)
    assert "check character" in response.json()["detail"]
    assert await count_named(world, name) == 0


async def test_duplicate_uscc_is_a_conflict_naming_the_holder(api, world):
    code = random_uscc()
    await new_vendor(world, name="先登记的服务商", uscc=code)
    name = unique("重复代码")
    async with api("procurement") as c:
        # The same code typed with spaces and in lower case is still the same code.
        spaced = " ".join(code[i : i + 4] for i in range(0, 18, 4)).lower()
        response = await c.post(
            "/api/vendors", json={"name": name, "uscc": spaced, "categories": ["cleaning"]}
        )
    assert response.status_code == 409
    assert ("uscc", "unique") in problem_errors(response)
    assert "先登记的服务商" in response.json()["detail"]
    assert await count_named(world, name) == 0


async def test_missing_and_mistyped_json_fields_are_named(api):
    async with api("procurement") as c:
        missing = await c.post("/api/vendors", json={"name": "缺字段"})
        wrong = await c.post("/api/vendors", json={"name": "x", "uscc": 5, "categories": []})
    assert missing.status_code == 400 and "uscc" in missing.json()["detail"]
    assert wrong.status_code == 400 and "uscc" in wrong.json()["detail"]
    assert missing.headers["content-type"].startswith(PROBLEM)


async def test_unknown_ids_are_404_not_500(api, login):
    async with api("procurement") as c:
        for path in (
            "/api/vendors/987654",
            "/api/vendors/987654/history",
            "/api/vendors/987654/qualifications/1/scan",
        ):
            response = await c.get(path)
            assert response.status_code == 404, path
            assert response.headers["content-type"].startswith(PROBLEM)
        patched = await c.patch("/api/vendors/987654", json={"phone": "1234567"})
        assert patched.status_code == 404
    async with login("procurement") as c:
        assert (await c.get("/vendors/987654")).status_code == 404
        assert (await c.get("/vendors/not-a-number")).status_code == 404


async def test_stale_revision_gets_409_with_what_changed(api, world):
    vendor_id = await new_vendor(world)
    async with api("procurement") as c:
        first = await c.patch(
            f"/api/vendors/{vendor_id}", json={"phone": "027-1111 2222", "revision": 1}
        )
        assert first.json()["revision"] == 2
        second = await c.patch(
            f"/api/vendors/{vendor_id}", json={"address": "武汉市", "revision": 1}
        )
    assert second.status_code == 409
    assert "Phone" in second.json()["detail"] and "revision 2" in second.json()["detail"]
    vendor = await vendors.get_vendor(world.principals["admin"], vendor_id)
    assert vendor["address"] == "" and vendor["phone"] == "027-1111 2222"


async def test_status_changes_and_their_rules(api, world):
    vendor_id = await new_vendor(world)
    today = vendors.today()
    async with api("procurement") as c:
        no_end = await c.post(
            f"/api/vendors/{vendor_id}/status",
            json={"action": "suspend", "reason": "卫生抽检不合格"},
        )
        assert no_end.status_code == 422 and ("until", "required") in problem_errors(no_end)
        bad_action = await c.post(
            f"/api/vendors/{vendor_id}/status",
            json={"action": "destroy", "reason": "whatever reason"},
        )
        assert bad_action.status_code == 422
        not_suspended = await c.post(
            f"/api/vendors/{vendor_id}/status",
            json={"action": "reinstate", "reason": "no reason at all"},
        )
        assert not_suspended.status_code == 409
        ok = await c.post(
            f"/api/vendors/{vendor_id}/status",
            json={
                "action": "suspend",
                "reason": "卫生抽检不合格，暂停投标",
                "until": str(today + timedelta(days=30)),
            },
        )
        assert ok.status_code == 200 and ok.json()["status"] == "suspended"
        black = await c.post(
            f"/api/vendors/{vendor_id}/status",
            json={"action": "blacklist", "reason": "伪造考勤记录"},
        )
        assert black.json()["status"] == "blacklisted"
        listed = (await c.get("/api/vendors", params={"status": "blacklisted"})).json()
        history = (await c.get(f"/api/vendors/{vendor_id}/history")).json()
    assert vendor_id in {v["id"] for v in listed["items"]}
    assert [h["action"] for h in history][:2] == ["blacklist", "suspend"]
    assert history[0]["after"]["status_reason"] == "伪造考勤记录"


def qualification_form(**overrides):
    data = {
        "kind": "security_service_permit",
        "number": "鄂公保服字 2025-0117",
        "issued_on": "2025-01-10",
        "expires_on": "2028-01-09",
    }
    data.update(overrides)
    return data


async def test_qualification_upload_checks_dates_type_and_size(api, world):
    vendor_id = await new_vendor(world, categories=["security"])
    url = f"/api/vendors/{vendor_id}/qualifications"
    limit = get_settings().max_upload_bytes
    async with api("procurement") as c:
        backwards = await c.post(
            url,
            data=qualification_form(expires_on="2024-12-31"),
            files={"scan": ("permit.pdf", PDF, "application/pdf")},
        )
        assert backwards.status_code == 422
        assert ("expires_on", "after_issue") in problem_errors(backwards)
        not_a_date = await c.post(
            url,
            data=qualification_form(issued_on="10/01/2025"),
            files={"scan": ("permit.pdf", PDF, "application/pdf")},
        )
        assert ("issued_on", "date") in problem_errors(not_a_date)
        disguised = await c.post(
            url,
            data=qualification_form(),
            files={"scan": ("permit.pdf", b"MZ\x90\x00 not a pdf", "application/pdf")},
        )
        assert ("scan", "file_type") in problem_errors(disguised)
        oversized = await c.post(
            url,
            data=qualification_form(),
            files={"scan": ("big.pdf", PDF + b"0" * limit, "application/pdf")},
        )
        assert oversized.status_code in (413, 422)
        if oversized.status_code == 422:
            assert ("scan", "max_size") in problem_errors(oversized)
        detail = (await c.get(f"/api/vendors/{vendor_id}")).json()
        assert detail["qualifications"] == []
        ok = await c.post(
            url, data=qualification_form(), files={"scan": ("许可证.png", PNG, "image/png")}
        )
        assert ok.status_code == 201, ok.text
        scan = await c.get(f"{url}/{ok.json()['id']}/scan")
    assert scan.status_code == 200 and scan.content == PNG
    assert scan.headers["content-type"] == "image/png"
    assert scan.headers["x-content-type-options"] == "nosniff"


async def test_identical_scans_are_stored_once_by_content_hash(api, world):
    vendor_id = await new_vendor(world)
    content = PDF + unique("unique-scan").encode()
    async with api("procurement") as c:
        for number in ("A-1", "A-2"):
            response = await c.post(
                f"/api/vendors/{vendor_id}/qualifications",
                data=qualification_form(kind="iso9001", number=number),
                files={"scan": ("iso.pdf", content, "application/pdf")},
            )
            assert response.status_code == 201
    import hashlib

    digest = hashlib.sha256(content).hexdigest()
    rows = await StoredFile.select().where(StoredFile.sha256 == digest)
    assert len(rows) == 2
    blobs = list(get_settings().files_dir.rglob(digest))
    assert len(blobs) == 1 and blobs[0].read_bytes() == content
    # stored outside the static directory, under a name that is the hash, not the filename
    assert get_settings().static_dir not in blobs[0].parents


async def test_list_filters_search_category_status_and_expiring(api, world):
    tag = unique("筛选")
    cleaning = await new_vendor(world, name=f"{tag} 保洁", categories=["cleaning"])
    lift = await new_vendor(world, name=f"{tag} 电梯", categories=["elevator"])
    today = vendors.today()
    async with api("procurement") as c:
        await c.post(
            f"/api/vendors/{lift}/qualifications",
            data=qualification_form(
                kind="special_equipment_licence",
                issued_on=str(today - timedelta(days=700)),
                expires_on=str(today + timedelta(days=30)),
            ),
            files={"scan": ("lift.pdf", PDF, "application/pdf")},
        )
        by_name = (await c.get("/api/vendors", params={"q": tag})).json()["items"]
        by_category = (
            await c.get("/api/vendors", params={"q": tag, "category": "elevator"})
        ).json()["items"]
        expiring = (await c.get("/api/vendors", params={"q": tag, "expiring": "true"})).json()[
            "items"
        ]
    assert {v["id"] for v in by_name} == {cleaning, lift}
    assert [v["id"] for v in by_category] == [lift]
    assert [v["id"] for v in expiring] == [lift]
    assert expiring[0]["qualifications_expiring"] == 1


async def test_vendor_with_user_accounts_cannot_be_deleted(api, world):
    async with api("procurement") as c:
        response = await c.delete(f"/api/vendors/{world.vendor_a}")
        assert response.status_code == 409
        assert (await c.get(f"/api/vendors/{world.vendor_a}")).status_code == 200
        spare = await new_vendor(world)
        assert (await c.delete(f"/api/vendors/{spare}")).status_code == 200
        assert (await c.get(f"/api/vendors/{spare}")).status_code == 404


async def test_register_page_shows_inline_errors_and_keeps_what_was_typed(login, world):
    name = unique("页面校验")
    async with login("procurement") as c:
        token = await csrf_token(c, "/vendors/new")
        page = await c.post(
            "/vendors",
            data={
                "_csrf_token": token,
                "name": name,
                "uscc": "91330100716105852A",
                "phone": "027-8366 1201",
            },
            headers={"Referer": "http://testserver.local/vendors/new"},  # as a browser sends
        )
        assert page.status_code == 422
        assert page.headers["content-type"].startswith("text/html")
        assert "check character" in page.text and "choose at least one service category" in (
            page.text
        )
        assert f'value="{name}"' in page.text and 'value="027-8366 1201"' in page.text
        assert await count_named(world, name) == 0
        created = await c.post(
            "/vendors",
            data={
                "_csrf_token": token,
                "name": name,
                "uscc": random_uscc(),
                "categories": ["cleaning", "laundry"],
            },
            follow_redirects=False,
        )
        assert created.status_code == 302
        detail = await c.get(created.headers["location"])
        assert name in detail.text and "Laundry" in detail.text and "create" in detail.text


async def test_page_upload_errors_are_inline(login, world):
    vendor_id = await new_vendor(world)
    async with login("procurement") as c:
        token = await csrf_token(c, f"/vendors/{vendor_id}")
        page = await c.post(
            f"/vendors/{vendor_id}/qualifications",
            data={"_csrf_token": token, **qualification_form(expires_on="2020-01-01")},
            files={"scan": ("a.txt", b"plain text", "text/plain")},
            headers={"Referer": f"http://testserver.local/vendors/{vendor_id}"},
        )
        assert page.status_code == 422
        assert "must be after the issue date" in page.text
        assert "No qualification on file" in page.text


async def test_vendor_user_sees_only_its_own_vendor(api, world):
    async with api("vendor") as c:
        listed = (await c.get("/api/vendors")).json()["items"]
        assert [v["id"] for v in listed] == [world.vendor_a]
        assert (await c.get(f"/api/vendors/{world.vendor_b}")).status_code == 404
        assert (await c.get(f"/api/vendors/{world.vendor_b}/history")).status_code == 404
        own = await c.post(
            f"/api/vendors/{world.vendor_a}/qualifications",
            data=qualification_form(kind="iso9001", number="ISO-OWN"),
            files={"scan": ("iso.pdf", PDF, "application/pdf")},
        )
        assert own.status_code == 201
        other = await c.post(
            f"/api/vendors/{world.vendor_b}/qualifications",
            data=qualification_form(kind="iso9001", number="ISO-OTHER"),
            files={"scan": ("iso.pdf", PDF, "application/pdf")},
        )
        assert other.status_code == 404
        scan = await c.get(f"/api/vendors/{world.vendor_a}/qualifications/{own.json()['id']}/scan")
        assert scan.status_code == 200
    async with api("vendor_b") as c:
        stolen = await c.get(
            f"/api/vendors/{world.vendor_a}/qualifications/{own.json()['id']}/scan"
        )
        assert stolen.status_code == 404
