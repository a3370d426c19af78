"""The arithmetic of the democratic appraisal (DOMAIN.md A4–A9): pure functions, exact fractions.

A campaign has rater groups (party-member representatives, resident representatives, the street office,
peers), each with a weight; the weights add up to 100. Per cadre and per group the valid forms are
counted by grade; the group's score is the mean form score (highest and lowest dropped when trimming is
on and the group has enough forms); a group with fewer valid forms than its minimum is not counted and
the weights of the counted groups are rescaled. Every share and threshold is a `Fraction`, so every
comparison is an integer comparison (Civil Code Art 1259: "超过" excludes, "以上" includes the number).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Iterable, Sequence

from civic.i18n import N_

# Individual grades (A5), best first.
GRADES = ("excellent", "competent", "basic", "unfit")
GRADE_LABELS = {
    "excellent": N_("Excellent (优秀)"),
    "competent": N_("Competent (称职)"),
    "basic": N_("Basically competent (基本称职)"),
    "unfit": N_("Not competent (不称职)"),
}
# Points per grade when the score is taken from grades ("优秀票按100分、称职票按80分…").
GRADE_POINTS = {"excellent": 100, "competent": 80, "basic": 60, "unfit": 0}
# The five dimensions (德、能、勤、绩、廉).
DIMENSIONS = ("morality", "ability", "diligence", "achievement", "integrity")
DIMENSION_LABELS = {
    "morality": N_("Integrity of character (德)"),
    "ability": N_("Ability (能)"),
    "diligence": N_("Diligence (勤)"),
    "achievement": N_("Achievement (绩)"),
    "integrity": N_("Honesty (廉)"),
}
# Rater groups, in the order a person is placed when they qualify for several (one group each).
GROUP_KINDS = ("party_reps", "resident_reps", "street", "peers")
GROUP_LABELS = {
    "party_reps": N_("Party-member representatives"),
    "resident_reps": N_("Resident representatives"),
    "street": N_("Street office"),
    "peers": N_("Fellow cadres"),
}
REPRESENTATIVE_GROUPS = ("party_reps", "resident_reps")
POSITIONS = ("chair", "vice_chair", "member", "staff")
POSITION_LABELS = {
    "chair": N_("Chair (主任)"),
    "vice_chair": N_("Vice-chair (副主任)"),
    "member": N_("Member (委员)"),
    "staff": N_("Community worker (社区工作者)"),
}
FLAG_LABELS = {
    "insufficient": N_("Too few valid forms: no result"),
    "group_below_minimum": N_("A rater group had too few forms and was not counted"),
    "unfit_share": N_("不称职 share above the threshold: admonition talk (诫勉谈话)"),
    "low_satisfaction": N_("Satisfaction below the threshold: problems must be fixed"),
    "low_score": N_("Score below the threshold: removal may be proposed by the legal procedure"),
    "unfit_grade": N_("Graded 不称职"),
    "end_of_office": N_("不称职 two years running: the office ends (Art 37)"),
}
STATUSES = ("draft", "reports", "rating", "closed", "published")
STATUS_LABELS = {
    "draft": N_("Being prepared"),
    "reports": N_("Work reports up for reading"),
    "rating": N_("Rating open"),
    "closed": N_("Counted, not yet published"),
    "published": N_("Results published"),
}


@dataclass(frozen=True)
class Form:
    """One anonymous form about one cadre: a grade (None = abstained) and optional dimension scores."""

    grade: str | None
    scores: tuple[int, ...] | None = None


@dataclass(frozen=True)
class GroupSpec:
    kind: str
    weight: int  # per cent
    min_raters: int


@dataclass(frozen=True)
class Policy:
    """The campaign's configured rules (defaults from the rules profile, keys appraisal.*)."""

    score_basis: str = "grades"  # "grades" | "dimensions"
    scale_max: int = 10
    trim: bool = False
    trim_min: int = 10
    satisfaction_includes_basic: bool = True
    satisfaction_warning: int = 60  # per cent
    unfit_share: Fraction = Fraction(1, 3)  # flagged when the share is MORE than this
    removal_score: int = 60
    breakdown_min: int = 5
    tie_break: str = "lower"  # "lower" | "higher": which grade wins a tie of shares


@dataclass
class GroupOutcome:
    kind: str
    weight: int
    forms: int = 0
    valid: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    counted: bool = False
    trimmed: bool = False
    score: Fraction | None = None
    satisfaction: Fraction | None = None
    dimension_means: tuple[Fraction, ...] | None = None
    shown: bool = False  # breakdown may be published (A9)

    @property
    def abstained(self) -> int:
        return self.forms - self.valid


