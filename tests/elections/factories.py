"""An election walked through its steps with the real services, for tests, the simulator and the demo."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from civic import clock
from civic.elections import nominations, polling, roll, setup
from civic.elections.models import Election, RollEntry, Section
from civic.registry.models import Community, Resident
from civic.security import Actor


def publish_leaving_audit(db, community: Community, on: dt.date | None = None) -> None:
    """D8: the chair's leaving audit on the community's notice board (a published item, written directly: the
    disclosure services are tested in tests/disclosure), so that a general election may be set up."""
    from civic.disclosure.models import Disclosure
    from civic.disclosure.queries import leaving_audit_published

    from sqlalchemy import func

    last = db.scalar(select(func.max(Election.polling_day)).where(
        Election.community_id == community.id, Election.purpose == "general", Election.status == "closed"))
    if leaving_audit_published(db, community.id, since=last):
        return
    if on is None:  # after the last closed general election (D8), at the latest today (in Shanghai, as the rules count)
        today = clock.today()
        on = min(today, max(today - dt.timedelta(days=1), last or dt.date.min))
    db.add(Disclosure(community_id=community.id, category="audit", title="主任离任经济责任审计结果公告", is_leaving_audit=True,
                      published_on=on, display_from=on))
    db.flush()


def election_at_polling(db, committee: Actor, community: Community, *, polling_day: dt.date | None = None,
                        seats=None, candidates_per_section=None, boxes=None, online=True, mode: str = "all-voters",
                        title: str = "第十二届居民委员会选举") -> tuple[Election, "polling.Round"]:
    """Set-up → roll → nomination (party nominations, accepted and approved) → candidates → polling."""
    polling_day = polling_day or clock.today()
    seats = seats or {"chair": 1, "vice": 1, "member": 3}
    wanted = candidates_per_section or {"chair": 2, "vice": 2, "member": 5}
    schedule = setup.default_schedule(polling_day, setup_config(db))
    publish_leaving_audit(db, community)
    with clock.frozen(schedule["roll_published_on"] - dt.timedelta(days=1)):
        election = setup.create_election(db, committee, community, setup.ElectionInput(
            title=title, purpose="general", mode=mode, polling_day=polling_day, seats=seats, online_enabled=online))
        roll.generate_roll(db, committee, election, community)
    with clock.frozen(schedule["roll_published_on"]):
        roll.publish_roll(db, committee, election, community)
    with clock.frozen(schedule["nominations_open_on"]):
        nominations.open_nominations(db, committee, election, community)
        voters = db.execute(select(RollEntry).where(RollEntry.election_id == election.id).order_by(RollEntry.id)).scalars().all()
        pool = iter(voters)
        for section in db.execute(select(Section).where(Section.election_id == election.id).order_by(Section.position)).scalars():
            for _ in range(wanted[section.key]):
                nominee = db.get(Resident, next(pool).resident_id)
                nomination = nominations.party_nomination(db, committee, election, community, section, nominee)
                nomination.status = "accepted"  # the nominee's own answer is tested elsewhere
                nominations.review_nomination(db, committee, election, community, nomination, True, "")
        nominations.build_candidate_list(db, committee, election, community)
    with clock.frozen(schedule["candidates_published_on"]):
        nominations.publish_candidates(db, committee, election, community)
    with clock.frozen(polling_day):
        round_ = polling.open_polling(db, committee, election, community, boxes or [{"kind": "station", "name": "第一投票站"}])
    return election, round_


def setup_config(db) -> dict:
    from civic.rulesconfig.services import current_rules

    return dict(current_rules(db).values)
