"""Places on inspections and findings (§8), and monthly inspection plans: drawn from a stored
seed, assigned, started from the dashboard, done by the inspection."""

import asyncio
import re
from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import csrf_token, new_vendor, unique
from tests.integration.test_inspections_notices import checklist, cleaning_contract, inspection
from tests.integration.test_locations import by_code, import_file, tree_csv
from tests.integration.test_sla_events import RESPOND, event, signed_contract, stored
from vendorgov.inspections import rules

OCTOBER = [date(2026, 10, d) for d in range(1, 32)]


@given(
    seed=st.text("abc123", min_size=1, max_size=8),
    places=st.lists(st.integers(1, 500), unique=True, max_size=30),
    n=st.integers(0, 40),
)
def test_a_plan_is_a_function_of_its_seed(seed, places, n):
    plan = rules.draw_plan(seed, OCTOBER, places, n)
    assert plan == rules.draw_plan(seed, OCTOBER, list(reversed(places)), n)
    assert plan[0].kind == "comprehensive" and plan[0].due_on in OCTOBER
    spots = plan[1:]
    assert len(spots) == (n if places else 0)
    assert all(s.due_on in OCTOBER and s.location_id in places for s in spots)
    # Distinct places while there are enough of them.
    if places and n <= len(places):
        assert len({s.location_id for s in spots}) == n


async def place_tree(c) -> dict[str, dict]:
    p = unique("PL")
    assert (await import_file(c, tree_csv(p))).status_code == 200
    return {k: await by_code(c, f"{p}-{k}") for k in ("C", "MZ", "MZ3-WC", "ZY5-E")}


async def test_findings_carry_the_place_and_filter_and_count_by_subtree(api, login, world):
    contract_id = await cleaning_contract(world, world.vendor_a)
    async with api("supervisor") as c:
        places = await place_tree(c)
        template_id = await checklist(c)
        toilet, ward = places["MZ3-WC"], places["ZY5-E"]
        for place, token in ((toilet, "a"), (toilet, "b"), (ward, "c")):
            body = inspection(
                contract_id,
                template_id,
                {"floor": "pass", "toilet": "fail", "isolation": "pass"},
                location="",
                location_id=place["id"],
                client_token=unique(token),
            )
            response = await c.post("/api/inspections", json=body)
            assert response.status_code == 201, response.text
        stored = (await c.get(f"/api/inspections/{response.json()['id']}")).json()
        assert stored["location"] == ward["full_name"] and stored["location_id"] == ward["id"]
        in_mz = (
            await c.get(
                "/api/findings",
                params={"contract_id": contract_id, "location_id": places["MZ"]["id"]},
            )
        ).json()["items"]
        assert len(in_mz) == 2 and {f["place"] for f in in_mz} == {toilet["full_name"]}
        everywhere = await c.get(
            "/api/findings", params={"contract_id": contract_id, "location_id": places["C"]["id"]}
        )
        assert everywhere.json()["total"] == 3
        gone = await c.post(
            "/api/inspections",
            json=inspection(contract_id, template_id, {}, location_id=10**8),
        )
        assert gone.status_code == 422
        notice = await c.post("/api/notices", json={"finding_ids": [f["id"] for f in in_mz]})
        assert notice.status_code == 201
        shown = (await c.get(f"/api/notices/{notice.json()['id']}")).json()
        assert shown["location_id"] == toilet["id"] and shown["place"] == toilet["full_name"]
    async with login("supervisor") as c:
        pareto = await c.get(
            f"/contracts/{contract_id}/findings/pareto",
            params={"month_from": "2026-10", "month_to": "2026-10", "by": "location"},
        )
        assert pareto.status_code == 200
        assert "Findings by place" in pareto.text and toilet["full_name"] in pareto.text
        page = await c.get("/findings", params={"status": "", "location_id": places["MZ"]["id"]})
        assert f"📍 {toilet['full_name']}" in page.text
        assert f"📍 {ward['full_name']}" not in page.text
    # A vendor sees the place's name on its own findings, and nothing of the tree.
    async with api("vendor") as c:
        own = (await c.get("/api/findings", params={"contract_id": contract_id})).json()["items"]
        assert {f["place"] for f in own} == {toilet["full_name"], ward["full_name"]}
        assert (await c.get("/api/locations")).status_code == 403


