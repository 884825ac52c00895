"""The QR sheet: a label per place, its full name in Chinese and a code that opens the
inspection form for that place."""

from __future__ import annotations

from vendorgov.documents import qr_data_uri, render_pdf
from vendorgov.settings import get_settings


def inspection_url(base_url: str, location_id: int) -> str:
    return f"{base_url.rstrip('/')}/inspections/new?location_id={location_id}"


def qr_sheet(places: list[dict], base_url: str) -> bytes:
    labels = [
        {
            "name": place["full_name"],
            "sub": place["code"],
            "qr": qr_data_uri(inspection_url(base_url, place["id"])),
        }
        for place in places
    ]
    return render_pdf(
        "documents/location_qr.html", labels=labels, hospital=get_settings().hospital_name
    )
