"""Appraisal use cases: (db, actor, ...) → permission → rules → write → audit → commit.

Rating writes no audit entry and nothing else that names a rater next to a form (A9): the register row
is the record of who took part, the anonymous form the record of what was rated.
"""
from __future__ import annotations

import datetime as dt
import json
import random
from fractions import Fraction
from pathlib import Path

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from civic import audit, uploads
from civic.accounts.models import RoleAssignment, User
from civic.appraisal import rules
from civic.appraisal.models import (
    Cadre, Campaign, Comment, Conflict, Evidence, Participation, RaterGroup, Rater, RatingForm, Result, Target, WorkReport,
)
from civic.db import utcnow
from civic.errors import Conflict as ConflictError
from civic.errors import Forbidden, Invalid, NotFound
from civic.i18n import _
from civic.notify import notify
from civic.registry import queries as registry_queries
from civic.registry.models import Community, Resident
from civic.rulesconfig.services import Rules, current_rules
from civic.secrecy import coarse_day, random_id
from civic.security import Actor, can, ensure_permission

MANAGE = "appraisal:campaign:manage"
EVIDENCE_TYPES = {"pdf", "png", "jpg", "jpeg", "xlsx", "docx"}


def today() -> dt.date:
    return coarse_day()


def community_of(db: Session, campaign: Campaign) -> Community:
    return registry_queries.community(db, campaign.community_id)


def policy_of(campaign: Campaign) -> rules.Policy:
    return rules.Policy(
        score_basis=campaign.score_basis, scale_max=campaign.scale_max, trim=campaign.trim_extremes,
        trim_min=campaign.trim_min_raters, satisfaction_includes_basic=campaign.satisfaction_includes_basic,
        satisfaction_warning=campaign.satisfaction_warning, unfit_share=Fraction(campaign.unfit_num, campaign.unfit_den),
        removal_score=campaign.removal_score, breakdown_min=campaign.breakdown_min, tie_break=campaign.tie_break,
    )


def defaults_from_rules(ruleset: Rules) -> dict:
    """A new campaign's settings from the rules profile (appraisal.* keys)."""
    num, den = ruleset["appraisal.unfit_share"]
    return {
        "trim_extremes": ruleset["appraisal.trim_extremes"], "trim_min_raters": ruleset["appraisal.trim_min_raters"],
        "satisfaction_includes_basic": ruleset["appraisal.satisfaction_includes_basic"],
        "satisfaction_warning": ruleset["appraisal.satisfaction_warning"], "unfit_num": num, "unfit_den": den,
        "removal_score": ruleset["appraisal.removal_score"], "breakdown_min": ruleset["appraisal.group_breakdown_min"],
        "ordinary_share": ruleset["appraisal.ordinary_share"], "post_days": ruleset["appraisal.post_days"],
        "feedback_days": ruleset["appraisal.feedback_days"],
        "groups": {
            "street": ruleset["appraisal.weight_street"], "party_reps": ruleset["appraisal.weight_party_reps"],
            "resident_reps": ruleset["appraisal.weight_resident_reps"],
        },
        "min_raters": ruleset["appraisal.min_raters"],
    }


def rules_for(db: Session, community: Community) -> Rules:
    return current_rules(db, registry_queries.district_id_of(db, community))


# ---- campaign set-up -------------------------------------------------------------------------------

SETTING_FIELDS = (
    "year", "title", "dimensions", "scale_max", "score_basis", "trim_extremes", "trim_min_raters", "satisfaction_includes_basic",
    "satisfaction_warning", "unfit_num", "unfit_den", "removal_score", "breakdown_min", "tie_break", "ordinary_share", "post_days",
    "feedback_days", "publish_scope", "reports_due", "meeting_on", "meeting_place", "meeting_link", "rating_opens_on", "rating_closes_on",
)


def create_campaign(db: Session, actor: Actor, community: Community, values: dict) -> Campaign:
    """`values` come clean from forms.campaign_form (groups: [(kind, weight, min_raters)])."""
    ensure_permission(actor, MANAGE, community)
    campaign = Campaign(community_id=community.id, rules_version_id=rules_for(db, community).version_id, created_by=actor.user_id,
                        **{k: values[k] for k in SETTING_FIELDS})
    db.add(campaign)
    db.flush()
    for kind, weight, minimum in values["groups"]:
        db.add(RaterGroup(campaign_id=campaign.id, kind=kind, weight=weight, min_raters=minimum))
    audit.record(db, "appraisal.campaign.create", actor=actor, target=f"appraisal:{campaign.id}", community_id=community.id,
                 data={"year": campaign.year, "groups": values["groups"]})
    db.commit()
    return campaign


