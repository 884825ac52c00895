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
import zipfile
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from pypdf import PdfReader

from tests.conftest import PASSWORD, PDF, new_vendor, unique
from tests.integration.test_tenders import SERVICE_END, SERVICE_START, SLA, STANDARD
from vendorgov.accounts import service as accounts
from vendorgov.contracts.tables import Contract
from vendorgov.files.service import Upload
from vendorgov.tenders import bidding, opening, publication, reading, scoring
from vendorgov.tenders.publication import TenderInput
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
        [("保洁人员工资", Decimal("900000.00")), ("耗材", Decimal("87654.32"))],
        [Upload(file_names[0], files[0])],
    )
    # Another cleaning company bids too.
    other_vendor = await new_vendor(world, name=unique("另一保洁公司"), categories=["cleaning"])
    other_user = await accounts.create_account(
        admin,
        username=unique("other-bidder"),
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
    # The seeded evaluator sits on the panel, so evaluator routes reach this tender.
    panel = [world.principals["evaluator"].user_id]
    for _ in range(4):
        panel.append(
            await accounts.create_account(
                admin,
                username=unique("seal-expert"),
                password=PASSWORD,
                role="evaluator",
                display_name=unique("专家"),
            )
        )
    await scoring.assign_panel(officer, tender_id, panel)

    bid_ids = [latest["bid_id"], replaced["bid_id"], other["bid_id"]]
    stored = await BidFile.select(BidFile.stored_file).where(BidFile.bid.is_in(bid_ids))
    leaks = [f.encode() for p in PRICES for f in price_forms(p)]
    leaks += [b"87654.32", b"900000.00"]  # the price lines
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
    # The walk did see this tender's rows (its audit entries, its sealed files).
    everything = b"".join(bodies.values())
    assert sealed.reference.encode() in everything
    assert sealed.bid_file_ids[0].encode() in everything
