"""Month-end pages: the runs, a run with its statements, approval and the grade distribution
and spend concentration, each statement explained down to its evidence; vendors' statements."""

from __future__ import annotations

from litestar import Controller, Request, Response, get, post
from litestar.di import Provide
from litestar.params import FromPath, FromQuery
from litestar.plugins.flash import flash
from litestar.response import File, Redirect, Template

from vendorgov.accounts.auth import allow
from vendorgov.accounts.roles import Role
from vendorgov.charts import Band, Series, line_chart
from vendorgov.contracts import rules as contract_rules
from vendorgov.contracts import service as contracts
from vendorgov.files.responses import inline_file
from vendorgov.humane import status_label
from vendorgov.i18n import _, ngettext
from vendorgov.jobs import service as job_state
from vendorgov.paging import PageRequest
from vendorgov.payments import (
    disputes,
    documents,
    exports,
    jobs,
    presentation,
    reading,
    run_view,
    service,
)
from vendorgov.payments.documents import COMPONENT_LABELS, LINE_LABELS
from vendorgov.sla.measure import Month
from vendorgov.web import list_exports
from vendorgov.web.forms import Form

FINANCE = allow(Role.admin, Role.finance)


def _grade_bands(contract: dict) -> list[contract_rules.Band]:
    """The bands drawn on the score history: those of the version in force, else of the
    newest signed version (an ended contract), else the defaults (nothing signed yet)."""
    signed = [v for v in contract["versions"] if v["signed"]]
    version = next((v for v in signed if v["id"] == contract["in_force_id"]), None)
    version = version or (signed[-1] if signed else None)
    return version["terms_obj"].bands if version else contract_rules.default_bands()


STATEMENTS_EXPORT = list_exports.register(
    list_exports.ListExport(
        "statements",
        run_view.statements_of,
        run_view.EXPORT_COLUMNS,
        "statements.csv",
        None,
        run_view.statement_filters,
    )
)


class MonthEndPages(Controller):
    include_in_schema = False

    @get("/month-end", guards=[FINANCE])
    async def runs(
        self, request: Request, paging: PageRequest, month: FromQuery[str] = ""
    ) -> Template:
        """Every revision, newest month first; filtered to one month's revisions."""
        month = str(Month.from_input(month)) if month else ""
        return Template(
            "payments/runs.html",
            context={"runs": await reading.runs(request.user, month, paging), "month": month},
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

    @get(
        "/month-end/runs/{run_id:int}",
        guards=[FINANCE],
        dependencies={"filters": Provide(run_view.statement_filters)},
    )
    async def run(
        self, request: Request, run_id: FromPath[int], paging: PageRequest, filters: dict
    ) -> Template:
        """Bounded whatever the number of contracts: the run read once, totals and
        concentration aggregated, the statements a page at a time."""
        run = await reading.run_header(request.user, run_id)
        month_disputes = await disputes.of_month(request.user, run["month"])
        changes, changed = await run_view.changes(run)
        return Template(
            "payments/run.html",
            context={
                "run": run,
                "statements": await run_view.statement_page(run, request=paging, **filters),
                **filters,
                "summary": await run_view.summary(run_id),
                "concentration": await run_view.concentration(run_id),
                "changes": changes,
                "changed": changed,
                "disputes": month_disputes,
                "dispute_contracts": await run_view.contract_numbers(
                    run, [d["contract_id"] for d in month_disputes]
                ),
                "window_closes": await disputes.window_closes(run),
                "window_open": await disputes.window_open(run),
                "can_review": run["shown_status"] == "computed"
                and request.user.role is Role.finance
                and run["computed_by_id"] != request.user.user_id,
            },
        )

    @get(
        "/month-end/runs/{run_id:int}/statements.csv",
        guards=[FINANCE],
        dependencies={"filters": Provide(run_view.statement_filters)},
    )
    async def statements_csv(
        self, request: Request, run_id: FromPath[int], filters: dict
    ) -> Response[bytes]:
        """The run's statements as filtered on its page (every page) as CSV (a job's download
        when large)."""
        return await list_exports.respond(request, STATEMENTS_EXPORT, {**filters, "run_id": run_id})

    @post("/month-end/disputes/{dispute_id:int}/ruling", guards=[FINANCE])
    async def rule(self, request: Request, dispute_id: FromPath[int]) -> Redirect:
        form = await Form.read(request)
        status = await disputes.rule(
            request.user, dispute_id, form.text("decision"), form.text("note")
        )
        message = (
            _("Dispute upheld. Correct its cause, then compute the month again with a reason.")
            if status == "upheld"
            else _("Dispute %(status)s.", status=status_label(status))
        )
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
            _("Dispute sent: finance rules on it before the month is approved."),
            category="ok",
        )
        return Redirect(f"/month-end/runs/{run_id}/contracts/{contract_id}")

    @post("/month-end/runs/{run_id:int}/waiver", guards=[allow(Role.vendor)])
    async def waive(self, request: Request, run_id: FromPath[int]) -> Redirect:
        await disputes.waive(request.user, run_id)
        flash(request, _("You waived the dispute window of this revision."), category="ok")
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
        message = _("Approved and locked.")
        if drafted:
            message += " " + ngettext(
                "%(num)s rectification notice drafted for D grades: a supervisor reviews and "
                "issues it under Notices.",
                "%(num)s rectification notices drafted for D grades: a supervisor reviews and "
                "issues them under Notices.",
                len(drafted),
            )
        flash(request, message, category="ok")
        return Redirect(f"/month-end/runs/{run_id}")

    @post("/month-end/runs/{run_id:int}/return", guards=[FINANCE])
    async def return_run(self, request: Request, run_id: FromPath[int]) -> Redirect:
        form = await request.form()
        await service.return_run(request.user, run_id, str(form.get("reason", "")))
        flash(
            request,
            _("Returned for correction: fix the cause and compute the month again."),
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
        run, statement = await reading.statement(request.user, run_id, contract_id)
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
        run, statement = await reading.statement(request.user, run_id, contract_id)
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
        months = await reading.history(request.user, contract_id)
        contract = await contracts.get_contract(request.user, contract_id)
        chart = line_chart(
            [m["month"] for m in months],
            [Series(_("Score"), [m["score"] for m in months])],
            title=_("Assessment score by month, with the contract's grade bands"),
            bands=[Band(b.grade, float(b.min_score)) for b in _grade_bands(contract)],
        )
        return Template(
            "payments/history.html",
            context={"contract": contract, "months": months, "chart": chart},
        )

    @get("/statements", guards=[allow(Role.vendor)])
    async def vendor_statements(self, request: Request, paging: PageRequest) -> Template:
        rows = await reading.statements_for_vendor(request.user, request=paging)
        return Template(
            "payments/vendor_statements.html",
            context={
                "statements": rows,
                "drafts": await disputes.drafts_for_vendor(request.user),
            },
        )
