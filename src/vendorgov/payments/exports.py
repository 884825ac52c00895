"""A run for the accounting system (§7): one sheet of statements (payee, USCC, bank, contract,
month, base, deductions, net, with a totals row) and one of money lines (each base and
deduction line, signed so that a contract's lines add up to its net). XLSX keeps the amounts
as exact numbers shown with two decimals; CSV as exact decimal text."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
from litestar import Response

from vendorgov.accounts.roles import Principal
from vendorgov.errors import InvalidInput
from vendorgov.files import exports
from vendorgov.files.responses import CSV, XLSX, download
from vendorgov.i18n import _
from vendorgov.money import cents
from vendorgov.payments import reading
from vendorgov.payments.labels import LINE_LABELS
from vendorgov.vendors import service as vendors

STATEMENT_COLUMNS = {
    "month": "月份 (Month)",
    "revision": "版本 (Revision)",
    "status": "状态 (Status)",
    "payee": "收款单位 (Payee)",
    "uscc": "统一社会信用代码 (USCC)",
    "bank_name": "开户银行 (Bank)",
    "bank_account": "银行账号 (Bank account)",
    "contract": "合同编号 (Contract)",
    "score": "得分 (Score)",
    "grade": "等级 (Grade)",
    "pay_percent": "支付比例% (Pay %)",
    "base": "基本服务费 (Base fee)",
    "deductions": "扣款合计 (Deductions)",
    "net": "实付金额 (Net payable)",
    "termination_review": "终止评审 (Termination review)",
}
LINE_COLUMNS = {
    "month": "月份 (Month)",
    "contract": "合同编号 (Contract)",
    "payee": "收款单位 (Payee)",
    "uscc": "统一社会信用代码 (USCC)",
    "number": "行号 (Line)",
    "kind": "类别 (Kind)",
    "description": "说明 (Description)",
    "evidence": "依据 (Evidence)",
    "amount": "金额 (Amount)",
}
MONEY = [STATEMENT_COLUMNS[k] for k in ("base", "deductions", "net")] + [LINE_COLUMNS["amount"]]
TOTAL = "合计 (Total)"
FORMATS = ("xlsx", "csv", "lines.csv")


async def accounting_run(actor: Principal, run_id: int) -> dict:
    """The run (finance only) with each statement's payee details."""
    run = await reading.get_run(actor, run_id)
    payees = await vendors.payees(sorted({s["vendor_id"] for s in run["statements"]}))
    return {**run, "payees": payees}


def signed_amount(line: dict) -> Decimal:
    """Base lines add, deductions subtract (a cap line, a negative deduction, adds back)."""
    amount = cents(line["amount"])
    return amount if line["kind"] == "base" else -amount


def statements_frame(run: dict) -> pd.DataFrame:
    rows = []
    for s in sorted(run["statements"], key=lambda s: s["contract_number"]):
        payee = run["payees"][s["vendor_id"]]
        rows.append(
            {
                "month": run["month"],
                "revision": run["revision"],
                "status": run["status"],
                "payee": payee["name"],
                "uscc": payee["uscc"],
                "bank_name": payee["bank_name"],
                "bank_account": payee["bank_account"],
                "contract": s["contract_number"],
                "score": s["score"],
                "grade": s["grade"],
                "pay_percent": s["pay_percent"],
                "base": s["base"],
                "deductions": s["deductions"],
                "net": s["net"],
                "termination_review": "是 (yes)" if s["termination_review"] else "",
            }
        )
    rows.append(
        {
            "month": run["month"],
            "revision": run["revision"],
            "payee": TOTAL,
            **{
                k: sum((r[k] for r in rows), Decimal(0)).quantize(Decimal("0.01"))
                for k in ("base", "deductions", "net")
            },
        }
    )
    return pd.DataFrame(rows, columns=list(STATEMENT_COLUMNS)).rename(columns=STATEMENT_COLUMNS)


def lines_frame(run: dict) -> pd.DataFrame:
    rows = []
    for s in sorted(run["statements"], key=lambda s: s["contract_number"]):
        payee = run["payees"][s["vendor_id"]]
        for number, line in enumerate(s["lines"], start=1):
            english, chinese = LINE_LABELS[line["kind"]]
            rows.append(
                {
                    "month": run["month"],
                    "contract": s["contract_number"],
                    "payee": payee["name"],
                    "uscc": payee["uscc"],
                    "number": number,
                    "kind": f"{chinese} ({english})",
                    "description": line["description"],
                    "evidence": ", ".join(line["evidence"]),
                    "amount": signed_amount(line),
                }
            )
    rows.append(
        {
            "month": run["month"],
            "payee": TOTAL,
            "amount": sum((r["amount"] for r in rows), Decimal(0)),
        }
    )
    return pd.DataFrame(rows, columns=list(LINE_COLUMNS)).rename(columns=LINE_COLUMNS)


def export_response(run: dict, fmt: str) -> Response[bytes]:
    """xlsx (statements and lines sheets), csv (statements) or lines.csv, as an attachment."""
    name = f"vendorgov-{run['month']}-r{run['revision']}"
    if fmt == "xlsx":
        body = exports.xlsx_bytes(
            {"结算单 Statements": statements_frame(run), "明细 Lines": lines_frame(run)}, MONEY
        )
        return download(body, f"{name}.xlsx", XLSX)
    if fmt == "csv":
        return download(exports.csv_bytes(statements_frame(run)), f"{name}.csv", CSV)
    if fmt == "lines.csv":
        return download(exports.csv_bytes(lines_frame(run)), f"{name}-lines.csv", CSV)
    raise InvalidInput.single(
        "format", "one_of", _("Format: use one of %(formats)s.", formats=", ".join(FORMATS))
    )
