"""Results (§3): price scores, means, totals, ranks and candidates computed from the stored
bids and scores; closing the evaluation; the evaluation report."""

from __future__ import annotations

import secrets
from decimal import Decimal

from vendorgov import db
from vendorgov.accounts.roles import Principal, Role
from vendorgov.audit import service as audit
from vendorgov.errors import Conflict, Forbidden, InvalidInput, NotFound
from vendorgov.humane import joined
from vendorgov.i18n import N_, _
from vendorgov.recorded import sentence
from vendorgov.tenders import common, panel, ranking_rules, rules
from vendorgov.tenders.rules import EvaluationMethod, Method, Status
from vendorgov.tenders.tables import Bid, PanelMember, PassedOver, Score, Tender


async def evaluate(tender: dict) -> dict:
    """Everything the results, the report and the exports show, computed per §3 from the
    stored bids and scores."""
    criteria = common.criteria_of(tender["criteria"])
    rows = (
        await Bid.select(Bid.all_columns(), Bid.vendor.name.as_alias("vendor_name"))
        .where((Bid.tender == tender["id"]) & (Bid.state == "active"))
        .order_by(Bid.received_at)
    )
    all_bids = []
    for row in rows:
        view = common.bid_view(row, opened=True)
        view.update(vendor=row["vendor"], vendor_name=row["vendor_name"])
        all_bids.append(view)
    eligible = {b["id"]: b for b in all_bids if b["eligible"]}
    prices = {b: v["price"] for b, v in eligible.items()}
    members = common.active_members(
        await PanelMember.select()
        .where(PanelMember.tender == tender["id"])
        .order_by(PanelMember.id)
    )
    scores = await Score.select().where(Score.member.is_in([m["id"] for m in members] or [0]))
    by_bid: dict[int, dict[str, list[Decimal]]] = {b: {} for b in eligible}
    matrix = []
    names = {m["id"]: m["display_name"] for m in members}
    for s in scores:
        if s["bid"] in eligible:
            by_bid[s["bid"]].setdefault(s["criterion"], []).append(db.two_places(s["score"]))
            matrix.append(
                {
                    "member": s["member"],
                    "evaluator": names[s["member"]],
                    "bid": s["bid"],
                    "vendor_name": eligible[s["bid"]]["vendor_name"],
                    "criterion": s["criterion"],
                    "score": db.two_places(s["score"]),
                    "comment": s["comment"],
                }
            )
    comprehensive = tender["evaluation_method"] == EvaluationMethod.comprehensive
    # §3a: small and micro enterprises' prices reduced for the price score (the lowest-price
    # method ranks by it) only; the offered price stays the bid's and the contract's.
    percent = db.two_places(tender["sme_percent"])
    evaluated = ranking_rules.evaluated_prices(
        prices, {b for b, v in eligible.items() if v["sme_size"]}, percent
    )
    # §3a: past-performance criteria are filled from the records kept at opening.
    for c in criteria:
        if c.is_past_performance:
            for b, v in eligible.items():
                by_bid[b][c.key] = [ranking_rules.past_performance_score(v["past_score"], c)]
    if comprehensive:
        means = ranking_rules.criterion_means(by_bid)
        price_scores = ranking_rules.price_scores(evaluated)
        totals = ranking_rules.totals(criteria, evaluated, means)
        # Equal totals by the offered price (投标报价): the deduction counts for the score only.
        ranked = ranking_rules.rank_comprehensive(totals, prices)
        technical = ranking_rules.technical_scores(criteria, means, eligible)
    else:
        means, price_scores, totals = {}, ranking_rules.price_scores(evaluated), {}
        ranked = ranking_rules.rank_lowest_price(evaluated)
        technical = {}
    ordered = ranking_rules.candidate_order(
        ranked, tender["tie_rule"], technical, tender["tie_seed"]
    )
    candidates = ranking_rules.candidates(ordered)
    candidate_ids = [r.bid for r in candidates]
    ties = ranking_rules.needs_draw(ranked, tender["tie_rule"], technical)
    for r in ordered:
        bid = eligible[r.bid]
        bid.update(
            rank=r.rank,
            total=r.total,
            evaluated_price=rules.two_places(evaluated[r.bid]),
            price_score=rules.two_places(price_scores[r.bid]),
            technical=rules.two_places(technical[r.bid]) if r.bid in technical else None,
            means={k: rules.two_places(v) for k, v in means.get(r.bid, {}).items()},
            candidate=candidate_ids.index(r.bid) + 1 if r.bid in candidate_ids else None,
            tied=any(r.bid in group for group in ties),
        )
    passed = (
        await PassedOver.select()
        .where(PassedOver.tender == tender["id"])
        .order_by(PassedOver.position)
    )
    passed_ids = {p["bid"] for p in passed}
    for p in passed:
        p["vendor_name"] = eligible[p["bid"]]["vendor_name"] if p["bid"] in eligible else ""
    next_id = ranking_rules.next_candidate(candidate_ids, passed_ids)
    return {
        "criteria": criteria,
        "bids": all_bids,
        # In candidate order: by rank, ties by the tie rule and the draw (§3).
        "ranked": [eligible[r.bid] for r in ordered],
        "ties": ties,
        "draw_pending": bool(ties) and not tender["tie_seed"],
        "passed_over": passed,
        "next_candidate": eligible[next_id] if next_id is not None else None,
        "candidates": [eligible[b] for b in candidate_ids],
        "members": members,
        "matrix": sorted(matrix, key=lambda m: (m["member"], m["bid"], m["criterion"])),
        "comprehensive": comprehensive,
    }