def update_campaign(db: Session, actor: Actor, campaign: Campaign, values: dict) -> Campaign:
    community = community_of(db, campaign)
    ensure_permission(actor, MANAGE, community)
    if campaign.status not in ("draft", "reports"):
        raise ConflictError(_("The settings are fixed once rating has opened."))
    for key in SETTING_FIELDS:
        setattr(campaign, key, values[key])
    db.execute(delete(RaterGroup).where(RaterGroup.campaign_id == campaign.id))
    db.flush()
    for kind, weight, minimum in values["groups"]:
        db.add(RaterGroup(campaign_id=campaign.id, kind=kind, weight=weight, min_raters=minimum))
    audit.record(db, "appraisal.campaign.update", actor=actor, target=f"appraisal:{campaign.id}", community_id=community.id,
                 data={"groups": values["groups"]})
    db.commit()
    return campaign


def add_cadre(db: Session, actor: Actor, campaign: Campaign, name: str, position: str, user_id: int | None) -> Cadre:
    community = community_of(db, campaign)
    ensure_permission(actor, MANAGE, community)
    if campaign.status not in ("draft", "reports"):
        raise ConflictError(_("Cadres can only be added before rating opens."))
    user = None
    if user_id is not None:
        user = db.get(User, user_id)
        if user is None or user_id not in {u.id for u in cadre_candidates(db, community)}:
            raise Invalid(_("Choose an account of this community."), field="user_id")
        if db.scalar(select(Cadre.id).where(Cadre.campaign_id == campaign.id, Cadre.user_id == user_id)):
            raise Invalid(_("This person is already on the list."), field="user_id")
        name = name or user.display_name
    if not name:
        raise Invalid(_("Enter the cadre's name."), field="name")
    if position not in rules.POSITIONS:
        raise Invalid(_("Choose a position."), field="position")
    sort = (db.scalar(select(func.max(Cadre.sort)).where(Cadre.campaign_id == campaign.id)) or 0) + 1
    cadre = Cadre(campaign_id=campaign.id, name=name[:50], position=position, user_id=user_id,
                  resident_id=user.resident_id if user else None, sort=sort)
    db.add(cadre)
    db.flush()
    db.add(WorkReport(cadre_id=cadre.id, updated_by=actor.user_id))
    audit.record(db, "appraisal.cadre.add", actor=actor, target=f"appraisal-cadre:{cadre.id}", community_id=community.id,
                 data={"campaign": campaign.id, "name": cadre.name, "position": position})
    db.commit()
    return cadre


def remove_cadre(db: Session, actor: Actor, cadre: Cadre) -> None:
    campaign = db.get(Campaign, cadre.campaign_id)
    community = community_of(db, campaign)
    ensure_permission(actor, MANAGE, community)
    if campaign.status != "draft":
        raise ConflictError(_("Cadres can only be removed while the campaign is a draft."))
    report = db.execute(select(WorkReport).where(WorkReport.cadre_id == cadre.id)).scalar_one_or_none()
    if report is not None:
        db.execute(delete(Target).where(Target.report_id == report.id))
        db.execute(delete(Evidence).where(Evidence.report_id == report.id))
        db.execute(delete(Comment).where(Comment.report_id == report.id))
        db.delete(report)
    db.delete(cadre)
    audit.record(db, "appraisal.cadre.remove", actor=actor, target=f"appraisal-cadre:{cadre.id}", community_id=community.id,
                 data={"campaign": campaign.id, "name": cadre.name})
    db.commit()


def cadre_candidates(db: Session, community: Community) -> list[User]:
    """Accounts that may be appraised here: staff of the community and residents of it with an account."""
    staff = select(RoleAssignment.user_id).where(RoleAssignment.community_id == community.id, RoleAssignment.role == "staff")
    residents = select(Resident.id).where(Resident.community_id == community.id)
    return list(db.execute(
        select(User).where(User.active.is_(True), (User.id.in_(staff)) | (User.resident_id.in_(residents))).order_by(User.display_name)
    ).scalars())


