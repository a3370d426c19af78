"""罢免 (E39): a recall request against sitting members of a closed election, with reasons, signatures
(online by voters of the original roll, or recorded from paper by officials) counted live against the
threshold (1/10 of voters or households, 1/3 of representatives), the members' written replies, and the
recall vote: an election with purpose "recall" in the original mode, one office per member (1 seat, the
member the only candidate: approve = agree to recall, oppose = disagree, blank = abstain). The board's
counting then says exactly what E39 says: the round is valid with the E31 turnout, and a member is
"elected" on the board — the recall passes — with more approvals than half of the ballots returned.
"""
from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from civic import audit, clock
from civic.elections import rules
from civic.elections.models import (Candidate, Election, RecallRequest, RecallSignature, RecallTarget, RollEntry, Round, Section,
                                    Vacancy)
from civic.elections.roll import entry_for, roll_count
from civic.elections.setup import ElectionInput, advance, build_election, require_status, term_end, turnout_mode
from civic.errors import Conflict, Forbidden, Invalid, NotFound
from civic.i18n import _
from civic.registry.models import Community
from civic.security import Actor, can, ensure_permission

OPEN = ("collecting", "submitted", "scheduled")
REASONS_MIN = 10


# --------------------------------------------------------------------------------------------------
# sitting members
# --------------------------------------------------------------------------------------------------


def elected_members(db: Session, election: Election) -> list[dict]:
    """Everyone elected in the election's published rounds, in the order of the rounds and offices."""
    candidates = {c.public_id: c for c in db.execute(select(Candidate).where(Candidate.election_id == election.id)).scalars()}
    members = []
    for round_ in db.execute(select(Round).where(Round.election_id == election.id, Round.status == "published")
                             .order_by(Round.number)).scalars():
        result = json.loads(round_.result)
        for section in json.loads(round_.sections):
            names = {c["id"]: c["name"] for c in section["candidates"]}
            for person in result["sections"].get(section["id"], {}).get("elected", []):
                candidate = candidates.get(person)
                name = names.get(person) or (person.split(":", 1)[1] if person.startswith("write:") else person)
                members.append({"key": person, "name": name, "section_key": section["id"], "section_title": section["title"],
                                "resident_id": candidate.resident_id if candidate else None})
    return members


def sitting_members(db: Session, election: Election) -> list[dict]:
    """The members elected in a closed election who still hold their seat (not recalled, not resigned)."""
    if election.status != "closed" or election.purpose == "recall":
        return []
    ends = election.term_ends_on or term_end(election.polling_day, election.term_years)
    if clock.today() >= ends:
        return []  # the term is over: nobody of this election sits any more
    gone = set(db.execute(select(Vacancy.member_key).where(Vacancy.election_id == election.id, Vacancy.member_key != "")).scalars())
    return [m for m in elected_members(db, election) if m["key"] not in gone]


def member_under_recall(db: Session, election: Election) -> set[str]:
    rows = db.execute(select(RecallTarget.member_key).join(RecallRequest, RecallRequest.id == RecallTarget.recall_id)
                      .where(RecallRequest.origin_election_id == election.id, RecallRequest.status.in_(OPEN))).scalars()
    return set(rows)


# --------------------------------------------------------------------------------------------------
# the request and its signatures
# --------------------------------------------------------------------------------------------------


def _signer(db: Session, origin: Election, resident_id: int | None, message: str) -> RollEntry:
    entry = entry_for(db, origin, resident_id)
    if entry is None or not entry.listed:
        raise Forbidden(message)
    return entry


def start_request(db: Session, actor: Actor, origin: Election, community: Community, member_keys: list[str], reasons: str,
                  *, paper: bool = False) -> RecallRequest:
    """A voter of the original roll requests the recall of one or more sitting members, with reasons, and signs
    first; or officials record a request handed in on paper (its signatures are then recorded one by one)."""
    ensure_permission(actor, "elections:recall:record" if paper else "elections:recall:sign", community)
    if origin.community_id != community.id or origin.status != "closed" or origin.purpose == "recall":
        raise Conflict(_("Only members elected in a completed election can be recalled."))
    signer = None if paper else _signer(db, origin, actor.resident.id if actor.resident else None,
                                        _("Only voters of the election that chose these members can request their recall."))
    sitting = {m["key"]: m for m in sitting_members(db, origin)}
    keys = list(dict.fromkeys(k for k in member_keys if k))
    if not keys or any(k not in sitting for k in keys):
        raise Invalid(_("Choose the members whose recall you request."), field="members")
    busy = member_under_recall(db, origin) & set(keys)
    if busy:
        raise Invalid(_("A recall of %(names)s is already under way.", names="、".join(sitting[k]["name"] for k in keys if k in busy)),
                      field="members")
    reasons = (reasons or "").strip()
    if len(reasons) < REASONS_MIN:
        raise Invalid(_("Give the reasons for the recall (at least %(n)s characters).", n=REASONS_MIN), field="reasons")
    mode = turnout_mode(origin.mode)
    base = roll_count(db, origin)
    request = RecallRequest(community_id=community.id, origin_election_id=origin.id, mode=mode, base=base,
                            threshold=rules.recall_threshold(mode, base), reasons=reasons[:4000], channel="paper" if paper else "online",
                            created_by=actor.user_id)
    db.add(request)
    db.flush()
    for key in keys:
        m = sitting[key]
        db.add(RecallTarget(recall_id=request.id, member_key=key, resident_id=m["resident_id"], name=m["name"][:50],
                            section_key=m["section_key"], section_title=m["section_title"][:50]))
    if signer is not None:
        db.add(RecallSignature(recall_id=request.id, roll_entry_id=signer.id, channel="online", recorded_by=actor.user_id))
    audit.record(db, "elections.recall.request", actor=actor, target=f"recall:{request.id}", community_id=community.id,
                 data={"election": origin.public_id, "members": keys, "channel": request.channel, "threshold": request.threshold})
    _update_threshold(db, request)
    db.commit()
    return request


