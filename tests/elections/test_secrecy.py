"""Secrecy by construction (issue 3, "Secrecy and integrity"): the schema links no voter to a
ballot, keeps no time finer than a day, the audit trail has no entry per cast, and ballots are not
stored (nor published) in the order they were cast."""
import json

import pytest
from sqlalchemy import Date, DateTime, func, inspect, select, text

from civic import clock
from civic.audit import AuditEntry
from civic.elections import polling
from civic.security import load_actor
from tests.elections.factories import election_at_polling, publish_leaving_audit
from tests.helpers import make_community, make_resident, make_user

LINKING_WORDS = ("voter", "resident", "user", "roll", "actor", "person", "name", "ip", "session", "seq", "created", "cast")


def _columns(engine, table):
    return {c["name"]: c for c in inspect(engine).get_columns(table)}


def test_ballot_table_holds_only_round_id_and_content(engine):
    inspector = inspect(engine)
    assert set(_columns(engine, "elections_ballot")) == {"round_id", "id", "content"}
    foreign = inspector.get_foreign_keys("elections_ballot")
    assert [(fk["constrained_columns"], fk["referred_table"]) for fk in foreign] == [(["round_id"], "elections_round")]
    assert set(inspector.get_pk_constraint("elections_ballot")["constrained_columns"]) == {"round_id", "id"}
    # Nothing else points at a ballot, so nothing can say whose it is.
    for table in inspector.get_table_names():
        for fk in inspector.get_foreign_keys(table):
            assert fk["referred_table"] != "elections_ballot", table


def test_marks_keep_no_time_finer_than_a_day(engine):
    columns = _columns(engine, "elections_mark")
    assert set(columns) == {"round_id", "roll_entry_id", "channel", "box_key", "by_proxy", "day"}
    assert isinstance(columns["day"]["type"], Date) and not isinstance(columns["day"]["type"], DateTime)
    assert not any(isinstance(c["type"], DateTime) for c in columns.values())


def test_board_entries_and_ballots_carry_no_voter_or_time(engine):
    for table in ("elections_board_entry", "elections_ballot"):
        columns = _columns(engine, table)
        assert not any(isinstance(c["type"], DateTime) for c in columns.values()), table
        for name in columns:
            if name in ("round_id", "seq") and table == "elections_board_entry":
                continue  # the public chain's position, not a voter
            assert not any(word in name for word in LINKING_WORDS), (table, name)
        foreign = {fk["referred_table"] for fk in inspect(engine).get_foreign_keys(table)}
        assert foreign == {"elections_round"}, table


@pytest.fixture
def polling_round(db):
    community = make_community(db)
    publish_leaving_audit(db, community)  # D8
    people = [make_resident(db, community, name=f"居民{i}", age=20 + i) for i in range(56)]
    committee = load_actor(db, make_user(db, roles=[("election_committee", community), ("staff", community)]).id)
    voters = [load_actor(db, make_user(db, resident=p).id) for p in people]
    election, round_ = election_at_polling(db, committee, community)
    return community, committee, voters, election, round_


def _distinct_ballots(sections, n):
    """n ballots, each different: a distinct written-in name in the member section."""
    out = []
    for i in range(n):
        ballot = {s["id"]: {"approve": [], "oppose": [], "write_in": []} for s in sections}
        ballot["member"]["write_in"] = [f"写入{i:03d}"]
        out.append(ballot)
    return out


def test_casting_writes_nothing_to_the_audit_log(db, polling_round):
    community, committee, voters, election, round_ = polling_round
    sections = polling.sections_of(round_)
    before = db.scalar(select(func.count()).select_from(AuditEntry))
    with clock.frozen(election.polling_day):
        for voter, ballot in zip(voters[:10], _distinct_ballots(sections, 10)):
            polling.cast_online(db, voter, election, community, round_, ballot)
    assert db.scalar(select(func.count()).select_from(AuditEntry)) == before
    # A paper ballot issued at a station is audited as an event of the box, naming no voter.
    box = polling.boxes_of(db, round_)[0]
    from civic.elections import roll

    entry = roll.entry_for(db, election, voters[20].resident.id)
    with clock.frozen(election.polling_day):
        polling.issue_paper_ballot(db, committee, election, community, round_, box, entry)
    (issued,) = db.execute(select(AuditEntry).where(AuditEntry.seq > before)).scalars().all()
    assert issued.action == "elections.station.issue"
    assert str(entry.id) not in issued.data and voters[20].resident.name not in issued.data + issued.target
    assert issued.target == f"box:{round_.id}:{box.key}"


def _stored_order_not_cast_order(db, round_id, cast):
    stored = [json.loads(c)["member"]["write_in"][0] for c in
              db.execute(text(f"SELECT content FROM elections_ballot WHERE round_id = {int(round_id)}")).scalars()]
    assert sorted(stored) == sorted(cast)
    return stored != cast and stored != cast[::-1]


def test_ballots_are_not_stored_or_published_in_casting_order(db, engine, polling_round, request):
    # PostgreSQL keeps heap rows in insertion order; close_round rewrites the anonymous tables in key order.
    community, committee, voters, election, round_ = polling_round
    sections = polling.sections_of(round_)
    ballots = _distinct_ballots(sections, 50)
    with clock.frozen(election.polling_day):
        for voter, ballot in zip(voters[:50], ballots):
            polling.cast_online(db, voter, election, community, round_, ballot)
        polling.close_polling(db, committee, election, community, round_, {"box-1": 0})
    cast = [b["member"]["write_in"][0] for b in ballots]
    polling.close_round(db, committee, election, community, round_)
    published = [b["member"]["write_in"][0] for b in json.loads(round_.board)["online_ballots"]]
    assert published == sorted(cast)  # the board's order is the sort, whatever the casting order
    assert _stored_order_not_cast_order(db, round_.id, cast)


def test_published_order_ignores_casting_order(db, polling_round):
    """Cast in reverse-sorted order: the board still lists the ballots sorted, not as cast."""
    community, committee, voters, election, round_ = polling_round
    sections = polling.sections_of(round_)
    ballots = _distinct_ballots(sections, 50)[::-1]
    with clock.frozen(election.polling_day):
        for voter, ballot in zip(voters[:50], ballots):
            polling.cast_online(db, voter, election, community, round_, ballot)
        polling.close_polling(db, committee, election, community, round_, {"box-1": 0})
    polling.close_round(db, committee, election, community, round_)
    cast = [b["member"]["write_in"][0] for b in ballots]
    published = [b["member"]["write_in"][0] for b in json.loads(round_.board)["online_ballots"]]
    assert published != cast and published == sorted(cast)
