"""Appraisals at district scale (`civic demo --scale district`, the page benchmark).

Every community has the last YEARS years' campaigns, each published: five cadres (the same people year
after year, so the previous year's grade shows), work reports with targets, the roster frozen from the
registry (party-member and resident representatives, the street office's supervisor) — all through the
services. Only the forms are bulk-written: one paper form per rater and cadre (the participation register
row and the anonymous form, as services.submit_sheet writes them), a few hundred per cadre. The count is
the module's own (services.close_campaign), then the results are published and the campaign's dates put
back in its year, as the small demo does.
"""
from __future__ import annotations

import datetime as dt
import random

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from civic.accounts.models import RoleAssignment, User
from civic.appraisal import rules, services
from civic.appraisal.demo import LEANINGS, TARGETS
from civic.appraisal.models import Campaign, Participation, Rater, RatingForm
from civic.registry.models import Community, Resident, StreetOffice
from civic.secrecy import random_id
from civic.security import Actor, load_actor

SEED = 2026_09
YEARS = 3
BATCH = 10_000
CLERK_PHONE = "13700000003"
POSITIONS = ["chair", "vice_chair", "member", "member", "member"]
# Per cadre, the grade mix the raters lean to (one cadre in each community is weak).
MIX = ["strong", "steady", "weak", "steady", "strong"]


def _clerk(db: Session) -> Actor:
    """The district-scale supervision committee (a district-wide admin: the scale data has no per-community staff)."""
    from civic.demo import DEMO_PASSWORD
    from civic.security import hash_password

    user = db.execute(select(User).where(User.phone == CLERK_PHONE)).scalar_one_or_none()
    if user is None:
        user = User(display_name="规模测试居务监督委员会", phone=CLERK_PHONE, password_hash=hash_password(DEMO_PASSWORD))
        db.add(user)
        db.flush()
        db.add(RoleAssignment(user_id=user.id, role="admin"))
        db.commit()
    return load_actor(db, user.id)


def street_supervisors(db: Session, streets: list[StreetOffice], password_hash: str) -> None:
    """One supervisor per street office (the street group of raters), phones 1370009SSSS."""
    for street in streets:
        phone = f"1370009{street.id:04d}"
        if db.scalar(select(User.id).where(User.phone == phone)):
            continue
        user = User(display_name=f"{street.name}督导", phone=phone, password_hash=password_hash)
        db.add(user)
        db.flush()
        db.add(RoleAssignment(user_id=user.id, role="street_supervisor", street_id=street.id))
    db.commit()


def scale_seed(db: Session, demo) -> None:
    from civic.demo import DEMO_PASSWORD
    from civic.security import hash_password

    rng = random.Random(SEED)
    clerk = _clerk(db)
    communities = [demo.communities[code] for code in sorted(demo.communities)]
    streets = list(db.execute(select(StreetOffice).where(StreetOffice.id.in_({c.street_id for c in communities}))).scalars())
    street_supervisors(db, streets, hash_password(DEMO_PASSWORD))
    this_year = services.today().year
    for community in communities:
        cadres = _people(db, community)
        for year in range(this_year - YEARS, this_year):
            published_campaign(db, rng, clerk, community, year, cadres)


def _people(db: Session, community: Community) -> list[str]:
    """Five committee members from the registry: adults, not representatives (they rate), distinct names."""
    born_before = dt.date(services.today().year - 30, 1, 1)
    names = []
    for (name,) in db.execute(select(Resident.name).where(
            Resident.community_id == community.id, Resident.birth_date < born_before, Resident.is_resident_rep.is_(False),
            Resident.is_party_rep.is_(False)).order_by(Resident.id).limit(200)):
        if name not in names:
            names.append(name)
        if len(names) == len(POSITIONS):
            break
    return names


def _values(community: Community, year: int) -> dict:
    opens = dt.date(year, 12, 10)
    return {
        "year": year, "title": f"{community.name}{year}年度社区干部双向考评", "dimensions": True, "scale_max": 10, "score_basis": "grades",
        "trim_extremes": False, "trim_min_raters": 10, "satisfaction_includes_basic": True, "satisfaction_warning": 60, "unfit_num": 1,
        "unfit_den": 3, "removal_score": 60, "breakdown_min": 5, "tie_break": "lower", "ordinary_share": 70, "post_days": 5, "feedback_days": 10,
        "publish_scope": "public", "reports_due": dt.date(year, 12, 5), "meeting_on": opens, "meeting_place": f"{community.name}党群服务中心",
        "meeting_link": "", "rating_opens_on": opens, "rating_closes_on": dt.date(year, 12, 17),
        "groups": [("party_reps", 10, 3), ("resident_reps", 60, 5), ("street", 30, 1)],
    }


def published_campaign(db: Session, rng: random.Random, clerk: Actor, community: Community, year: int, names: list[str]) -> Campaign:
    campaign = services.create_campaign(db, clerk, community, _values(community, year))
    cadres = [services.add_cadre(db, clerk, campaign, name, position, None) for name, position in zip(names, POSITIONS)]
    services.open_reports(db, clerk, campaign)
    for cadre in cadres:
        targets = [{"title": t, "completion": c, "statement": s} for t, c, s in TARGETS]
        summary = (f"## {year}年度述职\n\n本人{year}年围绕年初确定的工作目标开展工作：坚持每周接待日，听取居民意见；"
                   "推进民生实事项目；做好居务公开。\n\n不足之处：与年轻居民的沟通还不够。")
        services.save_report(db, clerk, cadre, summary, targets, publish=True)
    services.open_rating(db, clerk, campaign)
    raters = db.execute(select(Rater.id, Rater.group_id).where(Rater.campaign_id == campaign.id).order_by(Rater.id)).all()
    day = dt.date(year, 12, 10)
    participation, forms = [], []
    for rater_id, group_id in raters:
        for cadre, lean in zip(cadres, MIX):
            grade = rng.choices(rules.GRADES, weights=LEANINGS[lean])[0] if rng.random() > 0.03 else None
            base = {"excellent": 9, "competent": 8, "basic": 6, "unfit": 4}.get(grade, 0)
            scores = {d: max(0, min(10, base + rng.choice((-1, 0, 0, 1)))) for d in rules.DIMENSIONS} if grade else {d: None for d in rules.DIMENSIONS}
            participation.append({"campaign_id": campaign.id, "rater_id": rater_id, "cadre_id": cadre.id, "channel": "paper", "day": day,
                                  "entered_by": clerk.user_id})
            forms.append({"id": random_id(), "campaign_id": campaign.id, "cadre_id": cadre.id, "group_id": group_id, "grade": grade, **scores})
    rng.shuffle(forms)
    for table, rows in ((Participation.__table__, participation), (RatingForm.__table__, forms)):
        for start in range(0, len(rows), BATCH):
            db.execute(insert(table), rows[start:start + BATCH])
    db.commit()
    services.close_campaign(db, clerk, campaign)
    services.publish_results(db, clerk, campaign)
    # The services stamp today: put the campaign's dates back in its year (as civic.appraisal.demo does).
    db.execute(update(Campaign).where(Campaign.id == campaign.id).values(closed_on=dt.date(year, 12, 20), published_on=dt.date(year, 12, 22)))
    db.commit()
    return campaign
