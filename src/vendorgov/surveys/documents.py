"""A survey's QR sheet: a label per ward, its full name and a code that opens the survey's
anonymous page for that ward."""

from __future__ import annotations

from vendorgov.documents import qr_data_uri, render_pdf
from vendorgov.settings import get_settings


def qr_sheet(survey: dict) -> bytes:
    """`survey` as service.detail gives it (wards with their links)."""
    labels = [
        {"name": ward["name"], "sub": survey["title"], "qr": qr_data_uri(ward["link"])}
        for ward in survey["wards"]
    ]
    return render_pdf(
        "documents/survey_qr.html",
        labels=labels,
        survey=survey,
        hospital=get_settings().hospital_name,
    )
