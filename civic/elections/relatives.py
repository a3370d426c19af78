"""Near-relative declarations (近亲属) and what follows from them.

- E3 [LAW]: near relatives may not serve together — the results page flags such winners (queries.result_view).
- E8 [LAW]: an election-committee member who is, or whose near relative is, nominated steps down — the
  nominations page warns.
- E9 [PRACTICE]: candidates and their near relatives may not be callers (唱票), counters (计票) or scrutineers
  (监票) — the results page warns when the signed count record names one.

The election committee or staff declare relations between two residents of the community, per election; a
relation is symmetric and stored once (smaller resident id first). Removal deletes the row; the audit log keeps
both the declaration and the removal.
"""
from __future__ import annotations

import json

from sqlalchemy import select
from sqlalchemy.orm import Session

from civic import audit
from civic.accounts.models import RoleAssignment, User
from civic.elections import rules
from civic.elections.models import Candidate, Election, Nomination, Relation, Round
from civic.errors import Invalid, NotFound
from civic.i18n import N_, _
from civic.registry.models import Community, Resident
from civic.security import Actor, ensure_permission

DECLARE = "elections:relation:declare"
KINDS = {
    "spouse": N_("spouses"),
    "parent-child": N_("parent and child"),
    "sibling": N_("siblings"),
    "grandparent-grandchild": N_("grandparent and grandchild"),
}
SIGNATORY_ROLES = {"callers": N_("caller (唱票)"), "counters": N_("counter (计票)"), "scrutineers": N_("scrutineer (监票)")}


def kind_label(kind: str) -> str:
    return _(KINDS[kind]) if kind in KINDS else kind


def declare(db: Session, actor: Actor, election: Election, community: Community, a: Resident | None, b: Resident | None,
            kind: str, source: str) -> Relation:
    """Declare that `a` and `b` are near relatives (E3/E8/E9) in this election."""
    ensure_permission(actor, DECLARE, community)
    return _declare(db, actor, election, community, a, b, kind, source)


def declare_own(db: Session, actor: Actor, election: Election, community: Community, candidate: Candidate, relative: Resident | None,
                kind: str, source: str) -> Relation:
    """A candidate declares their own near relative on their statement page (officials may do it for them)."""
    own = actor.resident is not None and candidate.resident_id is not None and actor.resident.id == candidate.resident_id
    if not own:
        ensure_permission(actor, DECLARE, community)
    if candidate.election_id != election.id or candidate.resident_id is None:
        raise NotFound(_("No such candidate."))
    if election.status == "closed":
        raise Invalid(_("The election is closed: relations can no longer be declared."), field="form")
    person = db.get(Resident, candidate.resident_id)
    return _declare(db, actor, election, community, person, relative, kind, source, by_candidate=own)


def _declare(db: Session, actor: Actor, election: Election, community: Community, a: Resident | None, b: Resident | None,
             kind: str, source: str, *, by_candidate: bool = False) -> Relation:
    if a is None or a.community_id != community.id:
        raise Invalid(_("Choose the first person from the residents of %(community)s.", community=community.name), field="a")
    if b is None or b.community_id != community.id:
        raise Invalid(_("Choose the second person from the residents of %(community)s.", community=community.name), field="b")
    if a.id == b.id:
        raise Invalid(_("Choose two different persons."), field="b")
    if kind not in KINDS:
        raise Invalid(_("Choose how the two are related."), field="kind")
    source = (source or "").strip()
    if len(source) > 300:
        raise Invalid(_("Keep the source to 300 characters."), field="source")
    low, high = sorted((a.id, b.id))
    if db.execute(select(Relation.id).where(Relation.election_id == election.id, Relation.a_resident_id == low,
                                            Relation.b_resident_id == high)).first():
        raise Invalid(_("%(a)s and %(b)s are already declared as near relatives in this election.", a=a.name, b=b.name), field="b")
    relation = Relation(election_id=election.id, a_resident_id=low, b_resident_id=high, kind=kind, source=source,
                        declared_by=actor.user_id)
    db.add(relation)
    db.flush()
    audit.record(db, "elections.relation.declare", actor=actor, target=f"relation:{relation.id}", community_id=community.id,
                 data={"election": election.public_id, "a": low, "b": high, "kind": kind, **({"by_candidate": True} if by_candidate else {})})
    db.commit()
    return relation


