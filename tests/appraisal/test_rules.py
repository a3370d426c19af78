"""The appraisal arithmetic: hand-computed cases first, then properties over wide spaces (hypothesis)."""
import datetime as dt
from fractions import Fraction as F

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from civic.appraisal import rules
from civic.appraisal.rules import Form, GroupSpec, Policy

E, C, B, U = "excellent", "competent", "basic", "unfit"


def forms(*grades):
    return [Form(g) for g in grades]


# ---- hand-computed cases -------------------------------------------------------------------------

def test_worked_example_three_groups_weighted():
    """The worked example of the report: street 30 %, party-member reps 10 %, resident reps 60 %.

    street: 1 form, 称职 → score 80, satisfaction 1/1
    party:  E E C B U → score (100+100+80+60+0)/5 = 68, satisfaction 4/5 (基本称职 counts)
    residents: E C C C B U → score (100+80+80+80+60+0)/6 = 400/6 = 200/3, satisfaction 5/6
    weighted score = (30·80 + 10·68 + 60·200/3) / 100 = (2400 + 680 + 4000) / 100 = 70.8
    weighted satisfaction = (30·1 + 10·4/5 + 60·5/6) / 100 = (30 + 8 + 50) / 100 = 22/25 = 88 %
    share 称职 = (30·1 + 10·1/5 + 60·3/6) / 100 = (30 + 2 + 30)/100 = 31/50 → the grade is 称职
    share 不称职 = (0 + 10·1/5 + 60·1/6) / 100 = 12/100 = 3/25, not above 1/3
    """
    specs = [GroupSpec("street", 30, 1), GroupSpec("party_reps", 10, 1), GroupSpec("resident_reps", 60, 1)]
    out = rules.cadre_outcome(specs, {
        "street": forms(C), "party_reps": forms(E, E, C, B, U), "resident_reps": forms(E, C, C, C, B, U),
    }, Policy(), dimensions=False)
    assert [g.score for g in out.groups] == [80, 68, F(200, 3)]
    assert out.score == F(708, 10)
    assert out.satisfaction == F(22, 25)
    assert out.shares[C] == F(31, 50) and out.unfit_share == F(3, 25)
    assert out.grade == C and out.flags == []
    assert rules.decimal(out.score) == "70.80" and rules.percent(out.satisfaction) == "88.0"


def test_group_below_minimum_is_left_out_and_weights_rescaled():
    specs = [GroupSpec("street", 30, 1), GroupSpec("resident_reps", 70, 5)]
    out = rules.cadre_outcome(specs, {"street": forms(E), "resident_reps": forms(U, U, U, U)}, Policy(), False)
    # Only the street office counts: its weight becomes the whole.
    assert out.score == 100 and out.grade == E
    assert "group_below_minimum" in out.flags and not out.groups[1].counted


def test_no_counted_group_means_no_result():
    out = rules.cadre_outcome([GroupSpec("resident_reps", 100, 3)], {"resident_reps": forms(E, E)}, Policy(), False)
    assert not out.has_result and out.flags[0] == "insufficient" and out.score is None


def test_abstentions_are_not_valid_forms():
    out = rules.cadre_outcome([GroupSpec("peers", 100, 2)], {"peers": forms(E, None, None)}, Policy(), False)
    assert out.groups[0].forms == 3 and out.groups[0].valid == 1 and out.groups[0].abstained == 2
    assert not out.has_result  # one valid form, two needed


def test_unfit_share_of_exactly_one_third_is_not_more_than_a_third():
    specs = [GroupSpec("resident_reps", 100, 1)]
    exactly = rules.cadre_outcome(specs, {"resident_reps": forms(U, C, C)}, Policy(), False)
    assert exactly.unfit_share == F(1, 3) and "unfit_share" not in exactly.flags
    above = rules.cadre_outcome(specs, {"resident_reps": forms(U, U, C, C, C)}, Policy(), False)
    assert above.unfit_share == F(2, 5) and "unfit_share" in above.flags


def test_satisfaction_with_and_without_basic():
    counts = {E: 2, C: 3, B: 4, U: 1}
    assert rules.satisfied(counts, True) == 9 and rules.satisfied(counts, False) == 5
    specs = [GroupSpec("resident_reps", 100, 1)]
    strict = rules.cadre_outcome(specs, {"resident_reps": forms(E, B, B, B, U)}, Policy(satisfaction_includes_basic=False), False)
    assert strict.satisfaction == F(1, 5) and "low_satisfaction" in strict.flags
    lenient = rules.cadre_outcome(specs, {"resident_reps": forms(E, B, B, B, U)}, Policy(), False)
    assert lenient.satisfaction == F(4, 5) and "low_satisfaction" not in lenient.flags


