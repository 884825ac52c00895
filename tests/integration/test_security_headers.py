"""Security headers: every page route of the app (taken from the app's routes, so a page added
later is covered) sends a Content-Security-Policy allowing only the app's own origin, refuses
framing, nosniff, a same-origin referrer policy and no-store once logged in; and no template
carries an inline script or event handler the policy would block."""

from __future__ import annotations

import re
from pathlib import Path

from litestar.routes import HTTPRoute

from tests.conftest import unique
from tests.integration.test_inspections_notices import checklist, cleaning_contract, inspection
from tests.integration.test_tender_sealing import sealed_tender
from vendorgov.accounts.roles import Role
from vendorgov.audits.tables import AuditAssignment, Notice
from vendorgov.inspections.tables import InspectionPlan
from vendorgov.locations.tables import Location
from vendorgov.payments.tables import PaymentRun
from vendorgov.servicedesk.tables import ServiceRequest
from vendorgov.settings import get_settings
from vendorgov.sla.tables import ServiceEvent
from vendorgov.vendors.tables import Qualification

# Routes that serve files or data, not pages; they still get nosniff and the framing headers.
# Machine endpoints, not pages (/metrics and /readyz have tests of their own in test_ops).
NOT_PAGES = ("/api/", "/static/", "/healthz", "/readyz", "/metrics", "/schema/openapi.json")


def _directives(policy: str) -> dict[str, str]:
    return {d.split()[0]: d.partition(" ")[2] for d in (p.strip() for p in policy.split(";")) if d}


def assert_secure(response, logged_in: bool, where: str) -> None:
    headers = response.headers
    assert headers.get("x-content-type-options") == "nosniff", where
    assert headers.get("x-frame-options") == "DENY", where
    assert headers.get("referrer-policy") == "same-origin", where
    if logged_in:
        assert headers.get("cache-control") == "no-store", where
    if headers.get("content-type", "").startswith("text/html"):
        policy = _directives(headers["content-security-policy"])
        assert policy["default-src"] == "'self'", where
        assert policy["script-src"] == "'self'", where
        assert policy["frame-ancestors"] == "'none'", where
        if not where.startswith("/admin"):
            assert policy["style-src"] == "'self'", where


async def _newest(column) -> str | None:
    row = await column._meta.table.select(column).order_by(column, ascending=False).first()
    return None if row is None else str(row[column._meta.name])


async def real_ids(world, api) -> dict[str, str]:
    """Path parameter values naming real rows: a tender with bids and files, a signed contract
    with an inspection (and its photo-less finding), and the newest of the rest."""
    sealed = await sealed_tender(world)
    contract_id = await cleaning_contract(world, world.vendor_a)
    async with api("supervisor") as c:
        template_id = await checklist(c)
        done = await c.post(
            "/api/inspections",
            json=inspection(
                contract_id,
                template_id,
                {"floor": "pass", "toilet": "fail", "isolation": "na"},
                client_token=unique("draft"),
            ),
        )
        assert done.status_code == 201, done.text
        survey = await c.post(
            "/api/surveys",
            json={"title": "头部检查", "questions": ["一"], "contract_ids": [contract_id]},
        )
        assert survey.status_code == 201, survey.text
    ids = {
        "tender_id": str(sealed.tender_id),
        "bid_id": str(sealed.bid_ids[0]),
        "position": "0",
        "file_id": sealed.document_id,
        "vendor_id": str(world.vendor_a),
        "contract_id": str(contract_id),
        "number": "1",
        "inspection_id": str(done.json()["id"]),
        "survey_id": str(survey.json()["id"]),
        "fmt": "csv",
        "path": "openapi.yaml",
    }
    # Rows other tests (or none) left behind: when absent, the route's 404 page is checked.
    for name, column in {
        "notice_id": Notice.id,
        "run_id": PaymentRun.id,
        "event_id": ServiceEvent.id,
        "qualification_id": Qualification.id,
        "plan_id": InspectionPlan.id,
        "assignment_id": AuditAssignment.id,
        "request_id": ServiceRequest.id,
        "location_id": Location.id,
    }.items():
        ids[name] = await _newest(column) or "999999"
    from vendorgov.tenders.tables import Bid

    bid = await Bid.select(Bid.ref).where(Bid.id == sealed.bid_ids[0]).first()
    ids["ref"] = bid["ref"]  # what its vendor knows the bid by
    ids["job_id"] = "no-such-job"
    ids["dispute_id"] = "999999"  # an evidence download of a dispute that does not exist: 404
    ids["file"] = "999999"
    ids["which"] = "request"  # a service request's own photo (404 when it has none)
    ids["user_id"] = str(world.principals["vendor"].user_id)  # a vendor user's desk duty
    return ids


