"""Consultation use cases: each checks the permission, applies the rules, writes, records the audit
entry and commits. Services are the only writers of the module's tables."""
from __future__ import annotations

import datetime as dt
import secrets
from functools import cache

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session

from civic import audit, snapshots
from civic.accounts.models import RoleAssignment, User
from civic.consultations import rules
from civic.consultations.models import (
    AgendaItem, Alias, Attachment, Comment, Consultation, FormalItem, FormalMeeting, Opinion, ProgressUpdate, Signup,
    Speaker, Support,
)
from civic.db import utcnow
from civic.errors import Conflict, Invalid, NotFound
from civic.i18n import TZ, _
from civic.notify import notify
from civic.registry import queries as registry_queries
from civic.registry.models import Community, Household, Resident, ResidentGroup
from civic.rulesconfig.services import current_rules, rules_by_version
from civic.security import Actor, ensure_permission
from civic.uploads import StoredFile

RESIDENT_ROLES = {"resident"}  # every resident representative is a resident too


def local_today() -> dt.date:
    return dt.datetime.now(TZ).date()


# -- lookups ----------------------------------------------------------------------------------------
def get_consultation(db: Session, consultation_id: int, *, for_update: bool = False) -> Consultation:
    if snapshots.active(db) and not for_update:  # a GET page: kept per process (see civic.snapshots)
        consultation = snapshots.kept(db, "consultation", (consultation_id,), ("core", "consultations"),
                                      lambda s: snapshots.one(s, Consultation, "id", consultation_id))
    else:
        consultation = db.execute(_consultation_statement(for_update), {"consultation_id": consultation_id}).scalar_one_or_none()
    if consultation is None:
        raise NotFound(_("No such consultation."))
    return consultation


@cache
def _consultation_statement(for_update: bool):
    """Built once per kind (every consultation page starts here); the id is bound per call."""
    query = select(Consultation).where(Consultation.id == bindparam("consultation_id"))
    return query.with_for_update() if for_update else query


@cache
def _household_statement():
    return (select(ResidentGroup.number, Household.building).select_from(Household)
            .join(ResidentGroup, ResidentGroup.id == Household.group_id).where(Household.id == bindparam("household_id")))


def community_of(db: Session, consultation: Consultation | FormalMeeting) -> Community:
    return registry_queries.community(db, consultation.community_id)


def rules_for(db: Session, consultation: Consultation, community: Community):
    if consultation.rules_version_id is not None:
        return rules_by_version(db, consultation.rules_version_id)
    return current_rules(db, _district_of(db, community))


def _district_of(db: Session, community: Community) -> int | None:
    return registry_queries.district_id_of(db, community)


def _require_status(consultation: Consultation, *allowed: str) -> None:
    if consultation.status not in allowed:
        raise Conflict(_("This cannot be done at the current step (%(step)s).", step=_(rules.STAGES[consultation.status])))


def _advance(consultation: Consultation, target: str) -> None:
    """Every change of step goes through the procedure's transitions (rules.NEXT)."""
    if consultation.status != target and not rules.can_move(consultation.status, target):
        raise Conflict(_("This cannot be done at the current step (%(step)s).", step=_(rules.STAGES[consultation.status])))
    consultation.status = target


def display_name(db: Session, actor: Actor, use_alias: bool) -> str:
    """The name shown in front: the chosen pseudonym or the real name (O4)."""
    if use_alias:
        alias = db.get(Alias, actor.user.id)
        if alias is None:
            raise Invalid(_("Choose a pseudonym first (link below the form)."), field="use_alias")
        return alias.alias
    return actor.resident.name if actor.resident is not None else actor.user.display_name


def _resident_in(actor: Actor, community: Community) -> Resident:
    if actor.resident is None or actor.resident.community_id != community.id:
        raise Invalid(_("Only residents registered in this community can take part."))
    return actor.resident


def _staff_ids(db: Session, community: Community) -> list[int]:
    return list(db.execute(select(RoleAssignment.user_id).where(RoleAssignment.role == "staff", RoleAssignment.community_id == community.id)).scalars())


def participant_user_ids(db: Session, consultation: Consultation) -> set[int]:
    """Everyone who took part: proposer, supporters, sign-ups, authors of opinions (they get the feedback)."""
    ids = {consultation.proposer_user_id}
    ids |= set(db.execute(select(Support.user_id).where(Support.consultation_id == consultation.id)).scalars())
    ids |= set(db.execute(select(Signup.user_id).where(Signup.consultation_id == consultation.id, Signup.status != "withdrawn")).scalars())
    ids |= set(db.execute(select(Opinion.author_user_id).where(Opinion.consultation_id == consultation.id)).scalars())
    return {i for i in ids if i}


def _link(consultation: Consultation) -> str:
    return f"/consultations/{consultation.id}"


def _record(db: Session, action: str, actor: Actor, consultation: Consultation, **data) -> None:
    audit.record(db, f"consultations.{action}", actor=actor, target=f"consultation:{consultation.id}", community_id=consultation.community_id, data=data)


