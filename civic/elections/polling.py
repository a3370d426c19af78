"""Rounds of voting: opening, online casting, polling stations and mobile boxes, the count (唱票 entry
confirmed by a second official, or whole-box tallies), closing with the public board, publishing,
and run-offs (另行选举) built from the seats a round left empty.

Casting is one transaction: the roll mark (who), the ballot (what, under a random key) and the board
entry (a tracking code) are written together or not at all. The mark's primary key (round, voter) is
what makes a second ballot impossible, whatever the channel.
"""
from __future__ import annotations

import json
from collections import namedtuple
from dataclasses import dataclass
from functools import cache
from types import SimpleNamespace

from sqlalchemy import and_, bindparam, exists, func, insert, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from civic import audit, clock, snapshots
from civic.accounts.models import User
from civic.elections import board, castqueue, messages, rules
from civic.elections.models import Ballot, BoardEntry, Box, Candidate, Election, PaperDraft, Proxy, RollEntry, RollMark, Round, Section
from civic.elections.roll import entry_for, roll_count
from civic.elections.setup import advance, board_rules, config_of, require_status
from civic.errors import Conflict, Forbidden, Invalid, NotFound
from civic.i18n import _
from civic.registry.models import Community
from civic.secrecy import coarse_day, tracking_code
from civic.security import Actor, ensure_permission


def board_election(election: Election, community: Community, round_: Round) -> dict:
    """The board's "election" object: as stored when the round opened (older rounds: rebuilt)."""
    if round_.election_header:
        return json.loads(round_.election_header)
    return {"id": election.public_id, "community": community.name, "title": election.title, "round": round_.number,
            "registered_voters": round_.registered, "rules": board_rules(election)}


def sections_of(round_: Round) -> list[dict]:
    return json.loads(round_.sections)


def _formal_sections(db: Session, election: Election) -> list[dict]:
    out = []
    for section in db.execute(select(Section).where(Section.election_id == election.id).order_by(Section.position)).scalars():
        candidates = db.execute(select(Candidate).where(Candidate.section_id == section.id, Candidate.status == "formal")
                                .order_by(Candidate.position)).scalars()
        out.append({"id": section.key, "title": section.title, "seats": section.seats,
                    "candidates": [{"id": c.public_id, "name": c.name} for c in candidates]})
    return out


def _create_round(db: Session, election: Election, community: Community, number: int, kind: str, sections: list[dict],
                  boxes: list[dict]) -> Round:
    round_ = Round(election_id=election.id, number=number, kind=kind, status="open", sections=json.dumps(sections, ensure_ascii=False),
                   registered=roll_count(db, election, base_only=True), head="", entries=0)
    db.add(round_)
    db.flush()
    header = board_election(election, community, round_)
    round_.election_header = json.dumps(header, ensure_ascii=False)
    round_.head = board.genesis(header, sections)
    for index, spec in enumerate(boxes, start=1):
        kind_ = spec.get("kind", "station")
        name = (spec.get("name") or "").strip() or _("Polling station %(n)s", n=index)
        escorts = (spec.get("escorts") or "").strip()
        if kind_ == "mobile" and len([e for e in escorts.replace("，", ",").split(",") if e.strip()]) < 3:
            raise Invalid(_("A mobile box is escorted by at least 3 staff; list their names separated by commas (E25)."), field="boxes")
        db.add(Box(round_id=round_.id, key=f"box-{index}", kind=kind_, name=name[:100], escorts=escorts[:300]))
    return round_


def open_polling(db: Session, actor: Actor, election: Election, community: Community, boxes: list[dict]) -> Round:
    """Polling opens with round 1 over the formal candidate list; paper stations are always there (E26)."""
    ensure_permission(actor, "elections:election:manage", community)
    require_status(election, "candidates")
    if not boxes:
        raise Invalid(_("Set up at least one polling station: paper ballots are always available."), field="boxes")
    from civic.elections.models import Objection

    pending = db.scalar(select(func.count()).select_from(Objection).where(Objection.election_id == election.id, Objection.status == "pending"))
    if pending:
        raise Conflict(_("%(n)s objections to the voter list are still undecided; decide them before polling opens (E16).", n=pending))
    election.roll_frozen = True  # the roll used for polling never changes again
    round_ = _create_round(db, election, community, 1, "regular", _formal_sections(db, election), boxes)
    advance(db, actor, election, "polling", community)
    audit.record(db, "elections.round.open", actor=actor, target=f"election:{election.public_id}:round:1", community_id=community.id,
                 data={"boxes": len(boxes), "registered": round_.registered})
    db.commit()
    return round_


