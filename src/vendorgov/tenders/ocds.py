"""The tender as an OCDS 1.1 release: tender stage, and the award once made. Nothing of a bid
appears before opening (tenderers are listed from opening on, prices only in the award)."""

from __future__ import annotations

from typing import Any

from vendorgov.contracts.ocds import CURRENCY, _amount, _instant
from vendorgov.settings import get_settings
from vendorgov.tenders.rules import EVALUATION_LABELS, METHOD_LABELS, EvaluationMethod, Status

_METHOD = {
    "open": "open",
    "invited": "selective",
    "negotiation": "limited",
    "consultation": "limited",
    "single_source": "direct",
}
_STATUS = {
    Status.draft: "planning",
    Status.published: "active",
    Status.opened: "active",
    Status.evaluated: "active",
    Status.awarded: "complete",
    Status.failed: "unsuccessful",
    Status.cancelled: "cancelled",
}


def _party_id(vendor: dict) -> str:
    return f"CN-USCC-{vendor['uscc']}"


def tender_release(
    tender: dict, tenderers: list[dict], award: dict | None, notice: dict | None = None
) -> dict[str, Any]:
    """`tender` as from service.get_tender; `tenderers` the opened bids' vendors (name, uscc),
    empty before opening; `award` the awarded bid (vendor name, uscc, price) or None;
    `notice` the published result notice (published_at) or None: the award's document."""
    settings = get_settings()
    reference = tender["reference"]
    criteria = "; ".join(f"{c.name} {c.weight}%" for c in tender["criteria"])
    body: dict[str, Any] = {
        "id": reference,
        "title": tender["title"],
        "description": tender["scope"] or tender["title"],
        "status": _STATUS[Status(tender["status"])],
        "value": {"amount": _amount(tender["budget_ceiling"]), "currency": CURRENCY},
        "procurementMethod": _METHOD[tender["method"]],
        "procurementMethodDetails": " ".join(reversed(METHOD_LABELS[tender["method"]])),
        "mainProcurementCategory": "services",
        "awardCriteria": (
            "ratedCriteria"
            if tender["evaluation_method"] == EvaluationMethod.comprehensive
            else "priceOnly"
        ),
        "awardCriteriaDetails": " ".join(reversed(EVALUATION_LABELS[tender["evaluation_method"]]))
        + (f": {criteria}" if criteria else ""),
        "tenderPeriod": {
            "startDate": _instant(tender["published_at"] or tender["created_at"]),
            "endDate": _instant(tender["bid_deadline"]),
        },
        "contractPeriod": {
            "startDate": _instant(tender["service_start"]),
            "endDate": _instant(tender["service_end"]),
        },
        "documents": [
            {"id": d["file_id"], "documentType": "biddingDocuments", "title": d["filename"]}
            for d in tender["documents"]
        ],
    }
    if tender["qualification_types"]:
        body["eligibilityCriteria"] = "; ".join(
            f"{zh} {en}" for en, zh in tender["labels"]["qualifications"]
        )
    if tender["opened_at"]:
        body["numberOfTenderers"] = len(tenderers)
        body["tenderers"] = [{"id": _party_id(v), "name": v["name"]} for v in tenderers]
        body["awardPeriod"] = {"startDate": _instant(tender["opened_at"])}
        if tender["awarded_at"]:
            body["awardPeriod"]["endDate"] = _instant(tender["awarded_at"])
    parties = [
        {"id": "buyer", "name": settings.hospital_name, "roles": ["buyer", "procuringEntity"]}
    ]
    awarded = award["uscc"] if award else None
    for v in tenderers:
        parties.append(
            {
                "id": _party_id(v),
                "name": v["name"],
                "identifier": {"scheme": "CN-USCC", "id": v["uscc"], "legalName": v["name"]},
                "roles": ["tenderer", "supplier"] if v["uscc"] == awarded else ["tenderer"],
            }
        )
    release: dict[str, Any] = {
        "ocid": f"{settings.ocds_prefix}-{reference}",
        "id": f"{reference}-{tender['status']}-{tender['updated_at']:%Y%m%dT%H%M%S}",
        "date": _instant(tender["updated_at"]),
        "tag": ["tender", "award"] if award else ["tender"],
        "initiationType": "tender",
        "language": "zh",
        "buyer": {"id": "buyer", "name": settings.hospital_name},
        "parties": parties,
        "tender": body,
    }
    if award:
        release["awards"] = [
            {
                "id": f"{reference}-award",
                "title": tender["title"],
                "status": "active",
                "date": _instant(tender["awarded_at"]),
                "value": {"amount": _amount(award["price"]), "currency": CURRENCY},
                "suppliers": [{"id": _party_id(award), "name": award["name"]}],
                "contractPeriod": body["contractPeriod"],
            }
        ]
        if tender["award_reason"]:
            release["awards"][0]["description"] = tender["award_reason"]
        if notice:
            # The result notice (中标结果公告) is the award's notice; the award notice
            # (中标通知书) went to the winner with it.
            release["id"] += "-notice"
            release["date"] = max(release["date"], _instant(notice["published_at"]))
            release["awards"][0]["documents"] = [
                {
                    "id": f"{reference}-result-notice",
                    "documentType": "awardNotice",
                    "title": "中标结果公告",
                    "datePublished": _instant(notice["published_at"]),
                    "format": "application/pdf",
                    "language": "zh",
                }
            ]
    return release
