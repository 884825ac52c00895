"""Every role against every vendor route, through the JSON API and the pages.

The matrix below says, for each route and each role, whether the request is allowed
(2xx, or a 3xx redirect for a page), forbidden (403) or hidden (404: a vendor user touching
another vendor). Each case gets its own freshly made target data, so destructive routes do
not disturb one another, and each refused request is checked to have changed nothing.

Then: requests without credentials or with bad ones, unknown ids, ids of one vendor's
contacts and qualifications used under another vendor's path, and the Piccolo Admin mount.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from urllib.parse import quote

import pytest

from tests.conftest import PDF, csrf_token, new_vendor, random_uscc, unique
from vendorgov.accounts import service as accounts
from vendorgov.audit.tables import AuditEntry
from vendorgov.files.service import Upload
from vendorgov.vendors import qualifications as vendor_qualifications
from vendorgov.vendors import registry as vendor_registry
from vendorgov.vendors.rules import ContactInput, QualificationInput
from vendorgov.vendors.tables import Contact, Qualification, Vendor

PROBLEM = "application/problem+json"
ALLOWED, FORBIDDEN, HIDDEN = "allowed", "forbidden", "hidden"
STATUS_OF = {FORBIDDEN: 403, HIDDEN: 404}

STAFF = ("admin", "procurement", "evaluator", "supervisor", "auditor", "finance")
VENDOR_USERS = ("vendor", "vendor_b")  # bound to world.vendor_a and world.vendor_b
KEEPERS = {"admin", "procurement"}
READERS = {"admin", "procurement", "supervisor", "finance"}
# An id no test creates: large enough never to be reached by the autoincrement.
MISSING = 987_654_321


# --- access rules ----------------------------------------------------------------------------


def expected(rule: str, role: str, whose: str | None) -> str:
    """The outcome class for `role` under `rule`; `whose` is "own"/"other" for vendor users
    on routes about one vendor, None otherwise."""
    vendor_user = role in VENDOR_USERS
    if rule == "list":  # the registry list: vendor users get their own vendor only
        return ALLOWED if role in READERS or vendor_user else FORBIDDEN
    if rule == "keep":  # create, edit, status, contacts, delete: registry keepers only
        return ALLOWED if role in KEEPERS else FORBIDDEN
    if rule == "read":  # one vendor's details, history, scans
        if vendor_user:
            return ALLOWED if whose == "own" else HIDDEN
        return ALLOWED if role in READERS else FORBIDDEN
    if rule == "upload":  # adding a qualification: keepers, and a vendor user for itself
        if vendor_user:
            return ALLOWED if whose == "own" else HIDDEN
        return ALLOWED if role in KEEPERS else FORBIDDEN
    raise AssertionError(rule)


# --- targets ---------------------------------------------------------------------------------


@dataclass
class Target:
    """The data one case acts on."""

    vid: int | None = None
    cid: int | None = None
    qid: int | None = None
    name: str = ""  # the vendor's name (must not leak to those who may not read it)
    uscc: str = ""
    revision: int = 1
    new_name: str = field(default_factory=lambda: unique("权限测试"))
    csrf: str = ""


def qualification_form(**overrides) -> dict:
    data = {
        "kind": "business_licence",
        "number": unique("营业执照"),
        "issued_on": "2024-01-10",
        "expires_on": "2034-01-09",
    }
    data.update(overrides)
    return data


async def add_contact(world, vendor_id: int) -> int:
    return await vendor_registry.add_contact(
        world.principals["admin"],
        vendor_id,
        ContactInput(name=unique("联系人"), phone="027-8366 1201"),
    )


async def add_qualification(world, vendor_id: int) -> int:
    return await vendor_qualifications.add_qualification(
        world.principals["admin"],
        vendor_id,
        QualificationInput(
            kind="iso9001",
            number=unique("ISO"),
            issued_on=date(2024, 1, 1),
            expires_on=date(2030, 1, 1),
        ),
        Upload(filename="iso.pdf", data=PDF),
    )


def own_vendor(world, role: str) -> int:
    return world.vendor_a if role == "vendor" else world.vendor_b


def other_seeded_vendor(world, role: str) -> int:
    return world.vendor_b if role == "vendor" else world.vendor_a


async def make_target(world, route: Route, role: str, whose: str | None) -> Target:
    if not route.about_one_vendor:
        return Target()
    if whose == "own":
        vid = own_vendor(world, role)
    elif whose == "other" and route.rule in ("read", "upload"):
        # Reads and uploads are refused without harm, so the realistic case is used: the
        # other seeded vendor, which has its own user.
        vid = other_seeded_vendor(world, role)
    else:
        # Fresh data: a destructive route let through by mistake cannot spoil shared data.
        vid = await new_vendor(world)
    row = await Vendor.select().where(Vendor.id == vid).first()
    target = Target(vid=vid, name=row["name"], uscc=row["uscc"], revision=row["revision"])
    if "contact" in route.needs:
        target.cid = await add_contact(world, vid)
    if "qualification" in route.needs:
        target.qid = await add_qualification(world, vid)
    return target


async def snapshot(target: Target) -> dict:
    """Everything a vendor route could change about the target."""
    state: dict = {
        "vendors named new_name": await Vendor.count().where(Vendor.name == target.new_name),
        "contacts named new_name": await Contact.count().where(Contact.name == target.new_name),
    }
    if target.vid is not None:
        state["vendor"] = (
            await Vendor.select(Vendor.name, Vendor.status, Vendor.revision)
            .where(Vendor.id == target.vid)
            .first()
        )
        state["contacts"] = sorted(
            r["id"] for r in await Contact.select(Contact.id).where(Contact.vendor == target.vid)
        )
        state["qualifications"] = sorted(
            r["id"]
            for r in await Qualification.select(Qualification.id).where(
                Qualification.vendor == target.vid
            )
        )
        state["audit entries"] = await AuditEntry.count().where(
            (AuditEntry.entity == "vendor") & (AuditEntry.entity_id == str(target.vid))
        )
    return state


# --- routes ----------------------------------------------------------------------------------

Body = Callable[[Target], dict]


def no_body(t: Target) -> dict:
    return {}


@dataclass(frozen=True)
class Route:
    surface: str  # "api" or "page"
    method: str
    path: str  # a template over Target's fields
    name: str  # short, for test ids
    rule: str
    body: Body = no_body
    needs: tuple[str, ...] = ()
    writes: bool = False

    @property
    def about_one_vendor(self) -> bool:
        return "{t.vid}" in self.path

    def url(self, target: Target) -> str:
        return self.path.format(t=target)

    async def send(self, client, target: Target):
        kwargs = self.body(target)
        if self.surface == "page" and self.method == "POST":
            kwargs.setdefault("data", {})["_csrf_token"] = target.csrf
        return await client.request(self.method, self.url(target), follow_redirects=False, **kwargs)


def _status_body(t: Target) -> dict:
    return {"action": "blacklist", "reason": "伪造考勤记录，列入黑名单"}


def _edit_form(t: Target) -> dict:
    return {
        "data": {
            "name": t.new_name,
            "uscc": t.uscc,
            "categories": ["cleaning"],
            "revision": str(t.revision),
        }
    }


API = [
    # The list is paged: search for the two seeded vendors so both are on the first page.
    Route("api", "GET", "/api/vendors?q=武汉测试&page_size=200", "vendors", "list"),
    Route(
        "api",
        "POST",
        "/api/vendors",
        "vendors",
        "keep",
        lambda t: {"json": {"name": t.new_name, "uscc": random_uscc(), "categories": ["porter"]}},
        writes=True,
    ),
    Route("api", "GET", "/api/vendors/{t.vid}", "vendor", "read"),
    Route(
        "api",
        "PATCH",
        "/api/vendors/{t.vid}",
        "vendor",
        "keep",
        lambda t: {"json": {"name": t.new_name}},
        writes=True,
    ),
    Route("api", "DELETE", "/api/vendors/{t.vid}", "vendor", "keep", writes=True),
    Route(
        "api",
        "POST",
        "/api/vendors/{t.vid}/status",
        "status",
        "keep",
        lambda t: {"json": _status_body(t)},
        writes=True,
    ),
    Route("api", "GET", "/api/vendors/{t.vid}/history", "history", "read"),
    Route(
        "api",
        "POST",
        "/api/vendors/{t.vid}/contacts",
        "contacts",
        "keep",
        lambda t: {"json": {"name": t.new_name, "phone": "027-8888 0000"}},
        writes=True,
    ),
    Route(
        "api",
        "DELETE",
        "/api/vendors/{t.vid}/contacts/{t.cid}",
        "contact",
        "keep",
        needs=("contact",),
        writes=True,
    ),
    Route(
        "api",
        "POST",
        "/api/vendors/{t.vid}/qualifications",
        "qualifications",
        "upload",
        lambda t: {
            "data": qualification_form(),
            "files": {"scan": ("licence.pdf", PDF, "application/pdf")},
        },
        writes=True,
    ),
    Route(
        "api",
        "DELETE",
        "/api/vendors/{t.vid}/qualifications/{t.qid}",
        "qualification",
        "keep",
        needs=("qualification",),
        writes=True,
    ),
    Route(
        "api",
        "GET",
        "/api/vendors/{t.vid}/qualifications/{t.qid}/scan",
        "scan",
        "read",
        needs=("qualification",),
    ),
]

PAGES = [
    Route("page", "GET", "/vendors", "list", "list"),
    Route("page", "GET", "/vendors/new", "new", "keep"),
    Route(
        "page",
        "POST",
        "/vendors",
        "create",
        "keep",
        lambda t: {"data": {"name": t.new_name, "uscc": random_uscc(), "categories": ["laundry"]}},
        writes=True,
    ),
    Route("page", "GET", "/vendors/{t.vid}", "detail", "read"),
    Route("page", "GET", "/vendors/{t.vid}/edit", "edit", "keep"),
    Route("page", "POST", "/vendors/{t.vid}/edit", "edit", "keep", _edit_form, writes=True),
    Route(
        "page",
        "POST",
        "/vendors/{t.vid}/status",
        "status",
        "keep",
        lambda t: {"data": _status_body(t)},
        writes=True,
    ),
    Route(
        "page",
        "POST",
        "/vendors/{t.vid}/contacts",
        "contacts",
        "keep",
        lambda t: {"data": {"name": t.new_name, "phone": "027-8888 0000"}},
        writes=True,
    ),
    Route(
        "page",
        "POST",
        "/vendors/{t.vid}/qualifications",
        "qualifications",
        "upload",
        lambda t: {
            "data": qualification_form(),
            "files": {"scan": ("licence.pdf", PDF, "application/pdf")},
        },
        writes=True,
    ),
    Route(
        "page",
        "GET",
        "/vendors/{t.vid}/qualifications/{t.qid}/scan",
        "scan",
        "read",
        needs=("qualification",),
    ),
    Route("page", "POST", "/vendors/{t.vid}/delete", "delete", "keep", writes=True),
    Route("page", "GET", "/vendors/{t.vid}/history", "history", "read"),
]

ROUTES = API + PAGES


def matrix():
    for route in ROUTES:
        for role in STAFF + VENDOR_USERS:
            whose_options = ("own", "other") if role in VENDOR_USERS else (None,)
            if not route.about_one_vendor:
                whose_options = (None,)
            for whose in whose_options:
                outcome = expected(route.rule, role, whose)
                case_id = f"{route.surface}-{route.method}-{route.name}-as-{role}"
                if whose:
                    case_id += f"-{whose}"
                yield pytest.param(route, role, whose, outcome, id=case_id)


def may_read(role: str, whose: str | None) -> bool:
    if role in VENDOR_USERS:
        return whose == "own"
    return role in READERS


def client_for(route: Route, role: str, api, login):
    return api(role) if route.surface == "api" else login(role)


# --- the matrix ------------------------------------------------------------------------------


@pytest.mark.parametrize(("route", "role", "whose", "outcome"), list(matrix()))
async def test_role_against_route(api, login, world, route, role, whose, outcome):
    target = await make_target(world, route, role, whose)
    before = await snapshot(target)
    async with client_for(route, role, api, login) as c:
        if route.surface == "page" and route.method == "POST":
            target.csrf = await csrf_token(c, "/tokens")
        response = await route.send(c, target)
    after = await snapshot(target)
    described = f"{route.method} {route.url(target)} as {role}: {response.status_code}"

    assert response.status_code < 500, f"{described}\n{response.text[:2000]}"
    if outcome == ALLOWED:
        assert 200 <= response.status_code < 400, f"{described}\n{response.text[:2000]}"
        if 300 <= response.status_code < 400:
            assert route.surface == "page", described
            assert not response.headers["location"].startswith("/login"), described
        if route.writes:
            assert after != before, f"{described} reported success but changed nothing"
        else:
            assert after == before, f"{described} is a read but changed {before} -> {after}"
        check_allowed_response(route, role, target, response, world)
        return

    assert response.status_code == STATUS_OF[outcome], f"{described}\n{response.text[:2000]}"
    assert after == before, f"{described} was refused yet changed {before} -> {after}"
    if route.surface == "api":
        assert response.headers["content-type"].startswith(PROBLEM), described
        body = response.json()
        assert body["status"] == response.status_code and body["detail"], body
    else:
        assert response.headers["content-type"].startswith("text/html"), described
        # a refusal by the role rules, not by a broken CSRF set-up
        assert "CSRF" not in response.text, described
    if target.name and not may_read(role, whose):
        assert target.name not in response.text, f"{described} leaks the vendor's name"


def check_allowed_response(route: Route, role: str, target: Target, response, world) -> None:
    """A few allowed responses whose content is worth a second look."""
    if route.surface == "api" and route.name == "vendors" and route.method == "GET":
        ids = [v["id"] for v in response.json()["items"]]
        if role in VENDOR_USERS:
            assert ids == [own_vendor(world, role)]
        else:
            assert world.vendor_a in ids and world.vendor_b in ids
    elif route.surface == "api" and route.name == "vendor" and route.method == "GET":
        assert response.json()["id"] == target.vid
    elif route.name == "scan":
        assert response.status_code == 200 and response.content == PDF
    elif route.surface == "page" and route.name == "list" and role in VENDOR_USERS:
        assert response.status_code == 302
        assert response.headers["location"] == f"/vendors/{own_vendor(world, role)}"
    elif route.surface == "page" and route.method == "GET" and route.name == "detail":
        assert response.status_code == 200 and target.name in response.text


def test_matrix_covers_every_route_and_role():
    cases = list(matrix())
    assert len({(r.surface, r.method, r.path) for r in ROUTES}) == 24
    roles = {c.values[1] for c in cases}
    assert roles == set(STAFF) | set(VENDOR_USERS)
    assert len({c.id for c in cases}) == len(cases)  # ids are unique and readable
    outcomes = {c.values[3] for c in cases}
    assert outcomes == {ALLOWED, FORBIDDEN, HIDDEN}


# --- no, bad and misplaced credentials -------------------------------------------------------


def _placeholder_target() -> Target:
    return Target(vid=MISSING, cid=MISSING, qid=MISSING)


def _api_ids(routes):
    return [f"{r.method}-{r.path.replace('{t.', '{')}" for r in routes]


@pytest.mark.parametrize("route", API, ids=_api_ids(API))
async def test_api_without_token_is_401_problem(client, route, world):
    vid = await new_vendor(world)
    target = Target(vid=vid, cid=MISSING, qid=MISSING)
    before = await snapshot(target)
    response = await route.send(client, target)
    assert response.status_code == 401, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    assert response.json()["detail"]
    assert await snapshot(target) == before


async def _revoked_token(world) -> str:
    principal = world.principals["procurement"]
    token_id, token = await accounts.create_token(principal, "soon revoked")
    await accounts.revoke_token(principal, token_id)
    return token


@pytest.mark.parametrize(
    "kind", ["garbage", "revoked", "basic-scheme", "empty-bearer", "session-cookie-only"]
)
async def test_api_refuses_bad_credentials(client, login, world, kind):
    vid = await new_vendor(world)
    target = Target(vid=vid)
    before = await snapshot(target)
    patch = {"json": {"name": target.new_name}}
    if kind == "session-cookie-only":
        # A logged-in browser's cookies never authorise the API.
        async with login("admin") as c:
            assert (await c.get(f"/vendors/{vid}")).status_code == 200
            responses = [
                await c.get(f"/api/vendors/{vid}"),
                await c.patch(f"/api/vendors/{vid}", **patch),
            ]
    else:
        header = {
            "garbage": "Bearer vg_not-a-real-token-0123456789",
            "revoked": f"Bearer {await _revoked_token(world)}",
            "basic-scheme": f"Basic {world.tokens['admin']}",
            "empty-bearer": "Bearer ",
        }[kind]
        client.headers["Authorization"] = header
        responses = [
            await client.get(f"/api/vendors/{vid}"),
            await client.patch(f"/api/vendors/{vid}", **patch),
        ]
    for response in responses:
        assert response.status_code == 401, response.text
        assert response.headers["content-type"].startswith(PROBLEM)
        assert response.json()["detail"]
    assert await snapshot(target) == before


@pytest.mark.parametrize("route", PAGES, ids=[f"{r.method}-{r.path}" for r in PAGES])
async def test_pages_without_session_redirect_to_login(client, route, world):
    vid = await new_vendor(world)
    target = Target(vid=vid, cid=MISSING, qid=MISSING)
    before = await snapshot(target)
    if route.method == "POST":
        # A valid CSRF token from the public login page, so only the missing session counts.
        target.csrf = await csrf_token(client, "/login")
    response = await route.send(client, target)
    assert response.status_code == 302, response.text
    assert response.headers["location"] == f"/login?next={quote(route.url(target))}"
    assert await snapshot(target) == before


# --- unknown ids and ids used under the wrong vendor -----------------------------------------

ID_ROUTES = [r for r in ROUTES if r.about_one_vendor]


@pytest.mark.parametrize(
    "route", ID_ROUTES, ids=[f"{r.surface}-{r.method}-{r.name}" for r in ID_ROUTES]
)
async def test_unknown_vendor_is_404_not_500(api, login, route):
    target = _placeholder_target()
    async with client_for(route, "admin", api, login) as c:
        if route.surface == "page" and route.method == "POST":
            target.csrf = await csrf_token(c, "/tokens")
        response = await route.send(c, target)
    assert response.status_code == 404, response.text[:2000]
    if route.surface == "api":
        assert response.headers["content-type"].startswith(PROBLEM)
        assert response.json()["detail"]
    else:
        assert response.headers["content-type"].startswith("text/html")
    assert await Vendor.count().where(Vendor.id == MISSING) == 0


@pytest.mark.parametrize("surface", ["api", "page"])
async def test_unknown_vendor_is_404_for_a_vendor_user_too(api, login, surface):
    if surface == "api":
        async with api("vendor") as c:
            response = await c.get(f"/api/vendors/{MISSING}")
        assert response.headers["content-type"].startswith(PROBLEM)
    else:
        async with login("vendor") as c:
            response = await c.get(f"/vendors/{MISSING}")
    assert response.status_code == 404


async def test_unknown_contact_and_qualification_are_404(api, world):
    vid = await new_vendor(world)
    async with api("procurement") as c:
        for response in (
            await c.delete(f"/api/vendors/{vid}/contacts/{MISSING}"),
            await c.delete(f"/api/vendors/{vid}/qualifications/{MISSING}"),
            await c.get(f"/api/vendors/{vid}/qualifications/{MISSING}/scan"),
        ):
            assert response.status_code == 404, response.text
            assert response.headers["content-type"].startswith(PROBLEM)


async def test_children_of_one_vendor_cannot_be_reached_under_another(api, login, world):
    """A contact or qualification id is only good together with its own vendor's id."""
    victim = await new_vendor(world)
    elsewhere = await new_vendor(world)
    cid = await add_contact(world, victim)
    qid = await add_qualification(world, victim)
    target = Target(vid=victim)
    before = await snapshot(target)
    async with api("procurement") as c:
        assert (await c.delete(f"/api/vendors/{elsewhere}/contacts/{cid}")).status_code == 404
        assert (await c.delete(f"/api/vendors/{elsewhere}/qualifications/{qid}")).status_code == (
            404
        )
        assert (
            await c.get(f"/api/vendors/{elsewhere}/qualifications/{qid}/scan")
        ).status_code == 404
    assert await snapshot(target) == before

    # A vendor user naming its own vendor in the path and another vendor's qualification id.
    other_qid = await add_qualification(world, world.vendor_b)
    stolen = f"/vendors/{world.vendor_a}/qualifications/{other_qid}/scan"
    async with api("vendor") as c:
        response = await c.get(f"/api{stolen}")
        assert response.status_code == 404 and response.content != PDF
    async with login("vendor") as c:
        response = await c.get(stolen)
        assert response.status_code == 404 and response.content != PDF