def _lock_round(db: Session, round_id: int) -> Round:
    """Serialises appends to the round's chain: a row lock on PostgreSQL, the write lock on SQLite."""
    round_ = db.execute(select(Round).where(Round.id == round_id).with_for_update()).scalar_one()
    db.refresh(round_)
    return round_


def _append(db: Session, round_: Round, kind: str, **fields) -> dict:
    entry = board.make_entry(round_.head, round_.entries + 1, kind, **fields)
    db.execute(insert(BoardEntry).values(round_id=round_.id, seq=entry["seq"], kind=kind, tracking_code=fields.get("tracking_code"),
                                         entry=board.canon(entry).decode()))
    db.execute(update(Round).where(Round.id == round_.id).values(head=entry["hash"], entries=entry["seq"]))
    round_.head, round_.entries = entry["hash"], entry["seq"]
    return entry


def online_window_open(election: Election) -> bool:
    now = clock.now()
    if election.online_opens_at and election.online_closes_at:
        return election.online_opens_at <= now < election.online_closes_at
    return clock.today() == election.polling_day


def complete(ballot: dict, sections: list[dict]) -> dict:
    """A section the voter left untouched is blank, not malformed."""
    return {**rules.blank_ballot(sections), **ballot} if isinstance(ballot, dict) else ballot


def recall_write_ins(election: Election, ballot: dict | None) -> dict[str, str]:
    """A recall ballot only says agree, disagree or abstain about each member: nobody can be written in."""
    if election.purpose != "recall" or not isinstance(ballot, dict):
        return {}
    return {sid: _("A recall ballot has no write-ins.") for sid, part in ballot.items() if isinstance(part, dict) and part.get("write_in")}


def ballot_problems(ballot: dict, sections: list[dict]) -> dict[str, str]:
    return {sid: messages.ballot_error(code) for sid, code in rules.validate_ballot(ballot, sections).items()}


def cast_online(db: Session, actor: Actor, election: Election, community: Community, round_: Round, ballot: dict,
                *, writer: "castqueue.CastQueue | None" = None) -> str:
    """A registered voter casts an online ballot; returns the tracking code shown as a receipt.

    With `writer`, `db` is only read: the cast is handed to the group-commit writer (castqueue) and this
    returns once it is committed. Without, it is written and committed in `db` (tests, the simulator)."""
    ensure_permission(actor, "elections:ballot:cast", community)
    entry, has_proxy = _voter_and_proxy(db, election, actor)
    return cast_checked(db, actor, CastFacts(election, community, round_, entry, has_proxy), ballot, writer=writer)


@dataclass(frozen=True)
class CastFacts:
    """What a cast is checked against: election (online_enabled, window, purpose), community (id, street_id),
    round (id, status, sections), the voter's roll entry (id, listed) or None, and whether they named a proxy.
    Model objects or the plain rows of `cast_facts`: the checks read attributes only."""

    election: object
    community: object
    round: object
    entry: object | None
    has_proxy: bool


def cast_facts(db: Session, public_id: str, number: int, actor: Actor) -> CastFacts | None:
    """Everything a confirmed online ballot is checked against, in ONE query: the hot path of polling day.
    None when the election or round does not exist (the caller then answers as the full pages do)."""
    resident_id = actor.resident.id if actor.resident is not None else None
    row = db.connection().execute(_cast_facts_statement(), {"public_id": public_id, "number": number, "resident_id": resident_id}).first()
    return _facts_from_row(row)


def cast_facts_along():
    """The cast's facts keyed by the voter's user id, read with the voter's actor in one statement on the event
    loop (civic.security.actor_on_loop); `cast_facts_from` makes them CastFacts."""
    return _cast_facts_statement(by_user=True)


def cast_facts_from(values: tuple | None) -> CastFacts | None:
    """CastFacts from `cast_facts_along`'s columns (None: no such election or round)."""
    row = _facts_row()._make(values) if values else None
    return _facts_from_row(row) if row is not None and row.round_id is not None else None


