"""civic.elections.rules as pure functions: thresholds, eligibility, schedule, seats, ballots, counting.

Counting is checked against `reference_count` below: a deliberately plain transcription of the
contract's Counting section (shared/contracts/election-board.md), one ballot at a time, sharing no
code with the implementation. Hypothesis drives both over random rounds.
"""
from __future__ import annotations

import unicodedata
from datetime import date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from civic.elections import rules
from civic.elections.rules import (
    at_least,
    check_candidates,
    check_margin,
    check_schedule,
    check_seats,
    count_round,
    more_than,
    runoff_candidates,
    validate_ballot,
)

# --------------------------------------------------------------------------------------------------
# The reference: the contract's Counting section, transcribed plainly
# --------------------------------------------------------------------------------------------------


def reference_count(rules_, sections, online, paper, boxes, registered, issued, round_no):
    def norm(name):
        return unicodedata.normalize("NFKC", name).strip()

    quorum, win, runoff_win = rules_["quorum"], rules_["win"], rules_["runoff_win"]
    returned = len(online) + len(paper) + sum(box["returned"] for box in boxes)
    if returned > issued:
        valid, reason = False, "over-issued"
    elif returned * quorum[1] <= registered * quorum[0]:
        valid, reason = False, "no-quorum"
    else:
        valid, reason = True, None

    result_sections = {}
    elected_before = []
    for section in sections:
        candidate_by_name = {}
        for candidate in section["candidates"]:
            if norm(candidate["name"]) not in candidate_by_name:
                candidate_by_name[norm(candidate["name"])] = candidate["id"]

        def person_of(written):
            if norm(written) in candidate_by_name:
                return candidate_by_name[norm(written)]
            return "write:" + norm(written)

        votes = {}
        invalid = 0
        for ballot in online + paper:
            if ballot is None:
                invalid += 1
                continue
            part = ballot[section["id"]]
            persons = []
            for cid in part["approve"]:
                if cid not in persons:
                    persons.append(cid)
            for written in part["write_in"]:
                if person_of(written) not in persons:
                    persons.append(person_of(written))
            if len(persons) > section["seats"]:
                invalid += 1
                continue
            for person in persons:
                votes[person] = votes.get(person, 0) + 1
        for box in boxes:
            invalid += box["invalid"]
            tally = box["sections"].get(section["id"])
            if tally is not None:
                invalid += tally["invalid"]
                for person, n in tally["votes"].items():
                    votes[person] = votes.get(person, 0) + n
                for written, n in tally["write_in"].items():
                    votes[person_of(written)] = votes.get(person_of(written), 0) + n
        votes = {p: v for p, v in votes.items() if v >= 1}

        elected, tied = [], []
        if valid:
            qualifying = []
            for person, v in votes.items():
                if person in elected_before:
                    continue
                if round_no >= 2:
                    qualifies = v > 0 and v * runoff_win[1] >= returned * runoff_win[0]
                else:
                    qualifies = v * win[1] > returned * win[0]
                if qualifies:
                    qualifying.append((person, v))
            qualifying.sort(key=lambda pv: (-pv[1], pv[0]))
            seats = section["seats"]
            if len(qualifying) <= seats:
                elected = [p for p, v in qualifying]
            else:
                cutoff = qualifying[seats - 1][1]
                if qualifying[seats][1] == cutoff:
                    elected = [p for p, v in qualifying if v > cutoff]
                    tied = [p for p, v in qualifying if v == cutoff]
                else:
                    elected = [p for p, v in qualifying[:seats]]
            elected_before.extend(elected)
        result_sections[section["id"]] = {
            "votes": votes,
            "invalid": invalid,
            "elected": elected,
            "tied": tied,
            "unfilled": section["seats"] - len(elected),
        }
    return {
        "valid": valid,
        "reason": reason,
        "registered": registered,
        "issued": issued,
        "returned": returned,
        "sections": result_sections,
    }


# --------------------------------------------------------------------------------------------------
# Strategies: names with full-width and spaced variants, ballots with repeats, boxes, turnout
# --------------------------------------------------------------------------------------------------

NAMES = ["王建国", "李秀英", "Li Na", "Wang", "赵六", "Zhang 3"]
RULES = {"quorum": [1, 2], "win": [1, 2], "runoff_win": [1, 3]}


def fullwidth(text: str) -> str:
    """The full-width form of ASCII letters, digits and space (NFKC maps them back)."""
    return "".join("\u3000" if ch == " " else chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else ch for ch in text)


def variants(name: str) -> list[str]:
    return [name, f" {name}", f"{name}\u3000", fullwidth(name), f"\t{fullwidth(name)} ", f"{name}\n"]


WRITE_INS = [v for name in NAMES for v in variants(name)] + ["路人甲", "Ｘ", " x "]