def get_relation(db: Session, election: Election, relation_id: int) -> Relation:
    relation = db.get(Relation, relation_id)
    if relation is None or relation.election_id != election.id:
        raise NotFound(_("No such declaration."))
    return relation


def remove(db: Session, actor: Actor, election: Election, community: Community, relation: Relation) -> None:
    ensure_permission(actor, DECLARE, community)
    if relation.election_id != election.id:
        raise NotFound(_("No such declaration."))
    audit.record(db, "elections.relation.remove", actor=actor, target=f"relation:{relation.id}", community_id=community.id,
                 data={"election": election.public_id, "a": relation.a_resident_id, "b": relation.b_resident_id, "kind": relation.kind})
    db.delete(relation)
    db.commit()


# --------------------------------------------------------------------------------------------------
# read side
# --------------------------------------------------------------------------------------------------


def relations(db: Session, election: Election) -> list[dict]:
    """The declarations with both persons' names (one query for the residents)."""
    rows = list(db.execute(select(Relation).where(Relation.election_id == election.id).order_by(Relation.id)).scalars())
    ids = {r.a_resident_id for r in rows} | {r.b_resident_id for r in rows}
    people = {p.id: p for p in db.execute(select(Resident).where(Resident.id.in_(ids))).scalars()} if ids else {}
    return [{"relation": r, "a": people.get(r.a_resident_id), "b": people.get(r.b_resident_id), "kind": kind_label(r.kind)} for r in rows]


def relatives_map(db: Session, election: Election) -> dict[int, dict[int, str]]:
    """resident id → {near relative's resident id: kind}."""
    out: dict[int, dict[int, str]] = {}
    for a, b, kind in db.execute(select(Relation.a_resident_id, Relation.b_resident_id, Relation.kind)
                                 .where(Relation.election_id == election.id)).all():
        out.setdefault(a, {})[b] = kind
        out.setdefault(b, {})[a] = kind
    return out


def committee_members(db: Session, community: Community) -> dict[int, str]:
    """Election-committee members of the community who are residents: resident id → name."""
    rows = db.execute(select(User.resident_id, Resident.name).join(RoleAssignment, RoleAssignment.user_id == User.id)
                      .join(Resident, Resident.id == User.resident_id)
                      .where(RoleAssignment.role == "election_committee", RoleAssignment.community_id == community.id)).all()
    return {resident_id: name for resident_id, name in rows}


def _names(db: Session, ids: set[int]) -> dict[int, str]:
    return dict(db.execute(select(Resident.id, Resident.name).where(Resident.id.in_(ids))).all()) if ids else {}


def e8_warnings(db: Session, election: Election, community: Community) -> list[dict]:
    """E8: nominations (not declined or rejected) of a committee member or of a member's near relative."""
    members = committee_members(db, community)
    if not members:
        return []
    related = relatives_map(db, election)
    nominations = list(db.execute(select(Nomination).where(Nomination.election_id == election.id, Nomination.status != "declined",
                                                           Nomination.review != "rejected").order_by(Nomination.id)).scalars())
    names = _names(db, {n.nominee_resident_id for n in nominations})
    out, seen = [], set()
    for nomination in nominations:
        nominee = nomination.nominee_resident_id
        if nominee in members and (nominee, nominee) not in seen:
            seen.add((nominee, nominee))
            out.append({"nomination_id": nomination.id, "text": _(
                "%(nominee)s is a member of the election committee and has been nominated: they must step down from the committee, "
                "and the vacancy is filled (E8).", nominee=names.get(nominee, ""))})
        for member, kind in sorted(related.get(nominee, {}).items()):
            if member in members and (nominee, member) not in seen:
                seen.add((nominee, member))
                out.append({"nomination_id": nomination.id, "text": _(
                    "%(nominee)s has been nominated and is a near relative (%(kind)s) of %(member)s, a member of the election committee: "
                    "%(member)s must step down from the committee, and the vacancy is filled (E8).",
                    nominee=names.get(nominee, ""), kind=kind_label(kind), member=members[member])})
    return out