async def results(principal: Principal, tender_id: int) -> dict:
    """Price scores, criterion means, totals, ranks and candidates (staff; panel members once
    the evaluation has closed)."""
    row = await common.tender_row(tender_id)
    await common.ensure_reader(principal, row)
    if principal.is_vendor:
        return await _own_result(principal, row)
    if principal.role is Role.evaluator:
        member = await common.member_of(tender_id, principal.user_id)
        if member["conflict"] or member["declared_at"] is None:
            raise Forbidden(_("Only panel members who declared no conflict see the results."))
        if row["evaluated_at"] is None:
            raise Forbidden(_("The results are shown to the panel once the evaluation has closed."))
    if row["opened_at"] is None:
        raise Conflict(_("There are no results before the bids are opened."))
    return {"tender": common.decorate(row), **await evaluate(row)}


async def _own_result(principal: Principal, row: dict) -> dict:
    """§3a: once the evaluation has closed (or the tender failed at opening), a bidder sees its
    own bid's total, price score and rank among the ranked bids, or why it was not ranked;
    never another bidder's."""
    if row["evaluated_at"] is None and not (row["opened_at"] and row["status"] == "failed"):
        raise Conflict(_("The results are shown to the bidders once the evaluation has closed."))
    evaluation = await evaluate(row)
    own = next((b for b in evaluation["bids"] if b["vendor"] == principal.vendor_id), None)
    if own is None:
        raise NotFound(N_("bid of your company on tender"), row["id"])
    shown = {
        k: own.get(k)
        for k in (
            "price",
            # §3a: an SME's price less the deduction, for the price score only (None unranked)
            "evaluated_price",
            "sme_size",
            "invalid_reasons",
            "compliance",
            "compliance_reason",
            "low_decision",
            "low_reason",
            "eligible",
            "rank",
            "total",
            "price_score",
            "candidate",
        )
    }
    shown["won"] = row["awarded_bid"] == own["id"]
    tender = common.decorate(row)
    tender["award_reason"] = ""
    tender["awarded_bid"] = None
    return {"tender": tender, "own": shown, "ranked_count": len(evaluation["ranked"])}


