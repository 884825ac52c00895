"""Month-end pages: the runs, a run with its statements, approval and the grade distribution
and spend concentration, each statement explained down to its evidence; vendors' statements."""

from __future__ import annotations

from collections import Counter

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath
from litestar.plugins.flash import flash
from litestar.response import File, Redirect, Template

from vendorgov.accounts.auth import allow
from vendorgov.accounts.roles import Role
from vendorgov.charts import Series, line_chart
from vendorgov.contracts import service as contracts
from vendorgov.files.responses import inline_file
from vendorgov.jobs import service as job_state
from vendorgov.paging import PageRequest
from vendorgov.payments import disputes, documents, exports, jobs, presentation, service
from vendorgov.payments.documents import COMPONENT_LABELS, LINE_LABELS
from vendorgov.sla.measure import Month
from vendorgov.web.forms import Form

FINANCE = allow(Role.admin, Role.finance)


class MonthEndPages(Controller):
    include_in_schema = False

    @get("/month-end", guards=[FINANCE])
    async def runs(self, request: Request, paging: PageRequest) -> Template:
        return Template(
            "payments/runs.html", context={"runs": await service.runs(request.user, request=paging)}
        )

    @post("/month-end", guards=[FINANCE])
    async def compute(self, request: Request) -> Redirect:
        form = await request.form()
        month = Month.from_input(str(form.get("month", "")))
        job_id = await jobs.start_month_end(request.user, month, None, str(form.get("reason", "")))
        return Redirect(f"/month-end/jobs/{job_id}")

    @get("/month-end/jobs/{job_id:str}", guards=[FINANCE])
    async def job(self, request: Request, job_id: FromPath[str]) -> Template:
        """Follows the month-end job (HTMX polls the card), then links the run."""
        job = await job_state.get(request.user, job_id, jobs.MONTH_END)
        partial = bool(request.headers.get("hx-request"))
        return Template(
            "payments/job_status.html" if partial else "payments/job.html", context={"job": job}
        )

    @get("/month-end/runs/{run_id:int}", guards=[FINANCE])
    async def run(self, request: Request, run_id: FromPath[int]) -> Template:
        run = await service.get_run(request.user, run_id)
        return Template(
            "payments/run.html",
            context={
                "run": run,
                "grades": Counter(s["grade"] or "—" for s in run["statements"]),
                "totals": presentation.totals(run),
                "concentration": await presentation.concentration(run),
                "changes": await service.diff(request.user, run_id),
                "disputes": await disputes.of_month(request.user, run["month"]),
                "window_closes": await disputes.window_closes(run),
                "window_open": await disputes.window_open(run),
                "can_review": run["shown_status"] == "computed"
                and request.user.role is Role.finance
                and run["computed_by_id"] != request.user.user_id,
            },
        )

    @post("/month-end/disputes/{dispute_id:int}/ruling", guards=[FINANCE])
    async def rule(self, request: Request, dispute_id: FromPath[int]) -> Redirect:
        form = await Form.read(request)
        status = await disputes.rule(
            request.user, dispute_id, form.text("decision"), form.text("note")
        )
        message = f"Dispute {dispute_id} {status}."
        if status == "upheld":
            message += " Correct its cause, then compute the month again with a reason."
        flash(request, message, category="ok")
        run_id = form.integer("run_id")
        return Redirect(f"/month-end/runs/{run_id}" if run_id else "/month-end")

    @post(
        "/month-end/runs/{run_id:int}/contracts/{contract_id:int}/disputes",
        guards=[allow(Role.vendor)],
        request_max_body_size=60 * 2**20,
    )
    async def dispute(
        self, request: Request, run_id: FromPath[int], contract_id: FromPath[int]
    ) -> Redirect:
        form = await Form.read(request)
        await disputes.raise_dispute(
            request.user,
            run_id,
            contract_id,
            form.text("line"),
            form.text("reason"),
            await form.uploads("evidence"),
        )
        flash(
            request,
            "Dispute sent: finance rules on it before the month is approved.",
            category="ok",
        )
        return Redirect(f"/month-end/runs/{run_id}/contracts/{contract_id}")

    @post("/month-end/runs/{run_id:int}/waiver", guards=[allow(Role.vendor)])
    async def waive(self, request: Request, run_id: FromPath[int]) -> Redirect:
        await disputes.waive(request.user, run_id)
        flash(request, "You waived the dispute window of this revision.", category="ok")
        return Redirect("/statements")

    @get(
        "/month-end/disputes/{dispute_id:int}/evidence/{file_id:str}",
        guards=[allow(Role.admin, Role.finance, Role.vendor)],
    )
    async def dispute_evidence(
        self, request: Request, dispute_id: FromPath[int], file_id: FromPath[str]
    ) -> File:
        return inline_file(await disputes.evidence(request.user, dispute_id, file_id))

    @post("/month-end/runs/{run_id:int}/approve", guards=[FINANCE])
    async def approve(self, request: Request, run_id: FromPath[int]) -> Redirect:
        drafted = await service.approve(request.user, run_id)
        message = "Approved and locked."
        if drafted:
            message += (
                f" {len(drafted)} rectification notice{'s' if len(drafted) > 1 else ''} "
                "drafted for D grades: a supervisor reviews and issues them under Notices."
            )
        flash(request, message, category="ok")
        return Redirect(f"/month-end/runs/{run_id}")

    @post("/month-end/runs/{run_id:int}/return", guards=[FINANCE])
    async def return_run(self, request: Request, run_id: FromPath[int]) -> Redirect:
        form = await request.form()
        await service.return_run(request.user, run_id, str(form.get("reason", "")))
        flash(
            request,
            "Returned for correction: fix the cause and compute the month again.",
            category="ok",
        )
        return Redirect(f"/month-end/runs/{run_id}")

    @get(
        "/month-end/runs/{run_id:int}/contracts/{contract_id:int}",
        guards=[allow(Role.admin, Role.finance, Role.vendor)],
    )
    async def explain(
        self, request: Request, run_id: FromPath[int], contract_id: FromPath[int]
    ) -> Template:
        run, statement = await service.statement(request.user, run_id, contract_id)
        await presentation.prepare_statement(request.user, run, statement)
        return Template(
            "payments/statement.html",
            context={
                "run": run,
                "s": statement,
                "component_labels": COMPONENT_LABELS,
                "line_labels": LINE_LABELS,
            },
        )

    # The pages' downloads: /api/ routes take bearer tokens only, never the session.
    @get(
        "/month-end/runs/{run_id:int}/contracts/{contract_id:int}/statement.pdf",
        guards=[allow(Role.admin, Role.finance, Role.vendor)],
    )
    async def statement_pdf(
        self, request: Request, run_id: FromPath[int], contract_id: FromPath[int]
    ) -> Response[bytes]:
        run, statement = await service.statement(request.user, run_id, contract_id)
        await presentation.prepare_statement(request.user, run, statement)
        return await documents.statement_response(run, statement)

    @get("/month-end/runs/{run_id:int}/export/{fmt:str}", guards=[FINANCE])
    async def export(
        self, request: Request, run_id: FromPath[int], fmt: FromPath[str]
    ) -> Response[bytes]:
        return exports.export_response(await exports.accounting_run(request.user, run_id), fmt)

    @get(
        "/month-end/contracts/{contract_id:int}/history",
        guards=[allow(Role.admin, Role.finance, Role.vendor)],
    )
    async def history(self, request: Request, contract_id: FromPath[int]) -> Template:
        months = await service.history(request.user, contract_id)
        contract = await contracts.get_contract(request.user, contract_id)
        chart = line_chart(
            [m["month"] for m in months],
            [Series("score", [m["score"] for m in months])],
            title="Assessment score by month (grade bands: A ≥ 95, B ≥ 90, C ≥ 80)",
            target=80,
        )
        return Template(
            "payments/history.html",
            context={"contract": contract, "months": months, "chart": chart},
        )

    @get("/statements", guards=[allow(Role.vendor)])
    async def vendor_statements(self, request: Request, paging: PageRequest) -> Template:
        rows = await service.statements_for_vendor(request.user, request=paging)
        return Template(
            "payments/vendor_statements.html",
            context={
                "statements": rows,
                "drafts": await disputes.drafts_for_vendor(request.user),
            },
        )