# -- 1. topics --------------------------------------------------------------------------------------
def propose_topic(db: Session, actor: Actor, community: Community, *, title: str, body: str, use_alias: bool = False) -> Consultation:
    ensure_permission(actor, "consultations:topic:propose", community)
    _resident_in(actor, community)
    consultation = Consultation(
        community_id=community.id, title=title, body=body, source="online", proposer_user_id=actor.user.id,
        proposer_name=display_name(db, actor, use_alias), recorded_by=actor.user_id,
    )
    db.add(consultation)
    db.flush()
    _record(db, "topic.propose", actor, consultation, title=title)
    notify(db, _staff_ids(db, community), _("New topic proposed: %(title)s", title=title), _link(consultation))
    db.commit()
    return consultation


def record_topic(db: Session, actor: Actor, community: Community, *, title: str, body: str, source: str, source_note: str,
                 proposer_name: str = "", use_alias: bool = False) -> Consultation:
    """Staff record a topic that came by the mailbox, a grid leader, a phone call or a visit (an offline route)."""
    ensure_permission(actor, "consultations:topic:record", community)
    if source not in rules.SOURCES or source == "online":
        raise Invalid(_("Choose one of the options."), field="source")
    consultation = Consultation(
        community_id=community.id, title=title, body=body, source=source, source_note=source_note,
        proposer_name=proposer_name or _("A resident"), recorded_by=actor.user_id,
    )
    db.add(consultation)
    db.flush()
    _record(db, "topic.record", actor, consultation, title=title, source=source)
    db.commit()
    return consultation


def toggle_support(db: Session, actor: Actor, consultation: Consultation) -> bool:
    """Support a proposed topic, or take the support back. Returns whether the actor now supports it."""
    community = community_of(db, consultation)
    ensure_permission(actor, "consultations:topic:support", community)
    _resident_in(actor, community)
    _require_status(consultation, "proposed")
    if consultation.proposer_user_id == actor.user.id:
        raise Invalid(_("You proposed this topic; others can support it."))
    existing = db.execute(select(Support).where(Support.consultation_id == consultation.id, Support.user_id == actor.user.id)).scalar_one_or_none()
    if existing:
        db.delete(existing)
        delta = -1
    else:
        db.add(Support(consultation_id=consultation.id, user_id=actor.user.id))
        delta = 1
    db.execute(update(Consultation).where(Consultation.id == consultation.id).values(supporters=Consultation.supporters + delta))
    _record(db, "topic.support" if delta > 0 else "topic.unsupport", actor, consultation)
    db.commit()
    db.refresh(consultation)
    return delta > 0


def decide_topic(db: Session, actor: Actor, consultation: Consultation, *, verdict: str, form: str = "", reason: str = "") -> None:
    """The committee accepts a topic in one of the forms, or declines it with a public reason."""
    community = community_of(db, consultation)
    ensure_permission(actor, "consultations:topic:decide", community)
    _require_status(consultation, "proposed")
    if verdict == "accept":
        if form not in rules.FORMS:
            raise Invalid(_("Choose one of the options."), field="form")
        _advance(consultation, "accepted")
        consultation.form = form
        consultation.rules_version_id = current_rules(db, _district_of(db, community)).version_id
        if form == "hearing":
            consultation.seats = rules_for(db, consultation, community)["consultations.hearing_min_representatives"]
        if form == "online":
            consultation.meeting_mode = "online"
        text = _("Your topic was accepted: %(title)s", title=consultation.title)
    elif verdict == "decline":
        if len(reason.strip()) < 4:
            raise Invalid(_("A topic is only declined with a public reason."), field="reason")
        _advance(consultation, "declined")
        text = _("Your topic was declined, with reasons: %(title)s", title=consultation.title)
    else:
        raise Invalid(_("Choose one of the options."), field="verdict")
    consultation.decision_reason = reason.strip()
    consultation.decided_at = utcnow()
    _record(db, f"topic.{verdict}", actor, consultation, form=form)
    notify(db, participant_user_ids(db, consultation), text, _link(consultation))
    db.commit()


# -- 2, 3. participants, agenda, materials, notice --------------------------------------------------
def plan(db: Session, actor: Actor, consultation: Consultation, values: dict) -> None:
    community = community_of(db, consultation)
    ensure_permission(actor, "consultations:consultation:manage", community)
    _require_status(consultation, "accepted", "announced")
    settings = rules_for(db, consultation, community)
    if consultation.form == "hearing" and values["seats"] < settings["consultations.hearing_min_representatives"]:
        raise Invalid(_("A hearing has at least %(n)s hearing representatives.", n=settings["consultations.hearing_min_representatives"]), field="seats")
    if consultation.status == "announced":
        # Announced dates are a promise: the meeting can move later, never inside the notice period.
        if not rules.notice_is_long_enough(consultation.announced_on, values["meeting_date"], _notice_days(consultation, settings)):
            raise Invalid(_("The meeting must stay at least %(n)s days after the notice.", n=_notice_days(consultation, settings)), field="meeting_date")
    for key, value in values.items():
        setattr(consultation, key, value)
    if consultation.form == "online":
        consultation.meeting_mode = "online"
    _record(db, "plan", actor, consultation, meeting_date=str(values["meeting_date"]), scope=values["scope"])
    db.commit()