async def test_a_qr_code_opens_the_form_for_its_place(api, login, world):
    async with api("supervisor") as c:
        places = await place_tree(c)
        await checklist(c)
    toilet = places["MZ3-WC"]
    # A fresh vendor's two contracts, found by its name: other tests' running contracts would
    # fill the first page of the choice.
    name = unique("二维码保洁公司")
    vendor_id = await new_vendor(world, name=name)
    contract_id = await cleaning_contract(world, vendor_id)
    await cleaning_contract(world, vendor_id)
    async with login("supervisor") as c:
        page = await c.get("/inspections/new", params={"location_id": toilet["id"], "q": name})
        assert page.status_code == 200
        assert toilet["full_name"] in page.text
        # Several contracts are running: the supervisor chooses one, the place kept.
        assert f"contract_id={contract_id}&amp;location_id={toilet['id']}" in page.text
        form = await c.get(
            "/inspections/new", params={"location_id": toilet["id"], "contract_id": contract_id}
        )
        assert f'name="location_id" value="{toilet["id"]}"' in form.text
        assert f'value="{toilet["full_name"]}" readonly' in form.text


async def test_a_plan_is_drawn_once_from_its_seed_and_assigned(api, world):
    contract_id = await cleaning_contract(world, world.vendor_a)
    async with api("supervisor") as c:
        await place_tree(c)
        body = {"contract_id": contract_id, "month": "2026-10", "spot_checks": 6, "seed": "s1"}
        first, again = await asyncio.gather(
            c.post("/api/inspection-plans", json=body), c.post("/api/inspection-plans", json=body)
        )
        assert first.status_code == again.status_code == 201, first.text
        assert first.json()["id"] == again.json()["id"]
        assert sorted([first.json()["created"], again.json()["created"]]) == [False, True]
        plan = (await c.get(f"/api/inspection-plans/{first.json()['id']}")).json()
        assert plan["seed"] == "s1" and plan["spot_checks"] == 6
        items = plan["items"]
        assert [i["kind"] for i in items].count("comprehensive") == 1
        assert [i["kind"] for i in items].count("spot_check") == 6
        assert all(i["due_on"].startswith("2026-10") for i in items)
        # The same seed draws the same plan for another contract of the same tree.
        other = await cleaning_contract(world, world.vendor_a)
        replay = await c.post("/api/inspection-plans", json={**body, "contract_id": other})
        again_items = (await c.get(f"/api/inspection-plans/{replay.json()['id']}")).json()["items"]
        assert [(i["due_on"], i["location_id"]) for i in again_items] == [
            (i["due_on"], i["location_id"]) for i in items
        ]
        # The next month keeps the contract's number of spot checks.
        nov = await c.post(
            "/api/inspection-plans", json={"contract_id": contract_id, "month": "2026-11"}
        )
        assert (await c.get(f"/api/inspection-plans/{nov.json()['id']}")).json()["spot_checks"] == 6
        bad = await c.post(
            "/api/inspection-plans",
            json={"contract_id": contract_id, "month": "2031-01", "spot_checks": -1, "seed": "x y"},
        )
        assert {e["field"] for e in bad.json()["errors"]} == {"spot_checks", "seed", "month"}
        item = items[1]
        supervisor = world.principals["supervisor"].user_id
        assigned = await c.post(
            f"/api/inspection-plans/items/{item['id']}/assign", json={"assignee_id": supervisor}
        )
        assert assigned.status_code == 200 and assigned.json()["assignee"] == "t.supervisor"
        finance = world.principals["finance"].user_id
        refused = await c.post(
            f"/api/inspection-plans/items/{item['id']}/assign", json={"assignee_id": finance}
        )
        assert refused.status_code == 422
    for role in ("finance", "vendor", "auditor"):
        async with api(role) as c:
            assert (await c.post("/api/inspection-plans", json=body)).status_code == 403
            assert (await c.get("/api/inspection-plans/due")).status_code == 403


