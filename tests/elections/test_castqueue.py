"""Group commit: many threads casting through the writer, duplicates included, on SQLite and PostgreSQL."""
import asyncio
import json
import threading
import time

import pytest

from sqlalchemy import func, select

from civic import clock
from civic.db import make_engine, make_sessionmaker
from civic.elections import board, castqueue, polling
from civic.elections.models import Ballot, Election, Round, RollMark
from civic.errors import Conflict
from civic.pagecache import Generation
from civic.registry.models import Community
from civic.security import load_actor
from tests.elections.factories import election_at_polling, publish_leaving_audit
from tests.helpers import make_community, make_resident, make_user


def test_every_voter_once_whatever_the_threads(db, engine):
    community = make_community(db)
    publish_leaving_audit(db, community)  # D8
    people = [make_resident(db, community, name=f"投票人{i}", age=30 + i % 40) for i in range(24)]
    committee = load_actor(db, make_user(db, roles=[("election_committee", community), ("staff", community)]).id)
    user_ids = [make_user(db, resident=p, password=None).id for p in people]
    election, round_ = election_at_polling(db, committee, community)
    ids = (election.id, community.id, round_.id)
    sections = polling.sections_of(round_)
    writer = castqueue.CastQueue(make_sessionmaker(engine, write=True))
    codes, refused, errors = [], [], []
    lock = threading.Lock()

    def voter(user_id: int):
        for _attempt in range(4):
            with make_sessionmaker(engine)() as reader:
                who = load_actor(reader, user_id)
                ballot = {s["id"]: {"approve": [s["candidates"][user_id % len(s["candidates"])]["id"]], "oppose": [], "write_in": []} for s in sections}
                try:
                    with clock.frozen(election.polling_day):
                        code = polling.cast_online(reader, who, reader.get(Election, ids[0]), reader.get(Community, ids[1]),
                                                   reader.get(Round, ids[2]), ballot, writer=writer)
                    with lock:
                        codes.append(code)
                except Conflict:
                    with lock:
                        refused.append(user_id)
                except Exception as error:  # anything else is a bug
                    with lock:
                        errors.append(repr(error))

    threads = [threading.Thread(target=voter, args=(uid,)) for uid in user_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors[:3]
    assert len(codes) == 24 and len(set(codes)) == 24 and len(refused) == 24 * 3
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(RollMark)) == 24
    assert db.scalar(select(func.count()).select_from(Ballot)) == 24
    round_ = db.get(Round, ids[2])
    with clock.frozen(election.polling_day):
        polling.close_polling(db, committee, db.get(Election, ids[0]), db.get(Community, ids[1]), round_, {"box-1": 0})
    polling.close_round(db, committee, db.get(Election, ids[0]), db.get(Community, ids[1]), round_)
    ok, _recount, problems = board.verify(json.loads(round_.board))
    assert ok, problems
    online = [e["tracking_code"] for e in json.loads(round_.board)["entries"] if e["kind"] == "online"]
    assert sorted(online) == sorted(codes)


def test_one_batch_with_repeats_and_an_earlier_vote(db):
    """The batched writer: a voter twice in one batch and a voter who voted before each get one ballot."""
    community = make_community(db)
    people = [make_resident(db, community, name=f"批量{i}", age=40) for i in range(12)]
    committee = load_actor(db, make_user(db, roles=[("election_committee", community), ("staff", community)]).id)
    election, round_ = election_at_polling(db, committee, community)
    entries = [polling.entry_for(db, election, p.id) for p in people]
    day = election.polling_day

    def cast(entry, code):
        return castqueue.Cast(round_.id, entry.id, '{"chair":{"approve":[],"oppose":[],"write_in":[]}}', code, day)

    first = [cast(entries[0], "AAAA-AAAA-AAA2")]
    castqueue.write_casts(db, first)
    db.commit()
    batch = [cast(entries[0], "AAAA-AAAA-AAA3"), cast(entries[1], "AAAA-AAAA-AAA4"), cast(entries[1], "AAAA-AAAA-AAA5"),
             cast(entries[2], "AAAA-AAAA-AAA6")]
    castqueue.write_casts(db, batch)
    db.commit()
    assert [c.outcome for c in first + batch] == ["ok", "duplicate", "ok", "duplicate", "ok"]
    assert db.scalar(select(func.count()).select_from(RollMark)) == 3
    assert db.scalar(select(func.count()).select_from(Ballot)) == 3
    db.expire_all()
    assert db.get(Round, round_.id).entries == 3


