"""Sealing (§3): before the bid deadline no role, administrators included, reads a bid's price
or proposal files through any page, API route, export, report, audit trail or Piccolo Admin.

The walk is generic: every GET (and HEAD) route of the app, as every role (session for pages,
bearer token for /api), with path parameters filled from real ids of a tender holding sealed
bids. Routes added later are covered without touching this test. After opening the same walk
finds the price as the officer, which proves it can fail.
"""

from __future__ import annotations

import base64
import io
import itertools
import json
import zipfile
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from pypdf import PdfReader

from tests.conftest import PASSWORD, PDF, new_vendor, unique
from tests.integration.test_tenders import SERVICE_END, SERVICE_START, SLA, STANDARD, seat_panel
from vendorgov.accounts import service as accounts
from vendorgov.contracts.tables import Contract
from vendorgov.files.service import Upload
from vendorgov.tenders import bidding, opening, publication, reading
from vendorgov.tenders.publication import TenderInput
from vendorgov.tenders.rules import Criterion
from vendorgov.tenders.tables import Bid, BidFile, Tender

PRICES = ("987654.32", "912345.67", "923456.78")  # the bid, the one it replaced, another's


def price_forms(price: str) -> list[str]:
    """A price as pages, JSON, CSV, PDF and XLSX might print it."""
    value = Decimal(price)
    whole, cents = price.split(".")
    grouped = f"{int(whole):,}"
    return [
        price,  # 987654.32
        price[:-1],  # 987654.3 (a float, or one decimal)
        f"{grouped}.{cents}",  # 987,654.32
        f"{grouped}.{cents[0]}",  # 987,654.3
        f"{int(whole):_}".replace("_", " ") + f",{cents}",  # 987 654,32
        f"{int(whole):_}".replace("_", "\u202f") + f",{cents}",  # narrow no-break space
        whole + cents,  # 98765432 (in fen)
        f"{value / 10000:.4f}",  # 98.7654 (in 万元)
    ]


@dataclass
class Sealed:
    tender_id: int
    reference: str
    bid_ids: list[int]
    bid_file_ids: list[str]
    document_id: str
    vendor_ids: list[int]
    leaks: list[bytes]
    bidders: list[bytes]  # who bid: usernames and company names, sealed until opening


def marked_pdf(marker: str) -> bytes:
    return PDF.replace(b"%%EOF", f"% {marker}\n%%EOF".encode())


