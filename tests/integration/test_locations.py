"""The location tree (§8): imported from a spreadsheet (good file, bad rows, bounds), edited
by supervisors only, filtered by subtree, printed as a QR sheet."""

import asyncio
import io

import openpyxl
import pypdf

from tests.conftest import csrf_token, unique
from vendorgov.accounts.roles import Principal, Role
from vendorgov.locations import service as locations

SUPERVISOR = Principal(0, "t.reader", "Reader", Role.supervisor)


def tree_csv(prefix: str) -> bytes:
    """A small hospital: a campus, two buildings, floors, wards and a toilet."""
    rows = [
        ("campus", "building", "floor", "area", "code", "pinyin"),
        (f"{prefix}院区", "", "", "", f"{prefix}-C", "bq"),
        (f"{prefix}院区", "门诊楼", "", "", f"{prefix}-MZ", "mzl"),
        (f"{prefix}院区", "门诊楼", "3楼", "", f"{prefix}-MZ3", ""),
        (f"{prefix}院区", "门诊楼", "3楼", "卫生间", f"{prefix}-MZ3-WC", "wsj"),
        (f"{prefix}院区", "住院部", "", "", f"{prefix}-ZY", "zyb"),
        (f"{prefix}院区", "住院部", "5楼", "", f"{prefix}-ZY5", ""),
        (f"{prefix}院区", "住院部", "5楼", "东区病房", f"{prefix}-ZY5-E", "dqbf"),
    ]
    return "\n".join(",".join(r) for r in rows).encode()


async def import_file(c, data: bytes, name="tree.csv"):
    return await c.post("/api/locations/import", files={"file": (name, data)})


async def by_code(c, code: str) -> dict:
    places = (await c.get("/api/locations", params={"q": code, "include_inactive": True})).json()
    return next(p for p in places if p["code"] == code)


async def test_a_tree_is_imported_and_reimporting_updates_by_code(api):
    p = unique("T")
    async with api("supervisor") as c:
        response = await import_file(c, tree_csv(p))
        assert response.status_code == 200, response.text
        assert response.json() == {"created": 7, "updated": 0}
        toilet = await by_code(c, f"{p}-MZ3-WC")
        assert toilet["full_name"] == f"{p}院区 门诊楼 3楼 卫生间"
        assert toilet["kind"] == "area"
        assert toilet["pinyin"] == "wsj"
        # The same file again changes nothing; a renamed ward is updated, not duplicated.
        assert (await import_file(c, tree_csv(p))).json() == {"created": 0, "updated": 0}
        renamed = tree_csv(p).replace("东区病房".encode(), "东区病房（新）".encode())
        assert (await import_file(c, renamed)).json() == {"created": 0, "updated": 1}
        ward = await by_code(c, f"{p}-ZY5-E")
        assert ward["full_name"] == f"{p}院区 住院部 5楼 东区病房（新）"
        # An XLSX works too, and may refer to places already in the tree.
        book = openpyxl.Workbook()
        book.active.append(["campus", "building", "floor", "area", "code"])
        book.active.append([f"{p}院区", "住院部", "5楼", "西区病房", f"{p}-ZY5-W"])
        out = io.BytesIO()
        book.save(out)
        assert (await import_file(c, out.getvalue(), "tree.xlsx")).json()["created"] == 1
        # Names may hold spaces: a later file finds the parent "VIP 楼" in the tree.
        await import_file(c, f"campus,building,code\n{p}院区,VIP 楼,{p}-VIP\n".encode())
        floor = f"campus,building,floor,code\n{p}院区,VIP 楼,1楼,{p}-VIP1\n".encode()
        assert (await import_file(c, floor)).json()["created"] == 1
        assert (await by_code(c, f"{p}-VIP1"))["full_name"] == f"{p}院区 VIP 楼 1楼"