@dataclass
class CadreOutcome:
    groups: list[GroupOutcome]
    shares: dict[str, Fraction] = field(default_factory=dict)
    satisfaction: Fraction | None = None
    unfit_share: Fraction | None = None
    score: Fraction | None = None
    dimension_means: tuple[Fraction, ...] | None = None
    grade: str | None = None
    flags: list[str] = field(default_factory=list)
    rank: int | None = None

    @property
    def valid(self) -> int:
        return sum(g.valid for g in self.groups)

    @property
    def forms(self) -> int:
        return sum(g.forms for g in self.groups)

    @property
    def has_result(self) -> bool:
        return self.grade is not None


# ---- set-up checks ---------------------------------------------------------------------------------

def weight_problem(weights: Sequence[int]) -> str | None:
    """None when the weights are usable: each 1..100 and together exactly 100."""
    if not weights:
        return "no_groups"
    if any(not isinstance(w, int) or w < 1 or w > 100 for w in weights):
        return "range"
    if sum(weights) != 100:
        return "sum"
    return None


def schedule_problem(reports_due: dt.date | None, meeting_on: dt.date | None, opens: dt.date, closes: dt.date) -> str | None:
    """The steps of A4 in order: reports, then the meeting, then rating."""
    if closes < opens:
        return "closes_before_opens"
    if reports_due and reports_due > opens:
        return "reports_after_rating"
    if meeting_on and (meeting_on > closes or (reports_due and meeting_on < reports_due)):
        return "meeting_out_of_order"
    return None


def representatives_share_ok(representatives: int, roster: int, share_percent: int) -> bool:
    """A6: at least `share_percent` % of the raters are ordinary representatives (以上 includes)."""
    return roster == 0 or 100 * representatives >= share_percent * roster


def turnout_ok(participants: int, roster: int) -> bool:
    """A4: at least two thirds of the representatives took part (以上 includes)."""
    return roster > 0 and 3 * participants >= 2 * roster


def feedback_due(closed_on: dt.date, days: int) -> dt.date:
    """Feedback within `days` days of the count; the first day is not counted (Civil Code Art 201)."""
    return closed_on + dt.timedelta(days=days)


def posted_until(published_on: dt.date, days: int) -> dt.date:
    return published_on + dt.timedelta(days=days)


# ---- one form --------------------------------------------------------------------------------------

def form_problem(form: Form, dimensions: bool, scale_max: int) -> str | None:
    """None when the form is well formed; abstaining means no grade and no scores."""
    if form.grade is None:
        return "scores_without_grade" if form.scores else None
    if form.grade not in GRADES:
        return "grade"
    if dimensions:
        if form.scores is None or len(form.scores) != len(DIMENSIONS):
            return "scores_missing"
        if any(not isinstance(s, int) or s < 0 or s > scale_max for s in form.scores):
            return "score_range"
    elif form.scores:
        return "scores_not_asked"
    return None


def form_score(form: Form, policy: Policy) -> Fraction:
    """A valid form's score out of 100: the grade's points, or the dimension scores scaled to 100."""
    if policy.score_basis == "dimensions" and form.scores:
        return Fraction(sum(form.scores) * 100, len(form.scores) * policy.scale_max)
    return Fraction(GRADE_POINTS[form.grade])


def trimmed(values: Sequence[Fraction], trim: bool, trim_min: int) -> tuple[list[Fraction], bool]:
    """Drop one highest and one lowest value when trimming is on and there are `trim_min` or more."""
    values = sorted(values)
    if trim and len(values) >= max(trim_min, 3):
        return values[1:-1], True
    return values, False


def mean(values: Sequence[Fraction]) -> Fraction | None:
    return Fraction(sum(values), len(values)) if values else None


def satisfied(counts: dict[str, int], includes_basic: bool) -> int:
    """A7: 满意 = 优秀 + 称职; 基本满意 (基本称职) counts too unless configured otherwise."""
    return counts.get("excellent", 0) + counts.get("competent", 0) + (counts.get("basic", 0) if includes_basic else 0)


# ---- aggregation -----------------------------------------------------------------------------------

