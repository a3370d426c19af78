"""A confirmed ballot is checked with reads awaited on the event loop (civic.loopdb, opened by the app's
lifespan: psycopg's asynchronous connections, SQLite's driver connection); anything that is not a clean cast —
a problem to show, assisted voting, a stale session — is checked and answered by the usual path
(views._checked_cast_on_loop)."""
import json

import pytest
from sqlalchemy import bindparam, func, select

from civic import clock
from civic.accounts.models import User
from civic.db import make_sessionmaker
from civic.pagecache import generations_on
from civic.elections import views
from civic.elections.models import Ballot, RollMark
from civic.security import load_actor
from tests.conftest import make_app
from tests.elections.factories import election_at_polling
from tests.helpers import Client, make_community, make_resident, make_user


@pytest.fixture
def polling_day(database_url, tmp_path, monkeypatch):
    app = make_app(database_url, tmp_path)
    with make_sessionmaker(app.state.engine, write=True)() as db:
        community = make_community(db)
        people = [make_resident(db, community, name=f"环内{i}", age=30 + i) for i in range(12)]
        committee = make_user(db, roles=[("election_committee", community), ("staff", community)])
        election, round_ = election_at_polling(db, load_actor(db, committee.id), community)
        voters = [make_user(db, resident=p) for p in people[10:]]
        outsider = make_user(db, roles=[("staff", community)])
        sections = json.loads(round_.sections)
        day, eid = election.polling_day, election.public_id
    usual = []  # requests the usual path (views._checked_cast) checked
    checked = views._checked_cast
    monkeypatch.setattr(views, "_checked_cast", lambda request: usual.append(request.url.path) or checked(request))
    return app, f"/elections/{eid}/rounds/1/ballot", day, voters, outsider, sections, usual


def approve_first(sections) -> dict:
    return {f"v-{s['id']}-{s['candidates'][0]['id']}": "approve" for s in sections}


def stored(app) -> tuple[int, int]:
    with make_sessionmaker(app.state.engine)() as db:
        return db.scalar(select(func.count()).select_from(RollMark)), db.scalar(select(func.count()).select_from(Ballot))


def test_a_clean_cast_is_checked_on_the_event_loop(polling_day):
    app, url, day, voters, _outsider, sections, usual = polling_day
    with clock.frozen(day), Client(app) as client:  # the context runs the lifespan, which opens the loop's reads
        answer = client.login_as(voters[0]).post_form(url, {**approve_first(sections), "action": "confirm"})
        assert answer.status_code == 303 and "/receipt?code=" in answer.headers["location"]
        assert client.get(answer.headers["location"]).status_code == 200
        assert usual == []
    assert stored(app) == (1, 1)
    with clock.frozen(day):  # without the lifespan (no loop reads), the usual path does it all
        answer = Client(app).login_as(voters[1]).post_form(url, {**approve_first(sections), "action": "confirm"})
    assert answer.status_code == 303 and usual == [url]
    assert stored(app) == (2, 2)


def test_the_loops_reads_give_what_the_orm_gives(database_url, tmp_path):
    """Dates, booleans and timestamps through the columns' own result processors (SQLite stores them as text
    and integers): the actor kept from the loop's read equals the one a session loads."""
    import asyncio

    from civic.loopdb import LoopReads
    from civic.security import ActorCache

    app = make_app(database_url, tmp_path)
    with make_sessionmaker(app.state.engine, write=True)() as db:
        community = make_community(db)
        user = make_user(db, resident=make_resident(db, community, name="类型", age=44, party_member=True),
                         roles=[("staff", community)])
        expected = load_actor(db, user.id)

    actors = ActorCache()
    users = User.__table__
    along = select(users.c.display_name, users.c.created_at).where(users.c.id == bindparam("user_id"))

    async def read():
        reads = LoopReads(app.state.engine)
        await reads.open()
        try:
            async with reads.connection() as connection:
                return await actors.load_on_loop(connection, user.id, along, {})
        finally:
            await reads.close()

    (loaded, row) = asyncio.run(read())
    with make_sessionmaker(app.state.engine)() as db:
        people = generations_on(db.connection().connection).get("people", 0)
    # Read with the "people" counter in the same statement, and kept under it: the next load checks it only.
    assert actors.entries[user.id][0] == people > 0
    assert actors.kept(user.id, people) is not None and actors.kept(user.id, people + 1) is None
    assert row == (expected.user.display_name, expected.user.created_at)  # `along`'s columns, typed
    again, row_again = asyncio.run(read())
    assert again.user.id == user.id and again is not loaded and row_again == row
    for field in ("birth_date", "party_member", "is_resident_rep", "created_at", "residence_since"):
        assert getattr(loaded.resident, field) == getattr(expected.resident, field)
        assert type(getattr(loaded.resident, field)) is type(getattr(expected.resident, field))
    assert loaded.user.created_at == expected.user.created_at and loaded.user.created_at.tzinfo is not None
    assert loaded.user.active is True and loaded.roles == expected.roles