async def sealed_tender(world) -> Sealed:
    officer = world.principals["procurement"]
    admin = world.principals["admin"]
    tender_id = await publication.create_tender(
        officer,
        TenderInput(
            reference=unique("SEAL"),
            title="门诊楼保洁服务采购",
            category="cleaning",
            method="open",
            evaluation_method="comprehensive",
            budget_ceiling=Decimal("1500000.00"),
            service_start=SERVICE_START,
            service_end=SERVICE_END,
            bid_deadline=datetime.now(UTC) + timedelta(hours=3),
            scope="门诊楼日常保洁",
            criteria=list(STANDARD),
            sla_template=SLA,
        ),
    )
    await publication.add_document(officer, tender_id, Upload("招标文件.pdf", PDF))
    await publication.publish(officer, tender_id)
    tender = await reading.get_tender(officer, tender_id)

    markers = [unique("SEALED-PROPOSAL-MARKER"), unique("REPLACED-PROPOSAL-MARKER")]
    other_marker = unique("OTHER-PROPOSAL-MARKER")
    # The opened file is checked for its marker after opening; its name is ASCII (a Chinese
    # name is tested in test_tenders.py).
    file_names = [f"proposal-{unique('FILENAME')}.pdf"]
    file_names += [f"技术方案-{unique('FILENAME')}.pdf" for _ in range(2)]
    files = [marked_pdf(m) for m in (*markers, other_marker)]
    # The seeded vendor user (world.vendor_a, cleaning) bids, then replaces its bid.
    vendor = world.principals["vendor"]
    replaced = await bidding.submit_bid(
        vendor, tender_id, Decimal(PRICES[1]), [], [Upload(file_names[1], files[1])]
    )
    latest = await bidding.submit_bid(
        vendor,
        tender_id,
        Decimal(PRICES[0]),
        [("保洁人员工资", Decimal("901234.56")), ("耗材", Decimal("86419.76"))],
        [Upload(file_names[0], files[0])],
    )
    # Another cleaning company bids too.
    other_name, other_username = unique("另一保洁公司"), unique("other-bidder")
    other_vendor = await new_vendor(world, name=other_name, categories=["cleaning"])
    other_user = await accounts.create_account(
        admin,
        username=other_username,
        password=PASSWORD,
        role="vendor",
        display_name="另一投标人",
        vendor_id=other_vendor,
    )
    other = await bidding.submit_bid(
        await accounts.principal_for_user(other_user),
        tender_id,
        Decimal(PRICES[2]),
        [],
        [Upload(file_names[2], files[2])],
    )
    # The seeded evaluator sits on the panel (a purchaser representative), so evaluator routes
    # reach this tender; four experts are drawn.
    await seat_panel(world, tender_id, 4, [world.principals["evaluator"]])

    bid_ids = [latest["bid_id"], replaced["bid_id"], other["bid_id"]]
    stored = await BidFile.select(BidFile.stored_file).where(BidFile.bid.is_in(bid_ids))
    leaks = [f.encode() for p in PRICES for f in price_forms(p)]
    leaks += [b"86419.76", b"901234.56"]  # the price lines
    leaks += [m.encode() for m in (*markers, other_marker)]
    leaks += [n.split("-", 1)[1].encode() for n in file_names]
    leaks += [base64.b64encode(f) for f in files]
    return Sealed(
        tender_id=tender_id,
        reference=tender["reference"],
        bid_ids=bid_ids,
        bid_file_ids=[str(s["stored_file"]) for s in stored],
        document_id=tender["documents"][0]["file_id"],
        vendor_ids=[world.vendor_a, other_vendor],
        leaks=leaks,
        bidders=[vendor.username.encode(), other_username.encode(), other_name.encode()],
    )


# --- filling in the routes -------------------------------------------------------------------


async def parameter_values(world, sealed: Sealed) -> dict[str, list[str]]:
    contracts = [str(c["id"]) for c in await Contract.select(Contract.id).limit(2)] or ["1"]
    month = date.today().strftime("%Y-%m")
    return {
        "tender_id": [str(sealed.tender_id)],
        "bid_id": [str(b) for b in sealed.bid_ids],
        "position": ["0"],
        "file_id": [*sealed.bid_file_ids, sealed.document_id],
        "fmt": ["csv", "xlsx", "pdf", "json"],
        "format": ["csv", "xlsx", "pdf", "json"],
        "vendor_id": [str(v) for v in sealed.vendor_ids],
        "contract_id": contracts,
        "number": ["1"],
        "month": [month],
        "user_id": [str(world.principals["vendor"].user_id)],
        "path": ["openapi.json"],
        "file_path": ["css/app.css"],
    }


def query_variants(sealed: Sealed) -> list[str]:
    t, b = sealed.tender_id, sealed.bid_ids[0]
    return [
        "",
        f"?tender_id={t}&tender={t}&status=published&q={sealed.reference}",
        f"?entity=bid&entity_id={b}&bid_id={b}",
        f"?entity=tender&entity_id={t}",
    ]


def expand(route, values: dict[str, list[str]]) -> list[str]:
    params = route.path_parameters
    if not params:
        return [route.path_format]
    names = list(params)
    choices = []
    for name in names:
        if name in values:
            choices.append(values[name])
        elif params[name].type is int:
            choices.append(["1"])
        else:
            choices.append(["x"])
    return [
        route.path_format.format(**dict(zip(names, combo, strict=True)))
        for combo in itertools.product(*choices)
    ]


def get_paths(app, values, sealed: Sealed) -> list[tuple[str, str]]:
    """(method, path with query) for every GET/HEAD route but the static files."""
    result = []
    for route in app.routes:
        methods = set(getattr(route, "methods", ()) or ())
        if route.path.startswith("/static") or not methods & {"GET", "HEAD"}:
            continue
        for path in expand(route, values):
            for query in query_variants(sealed):
                for method in sorted(methods & {"GET", "HEAD"}):
                    result.append((method, path + query))
    return result