def group_outcome(spec: GroupSpec, forms: Iterable[Form], policy: Policy, dimensions: bool) -> GroupOutcome:
    forms = list(forms)
    valid = [f for f in forms if f.grade is not None]
    out = GroupOutcome(kind=spec.kind, weight=spec.weight, forms=len(forms), valid=len(valid))
    out.counts = {g: sum(1 for f in valid if f.grade == g) for g in GRADES}
    out.counted = len(valid) >= max(spec.min_raters, 1)
    out.shown = len(valid) >= policy.breakdown_min
    if not valid:
        return out
    scores, out.trimmed = trimmed([form_score(f, policy) for f in valid], policy.trim, policy.trim_min)
    out.score = mean(scores)
    out.satisfaction = Fraction(satisfied(out.counts, policy.satisfaction_includes_basic), len(valid))
    if dimensions and all(f.scores for f in valid):
        out.dimension_means = tuple(
            mean(trimmed([Fraction(f.scores[i]) for f in valid], policy.trim, policy.trim_min)[0]) for i in range(len(DIMENSIONS))
        )
    return out


def weighted(parts: Sequence[tuple[int, Fraction]]) -> Fraction:
    """Σ wᵢ·xᵢ / Σ wᵢ over the counted groups: their weights rescaled to 100 %."""
    total = sum(w for w, _x in parts)
    return Fraction(sum(w * x for w, x in parts), total)


def pick_grade(shares: dict[str, Fraction], tie_break: str) -> str:
    """A5: the grade with the highest share; a tie goes to the lower (or higher) grade as configured."""
    best = max(shares.values())
    tied = [g for g in GRADES if shares[g] == best]
    return tied[-1] if tie_break == "lower" else tied[0]


def cadre_outcome(specs: Sequence[GroupSpec], forms_by_group: dict[str, list[Form]], policy: Policy, dimensions: bool) -> CadreOutcome:
    groups = [group_outcome(s, forms_by_group.get(s.kind, []), policy, dimensions) for s in specs]
    out = CadreOutcome(groups=groups)
    counted = [g for g in groups if g.counted]
    if any(not g.counted for g in groups):
        out.flags.append("group_below_minimum")
    if not counted:
        out.flags = ["insufficient"] + out.flags
        return out
    out.shares = {grade: weighted([(g.weight, Fraction(g.counts[grade], g.valid)) for g in counted]) for grade in GRADES}
    out.unfit_share = out.shares["unfit"]
    out.satisfaction = weighted([(g.weight, g.satisfaction) for g in counted])
    out.score = weighted([(g.weight, g.score) for g in counted])
    if dimensions and all(g.dimension_means for g in counted):
        out.dimension_means = tuple(weighted([(g.weight, g.dimension_means[i]) for g in counted]) for i in range(len(DIMENSIONS)))
    out.grade = pick_grade(out.shares, policy.tie_break)
    if out.unfit_share > policy.unfit_share:
        out.flags.append("unfit_share")
    if out.satisfaction * 100 < policy.satisfaction_warning:
        out.flags.append("low_satisfaction")
    if out.score < policy.removal_score:
        out.flags.append("low_score")
    if out.grade == "unfit":
        out.flags.append("unfit_grade")
    return out


def rank_key(outcome: CadreOutcome) -> tuple[Fraction, Fraction, Fraction]:
    """Ranked by score; ties broken by satisfaction, then by the share of 优秀."""
    return (outcome.score, outcome.satisfaction, outcome.shares["excellent"])


def assign_ranks(outcomes: Sequence[CadreOutcome]) -> None:
    """Competition ranking (1, 2, 2, 4) among cadres with a result; equal on every key share a rank."""
    ranked = sorted((o for o in outcomes if o.has_result), key=rank_key, reverse=True)
    for position, outcome in enumerate(ranked, start=1):
        previous = ranked[position - 2] if position > 1 else None
        outcome.rank = previous.rank if previous is not None and rank_key(previous) == rank_key(outcome) else position
    for outcome in outcomes:
        if not outcome.has_result:
            outcome.rank = None


def ends_office(this_year: str | None, last_year: str | None) -> bool:
    """A2 / E40: two consecutive 不称职 results end a member's office."""
    return this_year == "unfit" and last_year == "unfit"


def percent(value: Fraction | None, places: int = 1) -> str:
    """A share shown as a percentage, rounded half up at the last place (display only)."""
    if value is None:
        return "—"
    return decimal(value * 100, places)


def decimal(value: Fraction | None, places: int = 2) -> str:
    if value is None:
        return "—"
    scale = 10 ** places
    negative = value < 0
    scaled = abs(value) * scale
    rounded = int(scaled) + (1 if scaled - int(scaled) >= Fraction(1, 2) else 0)
    whole, frac = divmod(rounded, scale)
    text = f"{whole}.{frac:0{places}d}" if places else str(whole)
    return ("-" if negative and rounded else "") + text


def mask_name(name: str) -> str:
    """Commenters are verified but shown by surname only (O4: real name behind, voluntary in front)."""
    return (name[:1] + "*" * max(1, len(name) - 1)) if name else "*"
