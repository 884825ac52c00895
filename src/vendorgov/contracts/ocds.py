"""The contract as an OCDS 1.1 release: contract stage with its amendments, and the approved
month-end payments as implementation transactions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from vendorgov.contracts import rules
from vendorgov.contracts.rules import ContractStatus
from vendorgov.settings import get_settings

CURRENCY = "CNY"


def _instant(value: datetime | date | None) -> str | None:
    if value is None:
        return None
    if not isinstance(value, datetime):
        value = datetime.combine(value, time(0), get_settings().zone)
    return value.isoformat(timespec="seconds")


def term_months(start: date, end: date) -> int:
    """Calendar months the term covers, a part month counting whole
    (2026-01-01 … 2027-12-31 → 24, 2026-03-15 … 2026-09-14 → 6)."""
    after = end + timedelta(days=1)
    months = (after.year - start.year) * 12 + after.month - start.month
    return months + (1 if after.day > start.day else 0)


def _amount(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"))


def _present(fields: dict) -> dict:
    """OCDS leaves unknown fields out rather than empty."""
    return {k: v for k, v in fields.items() if v}


def payment_transactions(
    number: str, supplier: dict, payments: Sequence[dict], base_url: str
) -> list[dict]:
    """One transaction per approved month: the net of its latest approved revision, paid by
    the hospital (party "buyer") to the vendor, dated at approval; the source is that
    statement's PDF."""
    base = base_url.rstrip("/")
    return [
        {
            "id": f"{number}-{p['month']}",
            "source": f"{base}/api/payments/runs/{p['run_id']}/statements/"
            f"{p['contract']}/statement.pdf",
            "date": _instant(p["approved_at"]),
            "value": {"amount": _amount(p["net"]), "currency": CURRENCY},
            "payer": {"id": "buyer", "name": get_settings().hospital_name},
            "payee": supplier,
        }
        for p in payments
    ]


def contract_release(
    contract: dict, vendor: dict, payments: Sequence[dict] = (), base_url: str = ""
) -> dict[str, Any]:
    """`contract` as from service.get_contract (with versions); `vendor` from the registry;
    `payments` the approved months as from the payments service (approved_payments), which
    become implementation transactions whose source links under `base_url`."""
    settings = get_settings()
    number = contract["number"]
    versions = contract["versions"]
    signed = [v for v in versions if v["signed"]]
    latest = signed[-1] if signed else versions[-1]
    award_id = f"{number}-award"
    supplier = {"id": f"CN-USCC-{vendor['uscc']}", "name": vendor["name"]}
    status = ContractStatus(contract["effective_status"])
    amendments = [
        {
            "id": f"{number}-v{v['number']}",
            "date": _instant(v["signed_at"]),
            "rationale": v["amendment_reason"],
            "description": "; ".join(
                rules.diff_terms(previous["terms_obj"], v["terms_obj"]).summary()
            )
            or "no change of terms",
        }
        for previous, v in zip(signed, signed[1:], strict=False)
    ]
    total = _amount(
        rules.term_total(
            latest["terms_obj"], term_months(contract["start_date"], contract["end_date"])
        )
    )
    release_contract: dict[str, Any] = {
        "id": number,
        "awardID": award_id,
        "title": contract["title"],
        "description": contract["scope"] or contract["title"],
        "status": rules.OCDS_STATUS[status],
        "period": {
            "startDate": _instant(contract["start_date"]),
            "endDate": _instant(contract["end_date"]),
        },
        "value": {"amount": total, "currency": CURRENCY},
    }
    if signed:
        release_contract["dateSigned"] = _instant(signed[0]["signed_at"])
    if amendments:
        release_contract["amendments"] = amendments
    transactions = payment_transactions(number, supplier, payments, base_url)
    if transactions:
        release_contract["implementation"] = {"transactions": transactions}
    tag = ["contract", "contractAmendment"] if amendments else ["contract"]
    if transactions:
        tag.append("implementation")
    updated = max(
        [
            contract["updated_at"],
            *[v["updated_at"] for v in versions],
            *[p["approved_at"] for p in payments],
        ]
    )
    return {
        "ocid": f"{settings.ocds_prefix}-{number}",
        "id": f"{number}-contract-v{latest['number']}",
        "date": _instant(updated),
        "tag": tag,
        "initiationType": "tender",
        "language": "zh",
        "buyer": {"id": "buyer", "name": settings.hospital_name},
        "parties": [
            {
                "id": "buyer",
                "name": settings.hospital_name,
                "roles": ["buyer", "procuringEntity", "payer"],
            },
            {
                **supplier,
                "roles": ["supplier", "payee"],
                "identifier": {
                    "scheme": "CN-USCC",
                    "id": vendor["uscc"],
                    "legalName": vendor["name"],
                },
                "address": _present({"streetAddress": vendor["address"], "countryName": "China"}),
                "contactPoint": _present({"telephone": vendor["phone"], "email": vendor["email"]}),
            },
        ],
        "awards": [
            {
                "id": award_id,
                "status": "active",
                "suppliers": [supplier],
                "value": {"amount": total, "currency": CURRENCY},
            }
        ],
        "contracts": [release_contract],
    }
