"""Read side of the appraisal: explicit queries, no query per row behind a template."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from fractions import Fraction

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from civic import paging, snapshots
from civic.appraisal import rules
from civic.appraisal.models import (
    Cadre, Campaign, Comment, Conflict, Evidence, Participation, Rater, RaterGroup, Result, Target, WorkReport,
)
from civic.errors import Forbidden, NotFound
from civic.i18n import _
from civic.registry.models import Community
from civic.security import Actor, can, ensure_permission


def campaigns(db: Session, community: Community | None = None) -> list[Campaign]:
    query = select(Campaign).order_by(Campaign.year.desc(), Campaign.id.desc())
    if community is not None:
        query = query.where(Campaign.community_id == community.id)
    return list(db.execute(query).scalars())


def campaign_or_404(db: Session, campaign_id: int) -> Campaign:
    if snapshots.active(db):
        campaign = snapshots.kept(db, "campaign", (campaign_id,), ("core", "appraisal"), lambda s: snapshots.one(s, Campaign, "id", campaign_id))
    else:
        campaign = db.get(Campaign, campaign_id)
    if campaign is None:
        raise NotFound(_("No such appraisal."))
    return campaign


def cadre_or_404(db: Session, campaign: Campaign, cadre_id: int) -> Cadre:
    cadre = db.get(Cadre, cadre_id)
    if cadre is None or cadre.campaign_id != campaign.id:
        raise NotFound(_("No such cadre."))
    return cadre


def reports_by_cadre(db: Session, cadre_ids: list[int]) -> dict[int, WorkReport]:
    if not cadre_ids:
        return {}
    return {r.cadre_id: r for r in db.execute(select(WorkReport).where(WorkReport.cadre_id.in_(cadre_ids))).scalars()}


def comment_counts(db: Session, report_ids: list[int]) -> dict[int, int]:
    if not report_ids:
        return {}
    return dict(db.execute(select(Comment.report_id, func.count()).where(
        Comment.report_id.in_(report_ids), Comment.hidden.is_(False)).group_by(Comment.report_id)).all())


def report_detail(db: Session, report: WorkReport) -> dict:
    return {
        "targets": list(db.execute(select(Target).where(Target.report_id == report.id).order_by(Target.sort)).scalars()),
        "evidence": list(db.execute(select(Evidence).where(Evidence.report_id == report.id).order_by(Evidence.id)).scalars()),
        "comments": list(db.execute(select(Comment).where(Comment.report_id == report.id).order_by(Comment.id)).scalars()),
    }


@dataclass
class GroupTurnout:
    group: RaterGroup
    roster: int
    participants: int
    paper: int

    @property
    def label(self) -> str:
        return rules.GROUP_LABELS[self.group.kind]

    @property
    def percent(self) -> str:
        return rules.percent(Fraction(self.participants, self.roster) if self.roster else None)

    @property
    def quorum_applies(self) -> bool:
        return self.group.kind in rules.REPRESENTATIVE_GROUPS

    @property
    def quorum_ok(self) -> bool:
        return rules.turnout_ok(self.participants, self.roster)


def turnout(db: Session, campaign: Campaign) -> list[GroupTurnout]:
    """Raters on the roster and raters who submitted, per group: counts only, never who rated what."""
    groups = sorted(db.execute(select(RaterGroup).where(RaterGroup.campaign_id == campaign.id)).scalars(),
                    key=lambda g: rules.GROUP_KINDS.index(g.kind) if g.kind in rules.GROUP_KINDS else 99)
    roster = dict(db.execute(select(Rater.group_id, func.count()).where(Rater.campaign_id == campaign.id).group_by(Rater.group_id)).all())
    took_part = select(Participation.rater_id, func.max(Participation.channel).label("channel")).where(
        Participation.campaign_id == campaign.id).group_by(Participation.rater_id).subquery()
    rows = db.execute(select(Rater.group_id, took_part.c.channel, func.count()).join(took_part, took_part.c.rater_id == Rater.id)
                      .group_by(Rater.group_id, took_part.c.channel)).all()
    done: dict[int, int] = {}
    paper: dict[int, int] = {}
    for group_id, channel, n in rows:
        done[group_id] = done.get(group_id, 0) + n
        if channel == "paper":
            paper[group_id] = paper.get(group_id, 0) + n
    return [GroupTurnout(g, roster.get(g.id, 0), done.get(g.id, 0), paper.get(g.id, 0)) for g in groups]


def roster(db: Session, campaign: Campaign) -> list[dict]:
    """The roster with each rater's state (for staff): submitted, channel, conflicts — never the marks."""
    return _roster_rows(db, campaign, list(db.execute(_raters(campaign)).scalars()))


