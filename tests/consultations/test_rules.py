"""The procedure's pure rules: exhaustive where small, hypothesis where wide."""
import datetime as dt
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from civic.consultations import rules

STANCE = st.sampled_from(["for", "against", "neutral"])


# -- stages -----------------------------------------------------------------------------------------
def test_stages_move_only_forward_along_the_procedure():
    assert rules.can_move("proposed", "accepted") and rules.can_move("proposed", "declined")
    assert not rules.can_move("declined", "accepted")
    assert not rules.can_move("held", "announced")
    order = rules.TIMELINE
    for a, b in zip(order, order[1:]):
        assert rules.can_move(a, b) or (a, b) == ("proposed", "accepted"), (a, b)
    assert all(not rules.can_move("done", s) for s in rules.STAGES)


def test_threads_close_when_the_outcome_is_published():
    assert rules.is_open_for_comments("proposed") and rules.is_open_for_comments("minuted")
    assert not any(rules.is_open_for_comments(s) for s in ("decided", "implementing", "done", "declined"))
    assert rules.is_open_for_opinions("announced")
    assert not any(rules.is_open_for_opinions(s) for s in rules.STAGES if s != "announced")


# -- eligibility to join and to speak --------------------------------------------------------------
def facts(group=1, building="1幢", rep=False, community=7):
    return rules.ResidentFacts(community_id=community, group_number=group, building=building, representative=rep)


@pytest.mark.parametrize("scope,groups,buildings,who,ok", [
    ("all", "", "", facts(), True),
    ("all", "", "", facts(community=8), False),
    ("groups", "1, 3", "", facts(group=3), True),
    ("groups", "1，3", "", facts(group=2), False),
    ("buildings", "", "1幢、2幢", facts(building="2幢"), True),
    ("buildings", "", "1幢", facts(building="3幢"), False),
    ("buildings", "", "1幢", facts(building=""), False),
    ("representatives", "", "", facts(rep=True), True),
    ("representatives", "", "", facts(rep=False), False),
    ("stakeholders", "", "", facts(rep=True), False),
])
def test_who_may_join(scope, groups, buildings, who, ok):
    assert (rules.join_refusal(scope, 7, groups, buildings, who) is None) is ok


def test_people_not_in_the_registry_never_join():
    for scope in rules.SCOPES:
        assert rules.join_refusal(scope, 7, "1", "1幢", None) is not None


def test_signup_status_hearings_apply_others_take_slots():
    assert rules.signup_status_for("hearing", 0, 100) == "applied"
    assert rules.signup_status_for("council", 0, 1000) == "registered"
    assert rules.signup_status_for("council", 10, 9) == "registered"
    assert rules.signup_status_for("council", 10, 10) == "waitlisted"


@pytest.mark.parametrize("form", list(rules.FORMS))
@pytest.mark.parametrize("kind", list(rules.PARTICIPANT_KINDS))
@pytest.mark.parametrize("status", list(rules.SIGNUP_STATUSES))
@pytest.mark.parametrize("checked_in", [True, False])
def test_who_may_speak(form, kind, status, checked_in):
    allowed = rules.may_speak(form, kind, status, checked_in)
    if not checked_in or status in ("withdrawn", "waitlisted"):
        assert not allowed
    elif form == "hearing":
        assert allowed == (status == "selected" or kind in ("stakeholder", "expert", "official"))
    else:
        assert allowed == (kind != "observer")


def test_speaking_order_proposer_stakeholders_others_experts():
    ranks = [rules.speaking_rank("resident", True), rules.speaking_rank("stakeholder", False),
             rules.speaking_rank("resident", False), rules.speaking_rank("expert", False)]
    assert ranks == sorted(ranks) and len(set(ranks)) == 4


# -- the draw ---------------------------------------------------------------------------------------
applicant_lists = st.lists(STANCE, min_size=1, max_size=60).map(lambda stances: [(i + 1, s) for i, s in enumerate(stances)])


@settings(max_examples=300, deadline=None)
@given(applicants=applicant_lists, seats=st.integers(1, 40), seed=st.text(min_size=1, max_size=40))
def test_draw_is_reproducible_and_fair(applicants, seats, seed):
    chosen = rules.draw(applicants, seats, seed)
    assert chosen == rules.draw(list(reversed(applicants)), seats, seed)  # order of sign-up rows does not matter
    assert len(chosen) == min(seats, len(applicants)) and len(set(chosen)) == len(chosen)
    assert set(chosen) <= {i for i, _s in applicants}
    present = {s for _i, s in applicants}
    picked = {s for i, s in applicants if i in chosen}
    if seats >= len(present):
        assert picked == present  # every view that applied is heard


