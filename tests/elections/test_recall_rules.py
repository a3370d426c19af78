"""E39 recall thresholds and E31 turnout at their boundaries (integers only)."""
import pytest
from hypothesis import given, strategies as st

from civic.elections import rules


@pytest.mark.parametrize("mode,base,ok,short", [
    ("all-voters", 1000, 100, 99),      # at least 1/10 of voters (以上 includes the number)
    ("household", 341, 35, 34),         # 34.1 → 35
    ("representatives", 30, 10, 9),     # at least 1/3 of representatives
    ("representatives", 31, 11, 10),    # 10.33 → 11
    ("all-voters", 5, 1, 0),
])
def test_recall_request_threshold(mode, base, ok, short):
    assert rules.recall_threshold(mode, base) == ok
    assert rules.recall_request_ok(mode, ok, base) and not rules.recall_request_ok(mode, short, base)


@given(st.sampled_from(rules.MODES), st.integers(0, 100_000))
def test_threshold_is_the_smallest_sufficient_number(mode, base):
    n = rules.recall_threshold(mode, base)
    assert rules.recall_request_ok(mode, n, base)
    assert n == 1 or not rules.recall_request_ok(mode, n - 1, base)


def test_recall_passes_with_more_than_half_of_those_voting():
    # 1,000 registered, 501 vote (E31 met): 251 agree passes, 250 does not
    assert rules.recall_passes("all-voters", 501, 1000, 251)
    assert not rules.recall_passes("all-voters", 501, 1000, 250)
    # 500 of 1,000 is not more than half: no valid vote, whatever the agreement
    assert not rules.recall_passes("all-voters", 500, 1000, 500)
    assert rules.recall_passes("household", 301, 600, 151) and not rules.recall_passes("household", 300, 600, 300)


def test_recall_turnout_of_representatives_is_two_thirds():
    # 30 representatives: 20 is not more than 2/3, 21 is
    assert not rules.recall_passes("representatives", 20, 30, 20)
    assert rules.recall_passes("representatives", 21, 30, 11)
    assert not rules.recall_passes("representatives", 21, 30, 10)


def test_recall_board_rules_fix_the_majority():
    from civic.elections.models import Election
    from civic.elections.setup import board_rules

    election = Election(purpose="recall", mode="representatives", rules='{"elections.win": [2, 3]}')
    assert board_rules(election) == {"quorum": [2, 3], "win": [1, 2], "runoff_win": [1, 3]}
    election.mode = "group-reps"
    assert board_rules(election)["quorum"] == [2, 3]


def test_term_end_never_raises():
    import datetime as dt

    from civic.elections.setup import term_end

    assert term_end(dt.date(2024, 2, 29), 5) == dt.date(2029, 2, 28)
    assert term_end(dt.date(9999, 12, 31), 5) == dt.date.max