ROSTER_PAGE = 50  # raters a page of the staff's dashboard (a district community's roster: 350 representatives)


def roster_page(db: Session, campaign: Campaign, page: int) -> tuple[list[dict], int, int]:
    """A page of `roster`, with the page (within range) and the number of pages."""
    total = db.scalar(select(func.count()).select_from(Rater).where(Rater.campaign_id == campaign.id)) or 0
    page, pages = paging.clamp(page, total, ROSTER_PAGE)
    raters = list(db.execute(_raters(campaign).limit(ROSTER_PAGE).offset((page - 1) * ROSTER_PAGE)).scalars())
    return _roster_rows(db, campaign, raters), page, pages


def _raters(campaign: Campaign):
    return select(Rater).where(Rater.campaign_id == campaign.id).order_by(Rater.group_id, Rater.id)


def _roster_rows(db: Session, campaign: Campaign, raters: list[Rater]) -> list[dict]:
    ids = [r.id for r in raters]
    if not ids:
        return []
    channels = dict(db.execute(select(Participation.rater_id, func.max(Participation.channel)).where(
        Participation.campaign_id == campaign.id, Participation.rater_id.in_(ids)).group_by(Participation.rater_id)).all())
    conflicts: dict[int, int] = dict(db.execute(select(Conflict.rater_id, func.count()).where(
        Conflict.campaign_id == campaign.id, Conflict.rater_id.in_(ids)).group_by(Conflict.rater_id)).all())
    kinds = dict(db.execute(select(RaterGroup.id, RaterGroup.kind).where(RaterGroup.campaign_id == campaign.id)).all())
    return [{"rater": r, "kind": kinds.get(r.group_id), "channel": channels.get(r.id), "conflicts": conflicts.get(r.id, 0)} for r in raters]


# ---- results ---------------------------------------------------------------------------------------

def frac(text: str | None) -> Fraction | None:
    if not text:
        return None
    num, _sep, den = text.partition("/")
    return Fraction(int(num), int(den))


@dataclass
class GroupView:
    kind: str
    weight: int
    forms: int
    valid: int
    counts: dict
    counted: bool
    trimmed: bool
    shown: bool
    score: Fraction | None
    satisfaction: Fraction | None
    dimensions: list | None

    @property
    def label(self) -> str:
        return rules.GROUP_LABELS[self.kind]

    @property
    def abstained(self) -> int:
        return self.forms - self.valid


@dataclass
class ResultView:
    """One cadre's frozen result, decoded for pages and exports."""

    cadre: Cadre
    grade: str | None
    rank: int | None
    score: Fraction | None
    satisfaction: Fraction | None
    unfit_share: Fraction | None
    shares: dict
    dimensions: list | None
    flags: list
    valid: int
    forms: int
    previous_grade: str | None
    groups: list[GroupView] = field(default_factory=list)

    @property
    def counts(self) -> dict:
        return {g: sum(x.counts.get(g, 0) for x in self.groups) for g in rules.GRADES}

    @property
    def shown_groups(self) -> list[GroupView]:
        return [g for g in self.groups if g.shown]


