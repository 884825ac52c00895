"""Spreadsheets the app hands out (CSV and XLSX): every text cell neutralised against formula
injection, numbers kept as numbers. Every export goes through here."""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping
from decimal import Decimal

import pandas as pd
from openpyxl import Workbook

from vendorgov.i18n import _

# OWASP's CSV-injection rule: a cell starting with one of these is read as a formula (or
# splits into one) by Excel, LibreOffice and Google Sheets.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
MONEY_FORMAT = "#,##0.00"


def neutralise(value):
    """Text that a spreadsheet would run as a formula gets a leading apostrophe; numbers, dates
    and everything else are left exactly as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def neutralised(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy with every cell (and header) neutralised."""
    out = frame.map(neutralise)
    out.columns = [neutralise(str(c)) for c in frame.columns]
    return out


def csv_bytes(frame: pd.DataFrame) -> bytes:
    # UTF-8 with BOM so that Excel in Chinese opens it right; Decimals as exact text.
    return neutralised(frame).to_csv(index=False).encode("utf-8-sig")


def _cell(value):
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    if isinstance(value, bool | int | float | Decimal):
        return value
    return neutralise(value if isinstance(value, str) else str(value))


def xlsx_bytes(sheets: Mapping[str, pd.DataFrame], money_columns: Iterable[str] = ()) -> bytes:
    """One worksheet per frame. Decimals are written as exact numbers (openpyxl writes their
    text, not a float's); money columns are shown with two decimals and thousands separators."""
    money = set(money_columns)
    book = Workbook()
    book.remove(book.active)
    for title, frame in sheets.items():
        sheet = book.create_sheet(title[:31])
        sheet.append([neutralise(str(c)) for c in frame.columns])
        formats = [MONEY_FORMAT if c in money else None for c in frame.columns]
        for record in frame.itertuples(index=False):
            sheet.append([_cell(v) for v in record])
            if any(formats):
                for cell, fmt in zip(sheet[sheet.max_row], formats, strict=True):
                    if fmt and cell.value is not None:
                        cell.number_format = fmt
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def headed(frame: pd.DataFrame, headers: Mapping[str, str]) -> pd.DataFrame:
    """The frame with its known columns headed in the request's language (`headers` maps a
    column to its header's msgid); other columns keep their names (data, such as a tender's
    criterion names)."""
    return frame.rename(columns={k: _(header) for k, header in headers.items()})


def rows_csv(rows: Iterable[Mapping], columns: Mapping[str, str]) -> bytes:
    """A list's rows as CSV: `columns` maps each row key to its header's msgid, in order; the
    headers are in the request's language (Chinese by default, English with ?lang=en)."""
    frame = pd.DataFrame([[row.get(k) for k in columns] for row in rows], columns=list(columns))
    return csv_bytes(headed(frame, columns))
