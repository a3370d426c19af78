"""`civic elections …`: the simulator and the board export (contract: shared/contracts/cli.md).

Operators' output, in plain English; stdout carries only what scripts read (the election id, the
files written), progress goes to stderr.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

from civic.settings import Settings


def _sessions(settings: Settings, *, bulk: bool = False):
    from sqlalchemy import event

    from civic.db import make_engine, make_sessionmaker
    from civic.migrate import upgrade
    from civic.models import import_all_models

    import_all_models()
    if settings.is_sqlite:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade(settings.database_url)
    engine = make_engine(settings.database_url)
    if bulk and settings.is_sqlite:
        # A simulation commits thousands of small transactions. In WAL mode NORMAL keeps the file
        # consistent after a crash (it may lose the last commits on power loss, which a simulation
        # can simply run again); FULL would fsync on every commit.
        @event.listens_for(engine, "connect")
        def _normal_sync(dbapi_conn, _record):
            dbapi_conn.execute("PRAGMA synchronous=NORMAL")

    return engine, make_sessionmaker(engine, write=True)


def cmd_simulate(args, settings: Settings) -> int:
    from civic.elections.simulate import MIN_VOTERS, simulate

    if args.voters < MIN_VOTERS:
        print(f"civic elections simulate: --voters must be at least {MIN_VOTERS}", file=sys.stderr)
        return 2
    engine, sessions = _sessions(settings, bulk=True)
    try:
        with sessions() as db:
            sim = simulate(db, args.voters, args.seed, runoff=not args.no_runoff,
                           progress=None if args.quiet else (lambda line: print(line, file=sys.stderr)))
            election_id = sim.election.public_id
    finally:
        engine.dispose()
    if not args.quiet:
        for number, result in enumerate(sim.results, 1):
            elected = {sid: s["elected"] for sid, s in result["sections"].items()}
            unfilled = sum(s["unfilled"] for s in result["sections"].values())
            print(f"round {number}: {'valid' if result['valid'] else 'INVALID (' + str(result['reason']) + ')'}; "
                  f"registered {result['registered']}, issued {result['issued']}, returned {result['returned']}; "
                  f"elected {elected}; unfilled {unfilled}", file=sys.stderr)
        stats = ", ".join(f"{k} {v}" for k, v in sorted(sim.stats.items()))
        print(f"{stats}; {sim.seconds:.1f} s", file=sys.stderr)
    print(election_id)
    return 0


def cmd_export_boards(args, settings: Settings) -> int:
    from sqlalchemy import select

    from civic.elections.models import Election, Round

    target = Path(args.dir)
    target.mkdir(parents=True, exist_ok=True)
    engine, sessions = _sessions(settings)
    written = 0
    started = time.perf_counter()
    try:
        with sessions() as db:
            rows = db.execute(select(Election.public_id, Round.number, Round.board).join(Round, Round.election_id == Election.id)
                              .where(Round.board.is_not(None)).order_by(Election.public_id, Round.number))
            for public_id, number, document in rows:
                path = target / f"{public_id}-round-{number}.json"
                path.write_bytes(document.encode("utf-8"))  # the stored board, byte for byte
                print(path)
                written += 1
    finally:
        engine.dispose()
    print(f"{written} board(s) written to {target} in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return 0


def add_commands(sub) -> None:
    elections = sub.add_parser("elections", help="election tools: simulate an election, export the public boards")
    actions = elections.add_subparsers(dest="elections_command", metavar="ACTION")
    simulate = actions.add_parser(
        "simulate", help="build a community and a whole election through the services; prints the election id",
        description="Build a community of N voters and run an election through the same services the web uses "
        "(online and paper ballots, the count, a run-off when seats stay empty). Deterministic for a given seed.")
    simulate.add_argument("--voters", type=int, required=True, metavar="N", help="voters on the roll (at least 60)")
    simulate.add_argument("--seed", type=int, default=1, metavar="S", help="random seed (default 1); the same seed gives the same result")
    simulate.add_argument("--no-runoff", action="store_true", help="stop after round 1 even when seats stay empty")
    simulate.add_argument("--quiet", action="store_true", help="print only the election id")
    simulate.set_defaults(func=cmd_simulate)
    export = actions.add_parser("export-boards", help="write one board per closed round: DIR/<election-id>-round-<n>.json")
    export.add_argument("dir", metavar="DIR")
    export.set_defaults(func=cmd_export_boards)

    def _help(args, settings) -> int:
        elections.print_help()
        return 2

    elections.set_defaults(func=_help)