def _facts_from_row(row) -> CastFacts | None:
    if row is None:
        return None
    entry = SimpleNamespace(id=row.entry_id, listed=row.listed) if row.entry_id is not None else None
    return CastFacts(row, SimpleNamespace(id=row.community_id, street_id=row.street_id),
                     SimpleNamespace(id=row.round_id, status=row.status, sections=row.sections), entry, bool(row.proxied))


@cache
def _cast_facts_statement(by_user: bool = False):
    """Built once, on the tables (plain Core): building the expression and its ORM compile state per ballot
    was a fifth of the view's CPU; the parameters are bound per call. `by_user`: the voter's roll entry found
    from the bound `user_id` (through users.resident_id) instead of a bound `resident_id`."""
    elections, communities, rounds = Election.__table__, Community.__table__, Round.__table__
    entries, proxies = RollEntry.__table__, Proxy.__table__
    resident = bindparam("resident_id")
    if by_user:
        users = User.__table__
        resident = select(users.c.resident_id).where(users.c.id == bindparam("user_id")).scalar_subquery()
    proxied = exists().where(proxies.c.election_id == elections.c.id, proxies.c.principal_roll_id == entries.c.id)
    return (select(elections.c.online_enabled, elections.c.online_opens_at, elections.c.online_closes_at, elections.c.polling_day,
                   elections.c.purpose, communities.c.id.label("community_id"), communities.c.street_id, rounds.c.id.label("round_id"),
                   rounds.c.status, rounds.c.sections, entries.c.id.label("entry_id"), entries.c.listed, proxied.label("proxied"))
            .select_from(elections.join(communities, communities.c.id == elections.c.community_id)
                         .join(rounds, and_(rounds.c.election_id == elections.c.id, rounds.c.number == bindparam("number")))
                         .outerjoin(entries, and_(entries.c.election_id == elections.c.id, entries.c.resident_id == resident)))
            .where(elections.c.public_id == bindparam("public_id")))


@cache
def _facts_row():
    return namedtuple("CastFactsRow", [column.name for column in _cast_facts_statement().selected_columns])


def cast_checked(db: Session, actor: Actor, facts: CastFacts, ballot: dict, *, writer: "castqueue.CastQueue | None" = None) -> str:
    """The checks and the write of an online cast (see cast_online), on facts already read."""
    cast = prepare_cast(actor, facts, ballot)
    if writer is None:
        castqueue.write_casts(db, [cast], one_by_one=True)
        if cast.outcome == "ok":
            db.commit()
        else:
            db.rollback()
    else:
        # End the read transaction before waiting for the writer. close(), not rollback(): rollback would
        # expire every loaded object and the receipt redirect would read the election again.
        db.close()
        cast.outcome = writer.submit(cast)
    return cast_receipt(cast.outcome, cast.tracking_code)


def prepare_cast(actor: Actor, facts: CastFacts, ballot: dict, sections: list[dict] | None = None) -> "castqueue.Cast":
    """The checks of an online cast on facts already read, and the cast ready for the writer. Raises
    Conflict, Forbidden or BallotInvalid (with the problems per section) and then nothing is written.
    `sections`: the round's, if the caller parsed them already (to read the form)."""
    election, round_, entry = facts.election, facts.round, facts.entry
    ensure_permission(actor, "elections:ballot:cast", facts.community)
    if not election.online_enabled:
        raise Conflict(_("Online voting is not used in this election; vote at your polling station."))
    if round_.status != "open":
        raise Conflict(_("Voting in this round is closed."))
    if not online_window_open(election):
        raise Conflict(_("Online voting is not open now."))
    if entry is None or not entry.listed:
        raise Forbidden(_("You are not on the voter list of this election."))
    if facts.has_proxy:
        raise Conflict(_("You authorised a proxy for this election, so your proxy votes for you at the polling station."))
    sections = sections if sections is not None else sections_of(round_)
    ballot = complete(ballot, sections)
    problems = ballot_problems(ballot, sections) or recall_write_ins(election, ballot)
    if problems:
        raise BallotInvalid(problems)
    content = rules.canonical_ballot(ballot, sections)
    return castqueue.Cast(round_.id, entry.id, board.canon(content).decode(), tracking_code(), coarse_day(clock.now()))