def readable(body: bytes) -> bytes:
    """The body and, for PDFs and zips (XLSX), the text inside them."""
    parts = [body]
    if body.startswith(b"%PDF-"):
        try:
            reader = PdfReader(io.BytesIO(body))
            parts += [(page.extract_text() or "").encode() for page in reader.pages]
        except Exception:  # a bid file fragment, not a rendered report
            pass
    if body.startswith(b"PK\x03\x04"):
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            parts += [archive.read(name) for name in archive.namelist()]
    return b"\n".join(parts)


ROLES = ("admin", "procurement", "evaluator", "supervisor", "finance", "auditor", "vendor")


def all_roles(world) -> list[str]:
    return sorted(set(ROLES) | set(world.principals))


async def walk(api, login, roles, paths) -> tuple[dict[str, bytes], list[str]]:
    """Every path as every role: {"role METHOD path": readable body}, and any 5xx."""
    seen: dict[str, bytes] = {}
    errors = []
    for role in roles:
        async with api(role) as bearer, login(role) as session:
            for method, path in paths:
                client = bearer if path.startswith("/api") else session
                response = await client.request(method, path)
                key = f"{role} {method} {path}"
                if response.status_code >= 500:
                    errors.append(f"{key}: {response.status_code}")
                seen[key] = readable(response.content)
    return seen, errors


def leaks_in(seen: dict[str, bytes], needles: list[bytes]) -> list[str]:
    return [
        f"{key}: {needle.decode(errors='replace')[:40]}"
        for key, body in seen.items()
        for needle in needles
        if needle in body
    ]


# --- the tests -------------------------------------------------------------------------------


@pytest.fixture
async def sealed(world):
    return await sealed_tender(world)


async def test_no_route_shows_a_sealed_price_or_file_to_any_role(app, world, api, login, sealed):
    values = await parameter_values(world, sealed)
    paths = get_paths(app, values, sealed)
    assert any(f"/{sealed.tender_id}" in p for _, p in paths)  # tender routes are covered
    assert any(f"/bids/{sealed.bid_ids[0]}" in p for _, p in paths)

    seen, errors = await walk(api, login, all_roles(world), paths)
    assert leaks_in(seen, sealed.leaks) == []
    assert errors == []
    # Nor who bid, to anyone but the bidder, on the tender routes (the account and vendor
    # registries and their audit entries name every company and user, bidding or not; the
    # bids' own audit entries are checked in the next tests).
    staff_seen = {
        k: v
        for k, v in seen.items()
        if not world.principals[k.split()[0]].is_vendor
        and k.split()[2].split("?")[0].startswith(("/tenders", "/api/tenders"))
    }
    assert any(f"/tenders/{sealed.tender_id}/bids" in k for k in staff_seen)
    assert leaks_in(staff_seen, sealed.bidders) == []
    # The walk did reach the tender: the officer's bid list shows both active bids.
    listed = seen[f"procurement GET /api/tenders/{sealed.tender_id}/bids"]
    assert str(sealed.bid_ids[0]).encode() in listed
    assert str(sealed.bid_ids[2]).encode() in listed

    # Once opened, the same walk finds the price (as the officer) and the file.
    await Tender.update({Tender.bid_deadline: datetime.now(UTC)}).where(
        Tender.id == sealed.tender_id
    )
    await opening.open_tender(world.principals["procurement"], sealed.tender_id)
    tender_paths = [(m, p) for m, p in paths if str(sealed.tender_id) in p or "/bids/" in p]
    opened, _ = await walk(api, login, ["procurement"], tender_paths)
    found = leaks_in(opened, sealed.leaks)
    assert any(PRICES[0] in f for f in found), found
    assert any("SEALED-PROPOSAL-MARKER" in f for f in found), "\n".join(found)
    # The replaced bid was never opened: its price stays unknown.
    assert not any(PRICES[1] in f for f in found), found


async def test_the_database_rows_hold_no_price_before_opening(sealed):
    rows = await Bid.select().where(Bid.tender == sealed.tender_id)
    text = repr(rows).encode()
    assert [n for n in sealed.leaks if n in text] == []
    assert all(r["price"] is None for r in rows)