@settings(max_examples=300, deadline=None)
@given(counts=st.fixed_dictionaries({"for": st.integers(0, 50), "against": st.integers(0, 50), "neutral": st.integers(0, 50)}),
       seats=st.integers(0, 60))
def test_stance_seats_add_up_and_stay_within_applicants(counts, seats):
    share = rules.stance_seats(counts, seats)
    assert sum(share.values()) == min(seats, sum(counts.values()))
    assert all(0 <= share[s] <= counts[s] for s in counts)


def test_draw_changes_with_the_seed_and_matches_the_published_method():
    applicants = [(i, "for" if i % 2 else "against") for i in range(1, 41)]
    first, second = rules.draw(applicants, 10, "seed-a"), rules.draw(applicants, 10, "seed-b")
    assert first != second
    import hashlib

    key = lambda i: hashlib.sha256(f"seed-a:{i}".encode()).hexdigest()  # noqa: E731 - what a verifier would write
    expected = sorted([i for i, s in applicants if s == "against"], key=key)[:5] + sorted([i for i, s in applicants if s == "for"], key=key)[:5]
    assert sorted(first) == sorted(expected)


# -- deadlines ---------------------------------------------------------------------------------------
@given(day=st.dates(dt.date(2020, 1, 1), dt.date(2035, 12, 31)), days=st.integers(1, 30), gap=st.integers(-5, 60))
def test_notice_period_counts_from_the_day_after(day, days, gap):
    meeting = day + dt.timedelta(days=gap)
    assert rules.notice_is_long_enough(day, meeting, days) == (gap >= days)
    assert rules.notice_is_long_enough(rules.latest_notice_date(meeting, days), meeting, days)
    assert not rules.notice_is_long_enough(rules.latest_notice_date(meeting, days) + dt.timedelta(days=1), meeting, days)


def test_answer_deadline_and_overdue():
    held = dt.date(2026, 3, 1)
    assert rules.answer_due(held, 15) == dt.date(2026, 3, 16)
    assert not rules.overdue(dt.date(2026, 3, 16), held, 15, answered=False)
    assert rules.overdue(dt.date(2026, 3, 17), held, 15, answered=False)
    assert not rules.overdue(dt.date(2026, 4, 17), held, 15, answered=True)
    assert not rules.overdue(dt.date(2026, 4, 17), None, 15, answered=False)


def test_signup_window():
    closes = dt.date(2026, 3, 10)
    assert rules.signup_is_open(dt.date(2026, 3, 10), closes, "announced")
    assert not rules.signup_is_open(dt.date(2026, 3, 11), closes, "announced")
    assert not rules.signup_is_open(dt.date(2026, 3, 1), closes, "accepted")


@given(start=st.dates(dt.date(2000, 1, 1), dt.date(2090, 12, 31)), months=st.integers(0, 36))
def test_add_months_lands_in_the_right_month(start, months):
    result = rules.add_months(start, months)
    assert (result.year * 12 + result.month) - (start.year * 12 + start.month) == months
    assert result.day <= start.day


def test_representatives_meeting_due_six_months_after_the_last():
    assert rules.next_representatives_meeting_due(dt.date(2026, 8, 31), dt.date(2027, 1, 1)) == dt.date(2027, 2, 28)
    assert rules.next_representatives_meeting_due(None, dt.date(2027, 1, 1)) == dt.date(2027, 1, 1)


# -- moderation, mentions, pseudonyms --------------------------------------------------------------
@given(reports=st.integers(0, 60), threshold=st.integers(1, 50), state=st.sampled_from(["visible", "pending", "hidden"]))
def test_auto_hide_at_the_threshold_only_for_visible_comments(reports, threshold, state):
    after = rules.state_after_report(state, reports, threshold)
    if state == "visible":
        assert after == ("pending" if reports >= threshold else "visible")
    else:
        assert after == state


def test_paths_sort_depth_first():
    root = rules.path_for("", 7)
    child = rules.path_for(root, 12)
    grandchild = rules.path_for(child, 8)
    sibling = rules.path_for("", 10)
    assert sorted([sibling, grandchild, root, child]) == [root, child, grandchild, sibling]


def test_mentions():
    assert rules.mentions("@王芳 说得对，@热心邻居 也同意 @王芳") == ["王芳", "热心邻居"]
    assert rules.mentions("mail me at a@b.com") == []
    assert rules.mentions("@x") == []