def _notice_days(consultation: Consultation, settings) -> int:
    key = "consultations.hearing_notice_days" if consultation.form == "hearing" else "consultations.meeting_notice_days"
    return settings[key]


def add_agenda_item(db: Session, actor: Actor, consultation: Consultation, *, title: str, minutes: int, description: str) -> AgendaItem:
    ensure_permission(actor, "consultations:consultation:manage", community_of(db, consultation))
    _require_status(consultation, "accepted", "announced")
    position = (db.scalar(select(func.max(AgendaItem.position)).where(AgendaItem.consultation_id == consultation.id)) or 0) + 1
    item = AgendaItem(consultation_id=consultation.id, position=position, title=title, minutes=minutes, description=description)
    db.add(item)
    db.flush()
    _record(db, "agenda.add", actor, consultation, item=item.id, title=title)
    db.commit()
    return item


def remove_agenda_item(db: Session, actor: Actor, item: AgendaItem) -> None:
    consultation = get_consultation(db, item.consultation_id)
    ensure_permission(actor, "consultations:consultation:manage", community_of(db, consultation))
    _require_status(consultation, "accepted")
    used = db.scalar(select(func.count()).select_from(Comment).where(Comment.agenda_item_id == item.id))
    used += db.scalar(select(func.count()).select_from(Opinion).where(Opinion.agenda_item_id == item.id))
    if used:
        raise Conflict(_("This agenda item already has comments or opinions and stays."))
    db.delete(item)
    _record(db, "agenda.remove", actor, consultation, item=item.id)
    db.commit()


def add_attachment(db: Session, actor: Actor, consultation: Consultation, title: str, stored: StoredFile) -> Attachment:
    ensure_permission(actor, "consultations:consultation:manage", community_of(db, consultation))
    _require_status(consultation, "accepted", "announced", "held", "minuted", "decided", "implementing")
    attachment = Attachment(consultation_id=consultation.id, title=title or stored.original_name, storage_name=stored.storage_name,
                            original_name=stored.original_name, media_type=stored.media_type, size=stored.size, sha256=stored.sha256)
    db.add(attachment)
    db.flush()
    _record(db, "attachment.add", actor, consultation, attachment=attachment.id, sha256=stored.sha256)
    db.commit()
    return attachment


def announce_problems(db: Session, consultation: Consultation, today: dt.date) -> list[str]:
    """What is missing before the notice can go out (translated messages)."""
    community = community_of(db, consultation)
    settings = rules_for(db, consultation, community)
    problems = []
    if consultation.meeting_date is None:
        problems.append(_("Set the date of the meeting (or the closing day of the online consultation)."))
    elif not rules.notice_is_long_enough(today, consultation.meeting_date, _notice_days(consultation, settings)):
        problems.append(_("The notice must go out at least %(n)s days before; the latest day for a meeting on %(date)s was %(latest)s.",
                          n=_notice_days(consultation, settings), date=consultation.meeting_date.isoformat(),
                          latest=rules.latest_notice_date(consultation.meeting_date, _notice_days(consultation, settings)).isoformat()))
    if rules.has_meeting(consultation.form):
        if not db.scalar(select(func.count()).select_from(AgendaItem).where(AgendaItem.consultation_id == consultation.id)):
            problems.append(_("Add at least one agenda item."))
        if consultation.meeting_mode in ("in_person", "both") and not consultation.place:
            problems.append(_("Say where the meeting takes place."))
    return problems


def announce(db: Session, actor: Actor, consultation: Consultation, today: dt.date | None = None) -> None:
    """Publish the notice: meeting, agenda, materials and the sign-up window; eligible residents are told."""
    community = community_of(db, consultation)
    ensure_permission(actor, "consultations:consultation:manage", community)
    _require_status(consultation, "accepted")
    today = today or local_today()
    problems = announce_problems(db, consultation, today)
    if problems:
        raise Invalid(" ".join(problems))
    _advance(consultation, "announced")
    consultation.announced_on = today
    consultation.checkin_code = "".join(secrets.choice("23456789ABCDEFGHJKMNPQRSTUVWXYZ") for _i in range(6))
    if consultation.signup_closes is None:
        consultation.signup_closes = consultation.meeting_date
    _record(db, "announce", actor, consultation, meeting_date=str(consultation.meeting_date))
    recipients = {u for u, facts in _resident_users(db, community) if _eligible(consultation, facts)}
    notify(db, recipients | participant_user_ids(db, consultation),
           _("Announced: %(title)s on %(date)s. Sign up before %(closes)s.", title=consultation.title,
             date=consultation.meeting_date.isoformat(), closes=consultation.signup_closes.isoformat()), _link(consultation))
    db.commit()