async def test_piccolo_admin_shows_no_sealed_content(login, sealed):
    """Piccolo Admin (read-only, its own login behind the admin-only mount): every table it
    lists, newest rows first."""
    async with login("admin") as c:
        await c.get("/admin/")
        await c.post(
            "/admin/public/login/",
            json={"username": "t.admin", "password": PASSWORD},
            headers={"X-CSRFToken": c.cookies.get("csrftoken") or ""},
        )
        response = await c.get("/admin/api/tables/")
        if response.status_code != 200:
            pytest.skip(f"Piccolo Admin API not reachable here ({response.status_code})")
        tables = response.json()
        assert "stored_file" in tables and "audit_entry" in tables
        bodies = {"/admin/api/tables/": response.content}
        for table in tables:
            orders = ["", "&__order=-id"]
            if table == "stored_file":  # its id is a UUID
                orders.append("&__order=-uploaded_at")
            for order in orders:
                path = f"/admin/api/tables/{table}/?__page_size=1000{order}"
                response = await c.get(path)
                assert response.status_code < 500, path
                bodies[path] = response.content
    assert leaks_in(bodies, sealed.leaks) == []
    # The bids' audit entries name no bidder.
    audit_rows = [
        row
        for k, v in bodies.items()
        if "audit_entry" in k
        for row in json.loads(v)["rows"]
        if row["entity"] == "bid" and row["entity_id"] in {str(b) for b in sealed.bid_ids}
    ]
    assert len(audit_rows) >= len(sealed.bid_ids)
    assert leaks_in({"bid audit rows": json.dumps(audit_rows).encode()}, sealed.bidders) == []
    # The walk did see this tender's rows (its audit entries, its sealed files).
    everything = b"".join(bodies.values())
    assert sealed.reference.encode() in everything
    assert sealed.bid_file_ids[0].encode() in everything


# --- closed further: periods, the bidder in the audit trail, padding, unseen tenders ---------


@pytest.fixture
def bid_periods(monkeypatch):
    """The §3a defaults (the other tests run with no minimum, see conftest.py)."""
    from dataclasses import replace

    from vendorgov.settings import get_settings

    settings = replace(
        get_settings(),
        bid_period_days_open=20,
        bid_period_days_consultation=10,
        bid_period_days_negotiation=3,
    )
    monkeypatch.setattr(publication, "get_settings", lambda: settings)
    return settings


def sealing_input(deadline: datetime, method: str = "open") -> TenderInput:
    # §3a: competitive negotiation awards the lowest compliant price.
    negotiation = method == "negotiation"
    return TenderInput(
        reference=unique("SEAL"),
        title="门诊楼保洁服务采购",
        category="cleaning",
        method=method,
        evaluation_method="lowest_price" if negotiation else "comprehensive",
        budget_ceiling=Decimal("1500000.00"),
        service_start=SERVICE_START,
        service_end=SERVICE_END,
        bid_deadline=deadline,
        criteria=[Criterion("price", "价格", Decimal(100))] if negotiation else list(STANDARD),
        sla_template=SLA,
    )


async def test_a_short_bid_window_is_refused_and_the_deadline_cannot_be_pulled_in(
    world, bid_periods
):
    """The officer's attempt: publish with a 7-minute window; move a deadline 21 days ahead to
    3 seconds ahead and open. Both refused (§3, §3a: 20 calendar days for open tenders)."""
    from vendorgov.errors import Conflict, InvalidInput

    officer = world.principals["procurement"]
    now = datetime.now(UTC)
    short = await publication.create_tender(officer, sealing_input(now + timedelta(minutes=7)))
    with pytest.raises(InvalidInput) as refused:
        await publication.publish(officer, short)
    assert [(e.field, e.rule) for e in refused.value.errors] == [("bid_deadline", "bid_period")]
    assert "at least 20 days after publication" in refused.value.errors[0].message
    assert (await reading.get_tender(officer, short))["status"] == "draft"
    # 19 days is still short for an open tender; enough for a consultation (10).
    nineteen = now + timedelta(days=19)
    with pytest.raises(InvalidInput):
        await publication.publish(
            officer, await publication.create_tender(officer, sealing_input(nineteen))
        )
    await publication.publish(
        officer,
        await publication.create_tender(officer, sealing_input(nineteen, "consultation")),
    )

    tender_id = await publication.create_tender(officer, sealing_input(now + timedelta(days=21)))
    await publication.publish(officer, tender_id)
    with pytest.raises(Conflict, match="it can only be postponed"):
        await publication.change_deadline(
            officer, tender_id, datetime.now(UTC) + timedelta(seconds=3), "提前开标以加快进度"
        )
    with pytest.raises(Conflict, match="can be opened from"):
        await opening.open_tender(officer, tender_id)
    later = (await reading.get_tender(officer, tender_id))["bid_deadline"] + timedelta(days=2)
    await publication.change_deadline(officer, tender_id, later, "答疑后延期两天")
    assert (await reading.get_tender(officer, tender_id))["bid_deadline"] == later


