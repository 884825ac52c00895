"""Statements as PDF (Chinese and English) and the run as XLSX/CSV for the accounting system."""

from __future__ import annotations

import io

from litestar import Response

from vendorgov.documents import render_pdf
from vendorgov.errors import InvalidInput
from vendorgov.files.responses import CSV, XLSX, download
from vendorgov.payments.service import export_frame

COMPONENT_LABELS = {
    "sla": ("SLA", "服务水平"),
    "inspection": ("inspections", "日常检查"),
    "satisfaction": ("satisfaction", "满意度"),
    "audit": ("audits and rectification", "审计与整改"),
}
LINE_LABELS = {
    "base": ("base fee", "基本服务费"),
    "grade": ("grade deduction", "等级扣款"),
    "penalty": ("penalty", "违约扣款"),
    "cap": ("cap", "扣款上限调整"),
}


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


def export_response(run: dict, fmt: str) -> Response[bytes]:
    """The run as xlsx or csv, as an attachment."""
    if fmt == "xlsx":
        body, media = run_xlsx(run), XLSX
    elif fmt == "csv":
        body, media = run_csv(run), CSV
    else:
        raise InvalidInput.single("format", "one_of", "xlsx or csv")
    return download(body, f"vendorgov-{run['month']}-r{run['revision']}.{fmt}", media)


def run_xlsx(run: dict) -> bytes:
    out = io.BytesIO()
    frame = export_frame(run)
    for column in ("score", "pay_percent", "base", "deductions", "net"):
        frame[column] = frame[column].map(lambda v: None if v is None else float(v))
    frame.to_excel(out, index=False, sheet_name=run["month"], engine="openpyxl")
    return out.getvalue()


def run_csv(run: dict) -> bytes:
    # Amounts as exact decimal text; UTF-8 with BOM so that Excel in Chinese opens it right.
    return export_frame(run).to_csv(index=False).encode("utf-8-sig")