def signature_count(db: Session, request: RecallRequest) -> int:
    return db.scalar(select(func.count()).select_from(RecallSignature).where(RecallSignature.recall_id == request.id)) or 0


def threshold_met(db: Session, request: RecallRequest) -> bool:
    return rules.recall_request_ok(request.mode, signature_count(db, request), request.base)


def _update_threshold(db: Session, request: RecallRequest) -> None:
    db.flush()
    if request.status == "collecting" and threshold_met(db, request):
        request.status = "submitted"


def _add_signature(db: Session, request: RecallRequest, signer: RollEntry, channel: str, actor: Actor) -> None:
    if request.status not in ("collecting", "submitted"):
        raise Conflict(_("This recall request no longer takes signatures."))
    try:
        with db.begin_nested():
            db.add(RecallSignature(recall_id=request.id, roll_entry_id=signer.id, channel=channel, recorded_by=actor.user_id))
    except IntegrityError as error:
        raise Conflict(_("%(name)s has already signed this recall request.", name=signer.name)) from error


def sign(db: Session, actor: Actor, request: RecallRequest, community: Community) -> None:
    """A voter of the original roll signs online."""
    ensure_permission(actor, "elections:recall:sign", community)
    origin = db.get(Election, request.origin_election_id)
    signer = _signer(db, origin, actor.resident.id if actor.resident else None, _("Only voters of the election that chose these members can sign."))
    _add_signature(db, request, signer, "online", actor)
    audit.record(db, "elections.recall.sign", actor=actor, target=f"recall:{request.id}", community_id=community.id)
    _update_threshold(db, request)
    db.commit()


def record_paper_signatures(db: Session, actor: Actor, request: RecallRequest, community: Community, entry_ids: list[int]) -> int:
    """Officials record the signatures of a paper request form (voters ticked on the original roll)."""
    ensure_permission(actor, "elections:recall:record", community)
    origin = db.get(Election, request.origin_election_id)
    added = 0
    for entry_id in dict.fromkeys(entry_ids):
        entry = db.get(RollEntry, entry_id)
        if entry is None or entry.election_id != origin.id or not entry.listed:
            raise Invalid(_("Only voters of the election that chose these members can sign."), field="signer")
        _add_signature(db, request, entry, "paper", actor)
        added += 1
    if not added:
        raise Invalid(_("Tick the voters whose signatures are on the paper form."), field="signer")
    audit.record(db, "elections.recall.paper", actor=actor, target=f"recall:{request.id}", community_id=community.id, data={"signatures": added})
    _update_threshold(db, request)
    db.commit()
    return added


def signed(db: Session, request: RecallRequest, entry: RollEntry | None) -> bool:
    if entry is None:
        return False
    return bool(db.scalar(select(func.count()).select_from(RecallSignature).where(
        RecallSignature.recall_id == request.id, RecallSignature.roll_entry_id == entry.id)))


# --------------------------------------------------------------------------------------------------
# the member's reply
# --------------------------------------------------------------------------------------------------


def may_reply(actor: Actor, target: RecallTarget, community: Community) -> bool:
    own = actor.resident is not None and target.resident_id is not None and actor.resident.id == target.resident_id
    return own or can(actor, "elections:recall:record", community)


def reply(db: Session, actor: Actor, request: RecallRequest, community: Community, target: RecallTarget, text: str) -> None:
    """The right of reply: the member writes a reply shown next to the reasons (officials may record a written
    reply handed in on paper). It can be revised until the vote is decided."""
    if not may_reply(actor, target, community):
        if not actor.authenticated:
            ensure_permission(actor, "elections:recall:record", community)  # asks to log in
        raise Forbidden(_("Only the member concerned can reply."))
    if request.status not in OPEN:
        raise Conflict(_("The recall has been decided; the reply can no longer change."))
    text = (text or "").strip()
    if len(text) < 4:
        raise Invalid(_("Write the reply (at least 4 characters)."), field="reply")
    own = actor.resident is not None and actor.resident.id == target.resident_id
    target.reply, target.replied_at = text[:4000], clock.now()
    audit.record(db, "elections.recall.reply", actor=actor, target=f"recall:{request.id}:{target.member_key}", community_id=community.id,
                 data={"channel": "online" if own else "paper"})
    db.commit()