@st.composite
def election_sections(draw, max_sections=3):
    sections, next_id = [], 1
    for k in range(draw(st.integers(1, max_sections))):
        seats = draw(st.integers(1, 3))
        candidates = []
        for _ in range(draw(st.integers(1, 4))):
            candidates.append({"id": f"c{next_id}", "name": draw(st.sampled_from(NAMES))})
            next_id += 1
        sections.append({"id": f"s{k}", "title": f"section {k}", "seats": seats, "candidates": candidates})
    return sections


@st.composite
def ballot_for(draw, sections):
    all_ids = [c["id"] for s in sections for c in s["candidates"]]
    ballot = {}
    for section in sections:
        own = [c["id"] for c in section["candidates"]]
        # mostly the section's own candidates, sometimes a stray id; duplicates and any order allowed
        ids = st.sampled_from(own) | st.sampled_from(all_ids)
        ballot[section["id"]] = {
            "approve": draw(st.lists(ids, max_size=section["seats"] + 2)),
            "oppose": draw(st.lists(st.sampled_from(own), max_size=2, unique=True)),
            "write_in": draw(st.lists(st.sampled_from(WRITE_INS), max_size=2)),
        }
    return ballot


@st.composite
def many(draw, element, max_kinds=5, max_copies=9):
    """A list of ballots where a few kinds repeat: majorities and ties happen often."""
    kinds = draw(st.lists(element, max_size=max_kinds))
    out = []
    for kind in kinds:
        out.extend([kind] * draw(st.integers(1, max_copies)))
    return draw(st.permutations(out)) if out else out


@st.composite
def box_tally(draw, sections):
    tally_sections = {}
    for section in sections:
        if draw(st.booleans()):
            tally_sections[section["id"]] = {
                "invalid": draw(st.integers(0, 3)),
                "votes": {c["id"]: draw(st.integers(0, 12)) for c in section["candidates"] if draw(st.booleans())},
                "write_in": {w: draw(st.integers(0, 4)) for w in draw(st.lists(st.sampled_from(WRITE_INS), max_size=3))},
            }
    return {"returned": draw(st.integers(0, 25)), "invalid": draw(st.integers(0, 3)), "sections": tally_sections}


@st.composite
def rounds(draw):
    sections = draw(election_sections())
    online = draw(many(ballot_for(sections)))
    paper = draw(many(st.none() | ballot_for(sections), max_kinds=3, max_copies=4))
    boxes = draw(st.lists(box_tally(sections), max_size=2))
    returned = len(online) + len(paper) + sum(b["returned"] for b in boxes)
    # registered around 2 × returned: quorum met and missed; issued around returned: over-issued at times
    registered = draw(st.integers(0, 2 * returned + 2))
    issued = returned + draw(st.integers(-2, 6))
    round_no = draw(st.sampled_from([1, 1, 2, 3]))
    return sections, online, paper, boxes, registered, issued, round_no


# --------------------------------------------------------------------------------------------------
# Counting: the implementation agrees with the reference
# --------------------------------------------------------------------------------------------------


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(rounds())
def test_count_round_equals_reference(case):
    sections, online, paper, boxes, registered, issued, round_no = case
    expected = reference_count(RULES, sections, online, paper, boxes, registered, issued, round_no)
    got = count_round(RULES, sections, online, paper, boxes, registered=registered, issued=issued, round_no=round_no)
    assert got == expected
    # what the examples covered (pytest --hypothesis-show-statistics)
    event(f"reason: {got['reason']}")
    parts = got["sections"].values()
    event(f"round {'1' if round_no == 1 else 'run-off'}, elected: {any(s['elected'] for s in parts)}")
    event(f"tied: {any(s['tied'] for s in parts)}")
    event(f"write-in elected: {any(p.startswith('write:') for s in parts for p in s['elected'])}")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rounds(), st.data())
def test_weighted_ballots_count_like_their_expansion(case, data):
    sections, online, paper, boxes, registered, issued, round_no = case
    weights = data.draw(st.lists(st.integers(0, 4), min_size=len(online), max_size=len(online)))
    expanded = [b for b, w in zip(online, weights) for _ in range(w)]
    plain = count_round(RULES, sections, expanded, paper, boxes, registered=registered, issued=issued, round_no=round_no)
    weighted = count_round(
        RULES, sections, online, paper, boxes, registered=registered, issued=issued, round_no=round_no, weights=weights
    )
    assert weighted == plain


@settings(max_examples=100, deadline=None)
@given(rounds(), st.data())
def test_missing_section_counts_as_blank(case, data):
    """A ballot without a section (the careful path) counts like one with that section blank."""
    sections, online, paper, boxes, registered, issued, round_no = case
    assume(online)
    sid = data.draw(st.sampled_from([s["id"] for s in sections]))
    blanked = [{**b, sid: {"approve": [], "oppose": [], "write_in": []}} for b in online]
    dropped = [{k: v for k, v in b.items() if k != sid} for b in online]
    kw = dict(registered=registered, issued=issued, round_no=round_no)
    assert count_round(RULES, sections, dropped, paper, boxes, **kw) == count_round(RULES, sections, blanked, paper, boxes, **kw)


