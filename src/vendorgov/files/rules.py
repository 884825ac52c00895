"""What an upload may be: recognised by its first bytes, never by its name or declared type."""

from __future__ import annotations

from vendorgov.i18n import _

SIGNATURES: tuple[tuple[bytes, str, str], ...] = (
    (b"%PDF-", "application/pdf", "pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
)
DOCUMENT_TYPES = ("application/pdf", "image/png", "image/jpeg", "image/webp")


def sniff(data: bytes) -> str | None:
    for magic, content_type, _extension in SIGNATURES:
        if data.startswith(magic):
            return content_type
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def upload_problem(data: bytes, max_bytes: int, allowed: tuple[str, ...]) -> tuple[str, str] | None:
    """(rule, message) when the upload is refused, else None."""
    if not data:
        return "required", _("File: it is empty; choose the file that holds the data.")
    if len(data) > max_bytes:
        return "max_size", _(
            "File: it is %(size)s MB; the limit is %(limit)s MB. Send a smaller file.",
            size=format(len(data) / 1048576, ".1f"),
            limit=format(max_bytes / 1048576, ".0f"),
        )
    kind = sniff(data)
    if kind not in allowed:
        names = ", ".join(t.split("/")[1].upper() for t in allowed)
        return "file_type", _("File: not one of %(names)s; send one of these.", names=names)
    return None
