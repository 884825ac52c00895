"""Reading an uploaded event file (CSV or XLSX) into a table of texts, within limits.

A file is refused as soon as it passes a limit (settings import_max_*), before the work it
would cost: an XLSX whose zip declares more uncompressed bytes than allowed is not opened (and
Python's zipfile stops at the declared size, so a zip cannot lie its way past); its sheet is
read row by row, stopping at the first row, column or cell over the limit; a CSV's header is
counted before the file is parsed.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

import pandas as pd
import pyarrow as pa
from openpyxl.reader.excel import ExcelReader
from openpyxl.styles.stylesheet import apply_stylesheet
from openpyxl.worksheet._read_only import ReadOnlyWorksheet

from vendorgov.errors import DomainError, InvalidInput
from vendorgov.i18n import N_, _, every_translation
from vendorgov.settings import Settings, get_settings
from vendorgov.sla.rows import COLUMNS, HEADERS, REQUIRED


@dataclass(frozen=True)
class Limits:
    rows: int
    columns: int
    cell_chars: int
    uncompressed_bytes: int

    @classmethod
    def of(cls, settings: Settings) -> Limits:
        return cls(
            settings.import_max_rows,
            settings.import_max_columns,
            settings.import_max_cell_chars,
            settings.import_max_uncompressed_bytes,
        )


def _over(rule: str, message: str, setting: str) -> InvalidInput:
    return InvalidInput.single(
        "file",
        rule,
        _(
            "%(problem)s (the limit is VENDORGOV_%(setting)s); split the file or shorten it.",
            problem=message,
            setting=setting,
        ),
    )


def too_many_rows(limits: Limits) -> InvalidInput:
    return _over(
        "max_rows", _("File: more than %(n)s rows", n=format(limits.rows, ",")), "IMPORT_MAX_ROWS"
    )


def _too_many_columns(limits: Limits) -> InvalidInput:
    return _over(
        "max_columns",
        _("File: more than %(n)s columns", n=format(limits.columns, ",")),
        "IMPORT_MAX_COLUMNS",
    )


def _cell_too_long(limits: Limits) -> InvalidInput:
    return _over(
        "max_cell_length",
        _("File: a cell holds more than %(n)s characters", n=format(limits.cell_chars, ",")),
        "IMPORT_MAX_CELL_CHARS",
    )


def check_table(frame: pd.DataFrame, limits: Limits) -> None:
    """Rows, columns and cell lengths of a table already in memory (a CSV, a JSON batch)."""
    if len(frame.columns) > limits.columns:
        raise _too_many_columns(limits)
    if len(frame) > limits.rows:
        raise too_many_rows(limits)
    for column in frame.columns:
        values = frame[column]
        if values.dtype == object:
            values = values.dropna().astype(str)
        if pd.api.types.is_string_dtype(values) and values.str.len().max() > limits.cell_chars:
            raise _cell_too_long(limits)


class _Sheet(ReadOnlyWorksheet):
    """openpyxl's streaming sheet without its size probe, which looks for a <dimension> tag
    and, in a sheet that has none, parses the whole sheet to find out (minutes for a hostile
    file). Rows are taken as they come here, so the size is not needed."""

    def _get_size(self) -> None:
        pass


def _sheet_rows(data: bytes) -> Iterator[tuple]:
    """The first sheet's rows, values only, read as the XML streams in: load_workbook's
    read-only steps, with _Sheet for the sheet."""
    reader = ExcelReader(io.BytesIO(data), read_only=True, data_only=True)
    try:
        reader.read_manifest()
        reader.read_strings()
        reader.read_workbook()
        apply_stylesheet(reader.archive, reader.wb)  # which number formats are dates
        sheet, rel = next(iter(reader.parser.find_sheets()))
        yield from _Sheet(reader.wb, sheet.name, rel.target, reader.shared_strings).iter_rows(
            values_only=True
        )
    finally:
        reader.archive.close()


def _read_xlsx(data: bytes, limits: Limits) -> pd.DataFrame:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        declared = sum(member.file_size for member in archive.infolist())
    if declared > limits.uncompressed_bytes:
        raise _over(
            "max_uncompressed_bytes",
            _(
                "File: the workbook expands to %(size)s MB, more than %(limit)s MB",
                size=format(declared / 2**20, ",.0f"),
                limit=format(limits.uncompressed_bytes / 2**20, ",.0f"),
            ),
            "IMPORT_MAX_UNCOMPRESSED_BYTES",
        )
    rows = _sheet_rows(data)
    header = next(rows, ())
    if len(header) > limits.columns:
        raise _too_many_columns(limits)
    width = len(header)
    records = []
    # Every row counts, empty ones too: <row r="999999999"> makes openpyxl yield the gap.
    for seen, row in enumerate(rows, start=1):
        if seen > limits.rows:
            raise too_many_rows(limits)
        if len(row) > limits.columns:
            raise _too_many_columns(limits)
        if all(value is None for value in row):
            continue
        if any(isinstance(v, str) and len(v) > limits.cell_chars for v in row):
            raise _cell_too_long(limits)
        records.append(row[:width] + (None,) * (width - len(row)))
    names = [f"Unnamed: {i}" if name is None else str(name) for i, name in enumerate(header)]
    return pd.DataFrame(records, columns=names, dtype=object)


def _read_csv(data: bytes, limits: Limits) -> pd.DataFrame:
    end = data.find(b"\n")
    header = data[: end if end >= 0 else len(data)]
    # Counting separators is instant; quoted commas can only make the count too high.
    if header.count(b",") >= limits.columns:
        if len(next(csv.reader([header.decode("latin-1")]))) > limits.columns:
            raise _too_many_columns(limits)
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ValueError(N_("not text in UTF-8 or GB18030"))
    if "\x00" in text:
        raise ValueError(N_("binary content"))
    # pyarrow's reader: a million rows in a fifth of a second instead of two.
    frame = pd.read_csv(
        io.BytesIO(text.encode()), dtype=str, keep_default_na=False, engine="pyarrow"
    )
    check_table(frame, limits)
    return frame


def read_table(
    filename: str,
    data: bytes,
    limits: Limits | None = None,
    *,
    required: Sequence[str] = REQUIRED,
    columns: Sequence[str] = COLUMNS,
    headers: Mapping[str, str] = HEADERS,
    what: str = N_("events"),
) -> pd.DataFrame:
    """Records from an uploaded CSV (UTF-8, with or without BOM, or GB18030 as Excel in
    Chinese saves it) or XLSX. Raises InvalidInput on an unreadable file, missing columns or a
    file over the limits. Other imports (the location tree) name their own columns."""
    limits = limits or Limits.of(get_settings())
    if not data.strip():
        raise InvalidInput.single(
            "file", "required", _("File: it is empty; choose the file that holds the data.")
        )
    try:
        if data[:2] == b"PK":
            frame = _read_xlsx(data, limits)
        elif filename.lower().endswith((".xlsx", ".xls")):
            raise ValueError(N_("not an XLSX workbook"))
        else:
            frame = _read_csv(data, limits)
    except DomainError:
        raise
    except (ValueError, pd.errors.ParserError, pa.ArrowException) as error:
        raise InvalidInput.single(
            "file",
            "file_type",
            _(
                "File: not a CSV or XLSX file of %(what)s (%(error)s); save it from the "
                "template as CSV or XLSX.",
                what=_(what),
                # Our own reasons are msgids; the parsers' stay as they wrote them.
                error=_(str(error)),
            ),
        ) from None
    except Exception as error:
        # A damaged or fake workbook fails anywhere in zipfile, zlib, the XML parser or
        # openpyxl, each with its own exception types: any of them means "not a workbook".
        raise InvalidInput.single(
            "file",
            "file_type",
            _(
                "File: not a readable XLSX workbook (%(error)s); save it again from the "
                "spreadsheet program, or as CSV.",
                error=type(error).__name__,
            ),
        ) from None
    aliases = {
        text.casefold(): key
        for key, header in headers.items()
        for text in (key, *every_translation(header))
    }
    frame.columns = [aliases.get(str(c).strip().casefold(), str(c).strip()) for c in frame.columns]
    missing = [c for c in required if c not in frame.columns]
    if missing:
        named = [_(headers[c]) if c in headers else c for c in missing]
        raise InvalidInput.single(
            "file",
            "columns",
            _(
                "File: missing column(s) %(missing)s; expected %(expected)s (download the "
                "template: its headers in Chinese or English are both read).",
                missing=", ".join(named),
                expected=", ".join(_(headers[c]) if c in headers else c for c in columns),
            ),
        )
    if frame.empty:
        raise InvalidInput.single(
            "file", "required", _("File: it has a header but no rows; add a row per record.")
        )
    return frame
