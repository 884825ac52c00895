"""Month-end pages: the runs, a run with its statements, approval and the grade distribution
and spend concentration, each statement explained down to its evidence; vendors' statements."""

from __future__ import annotations

from collections import Counter

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template

from vendorgov.accounts.auth import allow
from vendorgov.accounts.roles import Role
from vendorgov.charts import Series, line_chart
from vendorgov.contracts import service as contracts
from vendorgov.payments import documents, rules, service
from vendorgov.payments.documents import COMPONENT_LABELS, LINE_LABELS
from vendorgov.sla.measure import Month

FINANCE = allow(Role.admin, Role.finance)


def _evidence_link(item: str) -> str | None:
    """'finding 17' → the findings page; 'notice ZG-2026-0003' → the notices list."""
    kind, _, _ = item.partition(" ")
    return {"finding": "/findings?status=", "notice": "/notices?all=true"}.get(kind)


class MonthEndPages(Controller):
    include_in_schema = False

    @get("/month-end", guards=[FINANCE])
    async def runs(self, request: Request) -> Template:
        return Template("payments/runs.html", context={"runs": await service.runs(request.user)})

    @post("/month-end", guards=[FINANCE])
    async def compute(self, request: Request) -> Redirect:
        form = await request.form()
        month = Month.from_input(str(form.get("month", "")))
        run_id = await service.compute_run(request.user, month, None, str(form.get("reason", "")))
        flash(request, f"{month} computed; another finance user approves it.", category="ok")
        return Redirect(f"/month-end/runs/{run_id}")

    @get("/month-end/runs/{run_id:int}", guards=[FINANCE])
    async def run(self, request: Request, run_id: FromPath[int]) -> Template:
        run = await service.get_run(request.user, run_id)
        net_by_vendor: Counter = Counter()
        for s in run["statements"]:
            net_by_vendor[s["vendor_name"]] += s["net"]
        shares, hhi = rules.concentration(dict(net_by_vendor))
        return Template(
            "payments/run.html",
            context={
                "run": run,
                "grades": Counter(s["grade"] or "—" for s in run["statements"]),
                "shares": sorted(shares.items(), key=lambda v: -v[1]),
                "hhi": hhi,
                "changes": await service.diff(request.user, run_id),
                "can_review": run["shown_status"] == "computed"
                and request.user.role is Role.finance
                and run["computed_by_id"] != request.user.user_id,
            },
        )

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
        for line in statement["lines"]:
            line["links"] = [(item, _evidence_link(item)) for item in line["evidence"]]
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
        return documents.statement_response(run, statement)

    @get("/month-end/runs/{run_id:int}/export/{fmt:str}", guards=[FINANCE])
    async def export(
        self, request: Request, run_id: FromPath[int], fmt: FromPath[str]
    ) -> Response[bytes]:
        return documents.export_response(await service.get_run(request.user, run_id), fmt)

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
    async def vendor_statements(self, request: Request) -> Template:
        rows = await service.statements_for_vendor(request.user)
        return Template("payments/vendor_statements.html", context={"statements": rows})