def cast_receipt(outcome: str, code: str) -> str:
    """The tracking code of a cast the writer stored; Conflict (nothing stored) for any other outcome."""
    message = refusal(outcome)
    if message:
        raise Conflict(message)
    return code


def refusal(outcome: str) -> str | None:
    """Why the writer did not store a cast, for the voter; None when it did."""
    if outcome == "ok":
        return None
    if outcome == "duplicate":
        return _("You have already voted in this round. Each voter has one ballot.")
    if outcome == "closed":
        return _("Voting in this round is closed.")
    return _("Your ballot could not be stored; nothing was recorded. Please try again.")


def _voter_and_proxy(db: Session, election: Election, actor: Actor) -> tuple[RollEntry | None, bool]:
    """The actor's roll entry and whether they authorised a proxy, in one query."""
    if actor.resident is None:
        return None, False
    proxied = exists().where(Proxy.election_id == election.id, Proxy.principal_roll_id == RollEntry.id)
    row = db.execute(select(RollEntry, proxied).where(RollEntry.election_id == election.id,
                                                      RollEntry.resident_id == actor.resident.id)).first()
    return (row[0], bool(row[1])) if row else (None, False)


def has_voted(db: Session, round_: Round, entry: RollEntry | None) -> bool:
    if entry is None:
        return False
    return bool(snapshots.rows(db, _voted_statement(), {"round_id": round_.id, "entry_id": entry.id}))


@cache
def _voted_statement():
    """Built once, on the table: asked on every signed-in election page while a round is open."""
    marks = RollMark.__table__
    return select(marks.c.round_id).where(marks.c.round_id == bindparam("round_id"), marks.c.roll_entry_id == bindparam("entry_id"))


def issue_paper_ballot(db: Session, actor: Actor, election: Election, community: Community, round_: Round, box: Box,
                       voter: RollEntry, proxy_holder: RollEntry | None = None) -> None:
    """An official finds the voter on the roll at a station (or a mobile box) and hands out a paper ballot.
    With `proxy_holder`, the registered proxy collects the ballot of `voter`."""
    ensure_permission(actor, "elections:station:operate", community)
    if round_.status != "open":
        raise Conflict(_("Voting in this round is closed."))
    if not voter.listed or voter.election_id != election.id:
        raise Invalid(_("This person is not on the voter list."))
    if proxy_holder is not None:
        authorised = db.scalar(select(func.count()).select_from(Proxy).where(
            Proxy.election_id == election.id, Proxy.principal_roll_id == voter.id, Proxy.proxy_roll_id == proxy_holder.id))
        if not authorised:
            raise Invalid(_("%(proxy)s is not the registered proxy of %(voter)s.", proxy=proxy_holder.name, voter=voter.name))
    # The round's lock first, as cast_online takes it: on PostgreSQL a mark's foreign key share-locks
    # the round row, and waiting for it while holding a mark deadlocks with an online cast.
    if _lock_round(db, round_.id).status != "open":
        raise Conflict(_("Voting in this round is closed."))
    try:
        with db.begin_nested():
            db.execute(insert(RollMark).values(round_id=round_.id, roll_entry_id=voter.id, channel="box", box_key=box.key,
                                               by_proxy=proxy_holder is not None, day=coarse_day(clock.now())))
    except IntegrityError as error:
        raise Conflict(_("%(name)s has already received or cast a ballot in this round.", name=voter.name)) from error
    db.execute(update(Box).where(Box.id == box.id).values(issued=Box.issued + 1))
    audit.record(db, "elections.station.issue", actor=actor, target=f"box:{round_.id}:{box.key}", community_id=community.id)
    db.commit()


def close_polling(db: Session, actor: Actor, election: Election, community: Community, round_: Round, returned: dict[str, int]) -> None:
    """Stations close; each box's returned count is recorded before the count begins."""
    ensure_permission(actor, "elections:election:manage", community)
    if round_.status != "open":
        raise Conflict(_("Polling in this round is already closed."))
    boxes = boxes_of(db, round_)
    for box in boxes:
        value = returned.get(box.key)
        if value is None or value < 0:
            raise Invalid(_("Enter the number of ballots returned in %(box)s.", box=box.name), field=box.key)
        box.returned = value
    _lock_round(db, round_.id).status = "counting"
    audit.record(db, "elections.round.close_polling", actor=actor, target=f"round:{round_.id}", community_id=community.id,
                 data={b.key: b.returned for b in boxes})
    db.commit()


