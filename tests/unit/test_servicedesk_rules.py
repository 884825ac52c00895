"""Service-request rules (§8, §9): routing by the deepest route, the life cycle, due times,
SLA state and escalation levels, checks of a new request and of a rating."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vendorgov.contracts.rules import Clause, ClauseKind
from vendorgov.servicedesk import rules
from vendorgov.servicedesk.rules import Action, NewRequest, SlaState, Status

T0 = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


def clause(kind, minutes, category="", priority=""):
    return Clause(
        code="SLA-X",
        name="x",
        kind=kind,
        target=Decimal(90),
        minimum=Decimal(50),
        weight=Decimal(1),
        threshold_minutes=minutes,
        category=category,
        priority=priority,
    )


def test_the_deepest_route_above_a_place_wins():
    routes = {3: 100, 17: 200}
    assert rules.choose_route(routes, "/3/17/52/") == 200
    assert rules.choose_route(routes, "/3/18/60/") == 100
    assert rules.choose_route(routes, "/4/5/") is None


@given(
    st.lists(st.integers(1, 50), min_size=1, max_size=6, unique=True),
    st.dictionaries(st.integers(1, 50), st.integers(1, 9)),
)
def test_a_route_is_always_one_above_the_place(path, routes):
    chosen = rules.choose_route(routes, "/" + "/".join(map(str, path)) + "/")
    above = [routes[i] for i in path if i in routes]
    assert chosen == (above[-1] if above else None)


def test_the_life_cycle_and_repeats():
    assert rules.next_status(Status.submitted, Action.accept) is Status.accepted
    assert rules.next_status(Status.resolved, Action.rate) is Status.confirmed
    with pytest.raises(rules.Refused):
        rules.next_status(Status.submitted, Action.resolve)
    with pytest.raises(rules.Refused):
        rules.next_status(Status.confirmed, Action.rate)
    assert rules.already_done(Status.on_site, Action.accept)
    assert not rules.already_done(Status.submitted, Action.accept)


def test_the_tightest_applicable_clause_sets_the_due_times():
    clauses = [
        clause(ClauseKind.response_within, 30),
        clause(ClauseKind.response_within, 15, priority="emergency"),
        clause(ClauseKind.response_within, 5, category="security"),
        clause(ClauseKind.resolution_within, 120),
    ]
    kind = ClauseKind.response_within
    assert rules.tightest_minutes(clauses, kind, "cleaning", "emergency") == 15
    assert rules.tightest_minutes(clauses, kind, "cleaning", "routine") == 30
    assert rules.tightest_minutes([], kind, "cleaning", "routine") is None
    due = rules.due(T0, 30)
    assert due.warn_at == T0 + timedelta(minutes=24) and due.due_at == T0 + timedelta(minutes=30)
    assert rules.due(T0, None) == rules.Due(None, None)


def row(**values):
    base = {
        "reported_at": T0,
        "responded_at": None,
        "resolved_at": None,
        "response_warn_at": T0 + timedelta(minutes=24),
        "response_due_at": T0 + timedelta(minutes=30),
        "resolution_warn_at": T0 + timedelta(minutes=96),
        "resolution_due_at": T0 + timedelta(minutes=120),
    }
    return {**base, **values}


def test_sla_state_and_escalation_levels_by_step():
    assert rules.sla_state(row(), T0 + timedelta(minutes=10)) is SlaState.ok
    assert rules.sla_state(row(), T0 + timedelta(minutes=24)) is SlaState.warning
    assert rules.escalations(row(), T0 + timedelta(minutes=31)) == {"response": 2, "resolution": 0}
    responded = row(responded_at=T0 + timedelta(minutes=20))
    assert rules.escalations(responded, T0 + timedelta(minutes=100)) == {
        "response": 0,
        "resolution": 1,
    }
    done = row(responded_at=T0, resolved_at=T0 + timedelta(minutes=50))
    assert rules.sla_state(done, T0 + timedelta(days=3)) is SlaState.done
    no_clause = row(
        response_warn_at=None, response_due_at=None, resolution_warn_at=None, resolution_due_at=None
    )
    assert rules.sla_state(no_clause, T0 + timedelta(days=3)) is SlaState.ok


@given(st.integers(0, 10_000))
def test_escalation_never_goes_down_as_time_passes(minutes):
    now = T0 + timedelta(minutes=minutes)
    later = now + timedelta(minutes=1)
    for step in rules.STEPS:
        assert rules.escalations(row(), later)[step] >= rules.escalations(row(), now)[step]


def test_checks_of_a_new_request_and_a_rating():
    good = NewRequest("cleaning", 5, "地面积水", "urgent", "王护士", "8123")
    assert not rules.check_new(good, ["cleaning"]).errors
    bad = NewRequest("plumbing", None, " ", "soon", "", "abc")
    fields = {e.field for e in rules.check_new(bad, ["cleaning"]).errors}
    assert fields == {
        "category",
        "location_id",
        "description",
        "priority",
        "contact_name",
        "contact_phone",
    }
    assert [e.rule for e in rules.check_rating(6, "").errors] == ["range_1_5"]
    assert [e.rule for e in rules.check_rating(True, "").errors] == ["range_1_5"]
    assert not rules.check_rating(1, "差").errors
    assert rules.needs_complaint_review(2, False) and rules.needs_complaint_review(5, True)
    assert not rules.needs_complaint_review(3, False) and not rules.needs_complaint_review(
        None, False
    )


def test_age_bands():
    assert rules.age_band(T0, T0 + timedelta(minutes=59)) == "under 1 h"
    assert rules.age_band(T0, T0 + timedelta(hours=5)) == "4–24 h"
    assert rules.age_band(T0, T0 + timedelta(days=2)) == "over 24 h"