@settings(max_examples=100, deadline=None)
@given(rounds())
def test_canonical_ballot_counts_the_same(case):
    sections, online, paper, boxes, registered, issued, round_no = case
    kw = dict(registered=registered, issued=issued, round_no=round_no)
    canonical = [rules.canonical_ballot(b, sections) for b in online]
    assert count_round(RULES, sections, canonical, paper, boxes, **kw) == count_round(RULES, sections, online, paper, boxes, **kw)


def test_unreadable_ballot_content_raises():
    sections = [{"id": "chair", "seats": 1, "candidates": [{"id": "c1", "name": "A"}]}]
    kw = dict(registered=1, issued=5)
    with pytest.raises(ValueError):
        count_round(RULES, sections, [["not", "a", "ballot"]], **kw)
    with pytest.raises(ValueError):
        count_round(RULES, sections, [{"chair": {"approve": [["c1"]], "oppose": [], "write_in": []}}], **kw)
    with pytest.raises(ValueError):
        count_round(RULES, sections, [{"chair": {"approve": [1], "oppose": [], "write_in": []}}], **kw)
    with pytest.raises(ValueError):
        count_round(RULES, sections, [], boxes=[{"returned": 1.0, "invalid": 0, "sections": {}}], **kw)
    with pytest.raises(ValueError):
        count_round(RULES, sections, [], boxes=[{"returned": 1, "invalid": -1, "sections": {}}], **kw)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rounds())
def test_grouping_by_json_text_counts_like_ballot_by_ballot(case):
    """count_round groups identical ballots by their orjson text; without orjson it counts them one by one."""
    from unittest import mock

    sections, online, paper, boxes, registered, issued, round_no = case
    kw = dict(registered=registered, issued=issued, round_no=round_no)
    fast = count_round(RULES, sections, online, paper, boxes, **kw)
    with mock.patch.object(rules, "orjson", None):
        assert rules._group_identical(online, 0) is None
        careful = count_round(RULES, sections, online, paper, boxes, **kw)
    assert fast == careful


def test_grouping_falls_back_where_json_text_is_ambiguous():
    """NaN encodes as null: a NaN ballot is no null ballot, a NaN section no blank one."""
    sections = [{"id": "chair", "seats": 1, "candidates": [{"id": "c1", "name": "null"}]}]
    kw = dict(registered=1, issued=5)
    with pytest.raises(ValueError):
        count_round(RULES, sections, [float("nan")], **kw)
    with pytest.raises(ValueError):
        count_round(RULES, sections, [{"chair": float("nan")}], **kw)
    with pytest.raises(ValueError):
        count_round(RULES, sections, [{"chair": {"approve": [float("inf")], "oppose": [], "write_in": []}}], **kw)
    assert rules._group_identical([None, float("nan")], 1) is None
    assert rules._group_identical([{"chair": None}], 0) is None
    # a write-in spelled "null" is merely counted the careful way
    ballots = [_votes(write_in=["null"]), _votes(write_in=["null"]), None, BLANK]
    result = count_round(RULES, sections, ballots, registered=4, issued=4)["sections"]["chair"]
    assert result["votes"] == {"c1": 2} and result["invalid"] == 1
    assert rules._group_identical([BLANK, BLANK, None], 1) == ([BLANK], [2])


def _chair(seats=1, names=("王建国", "李秀英")):
    return [{"id": "chair", "title": "主任", "seats": seats, "candidates": [{"id": f"c{i + 1}", "name": n} for i, n in enumerate(names)]}]


def _votes(section_id="chair", approve=(), write_in=()):
    return {section_id: {"approve": list(approve), "oppose": [], "write_in": list(write_in)}}


BLANK = _votes()


# --------------------------------------------------------------------------------------------------
# Worked examples of DOMAIN.md (E31, E32, E34)
# --------------------------------------------------------------------------------------------------


def test_turnout_example_1000_registered_501_vote_is_valid():
    assert more_than(501, 1000, (1, 2)) and not more_than(500, 1000, (1, 2))
    ballots = [BLANK] * 501
    assert count_round(RULES, _chair(), ballots, registered=1000, issued=501)["valid"] is True
    result = count_round(RULES, _chair(), ballots[:500], registered=1000, issued=501)
    assert (result["valid"], result["reason"]) == (False, "no-quorum")


def test_winning_example_251_of_501_wins_250_does_not():
    assert more_than(251, 501, (1, 2)) and not more_than(250, 501, (1, 2))
    ballots = [_votes(approve=["c1"])] * 251 + [_votes(approve=["c2"])] * 250
    section = count_round(RULES, _chair(), ballots, registered=1000, issued=501)["sections"]["chair"]
    assert section["elected"] == ["c1"] and section["votes"] == {"c1": 251, "c2": 250}
    ballots = [_votes(approve=["c1"])] * 250 + [_votes(approve=["c2"])] * 250 + [BLANK]
    section = count_round(RULES, _chair(), ballots, registered=1000, issued=501)["sections"]["chair"]
    assert section["elected"] == [] and section["unfilled"] == 1 and section["invalid"] == 0