def cadres_of(db: Session, campaign: Campaign) -> list[Cadre]:
    return list(db.execute(select(Cadre).where(Cadre.campaign_id == campaign.id).order_by(Cadre.sort, Cadre.id)).scalars())


def groups_of(db: Session, campaign: Campaign) -> list[RaterGroup]:
    order = {k: i for i, k in enumerate(rules.GROUP_KINDS)}
    groups = db.execute(select(RaterGroup).where(RaterGroup.campaign_id == campaign.id)).scalars()
    return sorted(groups, key=lambda g: order.get(g.kind, 99))


# ---- the procedure ---------------------------------------------------------------------------------

def open_reports(db: Session, actor: Actor, campaign: Campaign) -> None:
    """Draft → work reports: cadres write and publish their reports; residents read and comment."""
    community = community_of(db, campaign)
    ensure_permission(actor, MANAGE, community)
    if campaign.status != "draft":
        raise ConflictError(_("This step has already been taken."))
    cadres = cadres_of(db, campaign)
    if not cadres:
        raise Invalid(_("Add the cadres to be appraised first."))
    campaign.status = "reports"
    notify(db, [c.user_id for c in cadres], _("Please publish your work report for %(title)s.", title=campaign.title),
           f"/appraisal/{campaign.id}")
    audit.record(db, "appraisal.campaign.reports", actor=actor, target=f"appraisal:{campaign.id}", community_id=community.id,
                 data={"cadres": len(cadres)})
    db.commit()


def eligible_raters(db: Session, campaign: Campaign, community: Community) -> list[tuple[RaterGroup, list[dict]]]:
    """Who rates, group by group; a person qualifying for several groups is placed in the first one."""
    seen_residents: set[int] = set()
    seen_users: set[int] = set()
    out = []
    cadres = cadres_of(db, campaign)
    for group in groups_of(db, campaign):
        people: list[dict] = []
        if group.kind in rules.REPRESENTATIVE_GROUPS:
            flag = Resident.is_party_rep if group.kind == "party_reps" else Resident.is_resident_rep
            residents = db.execute(select(Resident).where(
                Resident.community_id == community.id, flag.is_(True), Resident.deprived_of_political_rights.is_(False),
            ).order_by(Resident.id)).scalars()
            accounts = dict(db.execute(select(User.resident_id, User.id).where(User.resident_id.is_not(None))).all())
            for r in residents:
                if r.id not in seen_residents:
                    people.append({"resident_id": r.id, "user_id": accounts.get(r.id), "name": r.name})
        elif group.kind == "street":
            users = db.execute(select(User).join(RoleAssignment, RoleAssignment.user_id == User.id).where(
                RoleAssignment.role == "street_supervisor", RoleAssignment.street_id == community.street_id, User.active.is_(True),
            ).order_by(User.id)).scalars().unique()
            people = [{"resident_id": u.resident_id, "user_id": u.id, "name": u.display_name} for u in users]
        elif group.kind == "peers":
            people = [{"resident_id": c.resident_id, "user_id": c.user_id, "name": c.name} for c in cadres if c.user_id]
        placed = []
        for person in people:
            if (person["resident_id"] and person["resident_id"] in seen_residents) or (person["user_id"] and person["user_id"] in seen_users):
                continue
            if person["resident_id"]:
                seen_residents.add(person["resident_id"])
            if person["user_id"]:
                seen_users.add(person["user_id"])
            placed.append(person)
        out.append((group, placed))
    return out


