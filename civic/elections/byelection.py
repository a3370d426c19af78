"""补选 (E41): vacancies of a closed election — seats left empty after the run-offs (E35), members recalled
(E39) or whose resignation was recorded (E40) — and the by-election that fills them for the rest of the term."""
from __future__ import annotations

import datetime as dt
import json
from collections import Counter

from sqlalchemy import select
from sqlalchemy.orm import Session

from civic import audit
from civic.elections.models import Election, Round, Section, Vacancy
from civic.elections.recall import member_under_recall, sitting_members
from civic.elections.setup import ElectionInput, build_election, term_end
from civic.errors import Conflict, Invalid
from civic.i18n import _
from civic.registry.models import Community
from civic.security import Actor, ensure_permission

OFFICES = ("chair", "vice", "member")


def vacancies_of(db: Session, election: Election) -> list[Vacancy]:
    return list(db.execute(select(Vacancy).where(Vacancy.election_id == election.id).order_by(Vacancy.id)).scalars())


def open_vacancies(db: Session, election: Election) -> list[Vacancy]:
    return [v for v in vacancies_of(db, election) if v.by_election_id is None]


def term_ends_on(election: Election) -> dt.date:
    return election.term_ends_on or term_end(election.polling_day, election.term_years)


def can_finish(db: Session, election: Election) -> bool:
    """Seats are still empty after the last published round and no round is running."""
    if election.purpose == "recall" or election.status not in ("polling", "counting"):
        return False
    rounds = list(db.execute(select(Round).where(Round.election_id == election.id).order_by(Round.number)).scalars())
    if not rounds or rounds[-1].status != "published":
        return False
    return any(s["unfilled"] for s in json.loads(rounds[-1].result)["sections"].values())


def finish_with_empty_seats(db: Session, actor: Actor, election: Election, community: Community) -> list[Vacancy]:
    """E35: the committee ends the election with seats still empty; each empty seat becomes a vacancy."""
    ensure_permission(actor, "elections:election:manage", community)
    if not can_finish(db, election):
        raise Conflict(_("The election can be completed with empty seats only after the last round's results are published."))
    last = db.execute(select(Round).where(Round.election_id == election.id).order_by(Round.number.desc())).scalars().first()
    result = json.loads(last.result)
    titles = {s.key: s.title for s in db.execute(select(Section).where(Section.election_id == election.id)).scalars()}
    created = []
    for key, outcome in result["sections"].items():
        for _seat in range(outcome["unfilled"]):
            vacancy = Vacancy(election_id=election.id, section_key=key, section_title=titles.get(key, key), reason="unfilled",
                              recorded_by=actor.user_id)
            db.add(vacancy)
            created.append(vacancy)
    election.status = "closed"
    audit.record(db, "elections.election.finish", actor=actor, target=f"election:{election.public_id}", community_id=community.id,
                 data={"empty_seats": len(created)})
    db.commit()
    return created


def record_resignation(db: Session, actor: Actor, election: Election, community: Community, member_key: str, note: str) -> Vacancy:
    """E40: officials record a member's approved resignation; the seat becomes vacant."""
    ensure_permission(actor, "elections:vacancy:record", community)
    member = next((m for m in sitting_members(db, election) if m["key"] == member_key), None)
    if member is None:
        raise Invalid(_("Choose a sitting member."), field="member")
    if member_key in member_under_recall(db, election):
        raise Conflict(_("A recall of this member is under way; record the resignation once it is decided."))
    note = (note or "").strip()
    if len(note) < 4:
        raise Invalid(_("Say when and how the resignation was approved (at least 4 characters)."), field="note")
    vacancy = Vacancy(election_id=election.id, section_key=member["section_key"], section_title=member["section_title"],
                      member_key=member_key, name=member["name"], reason="resignation", note=note[:300], recorded_by=actor.user_id)
    db.add(vacancy)
    db.flush()
    audit.record(db, "elections.vacancy.resignation", actor=actor, target=f"election:{election.public_id}", community_id=community.id,
                 data={"member": member_key})
    db.commit()
    return vacancy


def create_by_election(db: Session, actor: Actor, origin: Election, community: Community, *, title: str, polling_day: dt.date,
                       online_enabled: bool = True) -> Election:
    """A by-election for every open vacancy of a closed election, in its mode, for the rest of its term."""
    ensure_permission(actor, "elections:byelection:create", community)
    if origin.community_id != community.id or origin.status != "closed" or origin.purpose == "recall":
        raise Conflict(_("A by-election fills the vacant seats of a completed election."))
    vacancies = open_vacancies(db, origin)
    if not vacancies:
        raise Conflict(_("No seat of this election is vacant."))
    ends = term_ends_on(origin)
    if polling_day >= ends:
        raise Invalid(_("Polling day must be before the end of the term (%(date)s).", date=ends.isoformat()), field="polling_day")
    seats = Counter(v.section_key for v in vacancies if v.section_key in OFFICES)
    election = build_election(db, actor, community, ElectionInput(
        title=title, purpose="by_election", mode=origin.mode, polling_day=polling_day, seats=dict(seats), online_enabled=online_enabled))
    election.parent_id, election.term_ends_on = origin.id, ends
    for vacancy in vacancies:
        vacancy.by_election_id = election.id
    audit.record(db, "elections.byelection.create", actor=actor, target=f"election:{election.public_id}", community_id=community.id,
                 data={"origin": origin.public_id, "seats": dict(seats), "term_ends_on": ends.isoformat()})
    db.commit()
    return election


def by_elections_of(db: Session, origin: Election) -> list[Election]:
    return list(db.execute(select(Election).where(Election.parent_id == origin.id, Election.purpose == "by_election")
                           .order_by(Election.id)).scalars())