def boxes_of(db: Session, round_: Round) -> list[Box]:
    return list(db.execute(select(Box).where(Box.round_id == round_.id).order_by(Box.id)).scalars())


def get_box(db: Session, round_: Round, key: str) -> Box:
    box = db.execute(select(Box).where(Box.round_id == round_.id, Box.key == key)).scalar_one_or_none()
    if box is None:
        raise NotFound(_("No such ballot box."))
    return box


def enter_paper(db: Session, actor: Actor, community: Community, round_: Round, box: Box, ballot: dict | None) -> PaperDraft:
    """One paper ballot read out (唱票), entered by an official; a second official confirms it.
    `None` is a ballot invalid as a whole. Overvoted parts are entered as read: the count invalidates them."""
    ensure_permission(actor, "elections:count:enter", community)
    if round_.status != "counting":
        raise Conflict(_("Paper ballots are entered after polling closes."))
    if box.counted == "tally":
        raise Conflict(_("This box was counted as a whole."))
    sections = sections_of(round_)
    if ballot is not None:
        ballot = complete(ballot, sections)
        structural = {sid: code for sid, code in rules.validate_ballot(ballot, sections).items() if code not in ("overvote",)}
        if structural:
            raise BallotInvalid({sid: messages.ballot_error(code) for sid, code in structural.items()})
        ballot = rules.canonical_ballot(ballot, sections)
    draft = PaperDraft(round_id=round_.id, box_key=box.key, kind="paper", payload=json.dumps(ballot, ensure_ascii=False), entered_by=actor.user_id)
    db.add(draft)
    box.counted = "ballots"
    db.flush()
    audit.record(db, "elections.count.enter", actor=actor, target=f"draft:{draft.id}", community_id=community.id, data={"box": box.key})
    db.commit()
    return draft


def enter_box_tally(db: Session, actor: Actor, community: Community, round_: Round, box: Box, tally: dict) -> PaperDraft:
    """A box counted as a whole (its `tally`), confirmed by a second official like a ballot."""
    ensure_permission(actor, "elections:count:enter", community)
    if round_.status != "counting":
        raise Conflict(_("Paper ballots are entered after polling closes."))
    if box.counted:
        raise Conflict(_("This box is already being counted."))
    problems = tally_problems(tally, sections_of(round_))
    if problems:
        raise Invalid(" ".join(problems))
    draft = PaperDraft(round_id=round_.id, box_key=box.key, kind="box", payload=json.dumps(tally, ensure_ascii=False), entered_by=actor.user_id)
    db.add(draft)
    box.counted = "tally"
    db.flush()
    audit.record(db, "elections.count.tally", actor=actor, target=f"draft:{draft.id}", community_id=community.id, data={"box": box.key})
    db.commit()
    return draft


def tally_problems(tally: dict, sections: list[dict]) -> list[str]:
    problems = []
    returned, invalid = tally.get("returned"), tally.get("invalid")
    if not isinstance(returned, int) or returned < 0 or not isinstance(invalid, int) or invalid < 0 or invalid > returned:
        problems.append(_("Ballots returned and invalid must be whole numbers, invalid no more than returned."))
        return problems
    for section in sections:
        part = tally.get("sections", {}).get(section["id"], {})
        votes = part.get("votes", {})
        ids = {c["id"] for c in section["candidates"]}
        if set(votes) - ids or any(not isinstance(v, int) or v < 0 for v in votes.values()):
            problems.append(_("The votes for %(office)s are not valid.", office=section["title"]))
        for count in list(votes.values()) + list(part.get("write_in", {}).values()):
            if isinstance(count, int) and count > returned:
                problems.append(_("Nobody can have more votes than ballots returned (%(office)s).", office=section["title"]))
                break
    return problems


