"""The panel pages (§3): the officer draws the experts at random from the category's pool (a
confirmation first says what the draw does), draws replacements for experts who declared a
conflict, appoints purchaser representatives and closes the evaluation; the experts' pools of
each service category are kept on their own page."""

from __future__ import annotations

from litestar import Controller, Request, get, post
from litestar.params import FromPath, FromQuery
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template

from vendorgov.accounts.auth import allow
from vendorgov.accounts.roles import Role
from vendorgov.errors import InvalidInput
from vendorgov.i18n import _, ngettext
from vendorgov.tenders import bidding, evaluation, panel, reading, scoring
from vendorgov.tenders.forms import ensure_confirmed, form_state, refused_shows
from vendorgov.tenders.panel_rules import PANEL_ROLE_LABELS
from vendorgov.vendors.rules import CATEGORY_LABELS
from vendorgov.web.forms import Form

STAFF = allow(Role.admin, Role.procurement)
OFFICER = allow(Role.procurement)


class PanelPages(Controller):
    path = "/tenders"
    include_in_schema = False

    # --- a tender's panel ------------------------------------------------------------------

    @get("/{tender_id:int}/panel", guards=[STAFF])
    async def panel(self, request: Request, tender_id: FromPath[int]) -> Template:
        state = form_state(request)
        user = request.user
        tender = await reading.get_tender(user, tender_id)
        members = await scoring.panel(user, tender_id)
        expected = 0
        if tender["opened_at"]:
            eligible = [b for b in await bidding.bids(user, tender_id) if b.get("eligible")]
            expected = len(eligible) * len([c for c in tender["criteria"] if not c.is_price])
        plan = await panel.plan(user, tender_id)
        pool = [e for e in await panel.pool(user, tender["category"]) if e["active"]]
        return Template(
            "tenders/panel.html",
            context={
                "tender": tender,
                "members": members,
                "expected": expected,
                "role_labels": PANEL_ROLE_LABELS,
                "plan": plan,
                "pool": pool,
                "draws": await panel.draws(user, tender_id),
                "count": state["values"].get("count") or max(plan["needed"], 1),
                "evaluators": await panel.representative_candidates(user, tender_id),
                "can_assign": user.role is Role.procurement and plan["can_change"],
                "is_officer": user.role is Role.procurement,
                "is_staff": True,
                **state,
            },
        )

    @post("/{tender_id:int}/panel", guards=[OFFICER])
    @refused_shows("/tenders/{tender_id}/panel", "representatives")
    async def assign(self, request: Request, tender_id: FromPath[int]) -> Template | Redirect:
        form = await Form.read(request)
        ids = [int(v) for v in form.texts("evaluator_ids") if v.isdecimal() and len(v) < 12]
        await scoring.assign_panel(request.user, tender_id, ids)
        flash(
            request,
            ngettext(
                "%(num)s purchaser representative appointed to the panel.",
                "%(num)s purchaser representatives appointed to the panel.",
                len(ids),
            ),
            category="ok",
        )
        return Redirect(f"/tenders/{tender_id}/panel")

    @post("/{tender_id:int}/draw", guards=[OFFICER])
    @refused_shows("/tenders/{tender_id}/panel", "draw")
    async def draw(self, request: Request, tender_id: FromPath[int]) -> Template | Redirect:
        form = await Form.read(request)
        count = form.integer("count")
        if count is None:
            form.errors.add("count", "required", _("Experts: say how many to draw."))
        form.errors.raise_if_any()
        await ensure_confirmed(request)
        result = await panel.draw_experts(request.user, tender_id, count)
        flash(
            request,
            ngettext(
                "%(num)s expert drawn at random; the draw and its seed are in the audit trail.",
                "%(num)s experts drawn at random; the draw and its seed are in the audit trail.",
                len(result["drawn"]),
            ),
            category="ok",
        )
        return Redirect(f"/tenders/{tender_id}/panel#draws")

    @post("/{tender_id:int}/panel/{member_id:int}/replacement", guards=[OFFICER])
    @refused_shows("/tenders/{tender_id}/panel", "replace-{member_id}")
    async def replace(
        self, request: Request, tender_id: FromPath[int], member_id: FromPath[int]
    ) -> Template | Redirect:
        await ensure_confirmed(request)
        await panel.draw_replacement(request.user, tender_id, member_id)
        flash(request, _("A replacement expert was drawn at random."), category="ok")
        return Redirect(f"/tenders/{tender_id}/panel#draws")

    @post("/{tender_id:int}/close", guards=[OFFICER])
    @refused_shows("/tenders/{tender_id}/panel")
    async def close(self, request: Request, tender_id: FromPath[int]) -> Template | Redirect:
        after = await evaluation.close_evaluation(request.user, tender_id)
        if after["status"] == "failed":
            flash(request, _("The tender failed: too few bids after compliance review."), "error")
            return Redirect(f"/tenders/{tender_id}")
        flash(request, _("Evaluation closed: the ranking is final."), category="ok")
        return Redirect(f"/tenders/{tender_id}/results")

    # --- the experts' pools --------------------------------------------------------------------

    @get("/experts", guards=[STAFF])
    async def pool(self, request: Request, category: FromQuery[str] = "") -> Template:
        state = form_state(request)
        user = request.user
        if category not in CATEGORY_LABELS:
            category = next(iter(CATEGORY_LABELS))
        return Template(
            "tenders/expert_pool.html",
            context={
                "category": category,
                "categories": CATEGORY_LABELS,
                "pool": [e for e in await panel.pool(user, category) if e["active"]],
                "candidates": await panel.pool_candidates(user, category)
                if user.role is Role.procurement
                else [],
                "is_officer": user.role is Role.procurement,
                **state,
            },
        )

    @post("/experts", guards=[OFFICER])
    @refused_shows("/tenders/experts?category={category}")
    async def add_expert(self, request: Request) -> Template | Redirect:
        form = await Form.read(request)
        category = form.text("category")
        evaluator_id = form.integer("evaluator_id")
        if evaluator_id is None:
            raise InvalidInput.single(
                "evaluator_id", "required", _("Expert: choose the evaluator account to add.")
            )
        if await panel.add_to_pool(request.user, category, evaluator_id):
            flash(request, _("Expert added to the pool."), category="ok")
        else:
            flash(request, _("That expert is in the pool already."), category="info")
        return Redirect(f"/tenders/experts?category={category}")

    @post("/experts/remove", guards=[OFFICER])
    @refused_shows("/tenders/experts?category={category}")
    async def remove_expert(self, request: Request) -> Template | Redirect:
        form = await Form.read(request)
        category = form.text("category")
        evaluator_id = form.integer("evaluator_id")
        if evaluator_id is None:
            raise InvalidInput.single(
                "evaluator_id", "required", _("Expert: choose the evaluator account to remove.")
            )
        await panel.remove_from_pool(request.user, category, evaluator_id)
        flash(request, _("Expert taken out of the pool."), category="ok")
        return Redirect(f"/tenders/experts?category={category}")