async def test_bad_rows_are_named_and_nothing_is_written(api):
    p = unique("B")
    bad = (
        "campus,building,floor,area,code\n"
        f"{p}院区,,,,{p}-C\n"
        f"{p}院区,门诊楼,,,{p}-C\n"  # code used twice
        f"{p}院区,,3楼,,{p}-X\n"  # skips the building
        f"{p}院区,医技楼,2楼,,{p}-YJ2\n"  # 医技楼 is not defined
        f"{p}院区,住院部,,,bad code!\n"
    ).encode()
    async with api("supervisor") as c:
        response = await import_file(c, bad)
        assert response.status_code == 422, response.text
        fields = {e["field"]: e["rule"] for e in response.json()["errors"]}
        assert fields["rows.3.code"] == "unique"
        assert fields["rows.4.building"] == "required"
        assert fields["rows.6.code"] == "format"
        assert (await c.get("/api/locations", params={"q": p})).json() == []
        # The parent that is neither in the file nor in the tree is found once the rows parse.
        response = await import_file(
            c, f"campus,building,floor,code\n{p}院区,医技楼,2楼,{p}-YJ2\n".encode()
        )
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "rows.2.building"
        assert (await c.get("/api/locations", params={"q": p})).json() == []
        # No campus column, an empty file, not a table.
        assert (await import_file(c, b"name,code\nx,y\n")).json()["errors"][0]["rule"] == "columns"
        assert (await import_file(c, b"")).status_code == 422
        assert (await import_file(c, b"PK\x03\x04garbage", "t.xlsx")).status_code == 422


async def test_an_import_over_the_row_limit_is_refused(api, monkeypatch):
    from vendorgov import settings

    p = unique("L")
    lines = ["campus,code"] + [f"{p}院区{i},{p}-{i}" for i in range(30)]
    monkeypatch.setenv("VENDORGOV_IMPORT_MAX_ROWS", "20")
    settings.get_settings.cache_clear()
    try:
        async with api("supervisor") as c:
            response = await import_file(c, "\n".join(lines).encode())
    finally:
        monkeypatch.undo()
        settings.get_settings.cache_clear()
    assert response.status_code == 422
    assert response.json()["errors"][0]["rule"] == "max_rows"


async def test_edits_and_the_subtree_filter(api):
    p = unique("E")
    async with api("supervisor") as c:
        await import_file(c, tree_csv(p))
        campus, mz, zy = [await by_code(c, f"{p}-{k}") for k in ("C", "MZ", "ZY")]
        mz3, zy5 = await by_code(c, f"{p}-MZ3"), await by_code(c, f"{p}-ZY5")
        under_mz = await locations.subtree_ids(mz["id"])
        assert len(under_mz) == 3 and mz3["id"] in under_mz and zy5["id"] not in under_mz
        assert len(await locations.subtree_ids(campus["id"])) == 7
        listed = (await c.get("/api/locations", params={"under": zy["id"]})).json()
        assert [r["code"] for r in listed] == [f"{p}-ZY", f"{p}-ZY5", f"{p}-ZY5-E"]
        # Move 3楼 (with its toilet) into 住院部, rename it, search by pinyin.
        response = await c.patch(
            f"/api/locations/{mz3['id']}", json={"parent_id": zy["id"], "name": "3层"}
        )
        assert response.status_code == 200, response.text
        toilet = await by_code(c, f"{p}-MZ3-WC")
        assert toilet["full_name"] == f"{p}院区 住院部 3层 卫生间"
        assert toilet["id"] in await locations.subtree_ids(zy["id"])
        assert toilet["id"] not in await locations.subtree_ids(mz["id"])
        found = (await c.get("/api/locations", params={"q": "wsj", "under": campus["id"]})).json()
        assert [r["id"] for r in found] == [toilet["id"]]
        # A floor goes under a building only; a place never under itself.
        bad = await c.patch(f"/api/locations/{mz3['id']}", json={"parent_id": campus["id"]})
        assert bad.status_code == 422 and bad.json()["errors"][0]["rule"] == "level"
        # Deactivating a building takes its floors and rooms along.
        await c.patch(f"/api/locations/{zy['id']}", json={"active": False})
        assert not (await by_code(c, f"{p}-MZ3-WC"))["active"]
        assert (await c.get("/api/locations", params={"under": campus["id"]})).json()[-1][
            "code"
        ] == f"{p}-MZ"
        back = await c.patch(f"/api/locations/{toilet['id']}", json={"active": True})
        assert back.status_code == 409
        created = await c.post(
            "/api/locations",
            json={
                "kind": "building",
                "name": "医技楼",
                "code": f"{p}-YJ",
                "parent_id": campus["id"],
            },
        )
        assert created.status_code == 201
        again = await c.post(
            "/api/locations",
            json={
                "kind": "building",
                "name": "医技楼2",
                "code": f"{p}-YJ",
                "parent_id": campus["id"],
            },
        )
        assert again.status_code == 409


