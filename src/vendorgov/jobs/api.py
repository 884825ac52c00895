"""A job's state for whoever started it (any process answers: it is read from the database),
and the file a finished job made."""

from __future__ import annotations

import asyncio
import uuid

import msgspec
from litestar import Controller, Request, Response, get
from litestar.params import FromPath

from vendorgov.errors import NotFound
from vendorgov.files import service as files
from vendorgov.files.responses import download
from vendorgov.i18n import N_
from vendorgov.jobs import service

SHOWN = (
    "id",
    "kind",
    "status",
    "stage",
    "progress",
    "result",
    "error",
    "attempts",
    "created_at",
    "started_at",
    "finished_at",
)


class JobOut(msgspec.Struct):
    """A started job (202): follow `url` until its status is done or failed."""

    job: str
    url: str

    @classmethod
    def of(cls, job_id: uuid.UUID) -> JobOut:
        return cls(str(job_id), f"/api/jobs/{job_id}")


class JobApi(Controller):
    path = "/api/jobs"
    tags = ["jobs"]

    @get("/{job_id:str}", summary="A job you started: status, progress, result or error")
    async def job(self, request: Request, job_id: FromPath[str]) -> dict:
        job = await service.get(request.user, job_id)
        return {name: job[name] for name in SHOWN}

    @get("/{job_id:str}/file", summary="The file a finished job made (a zip of statements)")
    async def file(self, request: Request, job_id: FromPath[str]) -> Response[bytes]:
        job = await service.get(request.user, job_id)
        file_id = (job["result"] or {}).get("file_id") if job["status"] == "done" else None
        if not isinstance(file_id, str):
            raise NotFound(N_("job file"), job_id)
        stored = await files.content(uuid.UUID(file_id))
        data = await asyncio.to_thread(stored.path.read_bytes)
        return download(data, stored.filename, stored.content_type)