def test_a_closed_round_takes_no_batch(db):
    community = make_community(db)
    voter = [make_resident(db, community, name=f"迟到{i}", age=40) for i in range(12)][0]
    committee = load_actor(db, make_user(db, roles=[("election_committee", community), ("staff", community)]).id)
    election, round_ = election_at_polling(db, committee, community)
    entry = polling.entry_for(db, election, voter.id)
    db.execute(Round.__table__.update().where(Round.id == round_.id).values(status="counting"))
    db.commit()
    cast = castqueue.Cast(round_.id, entry.id, "{}", "AAAA-AAAA-AAA7", election.polling_day)
    castqueue.write_casts(db, [cast])
    db.commit()
    assert cast.outcome == "closed"
    assert db.scalar(select(func.count()).select_from(RollMark)) == 0


def test_casts_awaited_on_the_event_loop_hold_no_thread(db, engine):
    """Web requests await their casts on the event loop (CastQueue.wait): thirteen at once take no thread
    but the writer's; a request that went away while waiting (cancelled) still has its cast stored, and the
    writer goes on."""
    community = make_community(db)
    people = [make_resident(db, community, name=f"等待{i}", age=40) for i in range(14)]
    committee = load_actor(db, make_user(db, roles=[("election_committee", community), ("staff", community)]).id)
    election, round_ = election_at_polling(db, committee, community)
    entries = [polling.entry_for(db, election, p.id) for p in people]
    db.commit()  # the test's own write transaction would hold the writer back
    writer = castqueue.CastQueue(make_sessionmaker(engine, write=True))

    def cast(entry, code):
        return castqueue.Cast(round_.id, entry.id, '{"chair":{"approve":[],"oppose":[],"write_in":[]}}', code, election.polling_day)

    gone = cast(entries[13], "AAAA-AAAA-AB99")
    casts = [cast(entry, f"AAAA-AAAA-AC{i:02d}") for i, entry in enumerate(entries[:13])] + [cast(entries[0], "AAAA-AAAA-AD00")]

    async def requests():
        waiting = asyncio.ensure_future(writer.wait(gone))
        await asyncio.sleep(0)
        waiting.cancel()
        threads = threading.active_count()
        outcomes = await asyncio.gather(*(writer.wait(c) for c in casts))
        return outcomes, threading.active_count() - threads

    outcomes, more_threads = asyncio.run(requests())
    assert sorted(outcomes) == ["duplicate"] + ["ok"] * 13  # the voter twice: one of the two counts
    assert more_threads == 0  # the loop writes them itself
    assert gone.done.wait(10) and gone.outcome == "ok"
    assert db.scalar(select(func.count()).select_from(RollMark)) == 14
    assert db.scalar(select(func.count()).select_from(Ballot)) == 14


def test_a_batch_the_key_refuses_is_written_again_one_by_one(db, engine, monkeypatch):
    """Should the roll marks' primary key refuse a batch (a mark the look before missed — the round's lock
    makes it a should-not-happen), nothing of it is kept and the batch is written again cast by cast: only
    the second ballot of that voter fails. The look is made blind here to let the key do the refusing."""
    from sqlalchemy import false

    community = make_community(db)
    people = [make_resident(db, community, name=f"重写{i}", age=40) for i in range(12)]
    committee = load_actor(db, make_user(db, roles=[("election_committee", community), ("staff", community)]).id)
    election, round_ = election_at_polling(db, committee, community)
    entries = [polling.entry_for(db, election, p.id) for p in people]

    def cast(entry, code):
        return castqueue.Cast(round_.id, entry.id, '{"chair":{"approve":[],"oppose":[],"write_in":[]}}', code, election.polling_day)

    castqueue.write_casts(db, [cast(entries[0], "AAAA-AAAA-AE01")])
    db.commit()
    monkeypatch.setattr(castqueue, "_voted_statement", lambda: select(RollMark.roll_entry_id).where(false()))
    _blind_driver_look(monkeypatch)
    batch = [cast(entries[0], "AAAA-AAAA-AE02"), cast(entries[1], "AAAA-AAAA-AE03"), cast(entries[2], "AAAA-AAAA-AE04")]
    castqueue.CastQueue(make_sessionmaker(engine, write=True))._write(batch)
    assert [c.outcome for c in batch] == ["duplicate", "ok", "ok"]
    assert all(c.done.is_set() for c in batch)
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(RollMark)) == 3
    assert db.scalar(select(func.count()).select_from(Ballot)) == 3
    assert db.get(Round, round_.id).entries == 3