def remind(db: Session, actor: Actor, consultation: Consultation) -> int:
    ensure_permission(actor, "consultations:consultation:manage", community_of(db, consultation))
    _require_status(consultation, "announced")
    users = set(db.execute(select(Signup.user_id).where(Signup.consultation_id == consultation.id,
                                                        Signup.status.in_(("registered", "selected", "applied", "waitlisted")))).scalars()) - {None}
    notify(db, users, _("Reminder: %(title)s on %(date)s %(time)s, %(place)s", title=consultation.title,
                        date=consultation.meeting_date.isoformat(), time=consultation.meeting_time, place=consultation.place or _("online")),
           _link(consultation))
    consultation.reminded_at = utcnow()
    _record(db, "remind", actor, consultation, recipients=len(users))
    db.commit()
    return len(users)


def _resident_users(db: Session, community: Community) -> list[tuple[int, rules.ResidentFacts]]:
    rows = db.execute(
        select(User.id, Resident.community_id, ResidentGroup.number, Household.building, Resident.is_resident_rep, Resident.is_party_rep)
        .join(Resident, Resident.id == User.resident_id)
        .outerjoin(Household, Household.id == Resident.household_id)
        .outerjoin(ResidentGroup, ResidentGroup.id == Household.group_id)
        .where(Resident.community_id == community.id, User.active.is_(True))
    ).all()
    return [(uid, rules.ResidentFacts(cid, group, building or "", bool(rep or party))) for uid, cid, group, building, rep, party in rows]


def resident_facts(db: Session, resident: Resident | None) -> rules.ResidentFacts | None:
    if resident is None:
        return None
    found = snapshots.rows(db, _household_statement(), {"household_id": resident.household_id})
    row = found[0] if found else None
    return rules.ResidentFacts(resident.community_id, row[0] if row else None, (row[1] if row else "") or "",
                               bool(resident.is_resident_rep or resident.is_party_rep))


def _eligible(consultation: Consultation, facts: rules.ResidentFacts | None) -> bool:
    return rules.join_refusal(consultation.scope, consultation.community_id, consultation.scope_groups, consultation.scope_buildings, facts) is None


def sign_up(db: Session, actor: Actor, consultation: Consultation, *, stance: str = "neutral", statement: str = "",
            use_alias: bool = False, today: dt.date | None = None) -> Signup:
    community = community_of(db, consultation)
    ensure_permission(actor, "consultations:signup:join", community)
    if not rules.signup_is_open(today or local_today(), consultation.signup_closes, consultation.status) or consultation.meeting_opened_at:
        raise Conflict(_("Sign-up is not open."))
    refusal = rules.join_refusal(consultation.scope, community.id, consultation.scope_groups, consultation.scope_buildings,
                                 resident_facts(db, actor.resident))
    if refusal:
        raise Invalid(_(refusal))
    if stance not in rules.STANCES:
        raise Invalid(_("Choose one of the options."), field="stance")
    consultation = get_consultation(db, consultation.id, for_update=True)  # slots are counted under the lock
    existing = db.execute(select(Signup).where(Signup.consultation_id == consultation.id, Signup.user_id == actor.user.id)).scalar_one_or_none()
    if existing is not None and existing.status != "withdrawn":
        raise Conflict(_("You have already signed up."))
    taken = db.scalar(select(func.count()).select_from(Signup).where(
        Signup.consultation_id == consultation.id, Signup.status.in_(("registered", "selected")), Signup.kind == "resident"))
    status = rules.signup_status_for(consultation.form, consultation.capacity, taken)
    signup = existing or Signup(consultation_id=consultation.id, user_id=actor.user.id)
    signup.name, signup.kind, signup.stance, signup.statement, signup.status = display_name(db, actor, use_alias), "resident", stance, statement, status
    signup.created_at = utcnow()
    db.add(signup)
    db.flush()
    _record(db, "signup.join", actor, consultation, signup=signup.id, status=status)
    db.commit()
    return signup


def withdraw(db: Session, actor: Actor, consultation: Consultation) -> None:
    ensure_permission(actor, "consultations:signup:join", community_of(db, consultation))
    _require_status(consultation, "announced")
    signup = db.execute(select(Signup).where(Signup.consultation_id == consultation.id, Signup.user_id == actor.user.id,
                                             Signup.status != "withdrawn")).scalar_one_or_none()
    if signup is None:
        raise NotFound(_("You have not signed up."))
    freed = signup.status == "registered"
    signup.status = "withdrawn"
    _record(db, "signup.withdraw", actor, consultation, signup=signup.id)
    if freed:  # the first on the waiting list takes the slot
        waiting = db.execute(select(Signup).where(Signup.consultation_id == consultation.id, Signup.status == "waitlisted")
                             .order_by(Signup.created_at, Signup.id).limit(1)).scalar_one_or_none()
        if waiting is not None:
            waiting.status = "registered"
            notify(db, [waiting.user_id], _("A place became free; you are registered for %(title)s.", title=consultation.title), _link(consultation))
    db.commit()