def test_runoff_example_480_cast_160_wins_159_does_not():
    assert at_least(160, 480, (1, 3)) and not at_least(159, 480, (1, 3))
    ballots = [_votes(approve=["c1"])] * 160 + [_votes(approve=["c2"])] * 150 + [BLANK] * 170
    section = count_round(RULES, _chair(), ballots, registered=900, issued=480, round_no=2)["sections"]["chair"]
    assert section["elected"] == ["c1"]
    ballots = [_votes(approve=["c1"])] * 159 + [_votes(approve=["c2"])] * 150 + [BLANK] * 171
    section = count_round(RULES, _chair(), ballots, registered=900, issued=480, round_no=2)["sections"]["chair"]
    assert section["elected"] == [] and section["unfilled"] == 1
    # the same 160 of 480 in round 1 is far from a majority
    ballots = [_votes(approve=["c1"])] * 160 + [BLANK] * 320
    assert count_round(RULES, _chair(), ballots, registered=900, issued=480)["sections"]["chair"]["elected"] == []


# --------------------------------------------------------------------------------------------------
# Counting: hand-checked cases for each rule of the contract
# --------------------------------------------------------------------------------------------------


def test_over_issued_round_is_void_but_shows_its_votes():
    ballots = [_votes(approve=["c1"])] * 3
    result = count_round(RULES, _chair(), ballots, registered=4, issued=2)
    assert (result["valid"], result["reason"]) == (False, "over-issued")
    assert result["sections"]["chair"] == {"votes": {"c1": 3}, "invalid": 0, "elected": [], "tied": [], "unfilled": 1}


def test_write_ins_resolve_to_candidates_after_nfkc_and_trimming():
    sections = _chair(seats=1, names=("Li Na", "王建国"))
    ballots = [
        _votes(write_in=["Ｌｉ\u3000Ｎａ"]),  # full-width letters and ideographic space
        _votes(write_in=["  Li Na\t"]),
        _votes(approve=["c1"], write_in=["Li Na"]),  # the same person twice counts once, no overvote
        _votes(write_in=["ｚｈａｏ", " zhao "]),  # one write-in person twice, one vote
        _votes(write_in=["zhao", "Li Na"]),  # two persons on a one-seat section: overvote
    ]
    section = count_round(RULES, sections, ballots, registered=5, issued=5)["sections"]["chair"]
    assert section["votes"] == {"c1": 3, "write:zhao": 1}
    assert section["invalid"] == 1
    assert section["elected"] == ["c1"]


def test_null_ballots_and_box_figures_are_invalid_in_every_section():
    sections = _chair() + [{"id": "member", "seats": 2, "candidates": [{"id": "c3", "name": "A"}, {"id": "c4", "name": "B"}]}]
    box = {
        "returned": 10,
        "invalid": 2,
        "sections": {
            "chair": {"invalid": 1, "votes": {"c1": 6, "c2": 0}, "write_in": {" 李秀英 ": 1, "赵六": 2}},
        },
    }
    result = count_round(RULES, sections, [], [None, None], [box], registered=20, issued=12)
    chair, member = result["sections"]["chair"], result["sections"]["member"]
    assert result["returned"] == 12
    assert chair["votes"] == {"c1": 6, "c2": 1, "write:赵六": 2} and chair["invalid"] == 2 + 2 + 1
    assert member == {"votes": {}, "invalid": 4, "elected": [], "tied": [], "unfilled": 2}
    assert chair["elected"] == []  # 6 of 12 is not more than half


def test_tie_at_the_last_seat_leaves_all_tied_out():
    sections = [{"id": "member", "seats": 2, "candidates": [{"id": f"c{i}", "name": f"n{i}"} for i in range(1, 5)]}]
    ballots = [_votes("member", ["c1", "c2"])] * 4 + [_votes("member", ["c1", "c3"])] * 4 + [_votes("member", ["c1"])]
    section = count_round(RULES, sections, ballots, registered=10, issued=9)["sections"]["member"]
    assert section["votes"] == {"c1": 9, "c2": 4, "c3": 4}
    assert section["elected"] == ["c1"] and section["tied"] == [] and section["unfilled"] == 1  # 4 of 9: no majority
    ballots = [_votes("member", ["c1", "c2"])] * 5 + [_votes("member", ["c1", "c3"])] * 5 + [_votes("member", ["c2", "c3"])]
    section = count_round(RULES, sections, ballots, registered=12, issued=11)["sections"]["member"]
    assert section["votes"] == {"c1": 10, "c2": 6, "c3": 6}
    assert section["elected"] == ["c1"] and section["tied"] == ["c2", "c3"] and section["unfilled"] == 1