async def test_a_plan_item_is_started_prefilled_and_done_by_the_inspection(api, login, world):
    contract_id = await cleaning_contract(world, world.vendor_a)
    async with api("supervisor") as c:
        await place_tree(c)
        template_id = await checklist(c)
        planned = await c.post(
            "/api/inspection-plans",
            json={"contract_id": contract_id, "month": "2026-10", "spot_checks": 2, "seed": "s"},
        )
        items = (await c.get(f"/api/inspection-plans/{planned.json()['id']}")).json()["items"]
        spot = next(i for i in items if i["kind"] == "spot_check")
        # October 2026 is past: every item is overdue, and on the supervisor's list.
        due = (await c.get("/api/inspection-plans/due")).json()
        assert spot["id"] in [i["id"] for i in due] and all(i["overdue"] for i in due)
    async with login("supervisor") as c:
        board = await c.get("/supervision")
        assert f"/inspections/new?plan_item_id={spot['id']}" in board.text
        form = await c.get("/inspections/new", params={"plan_item_id": spot["id"]})
        assert f'name="plan_item_id" value="{spot["id"]}"' in form.text
        assert f'name="contract_id" value="{contract_id}"' in form.text
        assert f'value="{spot["place"]}" readonly' in form.text
        assert '<option value="spot_check" selected>' in form.text
    async with api("supervisor") as c:
        body = inspection(
            contract_id,
            template_id,
            {"floor": "pass", "toilet": "pass", "isolation": "pass"},
            location_id=spot["location_id"],
            plan_item_id=spot["id"],
        )
        first, second = await asyncio.gather(
            c.post("/api/inspections", json={**body, "client_token": unique("p1")}),
            c.post("/api/inspections", json={**body, "client_token": unique("p2")}),
        )
        codes = sorted([first.status_code, second.status_code])
        assert codes == [201, 409], (first.text, second.text)
        done = first if first.status_code == 201 else second
        item = next(
            i
            for i in (await c.get(f"/api/inspection-plans/{planned.json()['id']}")).json()["items"]
            if i["id"] == spot["id"]
        )
        assert item["status"] == "done" and item["inspection_id"] == done.json()["id"]
        assert spot["id"] not in [
            i["id"] for i in (await c.get("/api/inspection-plans/due")).json()
        ]
        # A done item is no longer assigned; another contract's inspection cannot do an item.
        late = await c.post(
            f"/api/inspection-plans/items/{spot['id']}/assign", json={"assignee_id": None}
        )
        assert late.status_code == 409
        other = next(i for i in items if i["id"] != spot["id"])
        elsewhere = await cleaning_contract(world, world.vendor_a)
        wrong = await c.post(
            "/api/inspections",
            json={**body, "contract_id": elsewhere, "plan_item_id": other["id"]},
        )
        assert wrong.status_code == 422 and wrong.json()["errors"][0]["field"] == "plan_item_id"


async def test_imported_events_are_linked_to_the_place_their_location_names(api, world):
    contract_id = await signed_contract(world, [RESPOND])
    async with api("supervisor") as c:
        places = await place_tree(c)
        toilet, ward = places["MZ3-WC"], places["ZY5-E"]
        response = await c.post(
            f"/api/contracts/{contract_id}/events",
            json=[
                event("L-1", "2026-10-08 09:00", location=toilet["code"]),
                event("L-2", "2026-10-08 09:00", location=ward["full_name"]),
                event("L-3", "2026-10-08 09:00", location="楼顶天台"),
            ],
        )
        assert response.status_code == 200, response.text
        # A file is imported by a job (sla.service.run_import): its events are linked too.
        csv = (
            "external_id,category,priority,location,reported_at,responded_at\n"
            f"L-4,delivery,紧急,{ward['code']},2026-10-09 08:00,2026-10-09 08:03\n"
        )
        imported = await c.post(
            f"/api/contracts/{contract_id}/events/import",
            files={"file": ("events.csv", csv.encode("gb18030"), "text/csv")},
        )
        assert imported.status_code == 200, imported.text
    rows = await stored(contract_id)
    assert [r["location_id"] for r in rows] == [toilet["id"], ward["id"], None, ward["id"]]
    assert rows[2]["location"] == "楼顶天台"


async def test_the_plan_pages_draw_and_assign(login, world):
    contract_id = await cleaning_contract(world, world.vendor_a)
    async with login("supervisor") as c:
        token = await csrf_token(c, "/inspection-plans")
        drawn = await c.post(
            "/inspection-plans",
            data={"contract_id": str(contract_id), "month": "2026-09", "_csrf_token": token},
        )
        assert drawn.status_code == 200 and "Inspection plan 2026-09" in drawn.text
        item_id = re.search(r'id="item-(\d+)"', drawn.text).group(1)
        supervisor = world.principals["supervisor"].user_id
        assigned = await c.post(
            f"/inspection-plans/items/{item_id}/assign",
            data={"assignee_id": str(supervisor), "_csrf_token": token},
        )
        assert assigned.status_code == 200 and "Assigned." in assigned.text
        bad = await c.post(
            "/inspection-plans",
            data={"contract_id": "", "month": "2026-09", "_csrf_token": token},
        )
        assert bad.status_code == 422 and "choose a contract" in bad.text
