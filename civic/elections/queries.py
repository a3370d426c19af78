"""Read side of elections for the pages: explicit queries, no query per row (relationships are lazy="raise")."""
from __future__ import annotations

import json
from collections import Counter
from functools import cache

from sqlalchemy import bindparam, func, or_, select
from sqlalchemy.orm import Session

from civic import snapshots
from civic.elections import messages, rules
from civic.elections.models import (Ballot, BoardEntry, Box, Candidate, Election, Nomination, Objection, PaperDraft, Proxy,
                                    RollEntry, RollMark, Round, Section, Signature)
from civic.elections.setup import SCHEDULE_FIELDS, STEP_OF, config_of
from civic.errors import NotFound
from civic.i18n import _
from civic.registry import queries as registry_queries
from civic.registry.models import Community, Resident
from civic.registry.rules import normalise_id

SEARCH_LIMIT = 30
ROLL_PAGE = 50


def election_by_public_id(db: Session, public_id: str) -> tuple[Election, Community]:
    if snapshots.active(db):
        election = snapshots.kept(db, "election", (public_id,), ("core", "elections"), lambda s: snapshots.one(s, Election, "public_id", public_id))
        if election is None:
            raise NotFound(_("No such election."))
        return election, registry_queries.community_by_id(db, election.community_id)
    row = db.execute(_election_statement(), {"public_id": public_id}).first()
    if row is None:
        raise NotFound(_("No such election."))
    return row[0], row[1]


@cache
def _election_statement():
    """Built once: every election page and form loads its election this way (parameters bound per call)."""
    return (select(Election, Community).join(Community, Community.id == Election.community_id)
            .where(Election.public_id == bindparam("public_id")))


def elections_of(db: Session, community: Community) -> list[Election]:
    return list(db.execute(select(Election).where(Election.community_id == community.id)
                           .order_by(Election.polling_day.desc(), Election.id.desc())).scalars())


def sections(db: Session, election: Election) -> list[Section]:
    return list(db.execute(select(Section).where(Section.election_id == election.id).order_by(Section.position)).scalars())


def schedule(election: Election) -> list[dict]:
    """Each step with its date, in order, and whether it is past, today or to come."""
    from civic import clock

    today = clock.today()
    out = []
    for field in SCHEDULE_FIELDS:
        day = getattr(election, field)
        if day is None:
            continue
        out.append({"field": field, "label": messages.step(STEP_OF[field]), "date": day,
                    "when": "past" if day < today else ("today" if day == today else "future")})
    return sorted(out, key=lambda row: row["date"])


def candidates(db: Session, election: Election, *, formal_only: bool = False) -> list[Candidate]:
    query = select(Candidate).where(Candidate.election_id == election.id, Candidate.status != "withdrawn")
    if formal_only:
        query = query.where(Candidate.status == "formal")
    return list(db.execute(query.order_by(Candidate.position, Candidate.id)).scalars())


def candidates_by_section(db: Session, election: Election, *, formal_only: bool = False) -> list[tuple[Section, list[Candidate]]]:
    rows = candidates(db, election, formal_only=formal_only)
    return [(s, [c for c in rows if c.section_id == s.id and c.status in ("preliminary", "formal")]) for s in sections(db, election)]


def nominations(db: Session, election: Election) -> list[dict]:
    """Every nomination with its nominee, office and signature count (three queries in all)."""
    rows = list(db.execute(select(Nomination).where(Nomination.election_id == election.id).order_by(Nomination.id)).scalars())
    counts = dict(db.execute(select(Signature.nomination_id, func.count()).join(Nomination, Nomination.id == Signature.nomination_id)
                             .where(Nomination.election_id == election.id).group_by(Signature.nomination_id)).all())
    residents = {r.id: r for r in db.execute(select(Resident).where(Resident.id.in_({n.nominee_resident_id for n in rows}))).scalars()} if rows else {}
    by_id = {s.id: s for s in sections(db, election)}
    threshold = int(config_of(election).get("elections.nomination_threshold", 10))
    return [{"nomination": n, "nominee": residents.get(n.nominee_resident_id), "section": by_id.get(n.section_id),
             "signatures": counts.get(n.id, 0), "threshold": threshold} for n in rows]


def signed_by(db: Session, election: Election, entry: RollEntry | None) -> set[int]:
    if entry is None:
        return set()
    return set(db.execute(select(Signature.nomination_id).where(Signature.roll_entry_id == entry.id)).scalars())