def _blind_driver_look(monkeypatch):
    """The driver writer's look at who voted already sees nobody: the marks' key is left to refuse."""
    driver_statements = castqueue._driver_statements

    def blind(sqlite: bool) -> dict:
        statements = dict(driver_statements(sqlite))
        look = statements["voted"]

        def voted(round_id, wanted):
            sql, parameters = look(round_id, wanted)
            return sql.replace("WHERE", "WHERE 1 = 0 AND"), parameters

        statements["voted"] = voted
        return statements

    monkeypatch.setattr(castqueue, "_driver_statements", blind)


def _voters_at_polling(db, n: int, name: str):
    community = make_community(db)
    people = [make_resident(db, community, name=f"{name}{i}", age=40) for i in range(n)]
    committee = load_actor(db, make_user(db, roles=[("election_committee", community), ("staff", community)]).id)
    election, round_ = election_at_polling(db, committee, community)
    entries = [polling.entry_for(db, election, p.id) for p in people]
    db.commit()

    def cast(entry, code):
        return castqueue.Cast(round_.id, entry.id, '{"chair":{"approve":[],"oppose":[],"write_in":[]}}', code, election.polling_day)

    return entries, cast


def _holding_the_write_lock(engine, seconds: float) -> threading.Thread:
    """Another writer of this process (a staff form, say) in its transaction for `seconds`."""
    held = threading.Event()

    def hold():
        with make_sessionmaker(engine, write=True)() as other:
            other.connection()  # BEGIN IMMEDIATE: the write lock is taken
            held.set()
            time.sleep(seconds)
            other.commit()

    thread = threading.Thread(target=hold)
    thread.start()
    held.wait(10)
    return thread


@pytest.fixture
def sqlite_db(sqlite_url):
    """SQLite's own: the loop writes when the write lock is free (another writer of this process holding it here)."""
    engine = make_engine(sqlite_url)
    with make_sessionmaker(engine, write=True)() as session:
        yield session, engine
    engine.dispose()


def test_on_sqlite_the_event_loop_writes_when_the_lock_is_free_and_serves_meanwhile(sqlite_db):
    """With SQLite the loop writes its casts itself, never waiting for the write lock: while another writer
    holds it, the loop goes on with other work and writes as soon as it is free."""
    db, engine = sqlite_db
    entries, cast = _voters_at_polling(db, 12, "轮询")
    writer = castqueue.CastQueue(make_sessionmaker(engine, write=True))
    assert writer.write_lock is not None
    casts = [cast(entries[i], f"AAAA-AAAA-AF{i:02d}") for i in range(3)]

    async def while_held():
        holder = _holding_the_write_lock(engine, 0.3)
        ticks, voting = 0, asyncio.gather(*(writer.wait(c) for c in casts))
        while not voting.done():
            await asyncio.sleep(0.01)
            ticks += 1
        holder.join()
        return await voting, ticks

    outcomes, ticks = asyncio.run(while_held())
    assert outcomes == ["ok", "ok", "ok"]
    assert ticks >= 10  # the loop kept running while the lock was taken
    assert writer.thread is None  # no writer thread was needed
    assert db.scalar(select(func.count()).select_from(RollMark)) == 3


def test_a_cast_that_waited_too_long_for_the_lock_is_taken_back_not_written(sqlite_db, monkeypatch):
    db, engine = sqlite_db
    entries, cast = _voters_at_polling(db, 12, "超时")
    writer = castqueue.CastQueue(make_sessionmaker(engine, write=True))
    monkeypatch.setattr(castqueue, "WAIT_SECONDS", 0.1)
    late = cast(entries[0], "AAAA-AAAA-AG01")

    async def too_long():
        holder = _holding_the_write_lock(engine, 0.4)
        outcome = await writer.wait(late)
        await asyncio.sleep(0.5)  # the lock is free again: a write, had the cast been left queued, happens now
        holder.join()
        return outcome

    assert asyncio.run(too_long()) == "failed"
    assert not late.done.is_set() and late.outcome == ""
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(RollMark)) == 0  # "nothing was recorded" is true