def test_satisfaction_exactly_at_the_warning_is_not_below_it():
    specs = [GroupSpec("resident_reps", 100, 1)]
    out = rules.cadre_outcome(specs, {"resident_reps": forms(C, C, C, U, U)}, Policy(satisfaction_includes_basic=False), False)
    assert out.satisfaction == F(3, 5) and "low_satisfaction" not in out.flags


def test_trimming_drops_one_highest_and_one_lowest():
    policy = Policy(trim=True, trim_min=4)
    specs = [GroupSpec("resident_reps", 100, 1)]
    out = rules.cadre_outcome(specs, {"resident_reps": forms(E, C, C, U)}, policy, False)
    # 100 and 0 dropped: (80 + 80) / 2
    assert out.score == 80 and out.groups[0].trimmed
    # Below the minimum nothing is dropped: (100 + 80 + 0) / 3
    few = rules.cadre_outcome(specs, {"resident_reps": forms(E, C, U)}, policy, False)
    assert few.score == 60 and not few.groups[0].trimmed
    # Grade counts are never trimmed.
    assert out.groups[0].counts == {E: 1, C: 2, B: 0, U: 1}


def test_dimension_scores_are_scaled_to_100_and_averaged_per_dimension():
    policy = Policy(score_basis="dimensions", scale_max=10)
    specs = [GroupSpec("resident_reps", 100, 1)]
    out = rules.cadre_outcome(specs, {"resident_reps": [Form(C, (8, 7, 9, 6, 10)), Form(B, (6, 5, 7, 4, 8))]}, policy, True)
    # (40/50·100 + 30/50·100) / 2 = (80 + 60) / 2
    assert out.score == 70
    assert out.dimension_means == (7, 6, 8, 5, 9)


def test_low_score_flag_and_removal_threshold():
    specs = [GroupSpec("resident_reps", 100, 1)]
    out = rules.cadre_outcome(specs, {"resident_reps": forms(B, B, U)}, Policy(), False)
    assert out.score == 40 and "low_score" in out.flags
    at = rules.cadre_outcome(specs, {"resident_reps": forms(B)}, Policy(), False)
    assert at.score == 60 and "low_score" not in at.flags


@pytest.mark.parametrize("tie_break,expected", [("lower", U), ("higher", C)])
def test_tie_of_shares_follows_the_configured_tie_break(tie_break, expected):
    specs = [GroupSpec("resident_reps", 100, 1)]
    out = rules.cadre_outcome(specs, {"resident_reps": forms(C, U)}, Policy(tie_break=tie_break), False)
    assert out.grade == expected
    assert ("unfit_grade" in out.flags) == (expected == U)


def test_ranks_with_tie_breaks_and_shared_ranks():
    specs = [GroupSpec("resident_reps", 100, 1)]

    def outcome(*grades):
        return rules.cadre_outcome(specs, {"resident_reps": forms(*grades)}, Policy(), False)

    a = outcome(E, C)          # 90, satisfaction 1
    b = outcome(E, E, U, E)    # 75, satisfaction 3/4
    c = outcome(C, C, C, B, B, E, B, C)  # (80·4 + 60·3 + 100) / 8 = 600/8 = 75, satisfaction 1 → above b
    d = outcome(E, C)          # equal to a on every key: shares rank 1
    none = rules.cadre_outcome([GroupSpec("resident_reps", 100, 9)], {"resident_reps": forms(E)}, Policy(), False)
    rules.assign_ranks([a, b, c, d, none])
    assert (a.rank, d.rank, c.rank, b.rank, none.rank) == (1, 1, 3, 4, None)


def test_two_consecutive_unfit_years_end_the_office():
    assert rules.ends_office("unfit", "unfit")
    assert not rules.ends_office("unfit", "basic")
    assert not rules.ends_office("unfit", None)
    assert not rules.ends_office("competent", "unfit")


def test_weight_problems():
    assert rules.weight_problem([30, 10, 60]) is None
    assert rules.weight_problem([30, 10, 59]) == "sum"
    assert rules.weight_problem([0, 40, 60]) == "range"
    assert rules.weight_problem([]) == "no_groups"


def test_schedule_problems():
    d = dt.date(2026, 12, 1)
    day = dt.timedelta(days=1)
    assert rules.schedule_problem(d, d + day, d + 2 * day, d + 5 * day) is None
    assert rules.schedule_problem(None, None, d, d - day) == "closes_before_opens"
    assert rules.schedule_problem(d + 3 * day, None, d, d + 5 * day) == "reports_after_rating"
    assert rules.schedule_problem(d, d + 9 * day, d + 2 * day, d + 5 * day) == "meeting_out_of_order"


def test_turnout_and_quota_include_the_boundary():
    assert rules.turnout_ok(20, 30) and not rules.turnout_ok(19, 30) and not rules.turnout_ok(0, 0)
    assert rules.representatives_share_ok(7, 10, 70) and not rules.representatives_share_ok(6, 10, 70)


