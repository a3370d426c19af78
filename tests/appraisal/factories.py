"""A small appraisal world: a community with representatives, a street office, cadres with accounts."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from civic.appraisal import rules, services
from civic.registry.models import StreetOffice
from civic.secrecy import coarse_day
from civic.security import load_actor
from tests.helpers import make_community, make_resident, make_user


def campaign_values(**overrides) -> dict:
    today = coarse_day()
    values = {
        "year": today.year, "title": "测试考评", "dimensions": True, "scale_max": 10, "score_basis": "grades",
        "trim_extremes": False, "trim_min_raters": 10, "satisfaction_includes_basic": True, "satisfaction_warning": 60,
        "unfit_num": 1, "unfit_den": 3, "removal_score": 60, "breakdown_min": 2, "tie_break": "lower", "ordinary_share": 70,
        "post_days": 5, "feedback_days": 10, "publish_scope": "public", "reports_due": today - dt.timedelta(days=2),
        "meeting_on": today - dt.timedelta(days=1), "meeting_place": "会议室", "meeting_link": "", "rating_opens_on": today,
        "rating_closes_on": today + dt.timedelta(days=7),
        "groups": [("party_reps", 40, 1), ("resident_reps", 60, 2)],
    }
    values.update(overrides)
    return values


@dataclass
class World:
    community: object
    street: object
    supervisor: object  # supervision committee (presides)
    staff: object  # staff, not a cadre (paper clerk)
    cadre_users: list
    party: list  # residents
    reps: list
    rep_users: list
    party_users: list
    other_staff: object
    actors: dict = field(default_factory=dict)

    def actor(self, user):
        return load_actor(self.db, user.id)


def make_world(db) -> World:
    community = make_community(db, name="安和社区")
    street = db.get(StreetOffice, community.street_id)
    other = make_community(db, name="康宁社区", street=street)
    party = [make_resident(db, community, name=f"党员{i}", is_party_rep=True, party_member=True) for i in range(3)]
    reps = [make_resident(db, community, name=f"代表{i}", is_resident_rep=True) for i in range(4)]
    world = World(
        community=community, street=street,
        supervisor=make_user(db, roles=[("supervision_committee", community)]),
        staff=make_user(db, roles=[("staff", community)]),
        cadre_users=[make_user(db, roles=[("staff", community)]) for _ in range(2)],
        party=party, reps=reps, rep_users=[make_user(db, resident=r) for r in reps],
        party_users=[make_user(db, resident=r) for r in party], other_staff=make_user(db, roles=[("staff", other)]),
    )
    world.db = db
    return world


def campaign_in_rating(db, world: World, **overrides):
    """A campaign with two cadres (accounts) and one without, reports published, rating open."""
    boss = load_actor(db, world.supervisor.id)
    campaign = services.create_campaign(db, boss, world.community, campaign_values(**overrides))
    cadres = [services.add_cadre(db, boss, campaign, "", "member", u.id) for u in world.cadre_users]
    cadres.append(services.add_cadre(db, boss, campaign, "王主任", "chair", None))
    services.open_reports(db, boss, campaign)
    for cadre in cadres:
        services.save_report(db, boss, cadre, "述职内容", [{"title": "目标", "completion": 90, "statement": "完成"}], publish=True)
    services.open_rating(db, boss, campaign)
    return campaign, cadres


def sheet(cadres, grades, dims=True):
    """Marks for the given cadres: grade per cadre; scores follow the grade when dimensions are on."""
    points = {"excellent": 9, "competent": 8, "basic": 6, "unfit": 3}
    return {c.id: rules.Form(g, tuple([points[g]] * 5) if (g and dims) else None) for c, g in zip(cadres, grades)}
