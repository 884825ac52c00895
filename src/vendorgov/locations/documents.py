"""The QR sheet: a label per place, its full name in Chinese and one code that opens the place's
page: the service request form for ward staff and the hotline, and for supervisors a choice
between it and the inspection form (§8)."""

from __future__ import annotations

from vendorgov.documents import qr_data_uri, render_pdf
from vendorgov.settings import get_settings


def place_url(base_url: str, location_id: int) -> str:
    return f"{base_url.rstrip('/')}/at/{location_id}"


def qr_sheet(places: list[dict], base_url: str) -> bytes:
    labels = [
        {
            **place,
            "url": (url := place_url(base_url, place["id"])),
            "qr": qr_data_uri(url),
        }
        for place in places
    ]
    return render_pdf(
        "documents/location_qr.html", labels=labels, hospital=get_settings().hospital_name
    )
