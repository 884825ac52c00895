"""The installable web app: its manifest and its service worker, served from the root.

A service worker controls only the pages under the path it is served from, so static/sw.js is
served as /sw.js (scope: the whole app) rather than from /static/. Both are public: the browser
fetches them without a session (the worker checks for updates on its own) and they hold nothing
about anyone. `no-cache`, so a new version of the worker is picked up at the next visit."""

from __future__ import annotations

from litestar import Response, get

from vendorgov.settings import get_settings

PATHS = ["^/sw.js$", "^/manifest.webmanifest$"]


def _static(name: str, media_type: str) -> Response[bytes]:
    content = (get_settings().static_dir / name).read_bytes()
    return Response(content, media_type=media_type, headers={"Cache-Control": "no-cache"})


@get("/sw.js", include_in_schema=False, sync_to_thread=False)
def service_worker() -> Response[bytes]:
    return _static("sw.js", "text/javascript")


@get("/manifest.webmanifest", include_in_schema=False, sync_to_thread=False)
def manifest() -> Response[bytes]:
    return _static("manifest.webmanifest", "application/manifest+json")


ROUTES = [service_worker, manifest]
