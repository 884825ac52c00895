"""Files in the user's language: Chinese export headers (English with ?lang=en), the
event-import template with a byte-order mark, and imports that read either language's headers."""

import csv
import io

from openpyxl import Workbook

from tests.conftest import csrf_token, http_client, log_in
from tests.integration.test_event_upload_page import _finished
from tests.integration.test_sla_events import RESPOND, signed_contract, stored


def header(response) -> list[str]:
    assert response.content.startswith(b"\xef\xbb\xbf"), "no UTF-8 byte-order mark"
    return next(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


async def test_list_exports_have_chinese_headers_and_english_ones_on_request(app, world):
    async with http_client(app) as c:
        c.headers["Accept-Language"] = "zh-CN"
        await log_in(c, "t.admin")
        chinese = header(await c.get("/vendors/export.csv"))
        english = header(await c.get("/vendors/export.csv?lang=en"))
        contracts = header(await c.get("/contracts/export.csv"))
    assert chinese[:3] == ["服务商编号", "服务商", "统一社会信用代码"]
    assert english[:3] == ["Vendor no.", "Vendor", "Unified social credit code"]
    assert contracts[0] == "合同编号" and "uscc" not in chinese


async def upload(c, contract_id: int, name: str, data: bytes) -> str:
    token = await csrf_token(c, f"/contracts/{contract_id}/events/import")
    response = await c.post(
        f"/contracts/{contract_id}/events/import",
        data={"_csrf_token": token},
        files={"file": (name, data)},
        follow_redirects=False,
    )
    assert response.status_code in (302, 303), response.text
    return await _finished(c, response.headers["location"])


async def test_the_template_saved_by_a_spreadsheet_with_chinese_headers_imports(app, world):
    contract_id = await signed_contract(world, [RESPOND])
    async with http_client(app) as c:
        c.headers["Accept-Language"] = "zh-CN"
        await log_in(c, "t.supervisor")
        template = await c.get("/events/template.csv")
        rows = list(csv.reader(io.StringIO(template.content.decode("utf-8-sig"))))
        assert rows[0][:4] == ["工单编号", "类别", "优先级", "位置"]
        assert template.content.startswith(b"\xef\xbb\xbf")
        # Excel in Chinese saves a CSV in GB18030 (no BOM); a workbook keeps the cells.
        rows[1][0], rows[2][0] = "XL-1", "XL-2"
        saved_csv = "\r\n".join(",".join(r) for r in rows).encode("gb18030")
        book = Workbook()
        for row in rows:
            book.active.append([f"{cell}".replace("XL-", "WB-") for cell in row])
        saved_xlsx = io.BytesIO()
        book.save(saved_xlsx)
        report_csv = await upload(c, contract_id, "工单.csv", saved_csv)
        report_xlsx = await upload(c, contract_id, "工单.xlsx", saved_xlsx.getvalue())
    assert "nothing was imported" not in report_csv + report_xlsx
    ids = sorted(r["external_id"] for r in await stored(contract_id))
    assert ids == ["WB-1", "WB-2", "XL-1", "XL-2"]


async def test_english_template_headers_and_snake_case_import_too(app, world):
    contract_id = await signed_contract(world, [RESPOND])
    async with http_client(app) as c:
        await log_in(c, "t.supervisor")  # Accept-Language: en
        template = await c.get("/events/template.csv")
        text = template.content.decode("utf-8-sig")
        assert text.startswith("Ticket number,Category,Priority")
        await upload(c, contract_id, "en.csv", text.replace("HD-2026-", "EN-").encode())
        snake = "external_id,category,priority,reported_at\nSN-1,repair,routine,2026-10-08 09:00\n"
        await upload(c, contract_id, "snake.csv", snake.encode())
        missing = await upload(c, contract_id, "bad.csv", "工单编号,类别\nX,repair\n".encode())
    ids = sorted(r["external_id"] for r in await stored(contract_id))
    assert ids == ["EN-000123", "EN-000124", "SN-1"]
    assert "Priority" in missing and "Reported at" in missing