def signatory_names(round_: Round) -> dict[str, list[str]]:
    """The names on the round's signed count record, per E9 role."""
    from civic.elections.forms import SPLIT_NAMES as split

    record = json.loads(round_.signatories or "{}")
    return {role: [rules.normalise_name(n) for n in split.split(record.get(role) or "") if rules.normalise_name(n)]
            for role in SIGNATORY_ROLES}


def e9_warnings(db: Session, election: Election, rounds: list[Round]) -> list[dict]:
    """E9: a candidate, or a near relative of one, named as caller, counter or scrutineer on a count record."""
    records = [(r, signatory_names(r)) for r in rounds]
    if not any(names for _r, record in records for names in record.values()):
        return []
    candidates = [c for c in db.execute(select(Candidate).where(Candidate.election_id == election.id, Candidate.status != "withdrawn")).scalars()]
    related = relatives_map(db, election)
    relative_ids = {rid for c in candidates if c.resident_id for rid in related.get(c.resident_id, {})}
    names = _names(db, relative_ids)
    barred: dict[str, str] = {}  # normalised name → why
    for candidate in candidates:
        for relative, kind in related.get(candidate.resident_id, {}).items() if candidate.resident_id else ():
            if names.get(relative):
                barred.setdefault(rules.normalise_name(names[relative]), _(
                    "a near relative (%(kind)s) of candidate %(candidate)s", kind=kind_label(kind), candidate=candidate.name))
    for candidate in candidates:
        barred[rules.normalise_name(candidate.name)] = _("a candidate")
    out = []
    for round_, record in records:
        for role, people in record.items():
            for name in people:
                if name in barred:
                    out.append({"code": "e9-signatory", "text": _(
                        "%(name)s, recorded as %(role)s on the count record of round %(n)s, is %(why)s: candidates and their near relatives "
                        "may not call, count or scrutinise (E9).", name=name, role=_(SIGNATORY_ROLES[role]), n=round_.number, why=barred[name])})
    return out


def barred_from_counting(db: Session, election: Election) -> list[str]:
    """Who may not call, count or scrutinise (E9): the candidates and their declared near relatives, by name."""
    candidates = [c for c in db.execute(select(Candidate).where(Candidate.election_id == election.id, Candidate.status != "withdrawn")
                                        .order_by(Candidate.position, Candidate.id)).scalars()]
    related = relatives_map(db, election)
    names = _names(db, {rid for c in candidates if c.resident_id for rid in related.get(c.resident_id, {})})
    out = []
    for candidate in candidates:
        out.append(candidate.name)
        out += [names[r] for r in sorted(related.get(candidate.resident_id, {})) if r in names] if candidate.resident_id else []
    return list(dict.fromkeys(out))


def candidate_pairs(db: Session, election: Election) -> list[tuple[str, str]]:
    """E3 for the results: pairs of candidates' public ids that are declared near relatives."""
    public_of = {rid: pid for pid, rid in db.execute(select(Candidate.public_id, Candidate.resident_id)
                                                      .where(Candidate.election_id == election.id, Candidate.resident_id.is_not(None))).all()}
    return [(public_of[a], public_of[b]) for a, b in db.execute(select(Relation.a_resident_id, Relation.b_resident_id)
                                                                   .where(Relation.election_id == election.id)).all()
            if a in public_of and b in public_of]


def of_person(db: Session, election: Election, resident_id: int) -> list[dict]:
    """The declarations that involve one person, with the other person's name."""
    return [{"relation": r["relation"], "other": r["b"] if r["a"] is not None and r["a"].id == resident_id else r["a"], "kind": r["kind"]}
            for r in relations(db, election) if resident_id in (r["relation"].a_resident_id, r["relation"].b_resident_id)]