def roll_summary(db: Session, election: Election) -> dict:
    listed = db.execute(select(RollEntry.group_name, func.count()).where(RollEntry.election_id == election.id, RollEntry.listed.is_(True))
                        .group_by(RollEntry.group_name).order_by(RollEntry.group_name)).all()
    absent = db.scalar(select(func.count()).select_from(RollEntry).where(
        RollEntry.election_id == election.id, RollEntry.listed.is_(True), RollEntry.excluded_from_base.is_(True))) or 0
    return {"total": sum(n for _g, n in listed), "groups": [(g or "—", n) for g, n in listed], "absent": absent}


def search_roll(db: Session, election: Election, q: str, *, limit: int = SEARCH_LIMIT, offset: int = 0,
                listed_only: bool = True) -> tuple[list[tuple[RollEntry, Resident]], int]:
    """Roll entries by name (part of it) or full ID number; with an empty query, the roll in order."""
    query = select(RollEntry, Resident).join(Resident, Resident.id == RollEntry.resident_id).where(RollEntry.election_id == election.id)
    if listed_only:
        query = query.where(RollEntry.listed.is_(True))
    q = (q or "").strip()[:50]
    if q:
        query = query.where(or_(RollEntry.name.contains(q), Resident.id_number == normalise_id(q)))
    total = db.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = db.execute(query.order_by(RollEntry.id).limit(limit).offset(offset)).all()
    return [(r[0], r[1]) for r in rows], total


def search_residents(db: Session, community: Community, q: str, limit: int = SEARCH_LIMIT) -> list[Resident]:
    """Residents of the community (for an objection that someone is missing from the roll)."""
    q = (q or "").strip()[:50]
    if not q:
        return []
    query = select(Resident).where(Resident.community_id == community.id, or_(Resident.name.contains(q), Resident.id_number == normalise_id(q)))
    return list(db.execute(query.order_by(Resident.id).limit(limit)).scalars())


def roll_entry(db: Session, election: Election, entry_id: int) -> RollEntry:
    entry = db.get(RollEntry, entry_id)
    if entry is None or entry.election_id != election.id:
        raise NotFound(_("No such voter on this list."))
    return entry


def resident_in(db: Session, community: Community, resident_id: int) -> Resident:
    resident = db.get(Resident, resident_id)
    if resident is None or resident.community_id != community.id:
        raise NotFound(_("No such resident."))
    return resident


def objections(db: Session, election: Election) -> list[dict]:
    rows = list(db.execute(select(Objection).where(Objection.election_id == election.id).order_by(Objection.id)).scalars())
    residents = {r.id: r for r in db.execute(select(Resident).where(Resident.id.in_({o.subject_resident_id for o in rows}))).scalars()} if rows else {}
    return [{"objection": o, "subject": residents.get(o.subject_resident_id)} for o in rows]


def my_objections(db: Session, election: Election, user_id: int | None) -> list[Objection]:
    if user_id is None:
        return []
    return snapshots.instances(db, Objection, _my_objections_statement(), {"election_id": election.id, "user_id": user_id})  # shown only


@cache
def _my_objections_statement():
    """Built once: asked on every signed-in election page."""
    return (snapshots.select_of(Objection).where(Objection.election_id == bindparam("election_id"), Objection.filed_by == bindparam("user_id"))
            .order_by(Objection.id))


def proxies(db: Session, election: Election) -> list[dict]:
    rows = list(db.execute(select(Proxy).where(Proxy.election_id == election.id).order_by(Proxy.id)).scalars())
    ids = {p.principal_roll_id for p in rows} | {p.proxy_roll_id for p in rows}
    names = dict(db.execute(select(RollEntry.id, RollEntry.name).where(RollEntry.id.in_(ids))).all()) if ids else {}
    return [{"proxy": p, "principal": names.get(p.principal_roll_id, ""), "holder": names.get(p.proxy_roll_id, "")} for p in rows]


def proxies_for(db: Session, election: Election, entry_ids: list[int]) -> dict[int, list[RollEntry]]:
    """For each principal on `entry_ids`: the registered proxy holder (shown on the polling-station roll)."""
    if not entry_ids:
        return {}
    rows = db.execute(select(Proxy.principal_roll_id, RollEntry).join(RollEntry, RollEntry.id == Proxy.proxy_roll_id)
                      .where(Proxy.election_id == election.id, Proxy.principal_roll_id.in_(entry_ids))).all()
    out: dict[int, list[RollEntry]] = {}
    for principal, holder in rows:
        out.setdefault(principal, []).append(holder)
    return out


