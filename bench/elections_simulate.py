"""Time `civic elections simulate` and the checks of what it produces, on a fresh SQLite file.

    .venv/bin/python bench/elections_simulate.py [--voters 10000] [--seed 1] [--no-runoff]

Prints wall and CPU seconds for the simulation, for `civic verify` of each board (check_chain and
recount) and for the elections chain verifier of `civic audit verify`.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import event, select  # noqa: E402

from civic.db import make_engine, make_sessionmaker  # noqa: E402
from civic.migrate import upgrade  # noqa: E402
from civic.models import import_all_models  # noqa: E402


def timed(label: str, fn):
    wall, cpu = time.perf_counter(), time.process_time()
    value = fn()
    print(f"{label:<40} {time.perf_counter() - wall:7.2f} s wall {time.process_time() - cpu:7.2f} s CPU")
    return value


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--voters", type=int, default=10000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-runoff", action="store_true")
    args = parser.parse_args()
    import_all_models()
    from civic.elections import board
    from civic.elections.integrity import verify_elections
    from civic.elections.models import Round
    from civic.elections.simulate import simulate

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/civic.db"
        upgrade(url)
        engine = make_engine(url)

        @event.listens_for(engine, "connect")
        def _normal(dbapi_conn, _record):  # as `civic elections simulate` does
            dbapi_conn.execute("PRAGMA synchronous=NORMAL")

        sessions = make_sessionmaker(engine, write=True)
        with sessions() as db:
            sim = timed(f"simulate {args.voters} voters", lambda: simulate(db, args.voters, args.seed, runoff=not args.no_runoff))
            print(f"  {sim.election.public_id}: {len(sim.results)} round(s); {dict(sim.stats)}")
            for round_ in db.execute(select(Round).where(Round.election_id == sim.election.id).order_by(Round.number)).scalars():
                doc = json.loads(round_.board)
                ok, _result, problems = timed(f"verify board round {round_.number} ({len(doc['entries'])} entries)", lambda: board.verify(doc))
                assert ok, problems
            problems = timed("audit verify (elections chains)", lambda: verify_elections(db))
            assert problems == [], problems
        engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
