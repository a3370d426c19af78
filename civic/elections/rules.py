"""Election rules as pure functions: no I/O, no database, integers only.

Everything here returns data or *codes with parameters* (``("roll-published-late", {...})``);
turning codes into sentences is the job of the forms and templates.

Numbers that the law leaves to provinces are read from a rules profile (the flat dict of
``civic.rulesconfig``: keys such as ``"elections.roll_publication_days"``); a missing key falls back
to the documented default kept in :data:`DEFAULTS`, so every function also works without a profile.

Arithmetic follows Civil Code Art 1259: 以上/以内 include the number, 超过/不满 exclude it, 过半数 is
strictly more than half — always compared as integers (``part * den > whole * num``), never floats.

Counting follows the civic-election-board/1 contract (``shared/contracts/election-board.md``,
section "Counting"); :func:`count_round` is the only implementation of it in the code base.
"""
from __future__ import annotations

import gc
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from itertools import chain, repeat
from operator import itemgetter
from typing import Any

try:  # optional: groups a million ballots into their few distinct contents several times faster
    import orjson
except ImportError:  # pragma: no cover - depends on the environment
    orjson = None

Frac = tuple[int, int]
Violation = tuple[str, dict]

# --------------------------------------------------------------------------------------------------
# Configuration defaults (mirroring civic.rulesconfig.defaults.SPEC where the key exists there)
# --------------------------------------------------------------------------------------------------

DEFAULTS: dict[str, Any] = {
    "elections.roll_publication_days": 20,  # E15 [LAW]
    "elections.objection_days": 5,  # E16 [LAW]
    "elections.objection_decision_days": 3,  # E16 [LAW]
    "elections.candidate_list_days": 5,  # E21 [CONFIG]
    "elections.candidate_final_days": 3,  # E21 [PRACTICE] backfilled list republished by D−3
    "elections.proxy_deadline_days": 3,  # E24 [CONFIG]
    "elections.online_days_before": 0,  # E26 [CONFIG] online voting may open this many days early
    "elections.handover_days": 10,  # E37 [LAW]
    "elections.extend_on_holiday": False,  # Civil Code Art 203 [CONFIG]
    "elections.holidays": (),  # dates that are 法定休假日 when extension applies
    "elections.working_weekend_days": (),  # weekend dates made working days (调休)
    "elections.vice_chairs_min": 1,  # E1 [CONFIG]
    "elections.vice_chairs_max": 2,
    "elections.seats_min": 5,  # E1 [LAW]
    "elections.seats_max": 9,
    "elections.margin_chair": 1,  # E19 [CONFIG]
    "elections.margin_vice": 1,
    "elections.margin_member_min": 1,
    "elections.margin_member_max": 2,
    "elections.quorum": [1, 2],  # E31 [LAW]
    "elections.quorum_representatives": [2, 3],
    "elections.win": [1, 2],  # E32 [LAW]
    "elections.runoff_win": [1, 3],  # E34 [LAW]
    "elections.runoff_extra": 1,  # E34 [CONFIG]
    "elections.min_seated": 5,  # E35 [CONFIG]
}


def setting(config: Mapping | None, key: str) -> Any:
    """The profile's value for `key`, or the documented default."""
    if config is not None and key in config:
        return config[key]
    return DEFAULTS[key]


# --------------------------------------------------------------------------------------------------
# Fractions and thresholds
# --------------------------------------------------------------------------------------------------


def more_than(part: int, whole: int, frac: Sequence[int]) -> bool:
    """`part` is strictly more than `frac` of `whole` (超过, 过半数)."""
    num, den = frac
    return part * den > whole * num


def at_least(part: int, whole: int, frac: Sequence[int]) -> bool:
    """`part` is at least `frac` of `whole` (以上, 不少于)."""
    num, den = frac
    return part * den >= whole * num


ALL_VOTERS, HOUSEHOLD, REPRESENTATIVES = "all-voters", "household", "representatives"
MODES = (ALL_VOTERS, HOUSEHOLD, REPRESENTATIVES)

# E39: who may request a recall, as a share of the mode's base (以上: at least).
RECALL_REQUEST: dict[str, Frac] = {ALL_VOTERS: (1, 10), HOUSEHOLD: (1, 10), REPRESENTATIVES: (1, 3)}


def _mode(mode: str) -> str:
    if mode not in MODES:
        raise ValueError(f"unknown election mode {mode!r}")
    return mode


def turnout_fraction(mode: str, config: Mapping | None = None) -> Frac:
    """E31: the share of the base that must vote (strictly more than): 1/2, or 2/3 for representatives."""
    key = "elections.quorum_representatives" if _mode(mode) == REPRESENTATIVES else "elections.quorum"
    num, den = setting(config, key)
    return num, den


