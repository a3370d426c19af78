"""Nominations (联名提名, party nominations), nominee acceptance, qualification review, the candidate
list with its competitive margin (差额), candidate statements, and proxies (委托投票)."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from civic import audit
from civic.elections import messages, rules
from civic.elections.models import Candidate, Election, Nomination, Proxy, RollEntry, Section, Signature
from civic.elections.roll import _today, entry_for
from civic.elections.setup import advance, config_of, require_status
from civic.errors import Conflict, Forbidden, Invalid, NotFound
from civic.i18n import _
from civic.registry.models import Community, Resident
from civic.security import Actor, can, ensure_permission

OFFICE = {"chair": "chair", "vice": "vice-chair", "member": "member"}


def _open_for_nominations(election: Election, *, recording: bool = False) -> bool:
    """Residents sign online only inside the nomination window. Officials *recording* what was handed in
    on paper (party nominations, paper signature forms) may enter it after the window closed, until the
    candidate list is built: the paper was received in time, its entry may lag. Returns True for such a
    late entry (the audit trail says so)."""
    require_status(election, "roll", "nomination")
    today = _today()
    if election.nominations_open_on and today < election.nominations_open_on:
        raise Conflict(_("Nominations open on %(date)s.", date=election.nominations_open_on.isoformat()))
    if election.nominations_close_on and today > election.nominations_close_on:
        if recording and election.status == "nomination":
            return True
        raise Conflict(_("Nominations closed on %(date)s.", date=election.nominations_close_on.isoformat()))
    return False


def _voter(db: Session, election: Election, resident_id: int | None, message: str) -> RollEntry:
    entry = entry_for(db, election, resident_id)
    if entry is None or not entry.listed:
        raise Forbidden(message)
    return entry


def start_joint_nomination(db: Session, actor: Actor, election: Election, community: Community, section: Section,
                           nominee: Resident, statement: str = "") -> Nomination:
    """A voter starts a joint nomination and signs it first; others sign until the threshold is met."""
    ensure_permission(actor, "elections:nomination:sign", community)
    _open_for_nominations(election)
    signer = _voter(db, election, actor.resident.id if actor.resident else None, _("Only registered voters can nominate."))
    _voter(db, election, nominee.id, _("The nominee must be on the voter list."))
    if nominee.id == signer.resident_id and not config_of(election).get("elections.self_nomination"):
        raise Invalid(_("Self-nomination is not allowed in this election; ask other voters to nominate you."), field="nominee")
    nomination = Nomination(election_id=election.id, section_id=section.id, nominee_resident_id=nominee.id, kind="joint",
                            statement=(statement or "")[:4000], created_by=actor.user_id)
    db.add(nomination)
    db.flush()
    db.add(Signature(nomination_id=nomination.id, roll_entry_id=signer.id, channel="online", recorded_by=actor.user_id))
    audit.record(db, "elections.nomination.start", actor=actor, target=f"nomination:{nomination.id}", community_id=community.id,
                 data={"section": section.key, "nominee": nominee.id})
    _update_threshold(db, election, nomination)
    db.commit()
    return nomination


def signature_count(db: Session, nomination: Nomination) -> int:
    return db.scalar(select(func.count()).select_from(Signature).where(Signature.nomination_id == nomination.id)) or 0


def _update_threshold(db: Session, election: Election, nomination: Nomination) -> None:
    db.flush()
    threshold = int(config_of(election).get("elections.nomination_threshold", 10))
    if nomination.status == "collecting" and signature_count(db, nomination) >= threshold:
        nomination.status = "submitted"


def sign(db: Session, actor: Actor, election: Election, community: Community, nomination: Nomination) -> None:
    ensure_permission(actor, "elections:nomination:sign", community)
    _open_for_nominations(election)
    signer = _voter(db, election, actor.resident.id if actor.resident else None, _("Only registered voters can sign nominations."))
    _add_signature(db, nomination, signer, "online", actor)
    audit.record(db, "elections.nomination.sign", actor=actor, target=f"nomination:{nomination.id}", community_id=community.id)
    _update_threshold(db, election, nomination)
    db.commit()


def _add_signature(db: Session, nomination: Nomination, signer: RollEntry, channel: str, actor: Actor) -> None:
    if nomination.status not in ("collecting", "submitted"):
        raise Conflict(_("This nomination no longer takes signatures."))
    try:
        with db.begin_nested():
            db.add(Signature(nomination_id=nomination.id, roll_entry_id=signer.id, channel=channel, recorded_by=actor.user_id))
    except IntegrityError as error:
        raise Conflict(_("%(name)s has already signed this nomination.", name=signer.name)) from error


def record_paper_signatures(db: Session, actor: Actor, election: Election, community: Community, nomination: Nomination,
                            resident_ids: list[int]) -> int:
    """Staff record the signatures of a paper nomination form."""
    ensure_permission(actor, "elections:nomination:record", community)
    late = _open_for_nominations(election, recording=True)
    added = 0
    for resident_id in resident_ids:
        signer = _voter(db, election, resident_id, _("Only registered voters can sign nominations."))
        _add_signature(db, nomination, signer, "paper", actor)
        added += 1
    audit.record(db, "elections.nomination.paper", actor=actor, target=f"nomination:{nomination.id}", community_id=community.id, data={"signatures": added, "late_entry": late})
    _update_threshold(db, election, nomination)
    db.commit()
    return added


def party_nomination(db: Session, actor: Actor, election: Election, community: Community, section: Section, nominee: Resident,
                     statement: str = "") -> Nomination:
    """E17: the community party organisation nominates; staff record it (no signatures needed)."""
    ensure_permission(actor, "elections:nomination:record", community)
    late = _open_for_nominations(election, recording=True)
    _voter(db, election, nominee.id, _("The nominee must be on the voter list."))
    nomination = Nomination(election_id=election.id, section_id=section.id, nominee_resident_id=nominee.id, kind="party",
                            statement=(statement or "")[:4000], status="submitted", created_by=actor.user_id)
    db.add(nomination)
    db.flush()
    audit.record(db, "elections.nomination.party", actor=actor, target=f"nomination:{nomination.id}", community_id=community.id,
                 data={"late_entry": late})
    db.commit()
    return nomination


def answer_nomination(db: Session, actor: Actor, election: Election, community: Community, nomination: Nomination, accept: bool) -> None:
    """The nominee accepts or declines online; or officials record the nominee's written answer
    (a nominee without an account signs the acceptance form on paper)."""
    own = actor.resident is not None and actor.resident.id == nomination.nominee_resident_id
    if not own:
        if not actor.authenticated:
            ensure_permission(actor, "elections:nomination:record", community)  # asks to log in
        if not can(actor, "elections:nomination:record", community):
            raise Forbidden(_("Only the nominee can answer this nomination."))
    if nomination.status != "submitted":
        raise Conflict(_("This nomination cannot be answered now."))
    nomination.status = "accepted" if accept else "declined"
    audit.record(db, "elections.nomination.answer", actor=actor, target=f"nomination:{nomination.id}", community_id=community.id,
                 data={"accept": accept, "channel": "online" if own else "paper"})
    db.commit()


def review_nomination(db: Session, actor: Actor, election: Election, community: Community, nomination: Nomination, approve: bool, reason: str) -> None:
    """E18 资格联审: the committee approves or rejects the nominee's qualification, with a reason."""
    ensure_permission(actor, "elections:election:manage", community)
    if not approve and len((reason or "").strip()) < 4:
        raise Invalid(_("Give the reason for rejecting (at least 4 characters)."), field="reason")
    nomination.review, nomination.review_reason = ("approved" if approve else "rejected"), (reason or "").strip()[:300]
    audit.record(db, "elections.nomination.review", actor=actor, target=f"nomination:{nomination.id}", community_id=community.id, data={"approve": approve})
    db.commit()


