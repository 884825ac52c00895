"""Statements as PDF (Chinese and English)."""

from __future__ import annotations

import asyncio

from litestar import Response

from vendorgov.documents import render_pdf
from vendorgov.files.responses import download
from vendorgov.payments.labels import COMPONENT_LABELS, LINE_LABELS

__all__ = [
    "COMPONENT_LABELS",
    "LINE_LABELS",
    "statement_name",
    "statement_pdf",
    "statement_response",
]


def statement_pdf(run: dict, statement: dict) -> bytes:
    return render_pdf(
        "documents/statement.html",
        run=run,
        s=statement,
        component_labels=COMPONENT_LABELS,
        line_labels=LINE_LABELS,
    )


def statement_name(run: dict, statement: dict) -> str:
    return f"{statement['contract_number']}-{run['month']}-r{run['revision']}.pdf"


async def statement_response(run: dict, statement: dict) -> Response[bytes]:
    """The statement PDF as the API and the pages send it, rendered in a worker thread: a
    page takes WeasyPrint a few hundred milliseconds the event loop must not wait."""
    data = await asyncio.to_thread(statement_pdf, run, statement)
    return download(data, statement_name(run, statement), "application/pdf", inline=True)