# --------------------------------------------------------------------------------------------------
# the vote
# --------------------------------------------------------------------------------------------------


def schedule_vote(db: Session, actor: Actor, request: RecallRequest, community: Community, *, title: str, polling_day: dt.date,
                  online_enabled: bool = True) -> Election:
    """The threshold is met: the election committee (or staff) set up the recall vote in the original mode,
    one office per member with the member as the only candidate. Roll, polling and count then run as usual."""
    ensure_permission(actor, "elections:recall:schedule", community)
    if request.status != "submitted":
        raise Conflict(_("The recall vote is scheduled once the request has enough signatures, and only once."))
    origin = db.get(Election, request.origin_election_id)
    targets = targets_of(db, request)
    election = build_election(db, actor, community, ElectionInput(
        title=title, purpose="recall", mode=origin.mode, polling_day=polling_day, seats={}, online_enabled=online_enabled))
    election.parent_id, election.term_ends_on = origin.id, None
    for number, target in enumerate(targets, start=1):
        section = Section(election_id=election.id, key=section_key(f"c{number}"), title=("罢免" + target.name)[:50], seats=1, position=number)
        db.add(section)
        db.flush()
        db.add(Candidate(election_id=election.id, section_id=section.id, public_id=f"c{number}", resident_id=target.resident_id,
                         name=target.name, status="formal", position=number))
        target.vote_candidate = f"c{number}"
    request.status, request.vote_election_id = "scheduled", election.id
    audit.record(db, "elections.recall.schedule", actor=actor, target=f"recall:{request.id}", community_id=community.id,
                 data={"election": election.public_id, "signatures": signature_count(db, request), "threshold": request.threshold})
    db.commit()
    return election


def section_key(candidate: str) -> str:
    """The recall ballot's office of candidate cN (the member) is recall-N."""
    return "recall-" + candidate[1:]


def publish_ballot(db: Session, actor: Actor, election: Election, community: Community) -> None:
    """A recall vote has no nominations: once the voter list is published, its ballot (the members) is."""
    ensure_permission(actor, "elections:election:manage", community)
    if election.purpose != "recall":
        raise Conflict(_("Only a recall vote has a ballot without nominations."))
    require_status(election, "roll")
    advance(db, actor, election, "candidates", community)
    db.commit()


def apply_result(db: Session, actor: Actor, election: Election, community: Community, result: dict) -> list[RecallTarget]:
    """Called when the recall vote's results are published (same transaction): a member whose recall passed
    (on the board: "elected" in the member's office) leaves a vacancy for a by-election (E41)."""
    request = db.execute(select(RecallRequest).where(RecallRequest.vote_election_id == election.id)).scalar_one_or_none()
    if request is None:
        return []
    passed = []
    for target in targets_of(db, request):
        section = result["sections"].get(section_key(target.vote_candidate))
        won = bool(result["valid"] and section and target.vote_candidate in section["elected"])
        target.outcome = "passed" if won else "failed"
        if won:
            passed.append(target)
            db.add(Vacancy(election_id=request.origin_election_id, section_key=target.section_key, section_title=target.section_title,
                           member_key=target.member_key, name=target.name, reason="recall", recall_id=request.id, recorded_by=actor.user_id))
    request.status = "decided"
    audit.record(db, "elections.recall.decide", actor=actor, target=f"recall:{request.id}", community_id=community.id,
                 data={"passed": [t.member_key for t in passed], "valid": result["valid"]})
    return passed


# --------------------------------------------------------------------------------------------------
# reading
# --------------------------------------------------------------------------------------------------


def get_request(db: Session, recall_id: int) -> tuple[RecallRequest, Community]:
    request = db.get(RecallRequest, recall_id)
    if request is None:
        raise NotFound(_("No such recall request."))
    return request, db.get(Community, request.community_id)


def get_target(db: Session, request: RecallRequest, target_id: int) -> RecallTarget:
    target = db.get(RecallTarget, target_id)
    if target is None or target.recall_id != request.id:
        raise NotFound(_("No such member in this recall request."))
    return target


def targets_of(db: Session, request: RecallRequest) -> list[RecallTarget]:
    return list(db.execute(select(RecallTarget).where(RecallTarget.recall_id == request.id).order_by(RecallTarget.id)).scalars())


def requests_of(db: Session, community: Community) -> list[RecallRequest]:
    return list(db.execute(select(RecallRequest).where(RecallRequest.community_id == community.id)
                           .order_by(RecallRequest.id.desc())).scalars())


def requests_against(db: Session, origin: Election) -> list[RecallRequest]:
    return list(db.execute(select(RecallRequest).where(RecallRequest.origin_election_id == origin.id)
                           .order_by(RecallRequest.id.desc())).scalars())


def request_for_vote(db: Session, election: Election) -> RecallRequest | None:
    return db.execute(select(RecallRequest).where(RecallRequest.vote_election_id == election.id)).scalar_one_or_none()
