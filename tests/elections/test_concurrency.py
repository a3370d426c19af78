"""Double votes attempted at once, on both channels, from separate sessions (each its own
connection, the app's engine settings): exactly one roll mark per voter, and every online mark has
its ballot and its board entry. Runs on a SQLite file and on PostgreSQL."""
import threading

from sqlalchemy import func, select

from civic import clock
from civic.db import make_engine, make_sessionmaker
from civic.elections import polling, roll
from civic.elections.integrity import verify_elections
from civic.elections.models import Ballot, BoardEntry, Box, Election, RollMark, Round
from civic.errors import DomainError
from civic.registry.models import Community
from civic.security import load_actor
from tests.elections.factories import election_at_polling, publish_leaving_audit
from tests.helpers import make_community, make_resident, make_user

VOTERS = 8
ATTEMPTS = 2  # per voter and channel


def test_double_votes_on_both_channels_leave_one_ballot(database_url):
    engine = make_engine(database_url)
    sessions = make_sessionmaker(engine, write=True)
    with sessions() as db:
        community = make_community(db)
        publish_leaving_audit(db, community)  # D8
        people = [make_resident(db, community, name=f"选民{i}", age=25 + i) for i in range(VOTERS + 12)]
        committee = make_user(db, roles=[("election_committee", community), ("staff", community)])
        voters = [make_user(db, resident=p) for p in people[:VOTERS]]
        actor = load_actor(db, committee.id)
        election, round_ = election_at_polling(db, actor, community, boxes=[{"name": "一站"}, {"name": "二站"}])
        ids = (community.id, election.id, round_.id, committee.id, [u.id for u in voters])
    community_id, election_id, round_id, committee_id, voter_ids = ids
    polling_day = election.polling_day
    barrier = threading.Barrier(VOTERS * ATTEMPTS * 2)
    outcomes: list[str] = []
    lock = threading.Lock()

    def attempt(user_id: int, channel: str, box_key: str) -> None:
        with sessions() as db, clock.frozen(polling_day):
            community = db.get(Community, community_id)
            election = db.get(Election, election_id)
            round_ = db.get(Round, round_id)
            voter = load_actor(db, user_id)
            official = load_actor(db, committee_id)
            entry = roll.entry_for(db, election, voter.resident.id)
            box = db.execute(select(Box).where(Box.round_id == round_id, Box.key == box_key)).scalar_one()
            sections = polling.sections_of(round_)
            ballot = {s["id"]: {"approve": [], "oppose": [], "write_in": []} for s in sections}
            db.rollback()  # start the race with no transaction open
            barrier.wait()
            try:
                if channel == "online":
                    polling.cast_online(db, voter, election, community, round_, ballot)
                else:
                    polling.issue_paper_ballot(db, official, election, community, round_, box, entry)
                result = "ok"
            except DomainError:
                db.rollback()
                result = "refused"
            with lock:
                outcomes.append(result)

    threads = []
    for n, user_id in enumerate(voter_ids):
        for k in range(ATTEMPTS):
            threads.append(threading.Thread(target=attempt, args=(user_id, "online", "box-1")))
            threads.append(threading.Thread(target=attempt, args=(user_id, "station", f"box-{1 + (n + k) % 2}")))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(t.is_alive() for t in threads)
    assert len(outcomes) == len(threads)
    assert outcomes.count("ok") == VOTERS

    with sessions() as db:
        per_voter = db.execute(select(RollMark.roll_entry_id, func.count()).where(RollMark.round_id == round_id)
                               .group_by(RollMark.roll_entry_id)).all()
        assert len(per_voter) == VOTERS and all(n == 1 for _e, n in per_voter)
        online = db.scalar(select(func.count()).select_from(RollMark).where(RollMark.round_id == round_id, RollMark.channel == "online"))
        ballots = db.scalar(select(func.count()).select_from(Ballot).where(Ballot.round_id == round_id))
        entries = db.scalar(select(func.count()).select_from(BoardEntry).where(BoardEntry.round_id == round_id, BoardEntry.kind == "online"))
        assert ballots == online == entries
        issued = db.scalar(select(func.sum(Box.issued)).where(Box.round_id == round_id))
        assert issued == VOTERS - online
        round_ = db.get(Round, round_id)
        assert round_.entries == entries
        assert verify_elections(db) == []
    engine.dispose()