def test_the_writer_on_the_drivers_own_connection_keeps_every_rule(db, engine, monkeypatch):
    """The writer runs its statements on the driver's connection (sqlite3, write_casts_on_driver; psycopg's
    asynchronous connection, write_casts_async: both on the event loop): one ballot per voter (an earlier vote, the same voter twice in a
    batch, a batch the marks' key refuses), marks with their day, the board's chain intact and verifiable,
    and the elections pages' generation bumped."""
    community = make_community(db)
    people = [make_resident(db, community, name=f"直写{i}", age=40) for i in range(12)]
    committee = load_actor(db, make_user(db, roles=[("election_committee", community), ("staff", community)]).id)
    election, round_ = election_at_polling(db, committee, community)
    entries = [polling.entry_for(db, election, p.id) for p in people]
    generation = db.scalar(select(Generation.counter).where(Generation.scope == "elections"))
    db.commit()
    writer = castqueue.CastQueue(make_sessionmaker(engine, write=True))
    content = '{"chair":{"approve":[],"oppose":[],"write_in":[]}}'

    def cast(i, code):
        return castqueue.Cast(round_.id, entries[i].id, content, code, election.polling_day)

    first = asyncio.run(writer.wait(cast(0, "AAAA-AAAA-AH00")))
    batch = [cast(0, "AAAA-AAAA-AH01"), cast(1, "AAAA-AAAA-AH02"), cast(1, "AAAA-AAAA-AH03"), cast(2, "AAAA-AAAA-AH04")]

    async def together(casts):
        return await asyncio.gather(*(writer.wait(c) for c in casts))

    outcomes = asyncio.run(together(batch))
    assert first == "ok" and outcomes[0] == "duplicate" and outcomes[3] == "ok"
    assert sorted(outcomes[1:3]) == ["duplicate", "ok"]
    # A voter the look before misses (made blind here): the key refuses the batch, which is written again one by one.
    _blind_driver_look(monkeypatch)
    again = asyncio.run(together([cast(2, "AAAA-AAAA-AH05"), cast(3, "AAAA-AAAA-AH06")]))
    assert again == ["duplicate", "ok"]
    assert writer.thread is None  # written by the event loop itself (PostgreSQL: on its asynchronous connection)
    db.expire_all()
    marks = db.execute(select(RollMark)).scalars().all()
    assert len(marks) == 4 and {m.day for m in marks} == {election.polling_day} and {m.channel for m in marks} == {"online"}
    assert db.scalar(select(func.count()).select_from(Ballot)) == 4
    assert db.scalar(select(Generation.counter).where(Generation.scope == "elections")) > generation
    assert db.get(Round, round_.id).entries == 4
    online = _online_codes_on_the_closed_board(db, committee, election, community, round_.id)
    assert online >= {"AAAA-AAAA-AH00", "AAAA-AAAA-AH04", "AAAA-AAAA-AH06"} and len(online) == 4


def _online_codes_on_the_closed_board(db, committee, election, community, round_id: int) -> set[str]:
    """Closes polling and the round, checks the board's chain and recount, and gives its online tracking codes."""
    round_ = db.get(Round, round_id)
    with clock.frozen(election.polling_day):
        polling.close_polling(db, committee, db.get(Election, election.id), db.get(Community, community.id), round_, {"box-1": 0})
    polling.close_round(db, committee, db.get(Election, election.id), db.get(Community, community.id), round_)
    ok, _recount, problems = board.verify(json.loads(round_.board))
    assert ok, problems
    return {e["tracking_code"] for e in json.loads(round_.board)["entries"] if e["kind"] == "online"}


def test_a_batch_the_database_fails_is_failed_and_the_next_one_is_written(db, engine, monkeypatch):
    """A write that fails (the connection lost mid-batch) tells each of its voters "failed" — nothing of it is
    stored, so nothing is claimed — and the writer goes on with the next batch (on PostgreSQL, on a new
    asynchronous connection)."""
    entries, cast = _voters_at_polling(db, 12, "失败")
    writer = castqueue.CastQueue(make_sessionmaker(engine, write=True))
    failures = {"left": 1}
    for name in ("write_casts_async", "write_casts_on_driver"):
        original = getattr(castqueue, name)

        def failing(connection, casts, original=original):
            if failures["left"]:
                failures["left"] -= 1
                raise RuntimeError("connection lost")
            return original(connection, casts)

        monkeypatch.setattr(castqueue, name, failing)

    async def two_batches():
        first = await writer.wait(cast(entries[0], "AAAA-AAAA-AF01"))
        second = await writer.wait(cast(entries[0], "AAAA-AAAA-AF02"))
        return first, second

    assert asyncio.run(two_batches()) == ("failed", "ok")
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(RollMark)) == 1
    assert db.scalar(select(func.count()).select_from(Ballot)) == 1


