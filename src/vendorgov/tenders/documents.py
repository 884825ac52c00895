"""The evaluation report (评标报告) as PDF and the scoring matrix as XLSX/CSV."""

from __future__ import annotations

import pandas as pd

from vendorgov.documents import render_pdf
from vendorgov.errors import InvalidInput
from vendorgov.files import exports
from vendorgov.files.responses import CSV, XLSX
from vendorgov.i18n import N_, _
from vendorgov.settings import get_settings
from vendorgov.tenders import ranking_rules
from vendorgov.tenders.panel_rules import PANEL_ROLE_LABELS

MATRIX_HEADERS = {"evaluator": N_("Evaluator"), "bid": N_("Bid no."), "vendor": N_("Vendor")}
RESULT_HEADERS = {
    "bid": N_("Bid no."),
    "vendor": N_("Vendor"),
    "digest": N_("Sealed digest"),
    "price": N_("Price"),
    "sme_size": N_("Small or micro enterprise"),
    "evaluated_price": N_("Evaluated price"),
    "valid": N_("Valid"),
    "invalid_reasons": N_("Why invalid"),
    "compliance": N_("Compliance review"),
    "abnormally_low": N_("Abnormally low"),
    "low_decision": N_("Panel decision on the low price"),
    "price_score": N_("Price score"),
    "total": N_("Total score"),
    "rank": N_("Rank"),
    "candidate": N_("Candidate"),
}


def report_pdf(report: dict) -> bytes:
    settings = get_settings()
    return render_pdf(
        "documents/evaluation_report.html",
        r=report,
        t=report["tender"],
        hospital=settings.hospital_name,
        pass_grounds=ranking_rules.PASS_GROUND_LABELS,
        zone=settings.timezone,
        role_labels=PANEL_ROLE_LABELS,
    )


def scores_frame(report: dict) -> pd.DataFrame:
    """One row per evaluator and bid, a column per non-price criterion (the scoring matrix)."""
    keys = [c.key for c in report["criteria"] if not c.is_price]
    rows: dict[tuple[int, int], dict] = {}
    for m in report["matrix"]:
        row = rows.setdefault(
            (m["member"], m["bid"]),
            {"evaluator": m["evaluator"], "bid": m["bid"], "vendor": m["vendor_name"]},
        )
        row[m["criterion"]] = m["score"]
    frame = pd.DataFrame(list(rows.values()), columns=["evaluator", "bid", "vendor", *keys])
    return exports.headed(frame, {**MATRIX_HEADERS, **_criterion_names(report, "")})


def _criterion_names(report: dict, prefix: str) -> dict[str, str]:
    """Criterion columns headed by the criterion's name (typed by the officer, not a msgid:
    _() leaves it as it is)."""
    return {f"{prefix}{c.key}": c.name for c in report["criteria"] if not c.is_price}


def results_frame(report: dict) -> pd.DataFrame:
    keys = [c.key for c in report["criteria"] if not c.is_price]
    records = []
    for b in report["bids"]:
        record = {
            "bid": b["id"],
            "vendor": b["vendor_name"],
            "digest": b["digest"],
            "price": b["price"],
            "sme_size": b.get("sme_size", ""),
            "evaluated_price": b.get("evaluated_price"),
            "valid": not b["invalid_reasons"],
            "invalid_reasons": "; ".join(b["invalid_reasons"]),
            "compliance": b["compliance"],
            "abnormally_low": b["abnormally_low"],
            "low_decision": b["low_decision"],
            "price_score": b.get("price_score"),
            **{f"mean_{k}": b.get("means", {}).get(k) for k in keys},
            "total": b.get("total"),
            "rank": b.get("rank"),
            "candidate": b.get("candidate"),
        }
        records.append(record)
    return exports.headed(
        pd.DataFrame(records), {**RESULT_HEADERS, **_criterion_names(report, "mean_")}
    )


def report_file(report: dict) -> tuple[bytes, str]:
    return report_pdf(report), f"{report['tender']['reference']}-evaluation-report.pdf"


def matrix_file(report: dict, fmt: str) -> tuple[bytes, str, str]:
    """The scoring matrix as (body, file name, media type): xlsx or csv."""
    name = f"{report['tender']['reference']}-scores.{fmt}"
    if fmt == "xlsx":
        return matrix_xlsx(report), name, XLSX
    if fmt == "csv":
        return matrix_csv(report), name, CSV
    raise InvalidInput.single("format", "one_of", _("Format: choose xlsx or csv."))


def matrix_xlsx(report: dict) -> bytes:
    # Vendor names and reasons are typed by outsiders: the shared writer neutralises them.
    return exports.xlsx_bytes(
        {"scores": scores_frame(report), "results": results_frame(report)}, [_("Price")]
    )


def matrix_csv(report: dict) -> bytes:
    return exports.csv_bytes(scores_frame(report))