def test_more_qualifiers_than_seats_take_the_highest():
    sections = [{"id": "member", "seats": 2, "candidates": [{"id": f"c{i}", "name": f"n{i}"} for i in range(1, 4)]}]
    ballots = [_votes("member", ["c1", "c2"])] * 4 + [_votes("member", ["c1", "c3"])] * 3 + [_votes("member", ["c2", "c3"])] * 2
    section = count_round(RULES, sections, ballots, registered=10, issued=9)["sections"]["member"]
    assert section["votes"] == {"c1": 7, "c2": 6, "c3": 5}
    assert section["elected"] == ["c1", "c2"] and section["tied"] == []


def test_person_elected_in_an_earlier_section_is_passed_over():
    sections = [
        {"id": "chair", "seats": 1, "candidates": [{"id": "c1", "name": "甲"}]},
        {"id": "member", "seats": 1, "candidates": [{"id": "c2", "name": "乙"}]},
    ]
    ballot = {"chair": {"approve": [], "oppose": [], "write_in": ["丙"]}, "member": {"approve": [], "oppose": [], "write_in": ["丙"]}}
    result = count_round(RULES, sections, [ballot] * 3, registered=3, issued=3)
    assert result["sections"]["chair"]["elected"] == ["write:丙"]
    assert result["sections"]["member"]["elected"] == []
    assert result["sections"]["member"]["votes"] == {"write:丙": 3}


# --------------------------------------------------------------------------------------------------
# Thresholds per mode (E31, E39)
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "mode,returned,base,ok",
    [
        ("all-voters", 501, 1000, True),
        ("all-voters", 500, 1000, False),
        ("household", 51, 100, True),
        ("household", 50, 100, False),
        ("representatives", 201, 300, True),
        ("representatives", 200, 300, False),  # exactly 2/3 is not more than 2/3
        ("representatives", 67, 100, True),
        ("representatives", 66, 100, False),
    ],
)
def test_turnout_ok(mode, returned, base, ok):
    assert rules.turnout_ok(mode, returned, base) is ok


@pytest.mark.parametrize(
    "mode,signatures,base,ok",
    [
        ("all-voters", 100, 1000, True),
        ("all-voters", 99, 1000, False),
        ("household", 30, 300, True),
        ("household", 29, 300, False),
        ("representatives", 33, 99, True),
        ("representatives", 32, 99, False),
        ("representatives", 34, 100, True),
        ("representatives", 33, 100, False),
    ],
)
def test_recall_request_ok(mode, signatures, base, ok):
    assert rules.recall_request_ok(mode, signatures, base) is ok


def test_recall_passes_needs_turnout_and_a_majority_of_those_voting():
    assert rules.recall_passes("all-voters", 501, 1000, 251)
    assert not rules.recall_passes("all-voters", 501, 1000, 250)
    assert not rules.recall_passes("all-voters", 500, 1000, 400)


def test_unknown_mode_is_refused():
    with pytest.raises(ValueError):
        rules.turnout_ok("everyone", 1, 1)


def test_election_rules_per_mode_and_profile():
    assert rules.election_rules("all-voters") == {"quorum": [1, 2], "win": [1, 2], "runoff_win": [1, 3]}
    assert rules.election_rules("representatives")["quorum"] == [2, 3]
    assert rules.election_rules("household", {"elections.quorum": [3, 5]})["quorum"] == [3, 5]


@given(st.integers(0, 10**6), st.integers(0, 10**6), st.integers(1, 50), st.integers(1, 50))
def test_more_than_and_at_least_are_exact(part, whole, a, b):
    num, den = min(a, b), max(a, b)
    assert more_than(part, whole, (num, den)) == (part * den > whole * num)
    assert at_least(part, whole, (num, den)) == (not more_than(whole * num, part * den, (1, 1)))
    assert more_than(part, whole, (num, den)) <= at_least(part, whole, (num, den))


# --------------------------------------------------------------------------------------------------
# Voters (E10, E11)
# --------------------------------------------------------------------------------------------------


def test_birthday_on_polling_day_counts():
    polling = date(2026, 6, 14)
    assert rules.is_eligible_voter(date(2008, 6, 14), polling, False) == (True, None)
    assert rules.is_eligible_voter(date(2008, 6, 15), polling, False) == (False, "under-age")
    assert rules.age_on(date(2008, 6, 15), polling) == 17


def test_february_29_births():
    born = date(2008, 2, 29)
    assert rules.age_on(born, date(2026, 2, 27)) == 17
    assert rules.age_on(born, date(2026, 2, 28)) == 18  # Art 202: no 29th, the month's last day
    assert rules.age_on(born, date(2028, 2, 28)) == 19
    assert rules.age_on(born, date(2028, 2, 29)) == 20
    assert rules.is_eligible_voter(born, date(2026, 2, 28), False) == (True, None)


