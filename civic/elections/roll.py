"""The voter roll: generated from the registry by the eligibility rules, published, objected to, frozen."""
from __future__ import annotations

import datetime as dt
from functools import cache

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from civic import audit, snapshots
from civic.elections import rules
from civic.elections.models import Election, Objection, RollEntry
from civic.elections.setup import advance, config_of, require_status
from civic.errors import Conflict, Invalid, NotFound
from civic.i18n import _
from civic.registry.models import Community, Household, Resident, ResidentGroup
from civic.security import Actor, ensure_permission

OBJECTION_KINDS = ("missing", "wrong", "ineligible")


def _today() -> dt.date:
    from civic import clock

    return clock.today()


def basis_of(resident: Resident, config: dict, polling_day: dt.date) -> str | None:
    """E12/E13: why a resident may be registered here, or None. Hukou here; or living here for the
    configured years (常住); or working here for the configured months (community workers)."""
    if resident.hukou_here:
        return "hukou"
    if resident.lives_here and resident.residence_since:
        if rules.age_on(resident.residence_since, polling_day) >= int(config.get("elections.residence_years", 1)):
            return "resident"
    if resident.works_here_since:
        months = (polling_day.year - resident.works_here_since.year) * 12 + polling_day.month - resident.works_here_since.month
        if months >= int(config.get("elections.worker_months", 6)):
            return "worker"
    return None


def eligible(resident: Resident, election: Election, config: dict) -> tuple[bool, str | None, str | None]:
    ok, code = rules.is_eligible_voter(resident.birth_date, election.polling_day, resident.deprived_of_political_rights)
    if not ok:
        return False, code, None
    basis = basis_of(resident, config, election.polling_day)
    if basis is None:
        return False, "not-resident", None
    if election.mode == "household" and not resident.is_household_head:
        return False, "not-household-representative", None
    if election.mode in ("representatives", "group-reps") and not resident.is_resident_rep:
        return False, "not-representative", None
    return True, None, basis


def generate_roll(db: Session, actor: Actor, election: Election, community: Community) -> int:
    """(Re)build the draft roll from the registry; only before publication."""
    ensure_permission(actor, "elections:election:manage", community)
    require_status(election, "setup")
    config = config_of(election)
    existing = {r.resident_id: r for r in db.execute(select(RollEntry).where(RollEntry.election_id == election.id)).scalars()}
    groups = dict(db.execute(select(Household.id, ResidentGroup.name).join(ResidentGroup, ResidentGroup.id == Household.group_id)
                             .where(Household.community_id == community.id)).all())
    listed = 0
    for resident in db.execute(select(Resident).where(Resident.community_id == community.id)).scalars():
        ok, _code, basis = eligible(resident, election, config)
        entry = existing.get(resident.id)
        if ok:
            listed += 1
            if entry is None:
                db.add(RollEntry(election_id=election.id, resident_id=resident.id, name=resident.name,
                                 group_name=groups.get(resident.household_id, ""), basis=basis))
            elif not entry.listed:
                entry.listed, entry.change_reason = True, ""
        elif entry is not None and entry.listed:
            entry.listed, entry.change_reason = False, "regenerated"
    audit.record(db, "elections.roll.generate", actor=actor, target=f"election:{election.public_id}", community_id=community.id,
                 data={"listed": listed})
    db.commit()
    return listed


def publish_roll(db: Session, actor: Actor, election: Election, community: Community) -> None:
    require_status(election, "setup")
    count = roll_count(db, election)
    if count == 0:
        raise Conflict(_("Generate the voter list before publishing it."))
    advance(db, actor, election, "roll", community)
    audit.record(db, "elections.roll.publish", actor=actor, target=f"election:{election.public_id}", community_id=community.id, data={"voters": count})
    db.commit()


def roll_count(db: Session, election: Election, *, base_only: bool = False) -> int:
    query = select(func.count()).select_from(RollEntry).where(RollEntry.election_id == election.id, RollEntry.listed.is_(True))
    if base_only:
        query = query.where(RollEntry.excluded_from_base.is_(False))
    return db.scalar(query) or 0


