"""Month-end work run as jobs (jobs.worker): computing a month, and a run's statements as
one zip of PDFs."""

from __future__ import annotations

import io
import zipfile

from vendorgov import db
from vendorgov.files import service as files
from vendorgov.jobs import worker as jobs
from vendorgov.payments import alerts, documents, presentation, reading, service
from vendorgov.sla.measure import Month

MONTH_END = "payments.month_end"
STATEMENTS_ZIP = "payments.statements_zip"


async def start_month_end(actor, month: Month, contract_ids: list[int] | None, reason: str):
    params = {"month": str(month), "contract_ids": contract_ids, "reason": reason}
    return await jobs.start(MONTH_END, params, actor)


async def month_end(job: jobs.JobRun) -> dict:
    month = Month.from_input(job.params["month"])
    count = len(await service.contracts_of(month, job.actor))
    computed = 0

    def step(n: int) -> None:
        nonlocal computed
        computed += n
        job.progress(90 * computed // max(count, 1), f"{computed} of {count} contracts")

    async def done(run_id: int) -> None:
        await alerts.run_computed(job.actor, run_id, str(month))
        await job.finish({"run_id": run_id, "month": str(month)})

    run_id = await service.compute_run(
        job.actor, month, job.params["contract_ids"], job.params["reason"], step, done
    )
    return {"run_id": run_id, "month": str(month)}


async def start_statements_zip(actor, run_id: int):
    await reading.get_run(actor, run_id)  # 404/403 now, not in the job
    return await jobs.start(STATEMENTS_ZIP, {"run_id": run_id}, actor)


async def statements_zip(job: jobs.JobRun) -> dict:
    run = await reading.get_run(job.actor, job.params["run_id"])
    buffer = io.BytesIO()
    contract_ids = [s["contract"] for s in run["statements"]]
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for i, contract_id in enumerate(contract_ids):
            shown, statement = await reading.statement(job.actor, run["id"], contract_id)
            await presentation.prepare_statement(job.actor, shown, statement)
            pdf = await documents.rendered_statement(shown, statement)
            archive.writestr(documents.statement_name(shown, statement), pdf)
            job.progress(100 * (i + 1) // len(contract_ids), f"{i + 1} of {len(contract_ids)}")
    name = f"statements-{run['month']}-r{run['revision']}.zip"
    async with db.transaction():
        file_id = await files.store(files.Upload(name, buffer.getvalue()), job.actor.user_id)
        result = {"file_id": str(file_id), "filename": name, "statements": len(contract_ids)}
        await job.finish(result)
    return result