def test_other_reasons_for_ineligibility():
    assert rules.is_eligible_voter(date(1970, 1, 1), date(2026, 6, 14), True) == (False, "deprived-of-political-rights")
    assert rules.is_eligible_voter(None, date(2026, 6, 14), False) == (False, "birth-date-unknown")


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 1, 1)), st.integers(0, 120))
def test_age_reaches_n_on_the_nth_birthday(birth, n):
    assume(birth.year + n <= 9999)
    birthday = rules.anniversary(birth, birth.year + n)
    assert rules.age_on(birth, birthday) == n
    if birthday > birth:
        assert rules.age_on(birth, birthday - timedelta(days=1)) == n - 1


# --------------------------------------------------------------------------------------------------
# Schedule (E15, E16, E21, E24, E26, E37)
# --------------------------------------------------------------------------------------------------

D = date(2026, 6, 14)  # a Sunday


def good_schedule():
    return {
        "committee_formed": D - timedelta(days=35),
        "roll_published": D - timedelta(days=20),
        "objections_close": D - timedelta(days=15),
        "objections_decided": D - timedelta(days=12),
        "nominations_open": D - timedelta(days=18),
        "nominations_close": D - timedelta(days=10),
        "candidates_published": D - timedelta(days=5),
        "candidates_final": D - timedelta(days=3),
        "proxy_deadline": D - timedelta(days=3),
        "online_opens": datetime(2026, 6, 14, 8, 0),
        "online_closes": datetime(2026, 6, 14, 17, 0),
        "polling_day": D,
        "handover_by": D + timedelta(days=10),
    }


def codes(violations):
    return sorted(code for code, _ in violations)


def test_a_lawful_schedule_passes():
    assert check_schedule(good_schedule()) == []


def test_polling_day_is_required():
    assert check_schedule({"roll_published": D}) == [("missing-date", {"step": "polling_day"})]


@pytest.mark.parametrize(
    "step,days,code",
    [
        ("roll_published", -19, "roll-published-late"),
        ("candidates_published", -4, "candidate-list-late"),
        ("candidates_final", -2, "candidate-list-final-late"),
        ("proxy_deadline", -2, "proxy-deadline-late"),
        ("handover_by", 11, "handover-late"),
    ],
)
def test_each_late_step_is_reported(step, days, code):
    schedule = {"polling_day": D, step: D + timedelta(days=days)}
    found = check_schedule(schedule)
    assert [c for c, _ in found] == [code]
    assert found[0][1]["latest"] == D + timedelta(days=days - 1)
    # one day earlier is lawful
    assert check_schedule({"polling_day": D, step: D + timedelta(days=days - 1)}) == []


def test_roll_published_exactly_d_minus_20_is_lawful():
    assert check_schedule({"polling_day": D, "roll_published": D - timedelta(days=20)}) == []


def test_objection_window_is_five_days_and_decision_three():
    s = {"polling_day": D, "roll_published": date(2026, 5, 20)}
    assert check_schedule({**s, "objections_close": date(2026, 5, 25)}) == []
    assert codes(check_schedule({**s, "objections_close": date(2026, 5, 24)})) == ["objection-window"]
    decided = {**s, "objections_close": date(2026, 5, 25)}
    assert check_schedule({**decided, "objections_decided": date(2026, 5, 28)}) == []
    assert codes(check_schedule({**decided, "objections_decided": date(2026, 5, 29)})) == ["objection-decision-late"]


def test_periods_ending_on_a_rest_day_extend_when_configured():
    published = date(2026, 5, 18)  # Monday; + 5 days = Saturday 23 May
    s = {"polling_day": D, "roll_published": published, "objections_close": date(2026, 5, 23)}
    assert check_schedule(s) == []
    config = {"elections.extend_on_holiday": True}
    found = check_schedule(s, config)
    assert found == [("objection-window", {"date": date(2026, 5, 23), "expected": date(2026, 5, 25)})]
    # a weekend made a working day (调休) is not extended; a holiday on Monday is
    assert rules.period_end(published, 5, {**config, "elections.working_weekend_days": [date(2026, 5, 23)]}) == date(2026, 5, 23)
    assert rules.period_end(published, 5, {**config, "elections.holidays": [date(2026, 5, 25)]}) == date(2026, 5, 26)


def test_configured_candidate_list_days():
    s = {"polling_day": D, "candidates_published": D - timedelta(days=5)}
    assert codes(check_schedule(s, {"elections.candidate_list_days": 7})) == ["candidate-list-late"]
    assert check_schedule(s, {"elections.candidate_list_days": 3}) == []


def test_online_window_around_polling_day():
    s = {**good_schedule(), "online_opens": D - timedelta(days=1)}
    assert codes(check_schedule(s)) == ["online-opens-early"]
    assert check_schedule(s, {"elections.online_days_before": 2}) == []
    s = {**good_schedule(), "online_closes": D + timedelta(days=1)}
    assert codes(check_schedule(s)) == ["online-closes-late"]
    s = {**good_schedule(), "online_opens": D - timedelta(days=3)}
    assert codes(check_schedule(s, {"elections.online_days_before": 5})) == ["online-before-candidates"]
    s = {"polling_day": D, "online_opens": datetime(2026, 6, 14, 18), "online_closes": datetime(2026, 6, 13, 17)}
    assert "order" in codes(check_schedule(s, {"elections.online_days_before": 1}))