def open_rating(db: Session, actor: Actor, campaign: Campaign) -> dict:
    """Work reports → rating: every report published; the roster is frozen from the registry."""
    community = community_of(db, campaign)
    ensure_permission(actor, MANAGE, community)
    if campaign.status != "reports":
        raise ConflictError(_("Rating opens after the work reports phase."))
    cadres = cadres_of(db, campaign)
    published = set(db.execute(select(WorkReport.cadre_id).where(
        WorkReport.cadre_id.in_([c.id for c in cadres]), WorkReport.published.is_(True))).scalars())
    missing = [c.name for c in cadres if c.id not in published]
    if missing:
        raise Invalid(_("These work reports are not published yet: %(names)s", names="、".join(missing)))
    roster = eligible_raters(db, campaign, community)
    total = sum(len(people) for _g, people in roster)
    if total == 0:
        raise Invalid(_("Nobody is eligible to rate: check the representatives in the registry and the rater groups."))
    counts = {}
    for group, people in roster:
        counts[group.kind] = len(people)
        for person in people:
            db.add(Rater(campaign_id=campaign.id, group_id=group.id, **person))
    campaign.status = "rating"
    db.flush()
    notify(db, [p["user_id"] for _g, people in roster for p in people],
           _("Rating is open: %(title)s.", title=campaign.title), f"/appraisal/{campaign.id}/rate")
    audit.record(db, "appraisal.campaign.rating", actor=actor, target=f"appraisal:{campaign.id}", community_id=community.id,
                 data={"roster": counts})
    db.commit()
    return counts


def close_campaign(db: Session, actor: Actor, campaign: Campaign) -> list[Result]:
    """Rating → closed: the count. Results are computed once, frozen, and only now become visible."""
    community = community_of(db, campaign)
    ensure_permission(actor, MANAGE, community)
    if campaign.status != "rating":
        raise ConflictError(_("Only a campaign that is rating can be closed."))
    campaign.status = "closed"
    campaign.closed_on = today()
    results = count(db, campaign)
    # Rewrite every form of the campaign in one statement: on PostgreSQL each row gets this transaction's
    # id and a new place on disk, so neither follows the order in which forms were cast.
    db.execute(update(RatingForm).where(RatingForm.campaign_id == campaign.id).values(grade=RatingForm.grade))
    forms = db.scalar(select(func.count()).select_from(RatingForm).where(RatingForm.campaign_id == campaign.id))
    notify(db, [c.user_id for c in cadres_of(db, campaign)], _("The appraisal %(title)s has been counted.", title=campaign.title),
           f"/appraisal/{campaign.id}/results")
    audit.record(db, "appraisal.campaign.close", actor=actor, target=f"appraisal:{campaign.id}", community_id=community.id,
                 data={"forms": forms, "cadres": len(results)})
    db.commit()
    return results


def count(db: Session, campaign: Campaign) -> list[Result]:
    """Aggregate the anonymous forms cadre by cadre and store the outcomes (aggregates only)."""
    groups = groups_of(db, campaign)
    kind_of = {g.id: g.kind for g in groups}
    specs = [rules.GroupSpec(g.kind, g.weight, g.min_raters) for g in groups]
    policy = policy_of(campaign)
    cadres = cadres_of(db, campaign)
    by_cadre: dict[int, dict[str, list[rules.Form]]] = {c.id: {} for c in cadres}
    for row in db.execute(select(RatingForm).where(RatingForm.campaign_id == campaign.id)).scalars():
        scores = (row.morality, row.ability, row.diligence, row.achievement, row.integrity)
        form = rules.Form(row.grade, tuple(scores) if row.grade and None not in scores else None)
        by_cadre[row.cadre_id].setdefault(kind_of[row.group_id], []).append(form)
    outcomes = {c.id: rules.cadre_outcome(specs, by_cadre[c.id], policy, campaign.dimensions) for c in cadres}
    rules.assign_ranks(list(outcomes.values()))
    previous = previous_grades(db, campaign, cadres)
    db.execute(delete(Result).where(Result.campaign_id == campaign.id))
    results = []
    for cadre in cadres:
        outcome = outcomes[cadre.id]
        if rules.ends_office(outcome.grade, previous.get(cadre.id)):
            outcome.flags.append("end_of_office")
        result = Result(campaign_id=campaign.id, cadre_id=cadre.id, grade=outcome.grade, rank=outcome.rank,
                        score=_frac(outcome.score), data=json.dumps(outcome_json(outcome, previous.get(cadre.id))))
        db.add(result)
        results.append(result)
    db.flush()
    return results


def _frac(value: Fraction | None) -> str:
    return "" if value is None else f"{value.numerator}/{value.denominator}"