def confirm_draft(db: Session, actor: Actor, community: Community, round_: Round, draft: PaperDraft, accept: bool) -> None:
    """A second official confirms (the entry goes on the board) or rejects (it is entered again)."""
    ensure_permission(actor, "elections:count:confirm", community)
    if draft.entered_by == actor.user_id:
        raise Forbidden(_("A second official must confirm what you entered."))
    if draft.status != "pending" or round_.status != "counting":
        raise Conflict(_("This entry has already been dealt with."))
    locked = _lock_round(db, round_.id)
    if not accept:
        draft.status = "rejected"
        if draft.kind == "box":
            db.execute(update(Box).where(Box.round_id == round_.id, Box.key == draft.box_key).values(counted=""))
    else:
        draft.status = "confirmed"
        payload = json.loads(draft.payload)
        if draft.kind == "paper":
            _append(db, locked, "paper", box=draft.box_key, ballot=payload)
        else:
            _append(db, locked, "box", box=draft.box_key, tally=payload)
    audit.record(db, "elections.count.confirm", actor=actor, target=f"draft:{draft.id}", community_id=community.id, data={"accept": accept})
    db.commit()


def online_ballots(db: Session, round_: Round) -> board.GroupedBallots:
    """The round's online ballots grouped by their stored canonical text (identical ballots are common):
    each distinct text parsed once, in the board's order, with how many times it was cast."""
    return board.group_texts(db.execute(select(Ballot.content).where(Ballot.round_id == round_.id)).scalars())


def issued_per_channel(db: Session, round_: Round) -> dict[str, int]:
    issued = {"online": db.scalar(select(func.count()).select_from(RollMark).where(RollMark.round_id == round_.id, RollMark.channel == "online")) or 0}
    for box in boxes_of(db, round_):
        issued[box.key] = box.issued
    return issued


def close_round(db: Session, actor: Actor, election: Election, community: Community, round_: Round) -> dict:
    """Counting done: the close entry seals the chain, the board is built and counted, the round closes."""
    ensure_permission(actor, "elections:election:manage", community)
    if round_.status != "counting":
        raise Conflict(_("Close polling before closing the round."))
    pending = db.scalar(select(func.count()).select_from(PaperDraft).where(PaperDraft.round_id == round_.id, PaperDraft.status == "pending"))
    if pending:
        raise Conflict(_("%(n)s entered ballots still wait for a second official's confirmation.", n=pending))
    locked = _lock_round(db, round_.id)
    ballots = online_ballots(db, round_)
    issued = issued_per_channel(db, round_)
    close = board.close_entry(locked.head, locked.entries + 1, issued, ballots)
    db.execute(insert(BoardEntry).values(round_id=round_.id, seq=close["seq"], kind="close", entry=board.canon(close).decode()))
    entries = [json.loads(e) for e in db.execute(select(BoardEntry.entry).where(BoardEntry.round_id == round_.id).order_by(BoardEntry.seq)).scalars()]
    document = board.build_board(board_election(election, community, locked), sections_of(locked), entries, ballots)
    locked.head, locked.entries = close["hash"], close["seq"]
    locked.board = board.canon(document).decode()
    locked.result = json.dumps(document["result"], ensure_ascii=False)
    locked.status, locked.closed_at = "closed", clock.now()
    advance(db, actor, election, "counting", community) if election.status == "polling" else None
    audit.record(db, "elections.round.close", actor=actor, target=f"round:{round_.id}", community_id=community.id,
                 data={"head": document["head"], "returned": document["result"]["returned"], "valid": document["result"]["valid"]})
    db.commit()
    reorder_anonymous_tables(db)
    return document["result"]


def reorder_anonymous_tables(db: Session) -> None:
    """PostgreSQL keeps rows in insertion order on disk, so a plain SELECT (or pg_dump) would list ballots and
    roll marks in casting order. Rewriting both tables in primary-key order (random ballot keys; roll marks
    by voter) removes that order once polling has closed. SQLite's WITHOUT ROWID tables never have it."""
    if db.get_bind().dialect.name != "postgresql":
        return
    db.execute(text("CLUSTER elections_ballot USING pk_elections_ballot"))
    db.execute(text("CLUSTER elections_mark USING pk_elections_mark"))
    db.commit()


def publish_round(db: Session, actor: Actor, election: Election, community: Community, round_: Round, signatories: dict[str, str]) -> None:
    """The count record is signed (E36) and the results announced."""
    ensure_permission(actor, "elections:election:manage", community)
    if round_.status != "closed":
        raise Conflict(_("Close the round before publishing its results."))
    if not (signatories.get("presiding") or "").strip():
        raise Invalid(_("Name the presiding officer who signs the count record (E36)."), field="presiding")
    round_.signatories = json.dumps({k: (v or "").strip()[:300] for k, v in signatories.items()}, ensure_ascii=False)
    round_.status, round_.published_at = "published", clock.now()
    result = json.loads(round_.result)
    if election.purpose == "recall":
        from civic.elections import recall

        election.status = "closed"  # E39: one vote decides; a recall that did not pass has no run-off
        recall.apply_result(db, actor, election, community, result)
    elif result["valid"] and not any(s["unfilled"] for s in result["sections"].values()):
        election.status = "closed"
    audit.record(db, "elections.round.publish", actor=actor, target=f"round:{round_.id}", community_id=community.id)
    db.commit()