async def test_two_imports_at_once_store_each_place_once(api):
    p = unique("R")
    async with api("supervisor") as c1, api("admin") as c2:
        first, second = await asyncio.gather(
            import_file(c1, tree_csv(p)), import_file(c2, tree_csv(p))
        )
        assert first.status_code == second.status_code == 200, (first.text, second.text)
        assert sorted([first.json()["created"], second.json()["created"]]) == [0, 7]
        assert len((await c1.get("/api/locations", params={"q": p})).json()) == 7


async def test_only_supervisors_and_admins_edit_and_vendors_do_not_read_the_tree(api, login):
    p = unique("P")
    async with api("supervisor") as c:
        await import_file(c, tree_csv(p))
        campus = await by_code(c, f"{p}-C")
    for role in ("procurement", "finance", "auditor", "vendor"):
        async with api(role) as c:
            assert (await import_file(c, tree_csv(unique("X")))).status_code == 403
            changed = await c.patch(f"/api/locations/{campus['id']}", json={"name": "x"})
            assert changed.status_code == 403
    async with api("finance") as c:
        assert (await c.get("/api/locations", params={"q": p})).status_code == 200
    async with api("vendor") as c:
        assert (await c.get("/api/locations")).status_code == 403
        assert (await c.get(f"/api/locations/{campus['id']}")).status_code == 403
    async with login("vendor") as c:
        assert (await c.get("/locations")).status_code == 403
        assert (await c.get("/locations/qr.pdf")).status_code == 403
    async with login("supervisor") as c:
        page = await c.get("/locations", params={"under": campus["id"]})
        assert page.status_code == 200 and f"{p}院区 门诊楼 3楼 卫生间" in page.text


async def test_the_qr_sheet_has_every_place_of_the_subtree(api, login):
    p = unique("Q")
    async with api("supervisor") as c:
        await import_file(c, tree_csv(p))
        building = await by_code(c, f"{p}-MZ")
    async with login("supervisor") as c:
        response = await c.get("/locations/qr.pdf", params={"under": building["id"]})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/pdf")
    pages = pypdf.PdfReader(io.BytesIO(response.content)).pages
    text = " ".join(" ".join(page.extract_text() for page in pages).split())  # labels wrap
    assert f"{p}院区 门诊楼 3楼 卫生间" in text
    assert f"{p}-MZ3" in text
    assert "住院部" not in text


async def test_the_page_adds_renames_moves_and_deactivates(login):
    p = unique("W")
    async with login("supervisor") as c:
        token = await csrf_token(c, "/locations")
        added = await c.post(
            "/locations",
            data={"kind": "campus", "name": f"{p}院区", "code": f"{p}-C", "_csrf_token": token},
        )
        assert added.status_code == 200, added.text
        campus = await locations.tree(SUPERVISOR, q=f"{p}-C")
        form = {"kind": "building", "name": "门诊楼", "code": f"{p}-MZ", "_csrf_token": token}
        await c.post("/locations", data={**form, "parent_id": str(campus[0]["id"])})
        bad = await c.post("/locations", data={**form, "code": f"{p}-X", "parent_id": "x"})
        assert bad.status_code == 422 and "parent_id" in bad.text
        building = (await locations.tree(SUPERVISOR, q=f"{p}-MZ"))[0]
        renamed = await c.post(
            f"/locations/{building['id']}",
            data={"name": "新门诊楼", "action": "save", "_csrf_token": token},
        )
        assert renamed.status_code == 200
        assert (await locations.get(SUPERVISOR, building["id"]))["full_name"] == f"{p}院区 新门诊楼"
        await c.post(
            f"/locations/{building['id']}", data={"action": "deactivate", "_csrf_token": token}
        )
        assert not (await locations.get(SUPERVISOR, building["id"]))["active"]