def test_alias_rules():
    assert rules.alias_problem("热心邻居", set()) is None
    assert rules.alias_problem("a", set()) is not None
    assert rules.alias_problem("<script>", set()) is not None
    assert rules.alias_problem("王芳", {"王芳"}) is not None


# -- formal meetings: integers, compared with exact fractions -----------------------------------------
@settings(max_examples=500)
@given(members=st.integers(1, 3000), data=st.data())
def test_quorum(members, data):
    attendees = data.draw(st.integers(0, members))
    assert rules.quorum_met("residents", attendees, members) == (Fraction(attendees, members) > Fraction(1, 2))
    assert rules.quorum_met("representatives", attendees, members) == (Fraction(attendees, members) >= Fraction(2, 3))
    assert not rules.quorum_met("residents", members + 1, members)


@settings(max_examples=500)
@given(base=st.integers(1, 5000), data=st.data())
def test_calling_on_request(base, data):
    asked = data.draw(st.integers(0, base))
    tenth, third, fifth = Fraction(asked, base) >= Fraction(1, 10), Fraction(asked, base) >= Fraction(1, 3), Fraction(asked, base) >= Fraction(1, 5)
    assert rules.request_is_enough("residents", "adults", asked, base) == (asked > 0 and tenth)
    assert rules.request_is_enough("residents", "households", asked, base) == (asked > 0 and tenth)
    assert rules.request_is_enough("residents", "representatives", asked, base) == (asked > 0 and third)
    assert rules.request_is_enough("representatives", "representatives", asked, base) == (asked > 0 and fifth)
    assert not rules.request_is_enough("representatives", "adults", asked, base)


def test_exact_boundaries():
    assert rules.quorum_met("residents", 51, 100) and not rules.quorum_met("residents", 50, 100)
    assert rules.quorum_met("representatives", 20, 30) and not rules.quorum_met("representatives", 19, 30)
    assert rules.request_is_enough("residents", "adults", 10, 100) and not rules.request_is_enough("residents", "adults", 9, 100)
    assert rules.adopted(26, 50) and not rules.adopted(25, 50)
    assert rules.representatives_share_ok(40, 50) and not rules.representatives_share_ok(39, 50)
    assert rules.hearing_quorum(10, 15) and not rules.hearing_quorum(9, 15)


@given(attendees=st.integers(0, 2000), data=st.data())
def test_adoption_is_a_majority_of_attendees(attendees, data):
    votes_for = data.draw(st.integers(0, attendees))
    assert rules.adopted(votes_for, attendees) == (attendees > 0 and Fraction(votes_for, attendees) > Fraction(1, 2))


def test_vote_counts_checked():
    assert rules.votes_problem(10, 5, 5, 20) is None
    assert rules.votes_problem(10, 6, 5, 20) is not None
    assert rules.votes_problem(-1, 0, 0, 20) is not None


def test_formal_notice():
    called = dt.date(2026, 3, 1)
    assert rules.formal_notice_ok(called, dt.date(2026, 3, 11), 10, urgent=False)
    assert not rules.formal_notice_ok(called, dt.date(2026, 3, 10), 10, urgent=False)
    assert rules.formal_notice_ok(called, dt.date(2026, 3, 2), 10, urgent=True)
    assert not rules.formal_notice_ok(called, dt.date(2026, 2, 28), 10, urgent=True)


# -- answers and outcome gates ----------------------------------------------------------------------
@pytest.mark.parametrize("disposition,answer,referred,field", [
    ("", "好", "", "disposition"),
    ("adopted", "", "", "answer"),
    ("adopted", "采纳", "", None),
    ("not_adopted", "不行", "", "answer"),
    ("not_adopted", "超出居委会职权范围", "", None),
    ("partly", "部分采纳，理由如下", "", None),
    ("referred", "已转交", "", "referred_to"),
    ("referred", "已转交", "街道城建科", None),
])
def test_every_answer_is_complete(disposition, answer, referred, field):
    problem = rules.answer_problem(disposition, answer, referred)
    assert (problem[0] if problem else None) == field


def test_outcome_gates():
    assert rules.outcome_blockers(0, False, False, "") == []
    assert len(rules.outcome_blockers(2, False, False, "")) == 1
    assert len(rules.outcome_blockers(0, True, False, "")) == 1  # party organisation first (C3)
    assert len(rules.outcome_blockers(0, True, True, "")) == 1  # then the formal meeting
    assert rules.outcome_blockers(0, True, True, "rejected") == []