def elected_so_far(db: Session, election: Election) -> list[str]:
    persons = []
    for result in db.execute(select(Round.result).where(Round.election_id == election.id, Round.status == "published")).scalars():
        if result:
            for section in json.loads(result)["sections"].values():
                persons += section["elected"]
    return persons


def start_runoff(db: Session, actor: Actor, election: Election, community: Community, previous: Round, boxes: list[dict],
                 tiebreak: bool = False) -> Round:
    """E34 另行选举 for the seats the previous round left empty (or E33 a tie-break among the tied):
    candidates are the highest non-winners, seats + the configured extra."""
    ensure_permission(actor, "elections:election:manage", community)
    if election.purpose == "recall":
        raise Conflict(_("A recall vote has no run-off."))
    if previous.status != "published":
        raise Conflict(_("Publish the previous round's results first."))
    if db.scalar(select(func.count()).select_from(Round).where(Round.election_id == election.id, Round.number > previous.number)):
        raise Conflict(_("A later round already exists."))
    if not boxes:
        raise Invalid(_("Set up at least one polling station: paper ballots are always available."), field="boxes")
    result = json.loads(previous.result)
    extra = int(config_of(election).get("elections.runoff_extra", 1))
    elected = set(elected_so_far(db, election))
    names = {c["id"]: c["name"] for s in sections_of(previous) for c in s["candidates"]}
    sections = []
    next_id = db.scalar(select(func.count()).select_from(Candidate).where(Candidate.election_id == election.id)) or 0
    for section in sections_of(previous):
        outcome = result["sections"][section["id"]]
        if not outcome["unfilled"]:
            continue
        if tiebreak:
            persons = list(outcome["tied"])
        else:
            persons = rules.runoff_candidates(outcome, outcome["unfilled"], extra, exclude=elected)
            # Candidates nobody voted for are still non-winners: they fill the list after those with votes.
            for candidate in section["candidates"]:
                if len(persons) >= outcome["unfilled"] + extra:
                    break
                if candidate["id"] not in persons and candidate["id"] not in elected and candidate["id"] not in outcome["elected"]:
                    persons.append(candidate["id"])
        if not persons:
            continue
        candidates = []
        for person in persons:
            if person.startswith("write:"):
                next_id += 1
                name = person.split(":", 1)[1]
                sec = db.execute(select(Section).where(Section.election_id == election.id, Section.key == section["id"])).scalar_one()
                db.add(Candidate(election_id=election.id, section_id=sec.id, public_id=f"c{next_id}", name=name, status="runoff", position=next_id))
                candidates.append({"id": f"c{next_id}", "name": name})
            else:
                candidates.append({"id": person, "name": names[person]})
        sections.append({"id": section["id"], "title": section["title"], "seats": outcome["unfilled"], "candidates": candidates})
    if not sections:
        raise Conflict(_("No seat is left to fill, or nobody is left to stand."))
    round_ = _create_round(db, election, community, previous.number + 1, "tiebreak" if tiebreak else "runoff", sections, boxes)
    election.status = "polling"
    audit.record(db, "elections.round.runoff", actor=actor, target=f"election:{election.public_id}:round:{round_.number}",
                 community_id=community.id, data={"sections": [s["id"] for s in sections], "tiebreak": tiebreak})
    db.commit()
    return round_


def get_round(db: Session, election: Election, number: int) -> Round:
    round_ = db.execute(select(Round).where(Round.election_id == election.id, Round.number == number)).scalar_one_or_none()
    if round_ is None:
        raise NotFound(_("No such round."))
    return round_


class BallotInvalid(Invalid):
    def __init__(self, problems: dict[str, str]):
        super().__init__(_("The ballot was not cast:") + " " + " ".join(problems.values()))
        self.problems = problems