def outcome_json(outcome: rules.CadreOutcome, previous_grade: str | None) -> dict:
    def group(g: rules.GroupOutcome) -> dict:
        return {
            "kind": g.kind, "weight": g.weight, "forms": g.forms, "valid": g.valid, "counts": g.counts, "counted": g.counted,
            "trimmed": g.trimmed, "shown": g.shown, "score": _frac(g.score), "satisfaction": _frac(g.satisfaction),
            "dimensions": [_frac(x) for x in g.dimension_means] if g.dimension_means else None,
        }

    return {
        "groups": [group(g) for g in outcome.groups], "shares": {k: _frac(v) for k, v in outcome.shares.items()},
        "satisfaction": _frac(outcome.satisfaction), "unfit_share": _frac(outcome.unfit_share), "score": _frac(outcome.score),
        "dimensions": [_frac(x) for x in outcome.dimension_means] if outcome.dimension_means else None,
        "grade": outcome.grade, "flags": outcome.flags, "rank": outcome.rank, "valid": outcome.valid, "forms": outcome.forms,
        "previous_grade": previous_grade,
    }


def same_person(a: Cadre, b: Cadre) -> bool:
    """Across years a cadre is the same person by account, by registry entry, or (neither linked) by name."""
    if a.user_id and b.user_id:
        return a.user_id == b.user_id
    if a.resident_id and b.resident_id:
        return a.resident_id == b.resident_id
    return not (a.user_id or a.resident_id or b.user_id or b.resident_id) and a.name == b.name


def previous_grades(db: Session, campaign: Campaign, cadres: list[Cadre]) -> dict[int, str | None]:
    """Each cadre's grade in the community's counted campaign of the year before (A2)."""
    earlier = db.execute(select(Campaign.id).where(
        Campaign.community_id == campaign.community_id, Campaign.year == campaign.year - 1, Campaign.status.in_(("closed", "published")),
    )).scalars().all()
    if not earlier:
        return {}
    rows = db.execute(select(Cadre, Result).join(Result, Result.cadre_id == Cadre.id).where(Cadre.campaign_id.in_(earlier))).all()
    out: dict[int, str | None] = {}
    for cadre in cadres:
        for old, result in rows:
            if same_person(cadre, old):
                # With several campaigns that year, one 不称职 is enough to count.
                if out.get(cadre.id) != "unfit":
                    out[cadre.id] = result.grade
    return out


def publish_results(db: Session, actor: Actor, campaign: Campaign) -> None:
    """Closed → published: posted for residents (at least `post_days` days, A4)."""
    community = community_of(db, campaign)
    ensure_permission(actor, MANAGE, community)
    if campaign.status != "closed":
        raise ConflictError(_("Only counted results can be published."))
    campaign.status = "published"
    campaign.published_on = today()
    audit.record(db, "appraisal.results.publish", actor=actor, target=f"appraisal:{campaign.id}", community_id=community.id,
                 data={"until": rules.posted_until(campaign.published_on, campaign.post_days).isoformat()})
    db.commit()


# ---- work reports ----------------------------------------------------------------------------------

def is_cadre(actor: Actor, cadre: Cadre) -> bool:
    return actor.authenticated and cadre.user_id is not None and actor.user.id == cadre.user_id and actor.assisted_by is None


def ensure_can_write_for(db: Session, actor: Actor, cadre: Cadre, campaign: Campaign, community: Community) -> None:
    """The cadre writes their own report and plan; staff may write for a cadre, but never for a colleague."""
    if is_cadre(actor, cadre):
        return
    ensure_permission(actor, "appraisal:report:write", community)
    if actor.user_id in {c.user_id for c in cadres_of(db, campaign)} and not can(actor, MANAGE, community):
        raise Forbidden(_("A cadre cannot write another cadre's report."))


def save_report(db: Session, actor: Actor, cadre: Cadre, summary: str, targets: list[dict], publish: bool) -> WorkReport:
    campaign = db.get(Campaign, cadre.campaign_id)
    community = community_of(db, campaign)
    ensure_can_write_for(db, actor, cadre, campaign, community)
    if campaign.status not in ("draft", "reports"):
        raise ConflictError(_("Work reports cannot change once rating has opened."))
    if publish and campaign.status != "reports":
        raise ConflictError(_("Reports are published once the work reports phase has opened."))
    report = report_of(db, cadre)
    report.summary = summary
    report.updated_at, report.updated_by = utcnow(), actor.user_id
    db.execute(delete(Target).where(Target.report_id == report.id))
    for index, target in enumerate(targets):
        db.add(Target(report_id=report.id, sort=index, **target))
    if publish and not report.published:
        report.published, report.published_at = True, utcnow()
    audit.record(db, "appraisal.report.publish" if publish else "appraisal.report.save", actor=actor,
                 target=f"appraisal-cadre:{cadre.id}", community_id=community.id, data={"targets": len(targets)})
    db.commit()
    return report