def test_a_batch_over_several_rounds_is_one_transaction_keeping_each_rounds_rules(db, engine, monkeypatch):
    """A city's polling day spreads a worker's casts over many rounds: the writer writes them in ONE transaction
    (the rounds locked in id order), and each round keeps its own rules — its voters once, its own chain — while
    a closed round's casts are refused alone."""
    rounds = []
    for n in range(3):
        community = make_community(db, code=f"multi{n}", name=f"多轮{n}社区")
        people = [make_resident(db, community, name=f"多轮{n}-{i}", age=40) for i in range(12)]
        committee = load_actor(db, make_user(db, roles=[("election_committee", community), ("staff", community)]).id)
        election, round_ = election_at_polling(db, committee, community)
        rounds.append((election, round_, [polling.entry_for(db, election, p.id) for p in people], committee, community))
    closed = rounds[2][1]
    closed.status = "closed"
    db.commit()
    writer = castqueue.CastQueue(make_sessionmaker(engine, write=True))
    content = '{"chair":{"approve":[],"oppose":[],"write_in":[]}}'

    def cast(r, i, code):
        election, round_, entries = rounds[r][:3]
        return castqueue.Cast(round_.id, entries[i].id, content, code, election.polling_day)

    transactions = []  # each call of the driver's writer is one transaction
    for name in ("write_casts_async", "write_casts_on_driver"):
        def counted(connection, casts, original=getattr(castqueue, name)):
            transactions.append(sorted({c.round_id for c in casts}))
            return original(connection, casts)

        monkeypatch.setattr(castqueue, name, counted)
    batch = [cast(0, 0, "MULT-AAAA-0000"), cast(1, 0, "MULT-AAAA-0001"), cast(0, 1, "MULT-AAAA-0002"),
             cast(1, 0, "MULT-AAAA-0003"), cast(2, 0, "MULT-AAAA-0004"), cast(1, 2, "MULT-AAAA-0005")]

    async def together(casts):
        return await asyncio.gather(*(writer.wait(c) for c in casts))

    outcomes = asyncio.run(together(batch))
    assert outcomes[0] == outcomes[2] == outcomes[5] == "ok" and outcomes[4] == "closed"  # round 2 is closed
    assert sorted([outcomes[1], outcomes[3]]) == ["duplicate", "ok"]  # the same voter of round 1 twice: one counts
    second = "MULT-AAAA-0001" if outcomes[1] == "ok" else "MULT-AAAA-0003"
    assert transactions == [sorted(r[1].id for r in rounds)]
    db.expire_all()
    for r, codes in ((0, {"MULT-AAAA-0000", "MULT-AAAA-0002"}), (1, {second, "MULT-AAAA-0005"})):
        election, round_, _entries, committee, community = rounds[r]
        assert db.get(Round, round_.id).entries == 2
        assert _online_codes_on_the_closed_board(db, committee, election, community, round_.id) == codes
    assert db.scalar(select(func.count()).select_from(RollMark).where(RollMark.round_id == closed.id)) == 0


def test_a_batch_is_two_round_trips_on_postgresql_and_stores_its_values_exactly(db, engine, monkeypatch):
    """PostgreSQL's writer sends a batch as two simple queries ("BEGIN; lock; look", "write; COMMIT"), its
    values bound by psycopg: a write-in with quotes, percent signs, a backslash and Chinese is stored as cast."""
    entries, cast = _voters_at_polling(db, 12, "往返")
    writer = castqueue.CastQueue(make_sessionmaker(engine, write=True))
    tricky = json.dumps({"chair": {"approve": [], "oppose": [], "write_in": ["O'Brien %s 100% \\ 张三; COMMIT"]}}, ensure_ascii=False)
    sent = []
    original = castqueue.psycopg.AsyncClientCursor.execute

    async def counted(self, query, *args, **kwargs):
        sent.append(query)
        return await original(self, query, *args, **kwargs)

    monkeypatch.setattr(castqueue.psycopg.AsyncClientCursor, "execute", counted)
    first, second = cast(entries[0], "TRIP-AAAA-0001"), cast(entries[1], "TRIP-AAAA-0002")
    first.content = tricky

    async def together():
        return await asyncio.gather(writer.wait(first), writer.wait(second))

    assert asyncio.run(together()) == ["ok", "ok"]
    if engine.dialect.name == "postgresql":
        assert len(sent) == 2 and sent[0].startswith("BEGIN; ") and sent[1].endswith("; COMMIT")
    db.expire_all()
    assert sorted(db.scalars(select(Ballot.content))) == sorted([tricky, second.content])
    assert db.get(Round, first.round_id).entries == 2