def turnout_ok(mode: str, returned: int, base: int, config: Mapping | None = None) -> bool:
    """E31: turnout is enough when more than the mode's fraction of the base returned a ballot."""
    return more_than(returned, base, turnout_fraction(mode, config))


def recall_request_ok(mode: str, signatures: int, base: int) -> bool:
    """E39: a recall request needs at least 1/10 of voters or households, or 1/3 of representatives."""
    return at_least(signatures, base, RECALL_REQUEST[_mode(mode)])


def recall_threshold(mode: str, base: int) -> int:
    """E39: the fewest signatures that make a recall request (the smallest n with n/base ≥ the mode's share)."""
    num, den = RECALL_REQUEST[_mode(mode)]
    return max(1, -(-base * num // den))


def recall_passes(mode: str, returned: int, base: int, yes: int, config: Mapping | None = None) -> bool:
    """E39: voted in the original mode with the E31 turnout; passes with more than half of those voting."""
    return turnout_ok(mode, returned, base, config) and more_than(yes, returned, (1, 2))


def election_rules(mode: str, config: Mapping | None = None) -> dict:
    """The board's `election.rules` for a mode: quorum per E31, win E32, run-off win E34."""
    return {
        "quorum": list(turnout_fraction(mode, config)),
        "win": list(setting(config, "elections.win")),
        "runoff_win": list(setting(config, "elections.runoff_win")),
    }


# --------------------------------------------------------------------------------------------------
# Voters (E10, E11)
# --------------------------------------------------------------------------------------------------


def anniversary(birth: date, year: int) -> date:
    """The birthday in `year`. A 29 February birthday falls on 28 February in a common year
    (Civil Code Art 202: a period without a corresponding day ends on the month's last day)."""
    if birth.month == 2 and birth.day == 29:
        try:
            return date(year, 2, 29)
        except ValueError:
            return date(year, 2, 28)
    return birth.replace(year=year)


def age_on(birth: date, day: date) -> int:
    """Completed years (周岁) on `day`; the birthday itself counts as the new age."""
    return day.year - birth.year - (day < anniversary(birth, day.year))


def is_eligible_voter(
    birth: date | None,
    polling_day: date,
    deprived_of_political_rights: bool,
    *,
    min_age: int = 18,
) -> tuple[bool, str | None]:
    """E10/E11: 18 or older on polling day and not deprived of political rights.

    Returns ``(True, None)`` or ``(False, code)`` with code ``"birth-date-unknown"``,
    ``"deprived-of-political-rights"`` or ``"under-age"``.
    """
    if deprived_of_political_rights:
        return False, "deprived-of-political-rights"
    if birth is None:
        return False, "birth-date-unknown"
    if age_on(birth, polling_day) < min_age:
        return False, "under-age"
    return True, None


# --------------------------------------------------------------------------------------------------
# Schedule (E15, E16, E21, E24, E26, E37)
# --------------------------------------------------------------------------------------------------

# The steps a schedule may name; only "polling_day" is required.
SCHEDULE_STEPS = (
    "committee_formed",
    "roll_published",
    "objections_close",
    "objections_decided",
    "nominations_open",
    "nominations_close",
    "candidates_published",
    "candidates_final",
    "proxy_deadline",
    "online_opens",
    "online_closes",
    "polling_day",
    "handover_by",
)

# Pairs (earlier, later) that must not be inverted; equal dates are allowed except where the
# later step is polling day itself (everything before the vote must be done before that day).
_ORDER = (
    ("committee_formed", "roll_published"),
    ("roll_published", "objections_close"),
    ("objections_close", "objections_decided"),
    ("roll_published", "nominations_open"),
    ("nominations_open", "nominations_close"),
    ("nominations_close", "candidates_published"),
    ("candidates_published", "candidates_final"),
    ("online_opens", "online_closes"),
)
_BEFORE_POLLING = (
    "committee_formed",
    "roll_published",
    "objections_close",
    "objections_decided",
    "nominations_open",
    "nominations_close",
    "candidates_published",
    "candidates_final",
    "proxy_deadline",
)


def _day(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value


def _dates(values: Iterable) -> set[date]:
    """Dates of the profile: date objects, or ISO strings as a stored rules profile holds them."""
    return {v if isinstance(v, date) else date.fromisoformat(str(v)) for v in values}


def _is_rest_day(day: date, config: Mapping | None) -> bool:
    if day in _dates(setting(config, "elections.working_weekend_days")):
        return False
    return day.weekday() >= 5 or day in _dates(setting(config, "elections.holidays"))


def period_end(start: date, days: int, config: Mapping | None = None) -> date:
    """Last day of a period of `days` days starting on `start` (Civil Code Art 201: the starting day
    is not counted, so the period runs from the next day and ends on ``start + days``). When the profile
    says so, a period ending on a rest day ends on the next working day instead (Art 203)."""
    end = start + timedelta(days=days)
    if setting(config, "elections.extend_on_holiday"):
        while _is_rest_day(end, config):
            end += timedelta(days=1)
    return end


def deadlines(polling_day: date, config: Mapping | None = None) -> dict[str, date]:
    """Latest (or for the online window, earliest) dates implied by polling day D.

    "No later than D−N" is read as calendar arithmetic: the step may happen on D−N or earlier. Under
    Civil Code Art 201 the day of the step is not counted and D is the N-th day counted after it, so a
    voter list published on D−20 has been public for the 20 days that end with polling day (E15).
    Deadlines counted backwards from D are never extended for holidays (Art 203 extends a period
    someone has to act in; it cannot move polling day).
    """
    d = polling_day

    def back(key: str) -> date:
        return d - timedelta(days=int(setting(config, key)))

    return {
        "roll_published": back("elections.roll_publication_days"),
        "candidates_published": back("elections.candidate_list_days"),
        "candidates_final": back("elections.candidate_final_days"),
        "proxy_deadline": back("elections.proxy_deadline_days"),
        "online_opens": back("elections.online_days_before"),  # earliest
        "online_closes": d,
        "handover_by": d + timedelta(days=int(setting(config, "elections.handover_days"))),
    }


def check_schedule(schedule: Mapping[str, date | datetime | None], config: Mapping | None = None) -> list[Violation]:
    """Every way `schedule` breaks E15/E16/E21/E24/E26/E37 or the order of steps, as (code, params).

    `schedule` maps step names of :data:`SCHEDULE_STEPS` to dates (datetimes are taken by their date);
    steps left out are not checked. See :func:`deadlines` for how "D−N" is read.
    """
    days = {k: _day(v) for k, v in schedule.items() if v is not None}
    if "polling_day" not in days:
        return [("missing-date", {"step": "polling_day"})]
    d = days["polling_day"]
    limits = deadlines(d, config)
    out: list[Violation] = []

    def late(step: str, code: str) -> None:
        if step in days and days[step] > limits[step]:
            out.append((code, {"step": step, "date": days[step], "latest": limits[step]}))

    late("roll_published", "roll-published-late")  # E15
    late("candidates_published", "candidate-list-late")  # E21
    late("candidates_final", "candidate-list-final-late")  # E21 backfill
    late("proxy_deadline", "proxy-deadline-late")  # E24
    late("handover_by", "handover-late")  # E37
    out += _objection_violations(days, config)
    out += _online_violations(days, limits)
    for earlier, later in _ORDER:
        if earlier in days and later in days and days[earlier] > days[later]:
            out.append(("order", {"before": earlier, "after": later, "dates": (days[earlier], days[later])}))
    for step in _BEFORE_POLLING:
        if step in days and days[step] >= d:
            out.append(("after-polling-day", {"step": step, "date": days[step], "polling_day": d}))
    if "handover_by" in days and days["handover_by"] <= d:
        out.append(("order", {"before": "polling_day", "after": "handover_by", "dates": (d, days["handover_by"])}))
    return out


def _objection_violations(days: Mapping[str, date], config: Mapping | None) -> list[Violation]:
    """E16: objections may be filed for exactly the 5 days after publication; decided within 3 days."""
    out: list[Violation] = []
    if "roll_published" in days and "objections_close" in days:
        expected = period_end(days["roll_published"], int(setting(config, "elections.objection_days")), config)
        if days["objections_close"] != expected:
            out.append(("objection-window", {"date": days["objections_close"], "expected": expected}))
    if "objections_close" in days and "objections_decided" in days:
        latest = period_end(days["objections_close"], int(setting(config, "elections.objection_decision_days")), config)
        if days["objections_decided"] > latest:
            out.append(("objection-decision-late", {"date": days["objections_decided"], "latest": latest}))
    return out


def _online_violations(days: Mapping[str, date], limits: Mapping[str, date]) -> list[Violation]:
    """E26: online voting runs on polling day (or opens at most the configured days early), and only
    once the candidate list is final."""
    out: list[Violation] = []
    if "online_opens" in days and days["online_opens"] < limits["online_opens"]:
        out.append(("online-opens-early", {"date": days["online_opens"], "earliest": limits["online_opens"]}))
    if "online_closes" in days and days["online_closes"] > limits["online_closes"]:
        out.append(("online-closes-late", {"date": days["online_closes"], "latest": limits["online_closes"]}))
    listed = days.get("candidates_final", days.get("candidates_published"))
    if "online_opens" in days and listed is not None and days["online_opens"] <= listed:
        out.append(("online-before-candidates", {"date": days["online_opens"], "candidates": listed}))
    return out


# --------------------------------------------------------------------------------------------------
# Seats, candidates, margins (E1, E19)
# --------------------------------------------------------------------------------------------------

CHAIR, VICE_CHAIR, MEMBER = "chair", "vice-chair", "member"
OFFICES = (CHAIR, VICE_CHAIR, MEMBER)
_OFFICE_ALIASES = {"chair": CHAIR, "vice": VICE_CHAIR, "vice-chair": VICE_CHAIR, "vice_chair": VICE_CHAIR, "member": MEMBER}


def office_of(section: Mapping) -> str | None:
    """The office a section fills: its "office" key, else its id ("vice", "vice_chair" accepted)."""
    return _OFFICE_ALIASES.get(str(section.get("office", section.get("id"))))


def check_seats(sections: Sequence[Mapping], config: Mapping | None = None) -> list[Violation]:
    """E1: exactly one chair, 1–2 vice-chairs [CONFIG], 5–9 seats in all, sections in filling order."""
    out: list[Violation] = []
    seats: dict[str, int] = {}
    order: list[int] = []
    for section in sections:
        office = office_of(section)
        n = section.get("seats")
        if office is None:
            out.append(("unknown-office", {"section": section.get("id")}))
            continue
        if office in seats:
            out.append(("duplicate-office", {"office": office}))
            continue
        if not isinstance(n, int) or isinstance(n, bool) or n < 1:
            out.append(("bad-seats", {"section": section.get("id"), "seats": n}))
            n = 0
        seats[office] = n
        order.append(OFFICES.index(office))
    if order != sorted(order):
        out.append(("office-order", {"expected": [o for o in OFFICES if o in seats]}))
    if seats.get(CHAIR) != 1:
        out.append(("chair-seats", {"seats": seats.get(CHAIR, 0)}))
    low, high = setting(config, "elections.vice_chairs_min"), setting(config, "elections.vice_chairs_max")
    if not low <= seats.get(VICE_CHAIR, 0) <= high:
        out.append(("vice-chair-seats", {"seats": seats.get(VICE_CHAIR, 0), "min": low, "max": high}))
    total = sum(seats.values())
    low, high = setting(config, "elections.seats_min"), setting(config, "elections.seats_max")
    if not low <= total <= high:
        out.append(("total-seats", {"seats": total, "min": low, "max": high}))
    return out


def check_candidates(sections: Sequence[Mapping]) -> list[Violation]:
    """Contract: candidate ids unique across the election. A name shared by two candidates of one
    section (after normalising) would make a write-in of that name ambiguous, so it is refused too."""
    out: list[Violation] = []
    seen_ids: set = set()
    for section in sections:
        names: set[str] = set()
        for candidate in section.get("candidates", ()):
            if candidate["id"] in seen_ids:
                out.append(("duplicate-candidate-id", {"id": candidate["id"]}))
            seen_ids.add(candidate["id"])
            name = normalise_name(candidate.get("name", ""))
            if not name:
                out.append(("empty-candidate-name", {"section": section["id"], "id": candidate["id"]}))
            elif name in names:
                out.append(("ambiguous-candidate-name", {"section": section["id"], "name": name}))
            names.add(name)
    return out


def margin_bounds(office: str, config: Mapping | None = None) -> tuple[int, int]:
    """E19 defaults: chair +1, vice-chair +1, members +1..+2 candidates beyond the seats."""
    if office == CHAIR:
        m = setting(config, "elections.margin_chair")
        return m, m
    if office == VICE_CHAIR:
        m = setting(config, "elections.margin_vice")
        return m, m
    return setting(config, "elections.margin_member_min"), setting(config, "elections.margin_member_max")


def check_margin(seats: int, candidates: int, margin_min: int = 1, margin_max: int | None = None) -> list[Violation]:
    """E19 差额: more candidates than seats (by law), by `margin_min`..`margin_max` more [CONFIG]."""
    params = {"seats": seats, "candidates": candidates, "min": margin_min, "max": margin_max}
    if candidates <= seats:
        return [("no-margin", params)]
    if candidates - seats < margin_min:
        return [("margin-too-small", params)]
    if margin_max is not None and candidates - seats > margin_max:
        return [("margin-too-large", params)]
    return []


# --------------------------------------------------------------------------------------------------
# Ballots
# --------------------------------------------------------------------------------------------------


def normalise_name(s: str) -> str:
    """A name as compared on ballots: Unicode NFKC, then surrounding white space trimmed.
    NFKC first, so full-width letters and the ideographic space (U+3000) become plain ones."""
    return unicodedata.normalize("NFKC", s).strip()


def blank_ballot(sections: Sequence[Mapping]) -> dict:
    """A ballot with every section present and untouched."""
    return {s["id"]: {"approve": [], "oppose": [], "write_in": []} for s in sections}


def canonical_ballot(ballot: Mapping, sections: Sequence[Mapping]) -> dict:
    """The form a valid ballot is stored and published in: every section present, ids sorted and
    deduplicated, write-ins normalised, deduplicated and sorted. Counting gives the same result for
    the ballot and its canonical form; identical choices then share one canonical text."""
    out = {}
    for section in sections:
        part = ballot.get(section["id"]) or {}
        out[section["id"]] = {
            "approve": sorted(set(part.get("approve", ()))),
            "oppose": sorted(set(part.get("oppose", ()))),
            "write_in": sorted({normalise_name(w) for w in part.get("write_in", ())}),
        }
    return out


def _resolver(section: Mapping):
    """The function mapping a written-in name to its person in `section` (contract point 3/4):
    the id of the candidate with that name, else "write:<normalised name>". Should two candidates
    of a section share a name (check_candidates refuses that), the first listed is taken."""
    by_name: dict[str, str] = {}
    for candidate in section.get("candidates", ()):
        by_name.setdefault(normalise_name(candidate["name"]), candidate["id"])
    cache: dict[str, str] = {}

    def resolve(name: str) -> str:
        person = cache.get(name)
        if person is None:
            normal = normalise_name(name)
            person = cache[name] = by_name.get(normal, "write:" + normal)
        return person

    return resolve


def _is_str_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def validate_ballot(ballot: Any, sections: Sequence[Mapping]) -> dict[str, str]:
    """What is wrong with a ballot about to be cast, as {section id: code}; empty when it may be cast.

    Codes, the first that applies per section: ``malformed`` (section missing or not three lists of
    strings), ``unknown-candidate`` (an id not standing in that section), ``empty-write-in``,
    ``approved-and-opposed`` (also when a write-in names an opposed candidate) and ``overvote``
    (more persons marked than seats: approvals plus distinct write-ins, a write-in of a candidate's
    name being that candidate). A key of the ballot that is no section gives ``unknown-section``;
    a ballot that is not a mapping gives ``{"*": "malformed"}``.
    """
    if not isinstance(ballot, Mapping):
        return {"*": "malformed"}
    errors: dict[str, str] = {}
    known = {s["id"] for s in sections}
    for key in ballot:
        if key not in known:
            errors[key] = "unknown-section"
    for section in sections:
        code = _part_error(ballot.get(section["id"]), section)
        if code:
            errors[section["id"]] = code
    return errors


def _part_error(part: Any, section: Mapping) -> str | None:
    if not isinstance(part, Mapping) or set(part) != {"approve", "oppose", "write_in"}:
        return "malformed"
    if not all(_is_str_list(part[k]) for k in ("approve", "oppose", "write_in")):
        return "malformed"
    ids = {c["id"] for c in section.get("candidates", ())}
    if not set(part["approve"]) <= ids or not set(part["oppose"]) <= ids:
        return "unknown-candidate"
    if any(not normalise_name(w) for w in part["write_in"]):
        return "empty-write-in"
    resolve = _resolver(section)
    persons = set(part["approve"]) | {resolve(w) for w in part["write_in"]}
    if persons & set(part["oppose"]):
        return "approved-and-opposed"
    if len(persons) > section["seats"]:
        return "overvote"
    return None


# --------------------------------------------------------------------------------------------------
# Counting (contract civic-election-board/1, "Counting", points 2–6)
# --------------------------------------------------------------------------------------------------

DEFAULT_RULES = {"quorum": [1, 2], "win": [1, 2], "runoff_win": [1, 3]}
_APPROVE, _WRITE_IN = itemgetter("approve"), itemgetter("write_in")


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while millions of acyclic containers are made or read:
    its passes over them would cost more than the counting itself. Restores the old state.
    Let the temporaries die inside the pause (do the work in a function called within it): whatever
    was made during the pause and is still alive at the end is traversed by the next collection."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def count_round(
    rules: Mapping | None,
    sections: Sequence[Mapping],
    ballots: Iterable,
    paper: Iterable = (),
    boxes: Iterable[Mapping] = (),
    *,
    registered: int,
    issued: int,
    round_no: int = 1,
    weights: Sequence[int] | None = None,
) -> dict:
    """Count one round and return the contract's `result`.

    `ballots` are the online ballots, `paper` the ballots read out one by one (``None`` for a ballot
    invalid as a whole), `boxes` the tallies of boxes counted whole (the `tally` of `box` entries).
    `weights`, when given, says how many times each of `ballots` was cast (identical ballots grouped
    by the caller). A section missing from a ballot, or a missing list, counts as left blank; a ballot
    whose content cannot be counted (a list of non-strings, a non-integer tally) raises ValueError.

    An invalid round (over-issued, no quorum) still shows its votes and invalid counts, but elects
    nobody: `elected` and `tied` are empty and every seat is unfilled.
    """
    rules = {**DEFAULT_RULES, **(rules or {})}
    ballots = ballots if isinstance(ballots, list) else list(ballots)
    paper = paper if isinstance(paper, list) else list(paper)
    boxes = list(boxes)
    sids = [section["id"] for section in sections]
    with gc_paused():  # _marks' millions of temporaries die before the collector is back
        parts, nulls = _marks(ballots, paper, sids, weights)
    returned = (len(ballots) if weights is None else sum(weights)) + len(paper)
    returned += sum(_count_int(box.get("returned"), "box returned") for box in boxes)
    valid, reason = _validity(rules, returned, issued, registered)
    win, runoff = (rules["runoff_win"], True) if round_no >= 2 else (rules["win"], False)
    already: set[str] = set()
    result_sections = {}
    for section in sections:
        votes, invalid = _tally(section, parts[section["id"]], nulls, boxes)
        elected, tied = _elect(votes, section["seats"], returned, win, runoff, already) if valid else ([], [])
        already.update(elected)
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


def _marks(ballots: list, paper: list, sids: list[str], weights: Sequence[int] | None) -> tuple[dict[str, Counter], int]:
    """Per section, how often each marking occurs among the ballots and paper ballots; and the nulls."""
    if weights is None:
        marked = ballots + paper if paper else ballots
        nulls = marked.count(None)
        grouped = _group_identical(marked, nulls)
        if grouped is not None:  # each distinct ballot counted once, times how often it was cast
            distinct, times = grouped
            return _part_counts(distinct, sids, times), nulls
        return _part_counts(marked, sids, has_nulls=nulls > 0), nulls
    if len(weights) != len(ballots):
        raise ValueError("weights and ballots differ in length")
    if not set(map(type, weights)) <= {int} or min(weights, default=0) < 0:
        raise ValueError("weights must be whole numbers")
    parts = _part_counts(ballots, sids, weights)
    for sid, counts in _part_counts(paper, sids).items():
        parts[sid].update(counts)
    nulls = sum(w for b, w in zip(ballots, weights) if b is None) if None in ballots else 0
    return parts, paper.count(None) + nulls


# Encoding options for _group_identical: subclasses, dataclasses and dates are refused (TypeError)
# rather than turned into JSON, so that they take the careful path exactly as before.
_GROUP_OPTIONS = (
    (orjson.OPT_PASSTHROUGH_SUBCLASS | orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_PASSTHROUGH_DATETIME)
    if orjson is not None
    else 0
)


def _group_identical(ballots: list, nulls: int) -> tuple[list, list[int]] | None:
    """The distinct ballots among `ballots` and how often each occurs, found by their JSON text:
    one C-level encoding and one dict update per ballot, where counting them one by one makes tuples
    per section. (A million ballots of a real election have a few ten thousand distinct contents.)

    Equal texts mean equal contents, so each distinct text is counted once as the ballot it decodes
    to, with its weight. None when the fast way cannot be trusted to count exactly like the careful
    one: orjson missing, something it will not encode (the careful path then says what is wrong), or a
    `null` inside a ballot or a ballot that is `null` without being None (orjson writes NaN and
    infinities as null) — those rare ballots are counted one by one instead. Ballots are JSON values;
    the only other Python objects orjson turns into JSON (uuid.UUID, enum members) would be counted as
    the string or number they encode to.
    """
    if orjson is None:
        return None
    n = len(ballots)
    try:
        counts = Counter(map(orjson.dumps, ballots, repeat(None, n), repeat(_GROUP_OPTIONS, n)))
    except (TypeError, ValueError):  # orjson.JSONEncodeError is a TypeError
        return None
    if counts.get(b"null", 0) != nulls:
        return None
    texts = [text for text in counts if text != b"null"]
    if any(b"null" in text for text in texts):  # also a write-in spelled "null": merely slower
        return None
    return list(map(orjson.loads, texts)), [counts[text] for text in texts]


def _count_int(value: Any, what: str) -> int:
    if type(value) is not int or value < 0:
        raise ValueError(f"{what} is not a whole number: {value!r}")
    return value


def _validity(rules: Mapping, returned: int, issued: int, registered: int) -> tuple[bool, str | None]:
    """Point 2: more ballots returned than issued voids the round (E29); so does too low a turnout (E31)."""
    if returned > issued:
        return False, "over-issued"
    if not more_than(returned, registered, rules["quorum"]):
        return False, "no-quorum"
    return True, None


def _part_counts(
    ballots: list, sids: Sequence[str], weights: Sequence[int] | None = None, has_nulls: bool = True
) -> dict[str, Counter]:
    """For each section, how often each (approve, write_in) marking occurs among the non-null
    ballots (each ballot counted `weights[i]` times when weights are given)."""
    if weights is None:
        real = [b for b in ballots if b is not None] if has_nulls and None in ballots else ballots
    else:
        kept = [(b, w) for b, w in zip(ballots, weights) if b is not None and w]
        real, weights = [b for b, _ in kept], [w for _, w in kept]
    keys = _part_keys(real, sids)
    try:
        if weights is None:
            return {sid: Counter(section_keys) for sid, section_keys in zip(sids, keys)}
        out: dict[str, Counter] = {}
        for sid, section_keys in zip(sids, keys):
            counts = out[sid] = Counter()
            for key, w in zip(section_keys, weights):
                counts[key] += w
        return out
    except TypeError as error:  # an unhashable item in a list: no ballot has such a thing
        raise ValueError(f"a ballot lists something that is not a string: {error}") from None


def _part_keys(ballots: list, sids: Sequence[str]) -> list[list[tuple[tuple, tuple]]]:
    """Per section, the (approve, write_in) marking of each ballot, as tuples.

    The common case runs as a few C-level passes (itemgetter, tuple, zip) over all sections at once,
    which is what keeps a million ballots near a second; anything irregular (a missing section or
    list) takes the careful per-ballot path, which gives the same keys.
    """
    n = len(sids)
    if n == 0:
        return []
    try:
        parts = list(chain.from_iterable(map(itemgetter(*sids), ballots))) if n > 1 else list(map(itemgetter(*sids), ballots))
        keys = list(zip(map(tuple, map(_APPROVE, parts)), map(tuple, map(_WRITE_IN, parts))))
        return [keys[k::n] for k in range(n)]
    except (KeyError, TypeError):
        return [[_part_key(b, sid) for b in ballots] for sid in sids]


def _part_key(ballot: Any, sid: str) -> tuple[tuple, tuple]:
    """The careful form of the fast path above: missing parts are blank, junk raises ValueError."""
    if not isinstance(ballot, Mapping):
        raise ValueError(f"a ballot is not an object: {ballot!r}")
    part = ballot.get(sid)
    if part is None:
        return (), ()
    if not isinstance(part, Mapping):
        raise ValueError(f"section {sid!r} of a ballot is not an object: {part!r}")
    try:
        return tuple(part.get("approve") or ()), tuple(part.get("write_in") or ())
    except TypeError as error:
        raise ValueError(f"section {sid!r} of a ballot has a list that is not a list: {error}") from None


def _tally(section: Mapping, parts: Counter, nulls: int, boxes: list[Mapping]) -> tuple[dict, int]:
    """Points 3–4 for one section: votes per person and the invalid count."""
    seats, sid = section["seats"], section["id"]
    resolve = _resolver(section)
    votes: Counter = Counter()
    invalid = nulls
    for (approve, write_in), n in parts.items():
        if not n:
            continue
        if not all(isinstance(x, str) for x in approve + write_in):
            raise ValueError(f"section {sid!r} of a ballot lists something that is not a string")
        persons = set(approve)
        persons.update(map(resolve, write_in))
        if len(persons) > seats:
            invalid += n  # an overvoted part gives no votes (E28)
        else:
            for person in persons:
                votes[person] += n
    for box in boxes:
        invalid += _count_int(box.get("invalid", 0), "box invalid")
        tally = (box.get("sections") or {}).get(sid) or {}
        invalid += _count_int(tally.get("invalid", 0), "box section invalid")
        for person, n in (tally.get("votes") or {}).items():
            votes[person] += _count_int(n, "box votes")
        for name, n in (tally.get("write_in") or {}).items():
            votes[resolve(name)] += _count_int(n, "box write-in votes")
    return {p: v for p, v in votes.items() if v > 0}, invalid


def _elect(
    votes: Mapping[str, int], seats: int, returned: int, frac: Sequence[int], runoff: bool, already: set[str]
) -> tuple[list[str], list[str]]:
    """Point 5: qualifying persons by votes (then person string); a tie at the last seat leaves
    every person with that vote count out, listed as tied (E33)."""
    if runoff:
        qualify = [(p, v) for p, v in votes.items() if v > 0 and at_least(v, returned, frac) and p not in already]
    else:
        qualify = [(p, v) for p, v in votes.items() if more_than(v, returned, frac) and p not in already]
    qualify.sort(key=lambda pv: (-pv[1], pv[0]))
    if seats <= 0:
        return [], []
    if len(qualify) <= seats:
        return [p for p, _ in qualify], []
    cut = qualify[seats - 1][1]
    if qualify[seats][1] == cut:
        return [p for p, v in qualify if v > cut], [p for p, v in qualify if v == cut]
    return [p for p, _ in qualify[:seats]], []


# --------------------------------------------------------------------------------------------------
# After the count: run-off candidates, warnings (E2, E3, E34, E35)
# --------------------------------------------------------------------------------------------------


def runoff_candidates(
    previous_result_section: Mapping, seats_unfilled: int, extra: int = 1, *, exclude: Iterable[str] = ()
) -> list[str]:
    """E34: the highest non-winners of the previous round, `seats_unfilled + extra` of them, with
    everyone tied at the cut-off included. `exclude` takes persons elected in other sections.
    Persons are returned as in the result (candidate ids or "write:<name>"), most votes first."""
    if seats_unfilled <= 0:
        return []
    out = set(previous_result_section.get("elected", ())) | set(exclude)
    ranked = sorted(
        ((p, v) for p, v in previous_result_section.get("votes", {}).items() if p not in out and v > 0),
        key=lambda pv: (-pv[1], pv[0]),
    )
    want = seats_unfilled + extra
    if len(ranked) <= want:
        return [p for p, _ in ranked]
    cut = ranked[want - 1][1]
    return [p for p, v in ranked if v >= cut]


NEAR_RELATIVES = frozenset({"spouse", "parent", "child", "sibling", "grandparent", "grandchild"})


def near_relative_conflicts(elected_ids: Iterable[str], relations: Iterable[Sequence]) -> list[tuple[str, str]]:
    """E3: pairs of elected persons who are near relatives. `relations` holds (a, b) pairs already
    known to be near relatives, or (a, b, kind) triples of which only the near kinds count."""
    elected = set(elected_ids)
    pairs = set()
    for relation in relations:
        a, b = relation[0], relation[1]
        if len(relation) > 2 and relation[2] not in NEAR_RELATIVES:
            continue
        if a != b and a in elected and b in elected:
            pairs.add((min(a, b), max(a, b)))
    return sorted(pairs)


_FEMALE = frozenset({"female", "f", "woman", "女"})


def warnings(
    result: Mapping,
    genders: Mapping[str, str | None],
    relations: Iterable[Sequence],
    seated_total: int,
    *,
    earlier_elected: Iterable[str] = (),
    config: Mapping | None = None,
) -> list[Violation]:
    """What the committee must be warned about after a round, as (code, params):
    ``round-invalid``, ``tied`` and ``seats-unfilled`` (run-off or re-vote needed, E33/E34),
    ``no-woman-elected`` (E2), ``near-relatives-elected`` (E3), ``too-few-seated`` (E35).

    `earlier_elected` are persons seated by earlier rounds; `seated_total` counts all seated so far.
    """
    out: list[Violation] = []
    sections = result.get("sections", {})
    if not result.get("valid"):
        out.append(("round-invalid", {"reason": result.get("reason")}))
    tied = {sid: s["tied"] for sid, s in sections.items() if s.get("tied")}
    if tied:
        out.append(("tied", {"sections": tied}))
    unfilled = {sid: s["unfilled"] for sid, s in sections.items() if s.get("unfilled")}
    if unfilled:
        out.append(("seats-unfilled", {"sections": unfilled}))
    seated = list(earlier_elected) + [p for s in sections.values() for p in s.get("elected", ())]
    if not any(str(genders.get(p) or "").lower() in _FEMALE for p in seated):
        out.append(("no-woman-elected", {"seated": len(seated)}))
    pairs = near_relative_conflicts(seated, relations)
    if pairs:
        out.append(("near-relatives-elected", {"pairs": pairs}))
    minimum = setting(config, "elections.min_seated")
    if seated_total < minimum:
        out.append(("too-few-seated", {"seated": seated_total, "minimum": minimum}))
    return out