async def test_the_audit_trail_keeps_the_bidder_sealed_until_opening(world, sealed):
    from vendorgov.audit.tables import AuditEntry
    from vendorgov.tenders import common, sealing

    entries = await AuditEntry.select().where(
        (AuditEntry.entity == "bid") & AuditEntry.entity_id.is_in([str(b) for b in sealed.bid_ids])
    )
    assert {e["action"] for e in entries} == {"submit"}
    text = repr(entries).encode()
    assert [b for b in sealed.bidders if b in text] == []
    assert {e["actor"] for e in entries} == {common.SEALED_BIDDER.username}
    assert all(e["actor_id"] is None for e in entries)

    await Tender.update({Tender.bid_deadline: datetime.now(UTC)}).where(
        Tender.id == sealed.tender_id
    )
    await opening.open_tender(world.principals["procurement"], sealed.tender_id)
    reveal = await AuditEntry.select().where(
        (AuditEntry.entity == "tender")
        & (AuditEntry.entity_id == str(sealed.tender_id))
        & (AuditEntry.action == "reveal_bidders")
    )
    assert len(reveal) == 1
    revealed = str(reveal[0]["after"]).encode()
    assert all(b in revealed for b in sealed.bidders), revealed
    # Each sealed reference opens, with the tender key released at opening, to its bidder.
    tender = await Tender.select().where(Tender.id == sealed.tender_id).first()
    key = common.tender_key(tender)
    for entry in entries:
        after = entry["after"] if isinstance(entry["after"], dict) else json.loads(entry["after"])
        who = json.loads(
            sealing.decrypt(key, base64.b64decode(after["bidder"]), common.bidder_context(tender))
        )
        bid = await Bid.select(Bid.vendor).where(Bid.id == int(entry["entity_id"])).first()
        assert who["vendor"] == bid["vendor"]


async def test_sealed_envelopes_do_not_give_the_price_length(world):
    officer = world.principals["procurement"]
    tender_id = await publication.create_tender(
        officer, sealing_input(datetime.now(UTC) + timedelta(hours=2))
    )
    await publication.publish(officer, tender_id)
    lengths = []
    for price in ("9.99", "1234567.89"):
        vendor_id = await new_vendor(world, name=unique("保洁公司"), categories=["cleaning"])
        user_id = await accounts.create_account(
            world.principals["admin"],
            username=unique("pad-bidder"),
            password=PASSWORD,
            role="vendor",
            display_name="投标人",
            vendor_id=vendor_id,
        )
        receipt = await bidding.submit_bid(
            await accounts.principal_for_user(user_id), tender_id, Decimal(price), [], []
        )
        bid = await Bid.select(Bid.sealed).where(Bid.id == receipt["bid_id"]).first()
        lengths.append(len(bid["sealed"]))
    assert lengths[0] == lengths[1]


async def test_a_vendor_acting_on_a_tender_it_cannot_see_gets_404(world, api):
    """A draft, or another category's tender: withdrawing or bidding answers as if it did not
    exist (a 409 would tell that it does)."""
    officer = world.principals["procurement"]
    draft = await publication.create_tender(
        officer, sealing_input(datetime.now(UTC) + timedelta(hours=2))
    )
    async with api("vendor") as c:
        for path in (f"/api/tenders/{draft}/bids/withdraw", "/api/tenders/999999/bids/withdraw"):
            response = await c.post(path)
            assert response.status_code == 404, (path, response.text)