def register_participant(db: Session, actor: Actor, consultation: Consultation, *, name: str, kind: str, organisation: str = "",
                         stance: str = "neutral") -> Signup:
    """Staff register a stakeholder, expert, official, or a resident who signed up on paper."""
    ensure_permission(actor, "consultations:consultation:manage", community_of(db, consultation))
    _require_status(consultation, "accepted", "announced")
    if kind not in rules.PARTICIPANT_KINDS:
        raise Invalid(_("Choose one of the options."), field="kind")
    status = "applied" if (consultation.form == "hearing" and kind == "resident") else "registered"
    signup = Signup(consultation_id=consultation.id, name=name, kind=kind, organisation=organisation, stance=stance, status=status)
    db.add(signup)
    db.flush()
    _record(db, "signup.register", actor, consultation, signup=signup.id, kind=kind)
    db.commit()
    return signup


def select_representatives(db: Session, actor: Actor, consultation: Consultation, *, method: str, chosen: list[int] | None = None,
                           note: str = "") -> list[int]:
    """Choose the hearing representatives among the applicants: by lot with a published seed, or by a
    committee decision with reasons (C8). Opposing views are represented either way."""
    community = community_of(db, consultation)
    ensure_permission(actor, "consultations:consultation:manage", community)
    _require_status(consultation, "announced")
    if consultation.form != "hearing":
        raise Conflict(_("Only hearings select hearing representatives."))
    if consultation.selected_at is not None:
        raise Conflict(_("The hearing representatives have already been selected."))
    applicants = list(db.execute(select(Signup).where(Signup.consultation_id == consultation.id, Signup.status == "applied").order_by(Signup.id)).scalars())
    if not applicants:
        raise Invalid(_("Nobody has applied yet."))
    seats = consultation.seats or len(applicants)
    if method == "lot":
        seed = secrets.token_hex(16)
        selected = set(rules.draw([(a.id, a.stance) for a in applicants], seats, seed))
        consultation.selection_seed = seed
    elif method == "decision":
        selected = set(chosen or []) & {a.id for a in applicants}
        if len(note.strip()) < 4:
            raise Invalid(_("Give the committee's reasons for its choice."), field="note")
        if not selected or len(selected) > seats:
            raise Invalid(_("Choose between 1 and %(n)s applicants.", n=seats), field="chosen")
        stances = {a.stance for a in applicants}
        picked = {a.stance for a in applicants if a.id in selected}
        if "against" in stances and "against" not in picked:
            raise Invalid(_("Applicants against the proposal applied: at least one of them must be selected."), field="chosen")
    else:
        raise Invalid(_("Choose one of the options."), field="method")
    for applicant in applicants:
        applicant.status = "selected" if applicant.id in selected else "reserve"
    consultation.selection_method, consultation.selection_note, consultation.selected_at = method, note.strip(), utcnow()
    _record(db, "select", actor, consultation, method=method, seed=consultation.selection_seed, selected=sorted(selected), applicants=len(applicants))
    for applicant in applicants:
        text = (_("You were selected as a hearing representative: %(title)s", title=consultation.title) if applicant.id in selected
                else _("You were not selected as a hearing representative; you can attend as an observer: %(title)s", title=consultation.title))
        notify(db, [applicant.user_id], text, _link(consultation))
    db.commit()
    return sorted(selected)


# -- 4. the meeting ---------------------------------------------------------------------------------
def open_meeting(db: Session, actor: Actor, consultation: Consultation, *, early_reason: str = "", today: dt.date | None = None) -> None:
    """Start the meeting: check-in and the speaker list open; sign-up closes."""
    ensure_permission(actor, "consultations:consultation:manage", community_of(db, consultation))
    _require_status(consultation, "announced")
    if not rules.has_meeting(consultation.form) or consultation.meeting_opened_at:
        raise Conflict(_("The meeting is already open."))
    if consultation.form == "hearing" and consultation.selected_at is None:
        raise Conflict(_("Select the hearing representatives first."))
    today = today or local_today()
    if today < consultation.meeting_date and len(early_reason.strip()) < 4:
        raise Invalid(_("The meeting was announced for %(date)s; say why it opens earlier.", date=consultation.meeting_date.isoformat()), field="early_reason")
    consultation.meeting_opened_at, consultation.opened_early_reason = utcnow(), early_reason.strip()
    _record(db, "meeting.open", actor, consultation, early=bool(early_reason.strip()))
    db.commit()


def check_in(db: Session, actor: Actor, consultation: Consultation, code: str) -> Signup:
    """A participant checks in with the code shown at the venue (or the online meeting)."""
    ensure_permission(actor, "consultations:signup:join", community_of(db, consultation))
    if consultation.status != "announced" or consultation.meeting_opened_at is None:
        raise Conflict(_("Check-in opens when the meeting starts."))
    if not secrets.compare_digest(code.strip().upper(), consultation.checkin_code):
        raise Invalid(_("That check-in code is not right; it is shown at the meeting."), field="code")
    signup = db.execute(select(Signup).where(Signup.consultation_id == consultation.id, Signup.user_id == actor.user.id,
                                             Signup.status.notin_(("withdrawn", "waitlisted")))).scalar_one_or_none()
    if signup is None:
        raise Invalid(_("You are not registered for this meeting; ask the staff at the door."), field="code")
    if signup.checked_in_at is None:
        signup.checked_in_at = utcnow()
        _record(db, "checkin", actor, consultation, signup=signup.id)
        db.commit()
    return signup