def rounds(db: Session, election: Election) -> list[Round]:
    return list(db.execute(select(Round).where(Round.election_id == election.id).order_by(Round.number)).scalars())


def current_round(db: Session, election: Election) -> Round | None:
    rows = rounds(db, election)
    return rows[-1] if rows else None


def marked(db: Session, round_: Round, entry_ids: list[int]) -> dict[int, RollMark]:
    if not entry_ids:
        return {}
    rows = db.execute(select(RollMark).where(RollMark.round_id == round_.id, RollMark.roll_entry_id.in_(entry_ids))).scalars()
    return {m.roll_entry_id: m for m in rows}


def turnout_so_far(db: Session, round_: Round) -> dict:
    rows = dict(db.execute(select(RollMark.channel, func.count()).where(RollMark.round_id == round_.id).group_by(RollMark.channel)).all())
    return {"online": rows.get("online", 0), "box": rows.get("box", 0), "total": sum(rows.values())}


def drafts(db: Session, round_: Round, *, box_key: str | None = None, status: str | None = None) -> list[PaperDraft]:
    query = select(PaperDraft).where(PaperDraft.round_id == round_.id)
    if box_key:
        query = query.where(PaperDraft.box_key == box_key)
    if status:
        query = query.where(PaperDraft.status == status)
    return list(db.execute(query.order_by(PaperDraft.id)).scalars())


def draft(db: Session, round_: Round, draft_id: int) -> PaperDraft:
    row = db.get(PaperDraft, draft_id)
    if row is None or row.round_id != round_.id:
        raise NotFound(_("No such entry."))
    return row


def running_tally(round_sections: list[dict], rows: list[PaperDraft]) -> dict:
    """What the entered ballots of a box add up to so far (pending and confirmed entries, as the contract counts them)."""
    out = {"ballots": 0, "invalid": 0, "confirmed": 0, "pending": 0,
           "sections": {s["id"]: {"votes": Counter(), "invalid": 0} for s in round_sections}}
    resolvers = {s["id"]: _resolver(s) for s in round_sections}
    for row in rows:
        if row.status == "rejected" or row.kind != "paper":
            continue
        out["ballots"] += 1
        out[row.status] += 1
        ballot = json.loads(row.payload)
        if ballot is None:
            out["invalid"] += 1
            continue
        for section in round_sections:
            part = ballot.get(section["id"]) or {}
            persons = set(part.get("approve", [])) | {resolvers[section["id"]](w) for w in part.get("write_in", [])}
            if len(persons) > section["seats"]:
                out["sections"][section["id"]]["invalid"] += 1
            else:
                out["sections"][section["id"]]["votes"].update(persons)
    return out


def _resolver(section: dict):
    """A write-in equal to a candidate's name (after NFKC and trimming) is that candidate (contract point 3)."""
    by_name: dict[str, str] = {}
    for candidate in section["candidates"]:
        by_name.setdefault(rules.normalise_name(candidate["name"]), candidate["id"])
    return lambda name: by_name.get(rules.normalise_name(name), "write:" + rules.normalise_name(name))


def person_name(person: str, names: dict[str, str]) -> str:
    if person.startswith("write:"):
        return person.split(":", 1)[1]
    return names.get(person, person)


def on_board(db: Session, round_: Round, code: str) -> bool:
    code = (code or "").strip().upper()
    if not code:
        return False
    return db.scalar(select(func.count()).select_from(BoardEntry).where(BoardEntry.round_id == round_.id, BoardEntry.kind == "online",
                                                                       BoardEntry.tracking_code == code)) > 0


def online_ballot_count(db: Session, round_: Round) -> int:
    return db.scalar(select(func.count()).select_from(Ballot).where(Ballot.round_id == round_.id)) or 0