def test_every_problem_is_answered_by_the_usual_path(polling_day):
    app, url, day, voters, outsider, sections, usual = polling_day
    chair = next(s for s in sections if s["id"] == "chair")
    overvote = {**approve_first(sections), **{f"v-chair-{c['id']}": "approve" for c in chair["candidates"]}, "action": "confirm"}
    with clock.frozen(day), Client(app) as client:
        client.login_as(voters[0])
        assert client.post_form(url, {**approve_first(sections), "action": "confirm"}).status_code == 303
        usual.clear()
        second = client.post_form(url, {**approve_first(sections), "action": "confirm"})
        assert second.status_code == 409  # the writer refuses a voter's second ballot (checked clean: on the loop)
        invalid = client.login_as(voters[1]).post_form(url, overvote)
        assert invalid.status_code == 422 and 'name="v-chair-' in invalid.text  # the ballot again, with its problem
        not_on_roll = client.login_as(outsider).post_form(url, {**approve_first(sections), "action": "confirm"})
        assert not_on_roll.status_code in (403, 409)
        voters[1].session_version += 1  # signed out everywhere since: the cookie is stale
        stale = client.login_as(voters[1])
        voters[1].session_version -= 1
        assert stale.post_form(url, {**approve_first(sections), "action": "confirm"}).status_code in (302, 303, 401)
        assert client.post_form("/elections/nope/rounds/1/ballot", {"action": "confirm"}).status_code == 404
    assert len(usual) >= 4  # the overvote, the outsider, the stale session and the unknown election
    assert stored(app) == (1, 1)  # none of them stored anything


def test_when_the_loops_reads_fail_the_usual_path_answers(polling_day, monkeypatch):
    """The database refusing the loop's reads (unreachable, a pool timeout) must neither lose the cast nor give
    a 500: the usual path checks it (and, with the database truly down, answers 503)."""
    import psycopg
    from contextlib import asynccontextmanager

    app, url, day, voters, _outsider, sections, usual = polling_day

    @asynccontextmanager
    async def unreachable():
        raise psycopg.OperationalError("connection refused")
        yield

    with clock.frozen(day), Client(app) as client:
        monkeypatch.setattr(app.state.loop_reads, "connection", unreachable)
        answer = client.login_as(voters[0]).post_form(url, {**approve_first(sections), "action": "confirm"})
    assert answer.status_code == 303 and usual == [url]
    assert stored(app) == (1, 1)


def test_assisted_voting_takes_the_usual_path(polling_day):
    """Staff acting for a resident (assisted mode): the loop's checks leave it to the usual path, which answers
    exactly as it does without the loop's reads."""
    import time as _time

    from civic.security import SESSION_COOKIE

    app, url, day, voters, outsider, sections, usual = polling_day
    answers = []
    with clock.frozen(day):
        for lifespan, voter in ((True, voters[0]), (False, voters[1])):
            assist = {"r": voter.id, "exp": _time.time() + 600, "why": "视力不便"}
            client = Client(app)
            if lifespan:
                client.__enter__()
            try:
                client.cookies.set(SESSION_COOKIE, app.state.sessions.dumps(outsider, assist=assist))
                answers.append(client.post_form(url, {**approve_first(sections), "action": "confirm"}).status_code)
            finally:
                if lifespan:
                    client.__exit__(None, None, None)
    assert usual == [url, url] and answers[0] == answers[1] == 303
    assert stored(app) == (2, 2)


def test_the_actor_and_the_cast_facts_come_in_one_statement_equal_to_the_usual_reads(polling_day):
    """Cold (no kept actor: actor, "people" counter and facts in one statement), warm (counter and facts in
    one statement, the kept actor) and stale (a write to people since: read again) all give what the usual
    path reads; an unknown election gives nothing (the usual path answers it)."""
    import asyncio

    from civic.elections import polling
    from civic.loopdb import LoopReads
    from civic.security import ActorCache

    app, url, _day, voters, _outsider, _sections, _usual = polling_day
    eid = url.split("/")[2]
    actors = ActorCache()
    sessions = make_sessionmaker(app.state.engine, write=True)

    async def on_loop(public_id):
        reads = LoopReads(app.state.engine)
        await reads.open()
        try:
            async with reads.connection() as connection:
                statements = []
                if hasattr(connection.driver, "set_trace_callback"):
                    connection.driver.set_trace_callback(statements.append)
                who, values = await actors.load_on_loop(connection, voters[0].id, polling.cast_facts_along(),
                                                        {"public_id": public_id, "number": 1})
                if hasattr(connection.driver, "set_trace_callback"):
                    connection.driver.set_trace_callback(None)
                return who, polling.cast_facts_from(values), statements
        finally:
            await reads.close()

    def usual():
        with make_sessionmaker(app.state.engine)() as db:
            who = load_actor(db, voters[0].id)
            return who, polling.cast_facts(db, eid, 1, who)

    expected_actor, expected = usual()
    for state in ("cold", "warm", "stale"):
        if state == "stale":
            with sessions() as db:
                from civic.registry.models import Resident

                db.get(Resident, expected_actor.resident.id).phone = "13911112222"
                db.commit()
            expected_actor, expected = usual()
        who, facts, statements = asyncio.run(on_loop(eid))
        assert who.user.id == voters[0].id and who.resident.phone == expected_actor.resident.phone, state
        assert facts.election._asdict() == dict(expected.election._mapping), state
        assert (facts.entry.id, facts.entry.listed, facts.round.id, facts.has_proxy) == \
            (expected.entry.id, expected.entry.listed, expected.round.id, expected.has_proxy), state
        if app.state.engine.dialect.name == "sqlite":
            assert len(statements) == (2 if state == "stale" else 1), (state, statements)
    assert asyncio.run(on_loop("e-no-such-election"))[:2] == (None, None)