def entry_for(db: Session, election: Election, resident_id: int | None) -> RollEntry | None:
    if resident_id is None:
        return None
    params = {"election_id": election.id, "resident_id": resident_id}
    if snapshots.active(db):  # a page only shows it
        found = snapshots.instances(db, RollEntry, _entry_statement(True), params)
        return found[0] if found else None
    return db.execute(_entry_statement(False), params).scalar_one_or_none()


@cache
def _entry_statement(snapshot: bool):
    """Built once: a signed-in voter's entry is read on every election page and ballot form."""
    query = snapshots.select_of(RollEntry) if snapshot else select(RollEntry)
    return query.where(RollEntry.election_id == bindparam("election_id"), RollEntry.resident_id == bindparam("resident_id"))


def file_objection(db: Session, actor: Actor, election: Election, community: Community, *, kind: str, subject: Resident, reason: str) -> Objection:
    """E16: within the objection window, anyone on the community's side may object; staff may file for a resident."""
    ensure_permission(actor, "elections:objection:file", community)
    require_status(election, "roll", "nomination")  # the objection window (E16) overlaps the nominations
    today = _today()
    if election.objections_close_on and today > election.objections_close_on:
        raise Conflict(_("Objections to the voter list closed on %(date)s.", date=election.objections_close_on.isoformat()))
    if kind not in OBJECTION_KINDS:
        raise Invalid(_("Choose what is wrong with the list."), field="kind")
    if subject.community_id != community.id:
        raise Invalid(_("That person is not a resident of this community."), field="subject")
    reason = (reason or "").strip()
    if len(reason) < 4:
        raise Invalid(_("Explain the objection (at least 4 characters)."), field="reason")
    objection = Objection(election_id=election.id, kind=kind, subject_resident_id=subject.id, filed_by=actor.user_id,
                          reason=reason[:2000], filed_on=today)
    db.add(objection)
    db.flush()
    audit.record(db, "elections.objection.file", actor=actor, target=f"objection:{objection.id}", community_id=community.id,
                 data={"kind": kind, "subject": subject.id})
    db.commit()
    return objection


def decide_objection(db: Session, actor: Actor, election: Election, community: Community, objection: Objection, *, upheld: bool, decision: str) -> None:
    """The election committee decides with a reason; an upheld objection changes the roll (audited)."""
    ensure_permission(actor, "elections:objection:decide", community)
    if election.roll_frozen:
        raise Conflict(_("The voter list is frozen."))
    if objection.status != "pending":
        raise Conflict(_("This objection has already been decided."))
    decision = (decision or "").strip()
    if len(decision) < 4:
        raise Invalid(_("Give the reason for the decision (at least 4 characters)."), field="decision")
    objection.status = "upheld" if upheld else "rejected"
    objection.decision, objection.decided_by, objection.decided_on = decision[:2000], actor.user_id, _today()
    if upheld:
        resident = db.get(Resident, objection.subject_resident_id)
        entry = entry_for(db, election, resident.id)
        if objection.kind == "missing":
            if entry is None:
                db.add(RollEntry(election_id=election.id, resident_id=resident.id, name=resident.name, basis="objection",
                                 change_reason=decision[:300]))
            else:
                entry.listed, entry.change_reason = True, decision[:300]
        elif objection.kind == "ineligible" and entry is not None:
            entry.listed, entry.change_reason = False, decision[:300]
        elif objection.kind == "wrong" and entry is not None:
            entry.name, entry.change_reason = resident.name, decision[:300]
    audit.record(db, "elections.objection.decide", actor=actor, target=f"objection:{objection.id}", community_id=community.id,
                 data={"upheld": upheld})
    db.commit()


def set_absence(db: Session, actor: Actor, election: Election, community: Community, entry: RollEntry, absent: bool) -> None:
    """E14: a voter who gave notice of absence in time leaves the turnout base."""
    ensure_permission(actor, "elections:election:manage", community)
    if election.roll_frozen:
        raise Conflict(_("The voter list is frozen."))
    entry.excluded_from_base = absent
    audit.record(db, "elections.roll.absence", actor=actor, target=f"roll:{entry.id}", community_id=community.id, data={"absent": absent})
    db.commit()


def get_objection(db: Session, election: Election, objection_id: int) -> Objection:
    objection = db.get(Objection, objection_id)
    if objection is None or objection.election_id != election.id:
        raise NotFound(_("No such objection."))
    return objection
