"""The demo hospital's service centre: routes for every running contract on the main campus,
a ward nurse and the ward's kiosk, a hotline agent, a cleaner of the cleaning vendor, and
requests in every state (filed through the services, so times are the server's: now)."""

from __future__ import annotations

from vendorgov.accounts import service as accounts
from vendorgov.accounts.roles import Principal
from vendorgov.contracts import service as contracts
from vendorgov.errors import Conflict
from vendorgov.files.service import Upload
from vendorgov.locations import service as locations
from vendorgov.servicedesk import access, routing, service
from vendorgov.servicedesk.rules import NewRequest

# (username, place code, duty)
MEMBERS = [("hsz.zy5", "BY-ZY-5F-03", "staff"), ("kiosk.zy5", "BY-ZY-5F-03", "kiosk")]
WORKER = "jiekang.w1"
# (description, place code, priority, how far it goes: accept, arrive, resolve, rate n)
REQUESTS = [
    ("5楼东区病房卫生间地面积水", "BY-ZY-5F-01", "urgent", []),
    ("护士站垃圾桶已满，需清运", "BY-ZY-5F-03", "routine", ["accept"]),
    ("西区病房呕吐物需清理", "BY-ZY-5F-02", "emergency", ["accept", "arrive"]),
    ("门诊1楼大厅地面污渍", "BY-MZ-1F-01", "routine", ["accept", "arrive", "resolve"]),
    (
        "6楼东区病房更换床单后地面未清扫",
        "BY-ZY-6F-01",
        "routine",
        ["accept", "arrive", "resolve", 5],
    ),
    ("卫生间异味，清洁不到位", "BY-ZY-5F-01", "urgent", ["accept", "arrive", "resolve", 2]),
]


async def load(admin: Principal, supervisor: Principal, photo: bytes) -> None:
    campus = (await locations.ids_for_labels(["BY"]))["BY"]
    # In a fixed order (ties of end date by id, as SQLite returns them): the first contract
    # of a category routes, and it must be the one the demo's cleaner works for.
    listed = await contracts.list_contracts(admin)
    for contract in sorted(listed, key=lambda c: (c["end_date"], c["id"])):
        if contract["effective_status"] == "active":
            try:
                await routing.add_route(supervisor, contract["category"], campus, contract["id"])
            except Conflict:  # a second contract of a category: the first one routes
                continue
    for username, code, duty in MEMBERS:
        place = (await locations.ids_for_labels([code]))[code]
        await access.set_member(admin, await accounts.user_id_for(username), duty, place)
    await access.set_member(admin, await accounts.user_id_for(WORKER), "worker")
    nurse = await accounts.principal_for_user(await accounts.user_id_for("hsz.zy5"))
    worker = await accounts.principal_for_user(await accounts.user_id_for(WORKER))
    for description, code, priority, steps in REQUESTS:
        place = (await locations.ids_for_labels([code]))[code]
        row = await service.file_request(
            nurse,
            NewRequest("cleaning", place, description, priority, "张护士", "8501"),
        )
        for step in steps:
            if step == "accept":
                await service.accept(worker, row["id"])
            elif step == "arrive":
                await service.arrive(worker, row["id"])
            elif step == "resolve":
                await service.resolve(worker, row["id"], "已处理", Upload("done.png", photo))
            else:
                await service.rate(nurse, row["id"], step, "" if step > 3 else "处理不彻底")