def staff_check_in(db: Session, actor: Actor, consultation: Consultation, signup_id: int) -> None:
    ensure_permission(actor, "consultations:consultation:manage", community_of(db, consultation))
    if consultation.status != "announced" or consultation.meeting_opened_at is None:
        raise Conflict(_("Check-in opens when the meeting starts."))
    signup = _signup(db, consultation, signup_id)
    if signup.status in ("withdrawn",):
        raise Conflict(_("This participant withdrew."))
    if signup.checked_in_at is None:
        signup.checked_in_at = utcnow()
        _record(db, "checkin.staff", actor, consultation, signup=signup.id)
        db.commit()


def _signup(db: Session, consultation: Consultation, signup_id: int) -> Signup:
    signup = db.get(Signup, signup_id)
    if signup is None or signup.consultation_id != consultation.id:
        raise NotFound(_("No such participant."))
    return signup


def _item(db: Session, consultation: Consultation, item_id: int | None) -> AgendaItem | None:
    if item_id is None:
        return None
    item = db.get(AgendaItem, item_id)
    if item is None or item.consultation_id != consultation.id:
        raise Invalid(_("Choose one of the agenda items."), field="agenda_item_id")
    return item


def _add_speaker(db: Session, consultation: Consultation, signup: Signup, item: AgendaItem | None) -> Speaker:
    if not rules.may_speak(consultation.form, signup.kind, signup.status, signup.checked_in_at is not None):
        raise Invalid(_("Only checked-in participants who may speak can ask for the floor (at a hearing: the hearing representatives and invited parties)."))
    waiting = db.scalar(select(func.count()).select_from(Speaker).where(Speaker.signup_id == signup.id, Speaker.status.in_(("waiting", "speaking"))))
    if waiting:
        raise Conflict(_("Already on the speaker list."))
    position = (db.scalar(select(func.max(Speaker.position)).where(Speaker.consultation_id == consultation.id)) or 0) + 1
    speaker = Speaker(consultation_id=consultation.id, agenda_item_id=item.id if item else None, signup_id=signup.id, position=position)
    db.add(speaker)
    db.flush()
    return speaker


def request_to_speak(db: Session, actor: Actor, consultation: Consultation, agenda_item_id: int | None = None) -> Speaker:
    ensure_permission(actor, "consultations:signup:join", community_of(db, consultation))
    if consultation.status != "announced" or consultation.meeting_opened_at is None:
        raise Conflict(_("The speaker list opens when the meeting starts."))
    signup = db.execute(select(Signup).where(Signup.consultation_id == consultation.id, Signup.user_id == actor.user.id)).scalar_one_or_none()
    if signup is None:
        raise Invalid(_("You are not registered for this meeting; ask the staff at the door."))
    speaker = _add_speaker(db, consultation, signup, _item(db, consultation, agenda_item_id))
    _record(db, "speaker.request", actor, consultation, speaker=speaker.id)
    db.commit()
    return speaker


def add_speaker(db: Session, actor: Actor, consultation: Consultation, signup_id: int, agenda_item_id: int | None = None) -> Speaker:
    """The chair puts a participant on the list (someone raising a hand in the room)."""
    ensure_permission(actor, "consultations:consultation:manage", community_of(db, consultation))
    if consultation.status != "announced" or consultation.meeting_opened_at is None:
        raise Conflict(_("The speaker list opens when the meeting starts."))
    speaker = _add_speaker(db, consultation, _signup(db, consultation, signup_id), _item(db, consultation, agenda_item_id))
    _record(db, "speaker.add", actor, consultation, speaker=speaker.id)
    db.commit()
    return speaker


def speaker_action(db: Session, actor: Actor, consultation: Consultation, speaker_id: int, action: str) -> None:
    """start (gives the floor, ending any current speaker), done, withdraw."""
    ensure_permission(actor, "consultations:consultation:manage", community_of(db, consultation))
    speaker = db.get(Speaker, speaker_id)
    if speaker is None or speaker.consultation_id != consultation.id:
        raise NotFound(_("No such speaker."))
    now = utcnow()
    if action == "start" and speaker.status == "waiting":
        for current in db.execute(select(Speaker).where(Speaker.consultation_id == consultation.id, Speaker.status == "speaking")).scalars():
            current.status, current.ended_at = "done", now
        speaker.status, speaker.started_at = "speaking", now
    elif action == "done" and speaker.status == "speaking":
        speaker.status, speaker.ended_at = "done", now
    elif action == "withdraw" and speaker.status == "waiting":
        speaker.status = "withdrawn"
    else:
        raise Conflict(_("This speaker cannot do that now."))
    _record(db, f"speaker.{action}", actor, consultation, speaker=speaker.id)
    db.commit()


