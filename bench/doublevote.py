"""No double votes at scale: 1,000 voters each trying about 10 times — online (through the group-commit
writer, as the web does) and at polling stations at once — on SQLite and PostgreSQL, 32 threads.
Exactly one ballot per voter must remain, and ballots (online + issued on paper) must equal roll marks.

    python bench/doublevote.py [--voters 1000] [--attempts 10] [--threads 32] [--skip-pg]
"""
from __future__ import annotations

import argparse
import random
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import common  # noqa: E402
from cast import prepare  # noqa: E402


def run(label: str, url: str, args) -> list[str]:
    from sqlalchemy import func, select

    from civic import clock
    from civic.accounts.models import User
    from civic.db import make_engine, make_sessionmaker
    from civic.elections import castqueue, polling, roll
    from civic.elections.integrity import verify_elections
    from civic.elections.models import Ballot, BoardEntry, Box, Election, RollMark, Round
    from civic.errors import DomainError
    from civic.registry.models import Community
    from civic.security import load_actor

    setup = prepare(url, args.voters)
    engine = make_engine(url, **({} if url.startswith("sqlite") else {"pool_size": args.threads + 5}))
    readers, writers = make_sessionmaker(engine), make_sessionmaker(engine, write=True)
    writer = castqueue.for_sessions(writers)
    with readers() as db:
        election = db.execute(select(Election).where(Election.public_id == setup["election"])).scalar_one()
        round_ = db.execute(select(Round).where(Round.election_id == election.id, Round.number == setup["round"])).scalar_one()
        ids = {"election": election.id, "community": election.community_id, "round": round_.id, "day": election.polling_day}
        official_id = db.execute(select(User.id).where(User.resident_id.is_(None)).order_by(User.id.desc()).limit(1)).scalar()
        voter_ids = db.execute(select(User.id).where(User.phone.in_(setup["phones"]))).scalars().all()
        boxes = db.execute(select(Box.key).where(Box.round_id == round_.id)).scalars().all()
    sections = None
    attempts = [(uid, "online" if k % 2 else "station") for uid in voter_ids for k in range(args.attempts)]
    random.Random(1).shuffle(attempts)
    outcomes = {"ok": 0, "refused": 0, "error": 0}

    def attempt(item):
        nonlocal sections
        user_id, channel = item
        with (readers() if channel == "online" else writers()) as db, clock.frozen(ids["day"]):
            election = db.get(Election, ids["election"])
            community = db.get(Community, ids["community"])
            round_ = db.get(Round, ids["round"])
            voter = load_actor(db, user_id)
            sections = sections or polling.sections_of(round_)
            try:
                if channel == "online":
                    ballot = {s["id"]: {"approve": [s["candidates"][0]["id"]], "oppose": [], "write_in": []} for s in sections}
                    polling.cast_online(db, voter, election, community, round_, ballot, writer=writer)
                else:
                    box = db.execute(select(Box).where(Box.round_id == round_.id, Box.key == boxes[user_id % len(boxes)])).scalar_one()
                    polling.issue_paper_ballot(db, load_actor(db, official_id), election, community, round_, box,
                                               roll.entry_for(db, election, voter.resident.id))
                return "ok"
            except DomainError:
                db.rollback()
                return "refused"
            except Exception as error:  # noqa: BLE001 — counted and reported
                print(f"  unexpected: {error!r}"[:300])
                return "error"

    started = time.perf_counter()
    with ThreadPoolExecutor(args.threads) as pool:
        for outcome in pool.map(attempt, attempts):
            outcomes[outcome] += 1
    elapsed = time.perf_counter() - started
    problems = []
    with readers() as db:
        marks = dict(db.execute(select(RollMark.roll_entry_id, func.count()).where(RollMark.round_id == ids["round"])
                                .group_by(RollMark.roll_entry_id)).all())
        online = db.scalar(select(func.count()).select_from(RollMark).where(RollMark.round_id == ids["round"], RollMark.channel == "online"))
        ballots = db.scalar(select(func.count()).select_from(Ballot).where(Ballot.round_id == ids["round"]))
        entries = db.scalar(select(func.count()).select_from(BoardEntry).where(BoardEntry.round_id == ids["round"], BoardEntry.kind == "online"))
        issued = db.scalar(select(func.sum(Box.issued)).where(Box.round_id == ids["round"])) or 0
        if len(marks) != len(voter_ids) or any(n != 1 for n in marks.values()):
            problems.append(f"{len(marks)} voters marked, some more than once" if marks else "no marks")
        if not (ballots == online == entries):
            problems.append(f"online marks {online}, ballots {ballots}, board entries {entries} differ")
        if online + issued != sum(marks.values()):
            problems.append(f"ballots online {online} + on paper {issued} != marks {sum(marks.values())}")
        if outcomes["ok"] != len(voter_ids) or outcomes["error"]:
            problems.append(f"outcomes {outcomes}")
        problems += verify_elections(db)
    engine.dispose()
    print(f"{label:10} {len(attempts):,} attempts by {len(voter_ids):,} voters in {elapsed:.1f} s: {outcomes}; "
          f"one mark per voter: {len(marks) == len(voter_ids)}; online {online} = ballots {ballots} = entries {entries}; "
          f"paper issued {issued}; problems: {problems or 'none'}")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--voters", type=int, default=1000)
    parser.add_argument("--attempts", type=int, default=10)
    parser.add_argument("--threads", type=int, default=32)
    parser.add_argument("--skip-pg", action="store_true")
    args = parser.parse_args()
    folder = common.temp_dir("civic-double-")
    problems = run("sqlite", f"sqlite:///{folder / 'civic.db'}", args)
    if not args.skip_pg:
        problems += run("postgresql", common.fresh_postgres("civic_bench_double"), args)
    common.cleanup(folder)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
