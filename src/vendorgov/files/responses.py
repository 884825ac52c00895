"""Serving a stored upload to someone its service has let read it."""

from __future__ import annotations

from litestar.exceptions import NotFoundException
from litestar.response import File

from vendorgov.files.service import StoredContent


def inline_file(stored: StoredContent) -> File:
    """Shown in the browser, never run: no type sniffing, and a sandbox for anything active."""
    if not stored.path.exists():
        raise NotFoundException("the stored file is missing")
    return File(
        path=stored.path,
        filename=stored.filename,
        media_type=stored.content_type,
        content_disposition_type="inline",
        headers={"X-Content-Type-Options": "nosniff", "Content-Security-Policy": "sandbox"},
    )
