"""The rectification notice (整改通知单) as PDF, in Chinese and English: each finding with its
place, checklist item or audit clause, severity, deadline and photo thumbnails (embedded: the
PDF stands alone), people by name and role, and a QR code that opens the notice online."""

from __future__ import annotations

import base64
import io
import uuid

import anyio
from PIL import Image, ImageOps

from vendorgov.documents import qr_data_uri, rendered_pdf
from vendorgov.files import service as files
from vendorgov.i18n import N_
from vendorgov.settings import get_settings

# Thumbnails: enough to see the problem on paper, small enough for a notice of many findings.
THUMBNAIL_PX = 360
PHOTOS_PER_FINDING = 4

STATUS_LABELS = {
    "draft": (N_("draft"), "草稿"),
    "discarded": (N_("discarded"), "已作废"),
    "issued": (N_("issued"), "已发出"),
    "acknowledged": (N_("acknowledged"), "已签收"),
    "responded": (N_("responded"), "已反馈整改"),
    "closed": (N_("closed"), "已验收关闭"),
}
SEVERITY_LABELS = {
    "minor": (N_("minor"), "一般"),
    "major": (N_("major"), "较重"),
    "critical": (N_("critical"), "严重"),
}
SOURCE_LABELS = {
    "inspection": (N_("inspection"), "日常检查"),
    "audit": (N_("third-party audit"), "第三方审计"),
    "complaint": (N_("complaint"), "投诉"),
}
STEP_LABELS = {
    "draft": (N_("drafted by the month-end"), "月度考核自动起草"),
    "redraft": (N_("redrafted: a later revision of the month"), "月度考核修订后更新草稿"),
    "discard": (N_("discarded"), "作废"),
    "issue": (N_("issued"), "发出通知"),
    "acknowledge": (N_("acknowledged"), "服务商签收"),
    "respond": (N_("responded"), "服务商反馈"),
    "verify_passed": (N_("verified: passed"), "复查合格"),
    "verify_failed": (N_("verified: failed, new deadline"), "复查不合格，重新限期"),
}


def labels() -> dict:
    return {
        "status_labels": STATUS_LABELS,
        "severity_labels": SEVERITY_LABELS,
        "source_labels": SOURCE_LABELS,
        "step_labels": STEP_LABELS,
    }


def notice_url(base_url: str, notice_id: int) -> str:
    """Where the vendor opens the notice (after logging in): printed with its QR code."""
    return f"{base_url.rstrip('/')}/notices/{notice_id}"


def _thumbnail(data: bytes) -> str | None:
    """A JPEG data URI of the photo at most THUMBNAIL_PX on a side, turned upright as the
    phone held it; None if the stored file is no image Pillow can read."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.draft("RGB", (THUMBNAIL_PX, THUMBNAIL_PX))  # JPEG: decode at a reduced size
            upright = ImageOps.exif_transpose(image)
            upright.thumbnail((THUMBNAIL_PX, THUMBNAIL_PX))
            out = io.BytesIO()
            upright.convert("RGB").save(out, "JPEG", quality=80)
    except (OSError, ValueError, Image.DecompressionBombError):
        return None
    return "data:image/jpeg;base64," + base64.b64encode(out.getvalue()).decode()


async def thumbnails(findings: list[dict]) -> dict[str, str]:
    """Thumbnails of the findings' photos (the first PHOTOS_PER_FINDING of each), by file id."""
    made: dict[str, str] = {}
    for finding in findings:
        for file_id in finding.get("photos", [])[:PHOTOS_PER_FINDING]:
            stored = await files.content(uuid.UUID(file_id))
            data = await anyio.Path(stored.path).read_bytes()
            if (uri := await anyio.to_thread.run_sync(_thumbnail, data)) is not None:
                made[file_id] = uri
    return made


async def notice_pdf(notice: dict, url: str, photos: dict[str, str]) -> bytes:
    """`url` opens the notice online (printed with its QR code); `photos` are the findings'
    thumbnails by file id (thumbnails())."""
    settings = get_settings()
    return await rendered_pdf(
        "documents/notice.html",
        notice=notice,
        url=url,
        qr=qr_data_uri(url),
        photos=photos,
        hospital=settings.hospital_name,
        zone=settings.timezone,
        **labels(),
    )