def report_of(db: Session, cadre: Cadre) -> WorkReport:
    report = db.execute(select(WorkReport).where(WorkReport.cadre_id == cadre.id)).scalar_one_or_none()
    if report is None:
        report = WorkReport(cadre_id=cadre.id)
        db.add(report)
        db.flush()
    return report


def add_evidence(db: Session, actor: Actor, cadre: Cadre, data_dir: Path, filename: str, content: bytes) -> Evidence:
    campaign = db.get(Campaign, cadre.campaign_id)
    community = community_of(db, campaign)
    ensure_can_write_for(db, actor, cadre, campaign, community)
    if campaign.status not in ("draft", "reports"):
        raise ConflictError(_("Work reports cannot change once rating has opened."))
    uploads.check_upload(filename, content, EVIDENCE_TYPES)
    stored = uploads.store(data_dir, filename, content, EVIDENCE_TYPES)
    report = report_of(db, cadre)
    evidence = Evidence(report_id=report.id, storage_name=stored.storage_name, filename=stored.original_name,
                        media_type=stored.media_type, size=stored.size, sha256=stored.sha256)
    db.add(evidence)
    audit.record(db, "appraisal.evidence.add", actor=actor, target=f"appraisal-cadre:{cadre.id}", community_id=community.id,
                 data={"file": stored.original_name, "sha256": stored.sha256})
    db.commit()
    return evidence


def remove_evidence(db: Session, actor: Actor, evidence: Evidence) -> None:
    report = db.get(WorkReport, evidence.report_id)
    cadre = db.get(Cadre, report.cadre_id)
    campaign = db.get(Campaign, cadre.campaign_id)
    community = community_of(db, campaign)
    ensure_can_write_for(db, actor, cadre, campaign, community)
    if campaign.status not in ("draft", "reports"):
        raise ConflictError(_("Work reports cannot change once rating has opened."))
    db.delete(evidence)
    audit.record(db, "appraisal.evidence.remove", actor=actor, target=f"appraisal-cadre:{cadre.id}", community_id=community.id,
                 data={"file": evidence.filename})
    db.commit()


def add_comment(db: Session, actor: Actor, cadre: Cadre, body: str) -> Comment:
    campaign = db.get(Campaign, cadre.campaign_id)
    community = community_of(db, campaign)
    ensure_permission(actor, "appraisal:report:comment", community)
    report = report_of(db, cadre)
    if campaign.status != "reports" or not report.published:
        raise ConflictError(_("Comments are open while the work reports are up, before rating opens."))
    body = body.strip()
    if not body:
        raise Invalid(_("Write your comment first."), field="body")
    if len(body) > 2000:
        raise Invalid(_("Keep the comment under 2,000 characters."), field="body")
    author = actor.user.display_name
    comment = Comment(report_id=report.id, author_id=actor.user.id, author_name=author[:50], body=body)
    db.add(comment)
    db.flush()
    if cadre.user_id and cadre.user_id != actor.user.id:
        notify(db, [cadre.user_id], _("A resident commented on your work report."), f"/appraisal/{campaign.id}/cadres/{cadre.id}#comments")
    audit.record(db, "appraisal.comment.add", actor=actor, target=f"appraisal-comment:{comment.id}", community_id=community.id,
                 data={"cadre": cadre.id})
    db.commit()
    return comment