def test_order_of_steps():
    s = {**good_schedule(), "nominations_close": D - timedelta(days=4)}
    assert codes(check_schedule(s)) == ["order"]
    s = {**good_schedule(), "nominations_open": D - timedelta(days=25)}
    assert codes(check_schedule(s)) == ["order"]  # nominations before the voter list
    s = {**good_schedule(), "objections_decided": D}
    assert "after-polling-day" in codes(check_schedule(s))
    s = {**good_schedule(), "handover_by": D}
    assert codes(check_schedule(s)) == ["order"]


# --------------------------------------------------------------------------------------------------
# Seats, candidates, margins (E1, E19)
# --------------------------------------------------------------------------------------------------


def seats_of(*pairs):
    return [{"id": office, "seats": n} for office, n in pairs]


def test_check_seats():
    assert check_seats(seats_of(("chair", 1), ("vice-chair", 2), ("member", 4))) == []
    assert check_seats(seats_of(("chair", 1), ("vice", 1), ("member", 3))) == []
    assert codes(check_seats(seats_of(("chair", 1), ("vice-chair", 2), ("member", 7)))) == ["total-seats"]
    assert codes(check_seats(seats_of(("chair", 2), ("vice-chair", 1), ("member", 3)))) == ["chair-seats"]
    assert codes(check_seats(seats_of(("chair", 1), ("member", 6)))) == ["vice-chair-seats"]
    assert check_seats(seats_of(("chair", 1), ("member", 6)), {"elections.vice_chairs_min": 0}) == []
    assert codes(check_seats(seats_of(("chair", 1), ("vice-chair", 3), ("member", 3)))) == ["vice-chair-seats"]
    assert codes(check_seats(seats_of(("member", 4), ("chair", 1), ("vice-chair", 1)))) == ["office-order"]
    assert "unknown-office" in codes(check_seats(seats_of(("chair", 1), ("vice-chair", 1), ("member", 3), ("treasurer", 1))))
    assert "bad-seats" in codes(check_seats(seats_of(("chair", 1), ("vice-chair", 0), ("member", 4))))


def test_check_candidates():
    sections = [
        {"id": "chair", "candidates": [{"id": "c1", "name": "Li Na"}, {"id": "c2", "name": "Ｌｉ Ｎａ "}]},
        {"id": "member", "candidates": [{"id": "c1", "name": "Wang"}, {"id": "c3", "name": "Li Na"}]},
    ]
    assert codes(check_candidates(sections)) == ["ambiguous-candidate-name", "duplicate-candidate-id"]


@pytest.mark.parametrize(
    "seats,candidates,low,high,expected",
    [
        (1, 2, 1, 1, []),
        (1, 1, 1, 1, ["no-margin"]),
        (1, 3, 1, 1, ["margin-too-large"]),
        (5, 6, 1, 2, []),
        (5, 7, 1, 2, []),
        (5, 8, 1, 2, ["margin-too-large"]),
        (5, 6, 2, 3, ["margin-too-small"]),
        (5, 4, 1, 2, ["no-margin"]),
    ],
)
def test_check_margin(seats, candidates, low, high, expected):
    assert codes(check_margin(seats, candidates, low, high)) == expected


def test_margin_defaults_per_office():
    assert rules.margin_bounds("chair") == (1, 1)
    assert rules.margin_bounds("vice-chair") == (1, 1)
    assert rules.margin_bounds("member") == (1, 2)
    assert rules.margin_bounds("member", {"elections.margin_member_max": 3}) == (1, 3)


# --------------------------------------------------------------------------------------------------
# Ballot validation (the online form)
# --------------------------------------------------------------------------------------------------

FORM = [
    {"id": "chair", "seats": 1, "candidates": [{"id": "c1", "name": "王建国"}, {"id": "c2", "name": "Li Na"}]},
    {"id": "member", "seats": 2, "candidates": [{"id": "c3", "name": "张伟"}, {"id": "c4", "name": "刘洋"}, {"id": "c5", "name": "陈静"}]},
]


def form_ballot(**parts):
    ballot = rules.blank_ballot(FORM)
    for sid, (approve, oppose, write_in) in parts.items():
        ballot[sid] = {"approve": approve, "oppose": oppose, "write_in": write_in}
    return ballot


def test_validate_ballot_accepts_lawful_ballots():
    assert validate_ballot(rules.blank_ballot(FORM), FORM) == {}
    assert validate_ballot(form_ballot(chair=(["c1"], ["c2"], []), member=(["c3"], ["c4"], ["赵六"])), FORM) == {}
    # a write-in of the approved candidate's name is the same person: no overvote
    assert validate_ballot(form_ballot(chair=(["c2"], [], ["Ｌｉ Ｎａ"])), FORM) == {}


