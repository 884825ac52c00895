"""The installable web app's pieces: the service worker served from the root (its scope is
the whole app) and the manifest, both without a session; the policy that lets pages use them;
the inspection form wired to the offline drafts."""

from __future__ import annotations

import json

from tests.integration.test_inspections_notices import checklist, cleaning_contract
from tests.integration.test_security_headers import _directives


async def test_service_worker_and_manifest_are_public_and_served_from_the_root(client):
    worker = await client.get("/sw.js", follow_redirects=False)
    assert worker.status_code == 200
    assert worker.headers["content-type"].startswith("text/javascript")
    assert worker.headers["cache-control"] == "no-cache"  # a new version is picked up
    assert "vg_session" not in worker.headers.get("set-cookie", "")
    assert 'addEventListener("fetch"' in worker.text
    manifest = await client.get("/manifest.webmanifest", follow_redirects=False)
    assert manifest.status_code == 200
    assert manifest.headers["content-type"].startswith("application/manifest+json")
    described = json.loads(manifest.text)
    assert described["scope"] == "/" and described["display"] == "standalone"
    sizes = set()
    for icon in described["icons"]:
        served = await client.get(icon["src"])
        assert served.status_code == 200 and served.content.startswith(b"\x89PNG")
        sizes.add(icon["sizes"])
    assert {"192x192", "512x512"} <= sizes  # what Chromium asks of an installable app


async def test_pages_link_the_manifest_and_allow_the_worker_and_photo_previews(world, api, login):
    contract_id = await cleaning_contract(world, world.vendor_a)
    async with api("supervisor") as c:
        await checklist(c)
    async with login("supervisor") as c:
        page = await c.get(f"/inspections/new?contract_id={contract_id}")
    assert page.status_code == 200
    policy = _directives(page.headers["content-security-policy"])
    assert policy["worker-src"] == "'self'" and policy["manifest-src"] == "'self'"
    # Photos kept on the device are previewed from blob: URLs; scripts stay 'self' only.
    assert policy["img-src"] == "'self' data: blob:" and policy["script-src"] == "'self'"
    html = page.text
    assert '<link rel="manifest" href="/manifest.webmanifest">' in html
    assert '<script src="/static/drafts.js" defer></script>' in html
    assert 'id="inspection-form"' in html and 'class="plain kept-photos"' in html
    assert 'data-queued="' in html  # the script's messages, translated by the page
