"""Serving a stored upload to someone its service has let read it."""

from __future__ import annotations

from urllib.parse import quote

from litestar import Response
from litestar.exceptions import NotFoundException
from litestar.response import File

from vendorgov.files.service import StoredContent
from vendorgov.i18n import N_


def inline_file(stored: StoredContent) -> File:
    """Shown in the browser, never run: no type sniffing, and a sandbox for anything active."""
    if not stored.path.exists():
        raise NotFoundException(N_("The stored file is missing."))
    return File(
        path=stored.path,
        filename=stored.filename,
        media_type=stored.content_type,
        content_disposition_type="inline",
        headers={"X-Content-Type-Options": "nosniff", "Content-Security-Policy": "sandbox"},
    )


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Litestar adds "; charset=utf-8" to text types itself.
CSV = "text/csv"


def download(body: bytes, filename: str, media_type: str, inline: bool = False) -> Response[bytes]:
    """Generated or decrypted bytes as a file. The name goes both as ASCII and RFC 5987 UTF-8,
    so Chinese names survive and quotes cannot add header parameters."""
    fallback = "".join(
        c if c.isascii() and c.isprintable() and c not in '"\\;' else "_" for c in filename
    )
    disposition = "inline" if inline else "attachment"
    return Response(
        body,
        media_type=media_type,
        headers={
            "Content-Disposition": f'{disposition}; filename="{fallback or "download"}"; '
            f"filename*=UTF-8''{quote(filename, safe='')}",
            "X-Content-Type-Options": "nosniff",
        },
    )
