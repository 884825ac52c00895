"""Security headers on every response, the Swagger UI page without an inline script, and
the client address behind trusted reverse proxies.

The pages load scripts and styles from /static only (no inline script, no event handler
attributes: static/app.js wires the confirm dialogs), so the policy allows only the app's own
origin. Piccolo Admin, a prebuilt Vue application, injects <style> elements at run time
(Font Awesome, its components: checked in Chromium), so /admin/ also allows inline styles;
its scripts are files like ours, and it loads nothing from another origin. The service worker
and the manifest are the app's own files too (web/offline.py); the inspection form previews the
photos it keeps on the device from blob: URLs, so images may also come from blob:.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from html import escape
from ipaddress import IPv4Network, IPv6Network, ip_address

from litestar import Request
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.types import Message, Scope

_BASE = (
    "default-src 'self'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'; "
    "object-src 'none'; img-src 'self' data: blob:; worker-src 'self'; manifest-src 'self'"
)
PAGE_POLICY = f"{_BASE}; script-src 'self'; style-src 'self'"
ADMIN_POLICY = f"{_BASE}; script-src 'self'; style-src 'self' 'unsafe-inline'"

_EVERY_RESPONSE = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
]


def _policy(raw_path: bytes) -> bytes:
    return (ADMIN_POLICY if raw_path.startswith(b"/admin") else PAGE_POLICY).encode()


async def add_security_headers(message: Message, scope: Scope) -> None:
    """A before_send hook: it sees every response, also Piccolo Admin's and the 404s that no
    route handler (so no route middleware) ever sees."""
    if message["type"] != "http.response.start":
        return
    headers = list(message.get("headers") or [])
    names = {name.lower() for name, _ in headers}
    headers.extend(h for h in _EVERY_RESPONSE if h[0] not in names)
    content_type = next((v for n, v in headers if n.lower() == b"content-type"), b"")
    if content_type.startswith(b"text/html"):
        raw_path = scope.get("raw_path") or scope["path"].encode()
        headers.append((b"content-security-policy", _policy(raw_path)))
    # Pages for a logged-in user (and anything an API token fetched) must not stay in a
    # shared or back-button cache after logout.
    if scope.get("user") is not None and b"cache-control" not in names:
        headers.append((b"cache-control", b"no-store"))
    message["headers"] = headers


class SwaggerPage(SwaggerRenderPlugin):
    """Litestar's Swagger UI page starts Swagger with an inline script holding the whole
    document; this one loads static/swagger-init.js, which fetches /schema/openapi.json."""

    def render(self, request: Request, openapi_schema: dict) -> bytes:
        title = escape(openapi_schema["info"]["title"])
        return (
            "<!DOCTYPE html><html><head>"
            f'<title>{title}</title><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f'<link href="{self.css_url}" rel="stylesheet">'
            f'<script src="{self.js_url}"></script>'
            f'<script src="{self.standalone_preset_js_url}"></script>'
            '<script src="/static/swagger-init.js" defer></script>'
            '</head><body><div id="swagger-container"></div></body></html>'
        ).encode()


Networks = Sequence[IPv4Network | IPv6Network]


def _trusted(address: str, proxies: Networks) -> bool:
    try:
        parsed = ip_address(address)
    except ValueError:
        return False
    return any(parsed in network for network in proxies)


def client_address(peer: str, forwarded_for: str, proxies: Networks) -> str:
    """The client's address: the peer's, unless the peer is a trusted proxy; then the nearest
    address in X-Forwarded-For that is not a trusted proxy (each proxy appends the address it
    saw, so what a client wrote itself is further left and never chosen over it)."""
    if not _trusted(peer, proxies):
        return peer
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _trusted(hop, proxies):
            return hop
    return hops[0] if hops else peer


def client_identifier(proxies: Networks) -> Callable[[Request], str]:
    """For RateLimitConfig.identifier_for_request."""

    def identify(request: Request) -> str:
        peer = request.client.host if request.client else ""
        forwarded = ",".join(request.headers.getall("x-forwarded-for", []))
        return client_address(peer, forwarded, proxies)

    return identify
