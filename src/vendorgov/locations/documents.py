"""The QR sheet: a label per place, its full name in Chinese and one code that opens the place's
page: the service request form for ward staff and the hotline, and for supervisors a choice
between it and the inspection form (§8)."""

from __future__ import annotations

import asyncio

from vendorgov.documents import qr_data_uri, rendered_pdf
from vendorgov.settings import get_settings


def place_url(base_url: str, location_id: int) -> str:
    return f"{base_url.rstrip('/')}/at/{location_id}"


def _labels(places: list[dict], base_url: str) -> list[dict]:
    return [
        {
            "name": place["full_name"],
            "sub": place["code"],
            "qr": qr_data_uri(place_url(base_url, place["id"])),
        }
        for place in places
    ]


async def qr_sheet(places: list[dict], base_url: str) -> bytes:
    """Off the event loop: a sheet of hundreds of codes takes a while to draw."""
    labels = await asyncio.to_thread(_labels, places, base_url)
    return await rendered_pdf(
        "documents/location_qr.html", labels=labels, hospital=get_settings().hospital_name
    )
