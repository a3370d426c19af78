"""Formal residents' meetings (C5) and representatives' meetings (C6): calling them (also on request),
notice, attendance against the quorum, decisions item by item by majority of attendees."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from civic import audit, snapshots
from civic.consultations import rules
from civic.consultations.models import Consultation, FormalItem, FormalMeeting
from civic.consultations.services import (
    _district_of, _link, _record, _require_status, _resident_users, community_of, get_consultation, local_today, participant_user_ids,
)
from civic.errors import Conflict, Invalid, NotFound
from civic.i18n import _
from civic.notify import notify
from civic.registry.models import Community, Household, Resident
from civic.rulesconfig.services import current_rules
from civic.security import Actor, ensure_permission


def member_counts(db: Session, community: Community) -> dict[str, int]:
    """Bases from the registry: adults, households, resident representatives. On a GET page kept per process
    while the registry holds (civic.snapshots): a district community's 10,000 residents were counted for every
    showing of the meeting form; a write (calling the meeting) counts afresh."""
    today = local_today()
    return snapshots.kept(db, "member-counts", (community.id, today), ("core",), lambda s: _member_counts(s, community.id, today))


def _member_counts(db: Session, community_id: int, today: dt.date) -> dict[str, int]:
    adult_born = today.replace(year=today.year - 18) if not (today.month == 2 and today.day == 29) else dt.date(today.year - 18, 2, 28)
    return {
        "adults": db.scalar(select(func.count()).select_from(Resident).where(Resident.community_id == community_id, Resident.birth_date <= adult_born)) or 0,
        "households": db.scalar(select(func.count()).select_from(Household).where(Household.community_id == community_id)) or 0,
        "representatives": db.scalar(select(func.count()).select_from(Resident).where(Resident.community_id == community_id, Resident.is_resident_rep.is_(True))) or 0,
    }


def call_meeting(db: Session, actor: Actor, community: Community, values: dict, today: dt.date | None = None) -> FormalMeeting:
    ensure_permission(actor, "consultations:formal:manage", community)
    today = today or local_today()
    settings = current_rules(db, _district_of(db, community))
    kind = values["kind"]
    if kind == "representatives" and not rules.representatives_share_ok(values["representative_members"], values["members"]):
        raise Invalid(_("Resident representatives must be at least four fifths of the members (C6)."), field="representative_members")
    if not rules.formal_notice_ok(today, values["meeting_date"], settings["consultations.meeting_notice_days"], values["urgent"]):
        raise Invalid(_("Give at least %(n)s days' notice (the meeting can be on %(date)s or later), unless it is urgent.",
                        n=settings["consultations.meeting_notice_days"], date=(today + dt.timedelta(days=settings["consultations.meeting_notice_days"])).isoformat()),
                      field="meeting_date")
    if values["requested"]:
        base = member_counts(db, community).get(values["request_basis"], 0)
        if not rules.request_is_enough(kind, values["request_basis"], values["requesters"], base):
            raise Invalid(_("%(n)s of %(base)s is below the share the law requires for calling this meeting on request.",
                            n=values["requesters"], base=base), field="requesters")
        values = {**values, "request_base": base}
    meeting = FormalMeeting(
        community_id=community.id, kind=kind, title=values["title"], composition=values["composition"] if kind == "residents" else "",
        called_on=today, meeting_date=values["meeting_date"], place=values["place"], urgent=values["urgent"], urgent_reason=values["urgent_reason"],
        requested=values["requested"], requesters=values["requesters"] if values["requested"] else 0, request_base=values.get("request_base", 0),
        request_basis=values["request_basis"] if values["requested"] else "", members=values["members"],
        representative_members=values["representative_members"], created_by=actor.user_id,
    )
    db.add(meeting)
    db.flush()
    audit.record(db, "consultations.formal.call", actor=actor, target=f"formal:{meeting.id}", community_id=community.id,
                 data={"kind": kind, "date": str(meeting.meeting_date), "requested": meeting.requested})
    user_ids = [u for u, facts in _resident_users(db, community) if kind == "residents" or facts.representative]
    notify(db, user_ids, _("%(kind)s called for %(date)s: %(title)s", kind=_(rules.FORMAL_KINDS[kind]), date=meeting.meeting_date.isoformat(),
                           title=meeting.title), f"/consultations/formal/{meeting.id}")
    db.commit()
    return meeting


def get_meeting(db: Session, meeting_id: int) -> FormalMeeting:
    meeting = db.get(FormalMeeting, meeting_id)
    if meeting is None:
        raise NotFound(_("No such meeting."))
    return meeting


def _new_formal_item(db: Session, meeting: FormalMeeting, title: str, consultation_id: int | None) -> FormalItem:
    position = (db.scalar(select(func.max(FormalItem.position)).where(FormalItem.meeting_id == meeting.id)) or 0) + 1
    item = FormalItem(meeting_id=meeting.id, position=position, title=title, consultation_id=consultation_id)
    db.add(item)
    db.flush()
    return item


def add_formal_item(db: Session, actor: Actor, meeting: FormalMeeting, title: str) -> FormalItem:
    ensure_permission(actor, "consultations:formal:manage", community_of(db, meeting))
    if meeting.status != "called":
        raise Conflict(_("The meeting has already been held."))
    if not title.strip():
        raise Invalid(_("This field is required."), field="title")
    item = _new_formal_item(db, meeting, title.strip()[:200], None)
    audit.record(db, "consultations.formal.item", actor=actor, target=f"formal:{meeting.id}", community_id=meeting.community_id, data={"item": item.id})
    db.commit()
    return item


def record_attendance(db: Session, actor: Actor, meeting: FormalMeeting, attendees: int, today: dt.date | None = None) -> bool:
    """Attendance against the quorum; an inquorate meeting decides nothing. Returns whether quorate."""
    ensure_permission(actor, "consultations:formal:manage", community_of(db, meeting))
    if meeting.status != "called":
        raise Conflict(_("Attendance has already been recorded."))
    if (today or local_today()) < meeting.meeting_date:
        raise Conflict(_("Attendance is recorded on the day of the meeting (%(date)s).", date=meeting.meeting_date.isoformat()))
    if not 0 <= attendees <= meeting.members:
        raise Invalid(_("Enter a whole number from %(low)s to %(high)s.", low=0, high=meeting.members), field="attendees")
    quorate = rules.quorum_met(meeting.kind, attendees, meeting.members)
    meeting.attendees, meeting.status = attendees, "held" if quorate else "inquorate"
    audit.record(db, "consultations.formal.attendance", actor=actor, target=f"formal:{meeting.id}", community_id=meeting.community_id,
                 data={"attendees": attendees, "members": meeting.members, "quorate": quorate})
    db.commit()
    return quorate


def record_item_votes(db: Session, actor: Actor, item_id: int, *, votes_for: int, votes_against: int, abstentions: int) -> FormalItem:
    item = db.get(FormalItem, item_id)
    if item is None:
        raise NotFound(_("No such item."))
    meeting = get_meeting(db, item.meeting_id)
    community = community_of(db, meeting)
    ensure_permission(actor, "consultations:formal:manage", community)
    if meeting.status != "held":
        raise Conflict(_("Only a quorate meeting decides; record attendance first."))
    if item.result:
        raise Conflict(_("This item has already been decided."))
    problem = rules.votes_problem(votes_for, votes_against, abstentions, meeting.attendees or 0)
    if problem:
        raise Invalid(_(problem), field="votes_for")
    item.votes_for, item.votes_against, item.abstentions = votes_for, votes_against, abstentions
    item.result = "adopted" if rules.adopted(votes_for, meeting.attendees or 0) else "rejected"
    audit.record(db, "consultations.formal.decide", actor=actor, target=f"formal:{meeting.id}", community_id=meeting.community_id,
                 data={"item": item.id, "for": votes_for, "against": votes_against, "abstain": abstentions, "result": item.result})
    if item.consultation_id:
        consultation = get_consultation(db, item.consultation_id)
        notify(db, participant_user_ids(db, consultation), _("The %(kind)s decided on %(title)s: %(result)s", kind=_(rules.FORMAL_KINDS[meeting.kind]),
                                                             title=consultation.title, result=_("adopted") if item.result == "adopted" else _("rejected")),
               _link(consultation) + "#outcome")
    db.commit()
    return item


def refer_to_meeting(db: Session, actor: Actor, consultation: Consultation, meeting: FormalMeeting) -> FormalItem:
    """Put the outcome that needs a decision on the agenda of a residents' or representatives' meeting."""
    ensure_permission(actor, "consultations:formal:manage", community_of(db, consultation))
    _require_status(consultation, "held", "minuted")
    if consultation.party_discussed_on is None:
        raise Conflict(_("A matter for the residents' meeting is first discussed by the community party organisation."))
    if meeting.community_id != consultation.community_id or meeting.status != "called":
        raise Invalid(_("Choose a meeting of this community that has not been held yet."), field="meeting_id")
    if db.scalar(select(func.count()).select_from(FormalItem).where(FormalItem.consultation_id == consultation.id, FormalItem.result != "rejected")):
        raise Conflict(_("This matter is already on a meeting's agenda."))
    item = _new_formal_item(db, meeting, consultation.title, consultation.id)
    _record(db, "refer", actor, consultation, meeting=meeting.id)
    db.commit()
    return item