def submit_opinion(db: Session, actor: Actor, consultation: Consultation, *, body: str, stance: str = "neutral",
                   agenda_item_id: int | None = None, use_alias: bool = False) -> Opinion:
    """A resident's formal opinion: it will get an answer (C9)."""
    community = community_of(db, consultation)
    ensure_permission(actor, "consultations:opinion:submit", community)
    _resident_in(actor, community)
    if not rules.is_open_for_opinions(consultation.status):
        raise Conflict(_("Opinions are collected from the notice until the meeting closes."))
    signed_up = db.scalar(select(func.count()).select_from(Signup).where(Signup.consultation_id == consultation.id, Signup.user_id == actor.user.id))
    if not signed_up and not _eligible(consultation, resident_facts(db, actor.resident)):
        raise Invalid(_("This consultation collects opinions from its participants."))
    item = _item(db, consultation, agenda_item_id)
    opinion = Opinion(consultation_id=consultation.id, agenda_item_id=item.id if item else None, author_user_id=actor.user.id,
                      author_name=display_name(db, actor, use_alias), recorded_by=actor.user_id, body=body,
                      stance=stance if stance in rules.STANCES else "neutral")
    db.add(opinion)
    db.flush()
    _record(db, "opinion.submit", actor, consultation, opinion=opinion.id)
    db.commit()
    return opinion


def record_opinion(db: Session, actor: Actor, consultation: Consultation, *, author_name: str, body: str, stance: str = "neutral",
                   agenda_item_id: int | None = None, signup_id: int | None = None) -> Opinion:
    """Staff write down what a resident present without a phone said, on their behalf."""
    ensure_permission(actor, "consultations:opinion:record", community_of(db, consultation))
    if not rules.is_open_for_opinions(consultation.status):
        raise Conflict(_("Opinions are collected from the notice until the meeting closes."))
    signup = _signup(db, consultation, signup_id) if signup_id else None
    item = _item(db, consultation, agenda_item_id)
    opinion = Opinion(consultation_id=consultation.id, agenda_item_id=item.id if item else None,
                      author_user_id=signup.user_id if signup else None, author_name=author_name, recorded_by=actor.user_id,
                      body=body, stance=stance if stance in rules.STANCES else "neutral")
    db.add(opinion)
    db.flush()
    _record(db, "opinion.record", actor, consultation, opinion=opinion.id)
    db.commit()
    return opinion


def close_meeting(db: Session, actor: Actor, consultation: Consultation, *, attendance: int | None = None, today: dt.date | None = None) -> None:
    """The meeting (or the online consultation) is over; answers are due within the configured days."""
    community = community_of(db, consultation)
    ensure_permission(actor, "consultations:consultation:manage", community)
    _require_status(consultation, "announced")
    checked_in = db.scalar(select(func.count()).select_from(Signup).where(Signup.consultation_id == consultation.id, Signup.checked_in_at.is_not(None)))
    if rules.has_meeting(consultation.form):
        if consultation.meeting_opened_at is None:
            raise Conflict(_("Open the meeting first."))
        if consultation.form == "hearing":
            selected = db.scalar(select(func.count()).select_from(Signup).where(Signup.consultation_id == consultation.id, Signup.status == "selected"))
            present = db.scalar(select(func.count()).select_from(Signup).where(
                Signup.consultation_id == consultation.id, Signup.status == "selected", Signup.checked_in_at.is_not(None)))
            if not rules.hearing_quorum(present, selected):
                raise Conflict(_("Only %(present)s of %(selected)s hearing representatives are present; two thirds are needed, so the hearing is postponed.",
                                 present=present, selected=selected))
    _advance(consultation, "held")
    consultation.held_on = today or local_today()
    consultation.attendance = attendance if attendance is not None and attendance >= checked_in else checked_in
    db.execute(update(Speaker).where(Speaker.consultation_id == consultation.id, Speaker.status == "speaking").values(status="done", ended_at=utcnow()))
    _record(db, "meeting.close", actor, consultation, attendance=consultation.attendance)
    db.commit()


# -- 6. minutes, answers, outcome, implementation -------------------------------------------------
def publish_minutes(db: Session, actor: Actor, consultation: Consultation, *, minutes: str, record: str = "", signatories: str = "") -> None:
    ensure_permission(actor, "consultations:consultation:manage", community_of(db, consultation))
    _require_status(consultation, "held")
    if len(minutes.strip()) < 10:
        raise Invalid(_("Write the minutes (at least a few sentences)."), field="minutes")
    if consultation.form == "hearing":
        if len(record.strip()) < 10:
            raise Invalid(_("A hearing publishes its verbatim record (笔录) with the minutes."), field="record")
        if not signatories.strip():
            raise Invalid(_("Name who signed: the presiding officer and the hearing representatives."), field="signatories")
    consultation.minutes, consultation.record, consultation.signatories = minutes.strip(), record.strip(), signatories.strip()
    _advance(consultation, "minuted")
    consultation.minutes_published_at = utcnow()
    _record(db, "minutes.publish", actor, consultation)
    notify(db, participant_user_ids(db, consultation), _("Minutes published: %(title)s", title=consultation.title), _link(consultation) + "#minutes")
    db.commit()