def test_deadlines_do_not_count_the_first_day():
    assert rules.feedback_due(dt.date(2026, 12, 20), 10) == dt.date(2026, 12, 30)
    assert rules.posted_until(dt.date(2026, 12, 28), 5) == dt.date(2027, 1, 2)


def test_form_problems():
    assert rules.form_problem(Form(C, (1, 2, 3, 4, 5)), True, 10) is None
    assert rules.form_problem(Form(None), True, 10) is None
    assert rules.form_problem(Form(None, (1, 1, 1, 1, 1)), True, 10) == "scores_without_grade"
    assert rules.form_problem(Form("great"), False, 10) == "grade"
    assert rules.form_problem(Form(C, (1, 2, 3)), True, 10) == "scores_missing"
    assert rules.form_problem(Form(C, (1, 2, 3, 4, 11)), True, 10) == "score_range"
    assert rules.form_problem(Form(C, (1, 2, 3, 4, 5)), False, 10) == "scores_not_asked"


def test_display_rounding_is_half_up_and_exact():
    assert rules.decimal(F(2, 3)) == "0.67" and rules.decimal(F(1, 8), 2) == "0.13"
    assert rules.percent(F(1, 3)) == "33.3" and rules.percent(None) == "—"
    assert rules.mask_name("王小明") == "王**" and rules.mask_name("") == "*"


# ---- properties ----------------------------------------------------------------------------------

grade_or_abstain = st.sampled_from(rules.GRADES + (None,))
group_forms = st.lists(grade_or_abstain, max_size=40)


@st.composite
def weights(draw):
    """Two to four weights of at least 1 adding up to 100."""
    n = draw(st.integers(2, 4))
    cuts = sorted(draw(st.lists(st.integers(1, 99), min_size=n - 1, max_size=n - 1, unique=True)))
    parts = [b - a for a, b in zip([0] + cuts, cuts + [100])]
    return parts


@settings(max_examples=200, deadline=None)
@given(weights(), st.lists(group_forms, min_size=4, max_size=4), st.integers(1, 5), st.booleans(), st.booleans())
def test_aggregates_are_bounded_and_shares_sum_to_one(ws, raw, minimum, trim, basic):
    kinds = rules.GROUP_KINDS[: len(ws)]
    specs = [GroupSpec(k, w, minimum) for k, w in zip(kinds, ws)]
    by_group = {k: forms(*raw[i]) for i, k in enumerate(kinds)}
    out = rules.cadre_outcome(specs, by_group, Policy(trim=trim, trim_min=3, satisfaction_includes_basic=basic), False)
    counted = [g for g in out.groups if g.counted]
    assert out.has_result == bool(counted)
    if out.has_result:
        assert sum(out.shares.values()) == 1
        assert 0 <= out.score <= 100 and 0 <= out.satisfaction <= 1
        assert out.shares[out.grade] == max(out.shares.values())
        assert ("unfit_share" in out.flags) == (3 * out.unfit_share > 1)
        # The weighted score lies between the lowest and highest counted group score.
        assert min(g.score for g in counted) <= out.score <= max(g.score for g in counted)
    for g in out.groups:
        assert g.valid == sum(g.counts.values()) and g.forms == len(by_group[g.kind])
        assert g.counted == (g.valid >= minimum)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(rules.GRADES), min_size=1, max_size=30), st.integers(3, 12))
def test_trimming_never_moves_the_mean_outside_the_range(grades, trim_min):
    policy = Policy(trim=True, trim_min=trim_min)
    out = rules.group_outcome(GroupSpec("peers", 100, 1), forms(*grades), policy, False)
    points = [rules.GRADE_POINTS[g] for g in grades]
    assert min(points) <= out.score <= max(points)
    assert out.trimmed == (len(grades) >= trim_min)
    if not out.trimmed:
        assert out.score == F(sum(points), len(points))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.sampled_from(rules.GRADES), min_size=1, max_size=8), min_size=1, max_size=8))
def test_ranks_are_competition_ranks(groups_of_grades):
    specs = [GroupSpec("resident_reps", 100, 1)]
    outcomes = [rules.cadre_outcome(specs, {"resident_reps": forms(*g)}, Policy(), False) for g in groups_of_grades]
    rules.assign_ranks(outcomes)
    for o in outcomes:
        better = sum(1 for p in outcomes if rules.rank_key(p) > rules.rank_key(o))
        assert o.rank == better + 1


@given(st.lists(grade_or_abstain, max_size=30), st.integers(1, 100))
def test_weight_of_a_single_group_does_not_matter(grades, weight):
    """One counted group: its weight rescales to the whole, whatever it is."""
    a = rules.cadre_outcome([GroupSpec("peers", weight, 1)], {"peers": forms(*grades)}, Policy(), False)
    b = rules.cadre_outcome([GroupSpec("peers", 100, 1)], {"peers": forms(*grades)}, Policy(), False)
    assert (a.score, a.satisfaction, a.grade) == (b.score, b.satisfaction, b.grade)