def hide_comment(db: Session, actor: Actor, comment: Comment, reason: str) -> None:
    report = db.get(WorkReport, comment.report_id)
    cadre = db.get(Cadre, report.cadre_id)
    campaign = db.get(Campaign, cadre.campaign_id)
    community = community_of(db, campaign)
    ensure_permission(actor, "appraisal:comment:moderate", community)
    reason = reason.strip()
    if not reason:
        raise Invalid(_("Give the reason for hiding the comment."), field="reason")
    comment.hidden, comment.hidden_reason = True, reason[:200]
    audit.record(db, "appraisal.comment.hide", actor=actor, target=f"appraisal-comment:{comment.id}", community_id=community.id,
                 data={"reason": reason[:200]})
    db.commit()


# ---- rating ----------------------------------------------------------------------------------------

def rater_of(db: Session, campaign: Campaign, actor: Actor) -> Rater | None:
    """The actor's roster entry (by registry entry, else by account); never in assisted mode (secret)."""
    if not actor.authenticated or actor.assisted_by is not None:
        return None
    if actor.resident is not None:
        found = db.execute(select(Rater).where(Rater.campaign_id == campaign.id, Rater.resident_id == actor.resident.id)).scalar_one_or_none()
        if found is not None:
            return found
    return db.execute(select(Rater).where(Rater.campaign_id == campaign.id, Rater.user_id == actor.user.id)).scalar_one_or_none()


def has_rated(db: Session, rater: Rater) -> bool:
    return db.scalar(select(func.count()).select_from(Participation).where(
        Participation.campaign_id == rater.campaign_id, Participation.rater_id == rater.id)) > 0


def is_self(cadre: Cadre, rater: Rater) -> bool:
    return bool((cadre.user_id and cadre.user_id == rater.user_id) or (cadre.resident_id and cadre.resident_id == rater.resident_id))


def sheet_cadres(db: Session, campaign: Campaign, rater: Rater) -> tuple[list[Cadre], list[tuple[Cadre, str]]]:
    """The cadres on this rater's sheet, and those left off (self, declared conflict) with the reason."""
    conflicts = dict(db.execute(select(Conflict.cadre_id, Conflict.reason).where(
        Conflict.campaign_id == campaign.id, Conflict.rater_id == rater.id)).all())
    on, off = [], []
    for cadre in cadres_of(db, campaign):
        if is_self(cadre, rater):
            off.append((cadre, _("yourself")))
        elif cadre.id in conflicts:
            off.append((cadre, conflicts[cadre.id]))
        else:
            on.append(cadre)
    return on, off


def _ensure_rating_open(campaign: Campaign) -> None:
    if campaign.status != "rating":
        raise ConflictError(_("Rating is not open."))
    if today() > campaign.rating_closes_on:
        raise ConflictError(_("The rating period ended on %(day)s.", day=campaign.rating_closes_on.isoformat()))


def declare_conflict(db: Session, actor: Actor, campaign: Campaign, cadre: Cadre, reason: str, rater: Rater | None = None) -> Conflict:
    """A rater (or staff entering a paper form) declares a conflict of interest before rating."""
    community = community_of(db, campaign)
    if rater is None:
        ensure_permission(actor, "appraisal:rating:cast", community)
        rater = rater_of(db, campaign, actor)
        if rater is None:
            raise Forbidden(_("You are not on the roster of raters of this appraisal."))
    else:
        ensure_paper_clerk(db, actor, campaign, community)
    _ensure_rating_open(campaign)
    if cadre.campaign_id != campaign.id:
        raise NotFound(_("No such cadre."))
    reason = reason.strip()
    if not reason:
        raise Invalid(_("Say briefly why (for example: near relative)."), field="reason")
    if has_rated(db, rater):
        raise ConflictError(_("The form has been submitted; nothing can be changed."))
    if is_self(cadre, rater) or db.scalar(select(Conflict.id).where(Conflict.rater_id == rater.id, Conflict.cadre_id == cadre.id)):
        raise ConflictError(_("This cadre is already off your form."))
    conflict = Conflict(campaign_id=campaign.id, rater_id=rater.id, cadre_id=cadre.id, reason=reason[:200], declared_by=actor.user_id)
    db.add(conflict)
    audit.record(db, "appraisal.conflict.declare", actor=actor, target=f"appraisal-cadre:{cadre.id}", community_id=community.id,
                 data={"campaign": campaign.id, "rater": rater.id})
    db.commit()
    return conflict