async def close_evaluation(actor: Principal, tender_id: int) -> dict:
    """Close scoring: every abnormally low price decided, the panel complete and submitted.
    Fails the tender if compliance review left too few bids."""
    common.ensure_officer(actor)
    async with db.transaction():
        row = await common.tender_row(tender_id, lock=True)
        common.ensure_action(row, "close_evaluation")
        evaluation = await evaluate(row)
        undecided = [
            b["vendor_name"]
            for b in evaluation["bids"]
            if b["abnormally_low"]
            and not b["low_decision"]
            and not b["invalid_reasons"]
            and b["compliance"] != "non_compliant"
        ]
        if undecided:
            raise InvalidInput.single(
                "low_decision",
                "required",
                _(
                    "Abnormally low price: record the panel's decision on the price of "
                    "%(vendors)s first.",
                    vendors=joined(undecided),
                ),
            )
        minimum = rules.min_bidders(Method(row["method"]))
        eligible = len(evaluation["ranked"])
        now = common.now()
        if eligible < minimum:
            reason = sentence(
                N_(
                    "%(left)s bid(s) left after compliance review; at least %(minimum)s needed (§3)"
                ),
                left=eligible,
                minimum=minimum,
            )
            changes = {Tender.status: Status.failed.value, Tender.closed_reason: reason}
        else:
            members = evaluation["members"]
            panel.ensure_valid(row, *panel.counts(members))
            waiting = [m["display_name"] for m in members if not m["submitted_at"]]
            if waiting:
                raise InvalidInput.single(
                    "panel",
                    "submitted",
                    _(
                        "Panel: waiting for the scores of %(names)s; close the evaluation "
                        "once every member has submitted.",
                        names=joined(waiting),
                    ),
                )
            # A bid ruled compliant again after some evaluators submitted lacks their scores.
            expected = {
                (b["id"], c.key)
                for b in evaluation["ranked"]
                for c in evaluation["criteria"]
                if c.panel_scored
            }
            given: dict[int, set] = {m["id"]: set() for m in members}
            for s in evaluation["matrix"]:
                given[s["member"]].add((s["bid"], s["criterion"]))
            short = [m["display_name"] for m in members if not expected <= given[m["id"]]]
            if short:
                raise InvalidInput.single(
                    "panel",
                    "complete",
                    _(
                        "Panel: %(names)s has not scored every bid in the running; ask for "
                        "the missing scores.",
                        names=joined(short),
                    ),
                )
            changes = {Tender.status: Status.evaluated.value, Tender.evaluated_at: now}
            if evaluation["draw_pending"]:
                # §3: ties the stated rule leaves are drawn, with a seed anyone can re-run.
                seed = secrets.token_hex(16)
                changes[Tender.tie_seed] = seed
                evaluation = await evaluate({**row, "tie_seed": seed})
                await audit.record(
                    actor,
                    "tender",
                    tender_id,
                    "tie_draw",
                    None,
                    {
                        "rule": row["tie_rule"] or "none stated: random draw",
                        "seed": seed,
                        "method": "order by SHA-256 of 'seed:bid id', ascending",
                        "tied": evaluation["ties"],
                        "order": [b["id"] for b in evaluation["ranked"]],
                    },
                )
        await Tender.update({**changes, Tender.updated_at: now}).where(Tender.id == tender_id)
        if changes[Tender.status] == Status.failed.value:
            from vendorgov.tenders.deposits import tender_closed

            await tender_closed(tender_id, now)  # §3a: the deposits fall due
        after = {
            "status": changes[Tender.status],
            "ranks": [
                [b["id"], b["vendor_name"], b["total"], b["rank"]] for b in evaluation["ranked"]
            ],
            "candidates": [b["id"] for b in evaluation["candidates"]],
        }
        await audit.record(
            actor, "tender", tender_id, "close_evaluation", {"status": row["status"]}, after
        )
    return after


async def report(principal: Principal, tender_id: int) -> dict:
    """What the evaluation report (评标报告) and the scoring-matrix exports print: the results
    with the award decision, once the evaluation has closed (or the tender failed at it)."""
    data = await results(principal, tender_id)
    tender = data["tender"]
    if tender["evaluated_at"] is None and tender["status"] != Status.failed:
        raise Conflict(_("The evaluation report is issued once the evaluation has closed."))
    data["awarded"] = next((b for b in data["ranked"] if b["id"] == tender["awarded_bid"]), None)
    data.update(await panel.on_record(tender_id))
    return data