def answer_opinion(db: Session, actor: Actor, opinion_id: int, *, disposition: str, answer: str, referred_to: str = "") -> Opinion:
    opinion = db.get(Opinion, opinion_id)
    if opinion is None:
        raise NotFound(_("No such opinion."))
    consultation = get_consultation(db, opinion.consultation_id)
    ensure_permission(actor, "consultations:opinion:answer", community_of(db, consultation))
    _require_status(consultation, "held", "minuted")
    problem = rules.answer_problem(disposition, answer, referred_to)
    if problem:
        raise Invalid(_(problem[1]), field=problem[0])
    first = opinion.answered_at is None
    opinion.disposition, opinion.answer, opinion.referred_to = disposition, answer.strip(), referred_to.strip() if disposition == "referred" else ""
    opinion.answered_at, opinion.answered_by = utcnow(), actor.user_id
    _record(db, "opinion.answer" if first else "opinion.reanswer", actor, consultation, opinion=opinion.id, disposition=disposition)
    notify(db, [opinion.author_user_id], _("Your opinion on %(title)s was answered: %(disposition)s", title=consultation.title,
                                           disposition=_(rules.DISPOSITIONS[disposition])), _link(consultation) + f"#opinion-{opinion.id}")
    db.commit()
    return opinion


def record_party_discussion(db: Session, actor: Actor, consultation: Consultation, *, discussed_on: dt.date, note: str) -> None:
    """C3: a matter needing a decision is first discussed by the community party organisation."""
    ensure_permission(actor, "consultations:consultation:manage", community_of(db, consultation))
    _require_status(consultation, "held", "minuted")
    if len(note.strip()) < 4:
        raise Invalid(_("Summarise the party organisation's discussion."), field="party_note")
    if discussed_on > local_today():
        raise Invalid(_("The discussion cannot be in the future."), field="party_discussed_on")
    consultation.needs_decision, consultation.party_discussed_on, consultation.party_note = True, discussed_on, note.strip()
    _record(db, "party.discussed", actor, consultation, on=str(discussed_on))
    db.commit()


def formal_result(db: Session, consultation: Consultation) -> FormalItem | None:
    return db.execute(select(FormalItem).where(FormalItem.consultation_id == consultation.id).order_by(FormalItem.id.desc()).limit(1)).scalar_one_or_none()


def publish_outcome(db: Session, actor: Actor, consultation: Consultation, *, outcome: str) -> None:
    ensure_permission(actor, "consultations:consultation:manage", community_of(db, consultation))
    _require_status(consultation, "minuted")
    unanswered = db.scalar(select(func.count()).select_from(Opinion).where(Opinion.consultation_id == consultation.id, Opinion.answered_at.is_(None)))
    item = formal_result(db, consultation)
    blockers = rules.outcome_blockers(unanswered, consultation.needs_decision, consultation.party_discussed_on is not None, item.result if item else "")
    if blockers:
        raise Conflict(" ".join(_(b) for b in blockers))
    if len(outcome.strip()) < 10:
        raise Invalid(_("Describe the outcome: what was agreed and who carries it out."), field="outcome")
    _advance(consultation, "decided")
    consultation.outcome, consultation.outcome_at = outcome.strip(), utcnow()
    _record(db, "outcome.publish", actor, consultation)
    notify(db, participant_user_ids(db, consultation), _("Outcome published: %(title)s", title=consultation.title), _link(consultation) + "#outcome")
    db.commit()


def add_progress(db: Session, actor: Actor, consultation: Consultation, *, progress: int, note: str) -> ProgressUpdate:
    """Implementation tracking until done (反馈); everyone who took part is told."""
    ensure_permission(actor, "consultations:consultation:manage", community_of(db, consultation))
    _require_status(consultation, "decided", "implementing")
    if not 0 <= progress <= 100:
        raise Invalid(_("Enter a whole number from %(low)s to %(high)s.", low=0, high=100), field="progress")
    if progress < consultation.progress:
        raise Invalid(_("Progress cannot go back (now %(n)s %%); explain setbacks in the note.", n=consultation.progress), field="progress")
    update_row = ProgressUpdate(consultation_id=consultation.id, progress=progress, note=note.strip(), created_by=actor.user_id)
    db.add(update_row)
    consultation.progress = progress
    _advance(consultation, "done" if progress == 100 else "implementing")
    if progress == 100:
        consultation.done_at = utcnow()
    db.flush()
    _record(db, "progress", actor, consultation, progress=progress)
    text = (_("Implemented: %(title)s", title=consultation.title) if progress == 100
            else _("Progress on %(title)s: %(n)s %%", title=consultation.title, n=progress))
    notify(db, participant_user_ids(db, consultation), text, _link(consultation) + "#progress")
    db.commit()
    return update_row
