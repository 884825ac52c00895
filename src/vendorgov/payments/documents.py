"""Statements as PDF (Chinese and English)."""

from __future__ import annotations

from litestar import Response

from vendorgov.documents import render_pdf
from vendorgov.files.responses import download
from vendorgov.payments.labels import COMPONENT_LABELS, LINE_LABELS

__all__ = ["COMPONENT_LABELS", "LINE_LABELS", "statement_pdf", "statement_response"]


def statement_pdf(run: dict, statement: dict) -> bytes:
    return render_pdf(
        "documents/statement.html",
        run=run,
        s=statement,
        component_labels=COMPONENT_LABELS,
        line_labels=LINE_LABELS,
    )


def statement_response(run: dict, statement: dict) -> Response[bytes]:
    """The statement PDF as the API and the pages send it."""
    name = f"{statement['contract_number']}-{run['month']}-r{run['revision']}.pdf"
    return download(statement_pdf(run, statement), name, "application/pdf", inline=True)