def open_nominations(db: Session, actor: Actor, election: Election, community: Community) -> None:
    require_status(election, "roll")
    advance(db, actor, election, "nomination", community)
    db.commit()


def build_candidate_list(db: Session, actor: Actor, election: Election, community: Community) -> list[Candidate]:
    """The preliminary list: every accepted, approved nominee of each section, numbered c1, c2, …"""
    ensure_permission(actor, "elections:election:manage", community)
    require_status(election, "nomination")
    for old in db.execute(select(Candidate).where(Candidate.election_id == election.id)).scalars():
        db.delete(old)
    db.flush()
    sections = {s.id: s for s in db.execute(select(Section).where(Section.election_id == election.id)).scalars()}
    nominations = db.execute(select(Nomination).where(Nomination.election_id == election.id, Nomination.status == "accepted",
                                                       Nomination.review == "approved").order_by(Nomination.section_id, Nomination.id)).scalars().all()
    candidates, seen = [], set()
    for nomination in nominations:
        key = (nomination.section_id, nomination.nominee_resident_id)
        if key in seen:
            continue
        seen.add(key)
        resident = db.get(Resident, nomination.nominee_resident_id)
        candidate = Candidate(election_id=election.id, section_id=nomination.section_id, public_id=f"c{len(candidates) + 1}",
                              resident_id=resident.id, name=resident.name, gender=resident.gender, statement=nomination.statement,
                              position=len(candidates))
        db.add(candidate)
        candidates.append(candidate)
    audit.record(db, "elections.candidates.build", actor=actor, target=f"election:{election.public_id}", community_id=community.id,
                 data={"candidates": len(candidates), "sections": len(sections)})
    db.commit()
    return candidates