def test_validate_ballot_codes():
    assert validate_ballot(form_ballot(chair=(["c1", "c2"], [], [])), FORM) == {"chair": "overvote"}
    assert validate_ballot(form_ballot(chair=(["c1"], [], ["赵六"])), FORM) == {"chair": "overvote"}
    assert validate_ballot(form_ballot(member=(["c3"], [], ["赵六", " 赵六", "钱七"])), FORM) == {"member": "overvote"}
    assert validate_ballot(form_ballot(member=(["c3"], [], ["赵六", " 赵六"])), FORM) == {}
    assert validate_ballot(form_ballot(chair=(["c3"], [], [])), FORM) == {"chair": "unknown-candidate"}
    assert validate_ballot(form_ballot(chair=([], ["c9"], [])), FORM) == {"chair": "unknown-candidate"}
    assert validate_ballot(form_ballot(chair=(["c1"], ["c1"], [])), FORM) == {"chair": "approved-and-opposed"}
    assert validate_ballot(form_ballot(chair=([], ["c2"], [" Li Na"])), FORM) == {"chair": "approved-and-opposed"}
    assert validate_ballot(form_ballot(chair=([], [], ["\u3000"])), FORM) == {"chair": "empty-write-in"}
    assert validate_ballot({**rules.blank_ballot(FORM), "treasurer": {}}, FORM) == {"treasurer": "unknown-section"}
    assert validate_ballot({"chair": rules.blank_ballot(FORM)["chair"]}, FORM) == {"member": "malformed"}
    assert validate_ballot(form_ballot(chair=("c1", [], [])), FORM) == {"chair": "malformed"}
    assert validate_ballot(["c1"], FORM) == {"*": "malformed"}


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_a_ballot_that_validates_counts_without_invalid_parts(data):
    """What the form accepts is never thrown away as an overvote by the count."""
    ballot = data.draw(ballot_for(FORM))
    if validate_ballot(ballot, FORM) == {}:
        result = count_round(RULES, FORM, [ballot], registered=0, issued=1)
        assert all(s["invalid"] == 0 for s in result["sections"].values())


@given(st.sampled_from(WRITE_INS))
def test_normalise_name(name):
    normal = rules.normalise_name(name)
    assert normal == normal.strip() and rules.normalise_name(normal) == normal
    assert normal in {unicodedata.normalize("NFKC", n) for n in NAMES} | {"路人甲", "X", "x"}


# --------------------------------------------------------------------------------------------------
# Run-off candidates and warnings (E2, E3, E34, E35)
# --------------------------------------------------------------------------------------------------


def test_runoff_candidates_are_the_highest_non_winners():
    section = {"votes": {"c1": 300, "c2": 200, "c3": 150, "c4": 150, "c5": 90, "write:赵六": 95}, "elected": ["c1"]}
    assert runoff_candidates(section, 1) == ["c2", "c3", "c4"]  # 2 wanted, tie at the cut-off included
    assert runoff_candidates(section, 1, extra=0) == ["c2"]
    assert runoff_candidates(section, 2) == ["c2", "c3", "c4"]
    assert runoff_candidates(section, 3) == ["c2", "c3", "c4", "write:赵六"]
    assert runoff_candidates(section, 1, exclude=["c2"]) == ["c3", "c4"]
    assert runoff_candidates(section, 0) == []
    assert runoff_candidates({"votes": {"c1": 5}, "elected": []}, 2) == ["c1"]


def test_near_relative_conflicts():
    relations = [("c1", "c3", "spouse"), ("c2", "c4", "cousin"), ("c5", "c1"), ("c9", "c1", "parent")]
    assert rules.near_relative_conflicts(["c1", "c2", "c3", "c4", "c5"], relations) == [("c1", "c3"), ("c1", "c5")]


def test_warnings():
    result = count_round(RULES, _chair(), [_votes(approve=["c1"])] * 3, registered=3, issued=3)
    found = rules.warnings(result, {"c1": "male"}, [], seated_total=1)
    assert codes(found) == ["no-woman-elected", "too-few-seated"]
    assert rules.warnings(result, {"c1": "female"}, [], seated_total=5) == []
    found = rules.warnings(result, {"c9": "female"}, [("c1", "c9", "sibling")], seated_total=7, earlier_elected=["c9"])
    assert found == [("near-relatives-elected", {"pairs": [("c1", "c9")]})]
    invalid = count_round(RULES, _chair(), [BLANK], registered=3, issued=3)
    found = rules.warnings(invalid, {}, [], seated_total=6, earlier_elected=["c7"])
    assert codes(found) == ["no-woman-elected", "round-invalid", "seats-unfilled"]
    tied = count_round(RULES, _chair(seats=1), [_votes(approve=["c1"])] * 2 + [_votes(approve=["c2"])] * 2, registered=4, issued=4)
    assert codes(rules.warnings(tied, {}, [], 5)) == ["no-woman-elected", "seats-unfilled"]  # 2 of 4 is not a majority