def ensure_paper_clerk(db: Session, actor: Actor, campaign: Campaign, community: Community) -> None:
    ensure_permission(actor, "appraisal:paper:enter", community)
    if actor.user_id in {c.user_id for c in cadres_of(db, campaign)}:
        raise Forbidden(_("A cadre being appraised cannot enter paper forms."))


def submit_sheet(db: Session, actor: Actor, campaign: Campaign, marks: dict[int, rules.Form], rater: Rater | None = None) -> int:
    """Write the register rows and the anonymous forms of one rater in one transaction.

    Online: the rater is the actor. On paper: staff enter a signed-in paper form for `rater`.
    Returns the number of forms written. Writes no audit entry (the register is the record).
    """
    community = community_of(db, campaign)
    channel = "online"
    if rater is None:
        ensure_permission(actor, "appraisal:rating:cast", community)
        rater = rater_of(db, campaign, actor)
        if rater is None:
            raise Forbidden(_("You are not on the roster of raters of this appraisal."))
    else:
        ensure_paper_clerk(db, actor, campaign, community)
        if rater.campaign_id != campaign.id:
            raise NotFound(_("No such rater."))
        channel = "paper"
    _ensure_rating_open(campaign)
    if has_rated(db, rater):
        raise ConflictError(_("The form has been submitted; nothing can be changed."))
    cadres, _off = sheet_cadres(db, campaign, rater)
    if set(marks) != {c.id for c in cadres}:
        raise Invalid(_("Rate every cadre on the form (or choose to abstain)."))
    for cadre_id, form in marks.items():
        if rules.form_problem(form, campaign.dimensions, campaign.scale_max):
            raise Invalid(_("A mark on the form is not valid; check each cadre."))
    day = today()
    entries = list(marks.items())
    random.SystemRandom().shuffle(entries)
    for cadre_id, form in entries:
        db.add(Participation(campaign_id=campaign.id, rater_id=rater.id, cadre_id=cadre_id, channel=channel, day=day,
                             entered_by=actor.user_id if channel == "paper" else None))
        scores = dict(zip(rules.DIMENSIONS, form.scores)) if form.scores else {}
        db.add(RatingForm(id=random_id(), campaign_id=campaign.id, cadre_id=cadre_id, group_id=rater.group_id, grade=form.grade, **scores))
    try:
        db.commit()
    except IntegrityError as error:  # a second submission racing the first: the register refuses it
        db.rollback()
        raise ConflictError(_("The form has been submitted; nothing can be changed.")) from error
    return len(entries)


# ---- after the count -------------------------------------------------------------------------------

def give_feedback(db: Session, actor: Actor, cadre: Cadre, text: str) -> None:
    """Feedback to each cadre within `feedback_days` of the count (A4)."""
    campaign = db.get(Campaign, cadre.campaign_id)
    community = community_of(db, campaign)
    ensure_permission(actor, MANAGE, community)
    if campaign.status not in ("closed", "published"):
        raise ConflictError(_("Feedback is given after the count."))
    text = text.strip()
    if not text:
        raise Invalid(_("Write the feedback first."), field="feedback")
    cadre.feedback, cadre.feedback_on, cadre.feedback_by = text[:5000], today(), actor.user_id
    notify(db, [cadre.user_id], _("You have feedback on your appraisal."), f"/appraisal/{campaign.id}/results/{cadre.id}")
    audit.record(db, "appraisal.feedback.give", actor=actor, target=f"appraisal-cadre:{cadre.id}", community_id=community.id,
                 data={"campaign": campaign.id})
    db.commit()


def save_plan(db: Session, actor: Actor, cadre: Cadre, text: str) -> None:
    """The cadre answers the result with an improvement plan (published with the results)."""
    campaign = db.get(Campaign, cadre.campaign_id)
    community = community_of(db, campaign)
    ensure_can_write_for(db, actor, cadre, campaign, community)
    if campaign.status not in ("closed", "published"):
        raise ConflictError(_("The improvement plan follows the count."))
    text = text.strip()
    if not text:
        raise Invalid(_("Write the plan first."), field="plan")
    cadre.improvement_plan, cadre.plan_at = text[:10000], utcnow()
    audit.record(db, "appraisal.plan.save", actor=actor, target=f"appraisal-cadre:{cadre.id}", community_id=community.id,
                 data={"campaign": campaign.id})
    db.commit()