def margin_problems(db: Session, election: Election) -> list[str]:
    config = config_of(election)
    problems = []
    for section in db.execute(select(Section).where(Section.election_id == election.id).order_by(Section.position)).scalars():
        count = db.scalar(select(func.count()).select_from(Candidate).where(Candidate.section_id == section.id, Candidate.status != "withdrawn")) or 0
        low, high = rules.margin_bounds(OFFICE[section.key], config)
        for code, params in rules.check_margin(section.seats, count, low, high):
            problems.append(f"{section.title}：" + messages.violation(code, params))
    return problems


def publish_candidates(db: Session, actor: Actor, election: Election, community: Community) -> None:
    """The formal list, published only when every office has its competitive margin (E19)."""
    require_status(election, "nomination")
    problems = margin_problems(db, election)
    if problems:
        raise Invalid(" ".join(problems))
    for candidate in db.execute(select(Candidate).where(Candidate.election_id == election.id, Candidate.status == "preliminary")).scalars():
        candidate.status = "formal"
    advance(db, actor, election, "candidates", community)
    db.commit()


def update_statement(db: Session, actor: Actor, election: Election, community: Community, candidate: Candidate, statement: str) -> None:
    own = actor.resident is not None and actor.resident.id == candidate.resident_id
    if not own:
        ensure_permission(actor, "elections:election:manage", community)
    require_status(election, "nomination", "candidates")
    candidate.statement = (statement or "")[:4000]
    audit.record(db, "elections.candidate.statement", actor=actor, target=f"candidate:{candidate.public_id}", community_id=community.id)
    db.commit()


def register_proxy(db: Session, actor: Actor, election: Election, community: Community, principal: Resident, proxy: Resident, reason: str) -> Proxy:
    """E24: only for a voter away on polling day, in writing, before the deadline; the proxy is another
    voter, not a candidate, holding at most the configured number; none in representative mode."""
    ensure_permission(actor, "elections:proxy:register", community)
    require_status(election, "roll", "nomination", "candidates")
    config = config_of(election)
    if election.mode in ("representatives", "group-reps"):
        raise Conflict(_("There are no proxies when representatives vote (E24)."))
    if election.proxy_deadline_on and _today() > election.proxy_deadline_on:
        raise Conflict(_("Proxy registration closed on %(date)s.", date=election.proxy_deadline_on.isoformat()))
    principal_entry = _voter(db, election, principal.id, _("The voter giving the authorisation must be on the voter list."))
    proxy_entry = _voter(db, election, proxy.id, _("The proxy must be another voter of this community."))
    if principal_entry.id == proxy_entry.id:
        raise Invalid(_("A voter cannot be their own proxy."), field="proxy")
    if db.scalar(select(func.count()).select_from(Candidate).where(Candidate.election_id == election.id, Candidate.resident_id == proxy.id,
                                                                  Candidate.status != "withdrawn")):
        raise Invalid(_("A candidate cannot be a proxy (E24)."), field="proxy")
    if db.scalar(select(func.count()).select_from(Proxy).where(Proxy.election_id == election.id, Proxy.principal_roll_id == proxy_entry.id)):
        raise Invalid(_("This person has authorised someone else and cannot be a proxy."), field="proxy")
    limit = int(config.get("elections.proxy_max", 3))
    held = db.scalar(select(func.count()).select_from(Proxy).where(Proxy.election_id == election.id, Proxy.proxy_roll_id == proxy_entry.id)) or 0
    if held >= limit:
        raise Invalid(_("%(name)s already holds %(n)s authorisations, the most one proxy may hold (E24).", name=proxy.name, n=held), field="proxy")
    reason = (reason or "").strip()
    if len(reason) < 4:
        raise Invalid(_("Say why the voter will be away on polling day (at least 4 characters)."), field="reason")
    record = Proxy(election_id=election.id, principal_roll_id=principal_entry.id, proxy_roll_id=proxy_entry.id, reason=reason[:300],
                   registered_by=actor.user_id, registered_on=_today())
    try:
        with db.begin_nested():
            db.add(record)
    except IntegrityError as error:
        raise Invalid(_("%(name)s has already authorised a proxy.", name=principal.name), field="principal") from error
    audit.record(db, "elections.proxy.register", actor=actor, target=f"proxy:{principal_entry.id}", community_id=community.id)
    db.commit()
    return record


def get_nomination(db: Session, election: Election, nomination_id: int) -> Nomination:
    nomination = db.get(Nomination, nomination_id)
    if nomination is None or nomination.election_id != election.id:
        raise NotFound(_("No such nomination."))
    return nomination
