"""Event files that would cost minutes of CPU or gigabytes of memory are refused while being
read, in a fraction of that, naming the limit: an XLSX zip bomb, a sheet over the row limit, a
zip that lies about its sizes, a CSV header of 130,000 columns. Time and peak memory are
measured in a fresh process (tracemalloc and the process's high-water mark)."""

import io
import json
import os
import struct
import subprocess
import sys
import time
import zipfile
import zlib
from pathlib import Path

import openpyxl
import pytest

import vendorgov
from tests.integration.test_sla_events import RESPOND, signed_contract, stored

SHEET = "xl/worksheets/sheet1.xml"
ROW = b'<row><c t="n"><v>1</v></c></row>'


def _deflated(*parts: tuple[bytes, int]) -> tuple[bytes, int, int]:
    """Raw deflate of each (chunk, times) in turn without compressing every copy: a chunk is
    compressed once into a self-contained block (full flush) and the block repeated."""
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    raw, crc, size = b"", 0, 0
    for chunk, times in parts:
        raw += (packer.compress(chunk) + packer.flush(zlib.Z_FULL_FLUSH)) * times
        for _ in range(times):
            crc = zlib.crc32(chunk, crc)
        size += len(chunk) * times
    return raw + packer.flush(), crc, size


def _zip(members: list[tuple[str, bytes, int, int]]) -> bytes:
    """A zip of already deflated members (name, raw, crc, declared size)."""
    out, central = io.BytesIO(), io.BytesIO()
    for name, raw, crc, size in members:
        offset = out.tell()
        fixed = struct.pack("<HHHHHIIIHH", 20, 0, 8, 0, 0x21, crc, len(raw), size, len(name), 0)
        out.write(b"PK\x03\x04" + fixed + name.encode() + raw)
        central.write(
            b"PK\x01\x02"
            + struct.pack("<H", 20)
            + fixed
            + struct.pack("<HHHII", 0, 0, 0, 0, offset)
            + name.encode()
        )
    start = out.tell()
    out.write(central.getvalue())
    count, length = len(members), len(central.getvalue())
    out.write(b"PK\x05\x06" + struct.pack("<HHHHIIH", 0, 0, count, count, length, start, 0))
    return out.getvalue()


def workbook(rows: int, declared: int | None = None) -> bytes:
    """A real XLSX whose sheet holds `rows` identical rows (10 M: 320 MB of XML in 0.8 MB);
    `declared` overrides the sheet's uncompressed size in the zip's headers (a lie)."""
    book = openpyxl.Workbook()
    book.active.append(["external_id", "category", "priority", "reported_at"])
    saved = io.BytesIO()
    book.save(saved)
    original = zipfile.ZipFile(saved)
    members = []
    for name in original.namelist():
        if name == SHEET:
            raw, crc, size = _deflated(
                (
                    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                    b"<sheetData>",
                    1,
                ),
                (ROW * 10_000, rows // 10_000),
                (ROW, rows % 10_000),
                (b"</sheetData></worksheet>", 1),
            )
            members.append((name, raw, crc, declared or size))
        else:
            raw, crc, size = _deflated((original.read(name), 1))
            members.append((name, raw, crc, size))
    return _zip(members)


_MEASURE = """
import json, resource, sys, time, tracemalloc
from vendorgov.errors import InvalidInput
from vendorgov.sla.intake import Limits, read_table
from vendorgov.settings import get_settings
data = open(sys.argv[1], "rb").read()
limits = Limits(**{**Limits.of(get_settings()).__dict__, **json.loads(sys.argv[3])})
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
tracemalloc.start()
start = time.perf_counter()
try:
    read_table(sys.argv[2], data, limits)
    refused = None
except InvalidInput as error:
    refused = {"rules": [e.rule for e in error.errors], "message": error.message}
print(json.dumps({
    "seconds": time.perf_counter() - start,
    "peak_mb": tracemalloc.get_traced_memory()[1] / 2**20,
    "rss_growth_mb": (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss) / 1024,
    "refused": refused,
}))
"""


def measure(tmp_path: Path, data: bytes, filename: str, **limits) -> dict:
    path = tmp_path / filename
    path.write_bytes(data)
    source = str(Path(vendorgov.__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([source, os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run(
        [sys.executable, "-c", _MEASURE, str(path), filename, json.dumps(limits)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def _refused_cheaply(result: dict, rule: str) -> None:
    assert result["refused"] and result["refused"]["rules"] == [rule], result
    assert result["seconds"] < 2, result
    assert result["peak_mb"] < 100 and result["rss_growth_mb"] < 100, result


def test_an_xlsx_zip_bomb_is_refused_in_time_and_memory(tmp_path):
    bomb = workbook(10_000_000)
    assert len(bomb) < 2 * 2**20  # far under the upload limit
    result = measure(tmp_path, bomb, "events.xlsx")
    _refused_cheaply(result, "max_uncompressed_bytes")
    assert "VENDORGOV_IMPORT_MAX_UNCOMPRESSED_BYTES" in result["refused"]["message"]


def test_a_sheet_over_the_row_limit_stops_being_read_at_the_limit(tmp_path):
    result = measure(tmp_path, workbook(1_000_000), "events.xlsx", rows=1_000)
    _refused_cheaply(result, "max_rows")
    # The measuring process runs in the default language (Chinese): the figure and the
    # setting read the same in both.
    message = result["refused"]["message"]
    assert "1,000" in message and "VENDORGOV_IMPORT_MAX_ROWS" in message


def test_a_zip_that_declares_less_than_it_holds_is_not_a_workbook(tmp_path):
    result = measure(tmp_path, workbook(10_000_000, declared=10_000), "events.xlsx")
    _refused_cheaply(result, "file_type")


def test_a_csv_header_of_130000_columns_is_refused_at_once(tmp_path):
    header = ",".join(f"c{i}" for i in range(130_000)) + "\n"
    wide = (header + ",".join("1" for _ in range(130_000)) + "\n").encode()
    result = measure(tmp_path, wide, "events.csv")
    _refused_cheaply(result, "max_columns")
    assert "VENDORGOV_IMPORT_MAX_COLUMNS" in result["refused"]["message"]


@pytest.mark.parametrize(
    "filename, content, rule",
    [
        ("events.xlsx", lambda: workbook(10_000_000), "max_uncompressed_bytes"),
        ("events.csv", lambda: b"external_id,category," * 70_000 + b"\n", "max_columns"),
        (
            "events.csv",
            lambda: (
                b"external_id,category,priority,reported_at\nE-1,"
                + b"x" * 100_000
                + b",routine,2026-10-01 08:00\n"
            ),
            "max_cell_length",
        ),
    ],
)
async def test_the_upload_api_refuses_files_over_a_limit_and_writes_nothing(
    api, world, filename, content, rule
):
    contract_id = await signed_contract(world, [RESPOND])
    async with api("supervisor") as c:
        start = time.perf_counter()
        response = await c.post(
            f"/api/contracts/{contract_id}/events/import",
            files={"file": (filename, content(), "application/octet-stream")},
        )
        assert time.perf_counter() - start < 2
    assert response.status_code == 422, response.text
    assert [(e["field"], e["rule"]) for e in response.json()["errors"]] == [("file", rule)]
    assert await stored(contract_id) == []