def _role_for(route: HTTPRoute) -> Role | None:
    """A role the GET handler's guards admit (admin when it may), None for public routes."""
    handler = next(h for h in route.route_handlers if "GET" in h.http_methods)
    guards = handler.resolve_guards()
    if not guards:
        return None
    allowed = [r for r in Role if f"_{r.value}" in guards[0].__name__]
    return Role.admin if Role.admin in allowed else allowed[0]


def page_routes(app) -> list[HTTPRoute]:
    return [
        r
        for r in app.routes
        if isinstance(r, HTTPRoute) and "GET" in r.methods and not r.path.startswith(NOT_PAGES)
    ]


async def test_every_page_route_sends_the_security_headers(app, world, api, login, client):
    ids = await real_ids(world, api)
    routes = page_routes(app)
    assert {"/", "/vendors", "/contracts/{contract_id:int}", "/login"} <= {r.path for r in routes}
    statuses = {}
    for route in routes:
        path = route.path_format.format(**{name: ids[name] for name in route.path_parameters})
        role = _role_for(route)
        if role is None:
            response = await client.get(path, follow_redirects=False)
        else:
            async with login(role.value) as c:
                response = await c.get(path, follow_redirects=False)
        statuses[path] = response.status_code
        assert response.status_code < 500, (path, response.text[:300])
        assert_secure(response, logged_in=role is not None, where=path)
    # The walk reached real pages, not only error pages (the rest are 404s for rows this test
    # does not make, and 403/409 where the tender's stage forbids the page: still checked).
    assert statuses["/"] == 200 and statuses[f"/tenders/{ids['tender_id']}"] == 200
    assert statuses[f"/contracts/{ids['contract_id']}"] == 200
    assert statuses[f"/inspections/{ids['inspection_id']}"] == 200
    assert sum(s == 200 for s in statuses.values()) >= len(statuses) * 2 // 3, statuses


async def test_error_pages_admin_and_api_docs_are_covered_too(login, client):
    missing = await client.get("/no-such-page", follow_redirects=False)
    assert_secure(missing, logged_in=False, where="/no-such-page")
    docs = await client.get("/schema")
    assert docs.status_code == 200
    assert_secure(docs, logged_in=False, where="/schema")
    assert "<script>" not in docs.text and "/static/swagger-init.js" in docs.text
    async with login("admin") as c:
        admin = await c.get("/admin/")
        assert admin.status_code == 200
        assert_secure(admin, logged_in=True, where="/admin/")
        # Piccolo Admin injects <style> elements at run time: inline styles only there.
        assert (
            "'unsafe-inline'" in _directives(admin.headers["content-security-policy"])["style-src"]
        )
        unauthenticated_api = await client.get("/api/me")
        assert unauthenticated_api.headers["x-content-type-options"] == "nosniff"


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
EVENT_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.IGNORECASE)
STYLE_ATTRIBUTE = re.compile(r"<[^>]+\sstyle\s*=", re.IGNORECASE)


def test_no_template_has_an_inline_script_handler_or_style():
    templates = get_settings().templates_dir
    offending = []
    for path in sorted(templates.rglob("*.html")):
        text = path.read_text()
        name = str(path.relative_to(templates))
        for rule in (INLINE_SCRIPT, EVENT_HANDLER):
            offending += [f"{name}: {m.group(0)[:60]}" for m in rule.finditer(text)]
        # PDF documents are rendered by WeasyPrint, never served as pages: styles allowed.
        if not name.startswith("documents/"):
            offending += [f"{name}: {m.group(0)[:60]}" for m in STYLE_ATTRIBUTE.finditer(text)]
    assert offending == []
    assert Path(get_settings().static_dir, "app.js").exists()
