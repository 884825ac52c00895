"""Printed documents: Jinja HTML under templates/documents rendered to PDF by WeasyPrint.

Pages and PDFs share the templates' filters, and the SVG charts later issues draw.
"""

from __future__ import annotations

import asyncio
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from functools import lru_cache
from typing import Any

import segno
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
    """For code off the event loop (scripts, benchmarks); a request or job awaits
    rendered_pdf. WeasyPrint is imported on first use: it takes a second to load. A printed
    document is in Chinese whoever prints it (domain rules §0)."""
    return _pdf_of_html(_chinese_html(template, context), str(get_settings().static_dir))


def _pdf_of_html(html: str, base_url: str) -> bytes:
    from weasyprint import HTML

    return HTML(string=html, base_url=base_url).write_pdf()


# WeasyPrint in a thread still held the event loop: parts of it (font loading, 0.8 s on the
# first document; subsetting and compression later) keep the interpreter lock, so the loop
# waited up to 0.8 s. In processes of their own they hold nobody's lock.
PDF_PROCESSES = 2


@lru_cache(maxsize=1)
def _pdf_pool() -> ProcessPoolExecutor:
    # Spawned, not forked: a fork of a process running an event loop and threads copies
    # their locks in whatever state they are.
    return ProcessPoolExecutor(PDF_PROCESSES, mp_context=multiprocessing.get_context("spawn"))


async def rendered_pdf(template: str, **context: Any) -> bytes:
    """A document rendered off the event loop: its HTML in a thread, the PDF in a process."""
    html = await asyncio.to_thread(_chinese_html, template, context)
    loop = asyncio.get_running_loop()
    base_url = str(get_settings().static_dir)
    return await loop.run_in_executor(_pdf_pool(), _pdf_of_html, html, base_url)


def _chinese_html(template: str, context: dict) -> str:
    """The hospital's documents are Chinese (domain rules §0); templates may add English."""
    with using_locale(DEFAULT_LOCALE):
        return render_html(template, **context)


def qr_data_uri(url: str) -> str:
    """A QR code of `url` for a printed document: SVG, sharp at any print size; medium error
    correction survives a scuffed or creased paper."""
    return segno.make(url, error="m").svg_data_uri(scale=4, border=2)
