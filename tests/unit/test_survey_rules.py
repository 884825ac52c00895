"""Pure survey rules (§10, §6): scores, the overall score, coverage, pooled tallies, quota
shortfall, and the device-bound form tokens."""

from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from vendorgov.surveys import rules

scores = st.lists(st.one_of(st.none(), st.integers(1, 5)), min_size=1, max_size=8).filter(
    lambda s: any(x is not None for x in s)
)


@given(scores)
def test_satisfied_is_an_exact_mean_of_the_answered_questions_at_least_4(answer):
    answered = [s for s in answer if s is not None]
    assert rules.satisfied(sum(answered), len(answered)) == (rules.overall(answer) >= 4)


def test_overall_leaves_out_skipped_questions_exactly():
    assert rules.overall([5, 3, None]) == 4
    assert rules.overall([4, 4, 3]) == Fraction(11, 3)
    assert not rules.satisfied(11, 3)  # 3.67: rounding to one decimal would still say no
    assert rules.satisfied(8, 2)


@given(scores)
def test_parse_scores_reads_back_what_the_form_sent(answer):
    raw = ["" if s is None else str(s) for s in answer]
    assert rules.parse_scores(raw, len(raw)) == (answer, [])


def test_bad_scores_name_the_question():
    _, errors = rules.parse_scores(["6", "x", "3", " "], 4)
    assert [(e.field, e.rule) for e in errors] == [("q1", "range_1_5"), ("q2", "range_1_5")]
    _, errors = rules.parse_scores(["", ""], 2)
    assert [(e.field, e.rule) for e in errors] == [("scores", "required")]
    _, errors = rules.parse_scores(["5"], 2)
    assert [(e.field, e.rule) for e in errors] == [("scores", "count")]


def test_definition_checks():
    bad = rules.Definition(" ", "visitor", ["", "  "], [], ["cleaning", "rockets"], {3: -1})
    errors = rules.check_definition(bad, ["cleaning"])
    assert {(e.field, e.rule) for e in errors} == {
        ("title", "required"),
        ("audience", "one_of"),
        ("questions", "required"),
        ("categories", "one_of"),
        ("quotas", "range"),
    }
    nothing_covered = rules.Definition("t", "staff", ["q"], [], [], {})
    assert [e.field for e in rules.check_definition(nothing_covered, [])] == ["contract_ids"]


def test_a_version_is_its_questions_audience_and_coverage_not_title_or_quotas():
    a = rules.Definition("A", "patient", ["q1 ", "q2"], [2, 1], ["cleaning"], {1: 5})
    assert rules.same_content(
        a, rules.Definition("B", "patient", ["q1", "", "q2"], [1, 2, 2], ["cleaning"], {})
    )
    assert not rules.same_content(
        a, rules.Definition("A", "staff", ["q1", "q2"], [1, 2], ["cleaning"], {1: 5})
    )
    assert not rules.same_content(
        a, rules.Definition("A", "patient", ["q2", "q1"], [1, 2], ["cleaning"], {1: 5})
    )


tallies = st.builds(lambda n, k: rules.Tally(n, min(k, n)), st.integers(0, 50), st.integers(0, 50))


@given(st.lists(tallies, max_size=6))
def test_tallies_pool_into_one_share(parts):
    total = sum(parts, rules.Tally())
    assert total.answers == sum(p.answers for p in parts)
    if total.answers:
        assert total.share == Fraction(100 * total.satisfied, total.answers)
        assert 0 <= total.share <= 100
    else:
        assert total.share is None  # no data: the component is left out (§6)


def test_an_answer_counts_for_every_contract_its_version_covers():
    versions = [
        rules.VersionCover(1, 10, (7,), ()),
        rules.VersionCover(2, 11, (), ("cleaning",)),
    ]
    counts = {1: rules.Tally(2, 1), 2: rules.Tally(3, 3)}
    got = rules.tallies_by_contract({7: "cleaning", 8: "cleaning", 9: "security"}, versions, counts)
    assert got == {7: rules.Tally(5, 4), 8: rules.Tally(3, 3), 9: rules.Tally(0, 0)}


def test_result_rows_show_each_surveys_shortfall_against_its_own_quota():
    versions = [
        rules.VersionCover(1, 10, (), ("cleaning",)),
        rules.VersionCover(2, 10, (), ("cleaning",)),  # a later version of survey 10
        rules.VersionCover(3, 11, (7,), ()),
    ]
    counts = {(1, 100): rules.Tally(2, 2), (2, 100): rules.Tally(1, 0), (3, 100): rules.Tally(5, 1)}
    quotas = {(10, 100): 4, (11, 100): 2, (10, 200): 3}
    rows = rules.result_rows({7: "cleaning"}, versions, counts, quotas)
    assert rows == [
        # survey 10 short by 4 - 3 = 1, survey 11 over its quota: 0
        rules.ResultRow(7, 100, 8, 3, 6, 1),
        rules.ResultRow(7, 200, 0, 0, 3, 3),
    ]
    assert rows[0].share == Fraction(300, 8)


@given(st.integers(0, 1000), st.integers(0, 1000))
def test_shortfall_is_never_negative(quota, answers):
    assert rules.shortfall(quota, answers) == max(0, quota - answers)


def test_quota_lines():
    pairs, errors = rules.parse_quota_lines("ZY-5E 30\n\n本院区 住院部 5楼 东区 12\nbad\nX -1")
    assert pairs == [("ZY-5E", 30), ("本院区 住院部 5楼 东区", 12)]
    assert [e.message for e in errors] == [
        "Wards, line 4: write a place code, then a whole number.",
        "Wards, line 5: write a place code, then a whole number.",
    ]


KEY = b"k" * 32


@given(st.text(min_size=1, max_size=20).filter(lambda t: "." not in t), st.integers(1, 10**6))
def test_form_tokens_are_bound_to_survey_and_device(nonce, survey_id):
    token = rules.form_token(KEY, nonce, survey_id, "device-a")
    assert rules.form_token_valid(KEY, token, survey_id, "device-a")
    assert not rules.form_token_valid(KEY, token, survey_id, "device-b")
    assert not rules.form_token_valid(KEY, token, survey_id + 1, "device-a")
    assert not rules.form_token_valid(b"x" * 32, token, survey_id, "device-a")
    assert not rules.form_token_valid(KEY, token[:-1], survey_id, "device-a")
