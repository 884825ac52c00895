"""Printed documents: Jinja HTML under templates/documents rendered to PDF by WeasyPrint.

Pages and PDFs share the templates' filters, and the SVG charts later issues draw.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from jinja2 import Environment

from vendorgov.i18n import DEFAULT_LOCALE, using_locale
from vendorgov.settings import get_settings


@lru_cache(maxsize=1)
def _environment() -> Environment:
    from vendorgov.web.templating import make_environment

    return make_environment(get_settings())


def render_html(template: str, **context: Any) -> str:
    return _environment().get_template(template).render(**context)


def render_pdf(template: str, **context: Any) -> bytes:
    """A printed document, in Chinese whoever prints it (domain rules §0: the hospital's
    documents are Chinese; their templates may add English after it)."""
    # Imported here: WeasyPrint takes a second to load and only documents need it.
    from weasyprint import HTML

    with using_locale(DEFAULT_LOCALE):
        html = render_html(template, **context)
    return HTML(string=html, base_url=str(get_settings().static_dir)).write_pdf()
