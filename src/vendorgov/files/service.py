"""Storing uploads by content hash, outside any served directory."""

from __future__ import annotations

import hashlib
import os
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from vendorgov.errors import InvalidInput, NotFound
from vendorgov.files.rules import DOCUMENT_TYPES, sniff, upload_problem
from vendorgov.files.tables import StoredFile
from vendorgov.i18n import N_
from vendorgov.settings import get_settings, private_dir, write_private


@dataclass(frozen=True)
class Upload:
    filename: str
    data: bytes


@dataclass(frozen=True)
class StoredContent:
    path: Path
    filename: str
    content_type: str


def _blob_path(sha256: str) -> Path:
    return get_settings().files_dir / sha256[:2] / sha256[2:4] / sha256


def check_upload(
    field: str,
    upload: Upload,
    allowed: tuple[str, ...] = DOCUMENT_TYPES,
    max_bytes: int | None = None,
) -> None:
    """InvalidInput naming `field` for an empty, too large (the upload limit, or a smaller
    `max_bytes`) or unrecognised file."""
    limit = max_bytes or get_settings().max_upload_bytes
    problem = upload_problem(upload.data, limit, allowed)
    if problem:
        raise InvalidInput.single(field, *problem)


async def store(upload: Upload, uploaded_by: int | None) -> uuid.UUID:
    """Write the bytes (once per distinct content) and record the file. Call within the
    caller's transaction; if it rolls back, the blob stays unreferenced and harmless."""
    digest = hashlib.sha256(upload.data).hexdigest()
    path = _blob_path(digest)
    if not path.exists():
        private_dir(path.parent)
        tmp = path.with_suffix(f".{uuid.uuid4().hex}.tmp")
        write_private(tmp, upload.data)
        os.replace(tmp, path)
    row = StoredFile(
        sha256=digest,
        filename=os.path.basename(upload.filename)[:255] or "upload",
        content_type=sniff(upload.data) or "application/octet-stream",
        size=len(upload.data),
        uploaded_at=datetime.now(UTC),
        uploaded_by=uploaded_by,
    )
    await row.save()
    return row.id


async def content(file_id: uuid.UUID) -> StoredContent:
    row = await StoredFile.select().where(StoredFile.id == file_id).first()
    if row is None or not _blob_path(row["sha256"]).exists():
        raise NotFound(N_("file"), file_id)
    return StoredContent(_blob_path(row["sha256"]), row["filename"], row["content_type"])