def result_view(db: Session, election: Election, round_: Round) -> dict | None:
    """The round's result laid out for the results page: per section the persons with names, votes, share and
    outcome, plus turnout and the E2/E3/E35 warnings as sentences."""
    if not round_.result:
        return None
    from civic.elections import polling

    result = json.loads(round_.result)
    round_sections = polling.sections_of(round_)
    names = {c["id"]: c["name"] for s in round_sections for c in s["candidates"]}
    cands = list(db.execute(select(Candidate).where(Candidate.election_id == election.id)).scalars())
    names.update({c.public_id: c.name for c in cands if c.public_id not in names})
    returned = result["returned"]
    out_sections = []
    for section in round_sections:
        outcome = result["sections"].get(section["id"], {"votes": {}, "elected": [], "tied": [], "invalid": 0, "unfilled": section["seats"]})
        persons = [c["id"] for c in section["candidates"]]
        persons += sorted((p for p in outcome["votes"] if p not in persons), key=lambda p: (-outcome["votes"][p], p))
        rows = []
        for number, person in enumerate(persons, start=1):
            votes = outcome["votes"].get(person, 0)
            state = "elected" if person in outcome["elected"] else ("tied" if person in outcome["tied"] else "")
            rows.append({"person": person, "name": person_name(person, names), "votes": votes, "state": state,
                         "number": number if not person.startswith("write:") else None, "write_in": person.startswith("write:"),
                         "share": per_mille(votes, returned) / 10})
        out_sections.append({"id": section["id"], "title": section["title"], "seats": section["seats"], "rows": rows,
                             "invalid": outcome["invalid"], "unfilled": outcome["unfilled"],
                             "elected": [person_name(p, names) for p in outcome["elected"]],
                             "tied": [person_name(p, names) for p in outcome["tied"]]})
    earlier = []
    for other in rounds(db, election):
        if other.number < round_.number and other.result:
            earlier += [p for s in json.loads(other.result)["sections"].values() for p in s["elected"]]
    genders = {c.public_id: {"F": "female", "M": "male"}.get(c.gender, c.gender) for c in cands}
    from civic.elections import relatives

    relations = relatives.candidate_pairs(db, election)  # E3: declared near relatives among the candidates
    seated = len(earlier) + sum(len(s["elected"]) for s in result["sections"].values())
    codes = rules.warnings(result, genders, relations, seated, earlier_elected=earlier, config=config_of(election))
    if election.purpose == "recall":  # no seats are filled: only the validity of the vote matters
        codes = [(code, params) for code, params in codes if code == "round-invalid"]
    warnings = [{"code": code, "text": messages.violation(code, params)} for code, params in codes]
    for warning, (code, params) in zip(warnings, codes):
        if code == "near-relatives-elected":  # E3, with the names
            warning["text"] = _("Near relatives have been elected together: %(pairs)s. They cannot serve together (E3).",
                                pairs="；".join(f"{person_name(a, names)}、{person_name(b, names)}" for a, b in params["pairs"]))
    warnings += relatives.e9_warnings(db, election, [round_])  # E9: a candidate or relative on the count record
    registered = result["registered"]
    return {"result": result, "sections": out_sections, "warnings": warnings, "registered": registered, "returned": returned,
            "issued": result["issued"], "valid": result["valid"],
            "turnout": per_mille(returned, registered) / 10,
            "signatories": json.loads(round_.signatories or "{}")}


def per_mille(part: int, whole: int) -> int:
    """part/whole in tenths of a percent, rounded half up, in integers."""
    return (part * 2000 + whole) // (2 * whole) if whole else 0


def boxes(db: Session, round_: Round) -> list[Box]:
    return list(db.execute(select(Box).where(Box.round_id == round_.id).order_by(Box.id)).scalars())


def pending_count(db: Session, round_: Round) -> int:
    return db.scalar(select(func.count()).select_from(PaperDraft).where(PaperDraft.round_id == round_.id, PaperDraft.status == "pending")) or 0


def nomination_choice(session, election, community, data, sections) -> tuple[dict, object, object, dict[str, str]]:
    """The office and the nominee picked on a nomination form (resident's or staff's): the values to show
    again, the Section, the Resident, and {"section" | "nominee": code} for what is missing."""
    from civic.elections.forms import to_int
    from civic.errors import NotFound

    values = {"section": data.get("section", ""), "nominee": data.get("nominee", ""), "statement": (data.get("statement") or "")[:4000]}
    section = next((s for s in sections if str(s.id) == values["section"]), None)
    nominee = None
    entry_id = to_int(values["nominee"], None, low=1)
    if entry_id is not None:
        try:
            nominee = resident_in(session, community, roll_entry(session, election, entry_id).resident_id)
        except NotFound:
            nominee = None
    missing = {}
    if section is None:
        missing["section"] = "section"
    if nominee is None:
        missing["nominee"] = "nominee"
    return values, section, nominee, missing
