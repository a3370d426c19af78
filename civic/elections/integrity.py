"""`civic audit verify` for elections: every round's chain, closed or still open.

Registered as civic.audit.CHAIN_VERIFIERS["elections"] (imported by civic.elections.models).

Closed rounds: the stored board must be intact (board.check_chain) and its published result must
equal the recount; the board must be the one the database holds — its entries are the BoardEntry
rows byte for byte, its online ballots are the contents of the ballot store, its head and result
those of the round.

Open rounds (and rounds being counted): the BoardEntry rows must form the chain from the genesis
hash of the round's election and sections, each entry hashing to its stored hash, seq 1..n without
gaps, up to the round's head and entry count; there must be exactly one stored ballot per online
entry and one online roll mark per online entry, and every stored ballot must be a well-formed
ballot of the round in canonical form. (Before the close entry seals the online ballots' hash, a
ballot replaced by another well-formed one cannot be told from the original: that is the price of
storing nothing that links a ballot to its casting. The close entry fixes them from then on.)
"""
from __future__ import annotations

import json

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from civic import audit


def verify_elections(db: Session) -> list[str]:
    from civic.elections.models import Election, Round
    from civic.registry.models import Community

    problems: list[str] = []
    rows = db.execute(select(Round, Election, Community).join(Election, Election.id == Round.election_id)
                      .join(Community, Community.id == Election.community_id).order_by(Election.id, Round.number)
                      .execution_options(populate_existing=True)).all()
    for round_, election, community in rows:
        where = f"elections: {election.public_id} round {round_.number}"
        try:
            found = _check_closed(db, round_) if round_.board is not None else _check_live(db, election, community, round_)
        except (ValueError, KeyError, TypeError, IndexError) as error:
            found = [f"cannot be checked: {type(error).__name__}: {error}"]
        problems += [f"{where}: {p}" for p in found]
    return problems


def _check_closed(db: Session, round_) -> list[str]:
    from civic.elections import board
    from civic.elections.models import Ballot, BoardEntry, RollMark

    doc = json.loads(round_.board)
    ok, _recount, problems = board.verify(doc)
    problems = list(problems)
    if round_.status not in ("closed", "published"):
        problems.append(f"has a board but its status is {round_.status!r}")
    rows = list(db.execute(select(BoardEntry.seq, BoardEntry.entry).where(BoardEntry.round_id == round_.id).order_by(BoardEntry.seq)))
    entries = doc.get("entries") if isinstance(doc.get("entries"), list) else []
    if len(rows) != len(entries):
        problems.append(f"the board lists {len(entries)} entries, the database holds {len(rows)}")
    changed = [seq for (seq, text), entry in zip(rows, entries) if text != board.canon(entry).decode()]
    if changed:
        problems.append(f"stored entries differ from the published board at seq {', '.join(map(str, changed[:10]))}"
                        + (" …" if len(changed) > 10 else ""))
    stored = sorted(db.execute(select(Ballot.content).where(Ballot.round_id == round_.id)).scalars())
    published = sorted(board.canon(b).decode() for b in doc.get("online_ballots", []))
    if stored != published:
        problems.append(f"the ballot store ({len(stored)} ballots) differs from the board's online ballots ({len(published)})")
    if round_.head != doc.get("head") or round_.entries != len(entries):
        problems.append("the round's head or entry count is not the board's")
    if round_.result is None or json.loads(round_.result) != doc.get("result"):
        problems.append("the round's stored result is not the board's result")
    online = sum(1 for e in entries if isinstance(e, dict) and e.get("kind") == "online")
    marks = db.scalar(select(func.count()).select_from(RollMark).where(RollMark.round_id == round_.id, RollMark.channel == "online")) or 0
    if marks != online:
        problems.append(f"{marks} online roll marks for {online} online entries")
    return problems


def _check_live(db: Session, election, community, round_) -> list[str]:
    from civic.elections import board, rules
    from civic.elections.models import Ballot, BoardEntry, RollMark
    from civic.elections.polling import board_election, sections_of

    problems: list[str] = []
    sections = sections_of(round_)
    prev = board.genesis(board_election(election, community, round_), sections)
    online = 0
    expected = 1
    for seq, kind, text in db.execute(select(BoardEntry.seq, BoardEntry.kind, BoardEntry.entry)
                                      .where(BoardEntry.round_id == round_.id).order_by(BoardEntry.seq)):
        entry = json.loads(text)
        if seq != expected or entry.get("seq") != seq:
            problems.append(f"entry {seq}: out of sequence (expected {expected})")
        if entry.get("kind") != kind:
            problems.append(f"entry {seq}: kind column {kind!r} differs from the entry's {entry.get('kind')!r}")
        if entry.get("prev") != prev:
            problems.append(f"entry {seq}: prev is not the hash of the entry before it")
        if board.H({k: v for k, v in entry.items() if k != "hash"}) != entry.get("hash"):
            problems.append(f"entry {seq}: hash does not match the entry's content")
        if kind == "close":
            problems.append(f"entry {seq}: a close entry in a round that has no board")
        online += kind == "online"
        prev, expected = entry.get("hash"), seq + 1
    if round_.head != prev or round_.entries != expected - 1:
        problems.append("the round's head is not the hash of its last entry (entries removed or head changed)")
    contents = list(db.execute(select(Ballot.content).where(Ballot.round_id == round_.id)).scalars())
    marks = db.scalar(select(func.count()).select_from(RollMark).where(RollMark.round_id == round_.id, RollMark.channel == "online")) or 0
    if not len(contents) == online == marks:
        problems.append(f"{len(contents)} stored ballots and {marks} online roll marks for {online} online entries")
    bad = 0
    for content in contents:
        try:
            ballot = json.loads(content)
            canonical = board.canon(rules.canonical_ballot(ballot, sections)).decode()
            if canonical != content or rules.validate_ballot(ballot, sections):
                bad += 1
        except (ValueError, TypeError, AttributeError):
            bad += 1
    if bad:
        problems.append(f"{bad} stored ballot(s) are not well-formed ballots of this round")
    return problems


audit.CHAIN_VERIFIERS["elections"] = verify_elections
