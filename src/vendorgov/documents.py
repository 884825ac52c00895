"""Printed documents: Jinja HTML under templates/documents rendered to PDF by WeasyPrint.

Pages and PDFs share the templates' filters, and the SVG charts later issues draw.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import segno
from jinja2 import Environment

from vendorgov.settings import get_settings


@lru_cache(maxsize=1)
def _environment() -> Environment:
    from vendorgov.web.templating import make_environment

    return make_environment(get_settings())


def render_html(template: str, **context: Any) -> str:
    return _environment().get_template(template).render(**context)


def render_pdf(template: str, **context: Any) -> bytes:
    # Imported here: WeasyPrint takes a second to load and only documents need it.
    from weasyprint import HTML

    html = render_html(template, **context)
    return HTML(string=html, base_url=str(get_settings().static_dir)).write_pdf()


def qr_data_uri(url: str) -> str:
    """A QR code of `url` for a printed document: SVG, sharp at any print size; medium error
    correction survives a scuffed or creased paper."""
    return segno.make(url, error="m").svg_data_uri(scale=4, border=2)