# --- Piccolo Admin ---------------------------------------------------------------------------

NON_ADMINS = [r for r in STAFF if r != "admin"] + list(VENDOR_USERS)


@pytest.mark.parametrize("role", NON_ADMINS)
async def test_piccolo_admin_is_refused_to_non_admins(login, role):
    async with login(role) as c:
        for path in ("/admin", "/admin/", "/admin/assets/index.js", "/admin/public/login/"):
            response = await c.get(path, follow_redirects=False)
            assert response.status_code == 403, f"{path} as {role}: {response.status_code}"


@pytest.mark.parametrize("role", ["finance", "vendor"])
async def test_piccolo_admin_api_is_403_for_non_admin_sessions(login, role):
    async with login(role) as c:
        response = await c.get("/admin/api/tables/", follow_redirects=False)
    assert response.status_code == 403


@pytest.mark.parametrize("role", NON_ADMINS)
async def test_piccolo_admin_api_refuses_non_admin_tokens(api, role):
    # Whatever credential the mount ends up honouring there, a non-admin never gets through.
    async with api(role) as c:
        for path in ("/admin/api/tables/", "/admin/api/tables/vendor/", "/admin/api/user/"):
            response = await c.get(path, follow_redirects=False)
            assert response.status_code in (401, 403), f"{path} as {role}"
            assert "Auth failed" not in response.text  # never reached Piccolo Admin itself


async def test_piccolo_admin_needs_a_session(client):
    response = await client.get("/admin/", follow_redirects=False)
    assert response.status_code == 302
    assert response.headers["location"].startswith("/login?next=")


async def test_piccolo_admin_is_open_to_admin(login):
    async with login("admin") as c:
        response = await c.get("/admin/", follow_redirects=False)
    assert response.status_code not in (401, 403) and response.status_code < 500
