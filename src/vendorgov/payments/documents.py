"""Statements as PDF (Chinese and English)."""

from __future__ import annotations

from litestar import Response

from vendorgov.documents import render_pdf, rendered_pdf
from vendorgov.files.responses import download
from vendorgov.payments.labels import COMPONENT_LABELS, LINE_LABELS

__all__ = [
    "COMPONENT_LABELS",
    "LINE_LABELS",
    "statement_name",
    "statement_pdf",
    "statement_response",
    "rendered_statement",
]

STATEMENT_TEMPLATE = "documents/statement.html"


def _context(run: dict, statement: dict) -> dict:
    return {
        "run": run,
        "s": statement,
        "component_labels": COMPONENT_LABELS,
        "line_labels": LINE_LABELS,
    }


def statement_pdf(run: dict, statement: dict) -> bytes:
    return render_pdf(STATEMENT_TEMPLATE, **_context(run, statement))


async def rendered_statement(run: dict, statement: dict) -> bytes:
    """The statement PDF, rendered off the event loop (vendorgov.documents.rendered_pdf)."""
    return await rendered_pdf(STATEMENT_TEMPLATE, **_context(run, statement))


def statement_name(run: dict, statement: dict) -> str:
    return f"{statement['contract_number']}-{run['month']}-r{run['revision']}.pdf"


async def statement_response(run: dict, statement: dict) -> Response[bytes]:
    """The statement PDF as the API and the pages send it, rendered off the event loop: a
    page takes WeasyPrint a few hundred milliseconds the loop must not wait."""
    data = await rendered_statement(run, statement)
    return download(data, statement_name(run, statement), "application/pdf", inline=True)