def result_view(cadre: Cadre, result: Result) -> ResultView:
    data = json.loads(result.data)
    groups = [GroupView(kind=g["kind"], weight=g["weight"], forms=g["forms"], valid=g["valid"], counts=g["counts"], counted=g["counted"],
                        trimmed=g["trimmed"], shown=g["shown"], score=frac(g["score"]), satisfaction=frac(g["satisfaction"]),
                        dimensions=[frac(x) for x in g["dimensions"]] if g["dimensions"] else None) for g in data["groups"]]
    return ResultView(
        cadre=cadre, grade=result.grade, rank=result.rank, score=frac(data["score"]), satisfaction=frac(data["satisfaction"]),
        unfit_share=frac(data["unfit_share"]), shares={k: frac(v) for k, v in data["shares"].items()},
        dimensions=[frac(x) for x in data["dimensions"]] if data["dimensions"] else None, flags=data["flags"], valid=data["valid"],
        forms=data["forms"], previous_grade=data.get("previous_grade"), groups=groups,
    )


def results(db: Session, campaign: Campaign) -> list[ResultView]:
    """Frozen results in rank order (no result last, then by list order)."""
    rows = db.execute(select(Cadre, Result).join(Result, Result.cadre_id == Cadre.id).where(Result.campaign_id == campaign.id)).all()
    views = [result_view(c, r) for c, r in rows]
    return sorted(views, key=lambda v: (v.rank is None, v.rank or 0, v.cadre.sort, v.cadre.id))


def results_visible(db: Session, actor: Actor, campaign: Campaign, community: Community, cadre: Cadre | None = None) -> bool:
    """No partial results: nothing before the count; after it the presiding and supervising staff, and each
    cadre their own result (a cadre who is also staff sees colleagues' only once published)."""
    if campaign.status not in ("closed", "published"):
        return False
    own = cadre is not None and cadre.user_id is not None and actor.authenticated and actor.user.id == cadre.user_id
    if own or can(actor, "appraisal:campaign:manage", community):
        return True
    if campaign.status == "published":
        return campaign.publish_scope == "public" or can(actor, "appraisal:results:residents", community)
    appraised = actor.authenticated and db.scalar(select(func.count()).select_from(Cadre).where(
        Cadre.campaign_id == campaign.id, Cadre.user_id == actor.user.id)) > 0
    return can(actor, "appraisal:campaign:view", community) and not appraised


def ensure_results_visible(db: Session, actor: Actor, campaign: Campaign, community: Community, cadre: Cadre | None = None) -> None:
    if campaign.status not in ("closed", "published"):
        raise NotFound(_("There are no results before the rating closes and the forms are counted."))
    if results_visible(db, actor, campaign, community, cadre):
        return
    if campaign.status == "published":
        ensure_permission(actor, "appraisal:results:residents", community)
    ensure_permission(actor, "appraisal:campaign:view", community)
    raise Forbidden(_("Before publication each cadre sees only their own result."))


def history(db: Session, campaign: Campaign, cadre: Cadre) -> list[dict]:
    """Year over year: the same person's results in the community's counted campaigns, oldest first."""
    from civic.appraisal.services import same_person

    rows = db.execute(select(Campaign, Cadre, Result).join(Cadre, Cadre.campaign_id == Campaign.id)
                      .join(Result, Result.cadre_id == Cadre.id)
                      .where(Campaign.community_id == campaign.community_id, Campaign.status.in_(("closed", "published")),
                             Campaign.year <= campaign.year)
                      .order_by(Campaign.year, Campaign.id)).all()
    out = []
    for other, person, result in rows:
        if person.id == cadre.id or same_person(person, cadre):
            view = result_view(person, result)
            out.append({"campaign": other, "result": view, "current": other.id == campaign.id})
    return out


def community_years(db: Session, community: Community, actor: Actor, up_to: int) -> list[dict]:
    """Per year up to `up_to`: cadres counted, mean score and mean satisfaction of the visible campaigns."""
    out = []
    for campaign in sorted(campaigns(db, community), key=lambda c: (c.year, c.id)):
        if campaign.year > up_to or not results_visible(db, actor, campaign, community):
            continue
        views = [v for v in results(db, campaign) if v.score is not None]
        if not views:
            continue
        out.append({
            "campaign": campaign, "cadres": len(views),
            "score": sum((v.score for v in views), Fraction(0)) / len(views),
            "satisfaction": sum((v.satisfaction for v in views), Fraction(0)) / len(views),
            "unfit": sum(1 for v in views if v.grade == "unfit"),
        })
    return out
