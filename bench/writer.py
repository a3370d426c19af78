"""Writer benchmark: the group-commit writer alone (civic.elections.castqueue), without HTTP. N casts of one
round are written one batch after another, in batches of 1, 4, 16 and 64 casts, on SQLite (the driver
writer, synchronous=FULL) and on PostgreSQL (the event loop's writer on psycopg's asynchronous connection).
Sequential, in one process: its figures move much less than the HTTP benchmark's on a shared machine.
`--rounds R` spreads each batch's casts over R open rounds, as a city's polling day spreads a worker's casts
over its communities (the rounds beyond the first are copies of the bench round, for the writer only).

The same-run baseline on each database is the raw driver's transaction per cast, "mark the voter, insert
the ballot" (BEGIN, two INSERTs, COMMIT; on SQLite fsync'd), with none of the writer's rules.
Prints casts/s and its ratio to that baseline, the writer's CPU per cast, and PostgreSQL's own.

    python bench/writer.py [--casts 2000] [--rounds 1] [--skip-pg]
"""
from __future__ import annotations

import argparse
import asyncio
import os
import platform
import sqlite3
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import cast as cast_bench  # noqa: E402
import common  # noqa: E402

BATCHES = (1, 4, 16, 64)
CONTENT = '{"chair":{"approve":["c1"],"oppose":[],"write_in":[]}}'


def casts_of(url: str, n: int, batch: int, rounds: int) -> list:
    """N casts, one per voter, over `rounds` open rounds in turn (copies of the bench round are added the first
    time), for a fresh database with `n * len(BATCHES)` voters."""
    from sqlalchemy import insert, select
    from sqlalchemy.orm import Session

    from civic.db import make_engine
    from civic.elections import castqueue
    from civic.elections.models import Election, RollEntry, Round

    engine = make_engine(url)
    with Session(engine) as db:
        election_id, day = db.execute(select(Election.id, Election.polling_day)).one()
        round_ids = db.scalars(select(Round.id).where(Round.election_id == election_id).order_by(Round.number)).all()
        if len(round_ids) < rounds:
            first_round = db.execute(select(Round.__table__).where(Round.id == round_ids[0])).mappings().one()
            copy = {k: v for k, v in first_round.items() if k != "id"}
            db.execute(insert(Round), [{**copy, "number": number} for number in range(len(round_ids) + 1, rounds + 1)])
            db.commit()
            round_ids = db.scalars(select(Round.id).where(Round.election_id == election_id).order_by(Round.number)).all()
        entries = db.scalars(select(RollEntry.id).where(RollEntry.election_id == election_id).order_by(RollEntry.id)).all()
    engine.dispose()
    first = BATCHES.index(batch) * n
    return [castqueue.Cast(round_ids[i % rounds], entry, CONTENT, f"BNCH-{i:04d}-{batch:04d}", day)
            for i, entry in enumerate(entries[first:first + n])]


def write_sqlite(url: str, casts: list, batch: int) -> tuple[float, float, float]:
    from civic.db import make_engine, write_lock_of
    from civic.elections import castqueue

    engine = make_engine(url)
    lock = write_lock_of(engine)
    raw = engine.raw_connection()
    started, cpu = time.perf_counter(), time.process_time()
    for i in range(0, len(casts), batch):
        lock.acquire()
        try:
            castqueue.write_casts_on_driver(raw.driver_connection, casts[i:i + batch])
        finally:
            lock.release()
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    raw.close()
    engine.dispose()
    return elapsed, cpu, 0.0


def write_postgres(url: str, casts: list, batch: int) -> tuple[float, float, float]:
    import psycopg

    from civic.elections import castqueue
    from civic.loopdb import conninfo
    from sqlalchemy.engine import make_url

    async def write() -> tuple[float, float, float]:
        connection = await psycopg.AsyncConnection.connect(conninfo(make_url(url)))
        started, cpu, pg = time.perf_counter(), time.process_time(), common.postgres_cpu_seconds()
        for i in range(0, len(casts), batch):
            await castqueue.write_casts_async(connection, casts[i:i + batch])
        # PostgreSQL's CPU read before the connection closes: its backend's time leaves with the process.
        elapsed, cpu, pg = time.perf_counter() - started, time.process_time() - cpu, common.postgres_cpu_seconds() - pg
        await connection.close()
        return elapsed, cpu, pg

    return asyncio.run(write())


def baseline_postgres(url: str, n: int) -> float:
    """Raw psycopg: per cast one transaction marking the voter and inserting the ballot."""
    import psycopg

    from civic.loopdb import conninfo
    from sqlalchemy.engine import make_url

    with psycopg.connect(conninfo(make_url(url))) as connection:
        connection.execute("CREATE TABLE bench_roll (id integer PRIMARY KEY, voted boolean NOT NULL DEFAULT false)")
        connection.execute("CREATE TABLE bench_ballot (id text PRIMARY KEY, content text NOT NULL)")
        connection.execute("INSERT INTO bench_roll (id) SELECT generate_series(0, %s)", (n,))
        connection.commit()
        started = time.perf_counter()
        for i in range(n):
            connection.execute("UPDATE bench_roll SET voted = true WHERE id = %s AND NOT voted", (i,))
            connection.execute("INSERT INTO bench_ballot VALUES (%s, %s)", (os.urandom(16).hex(), CONTENT))
            connection.commit()
        return n / (time.perf_counter() - started)


def measure(label: str, url: str, n: int, rounds: int, base: float) -> None:
    cast_bench.prepare(url, n * len(BATCHES))
    for batch in BATCHES:
        casts = casts_of(url, n, batch, rounds)
        elapsed, cpu, pg = (write_postgres if label == "postgresql" else write_sqlite)(url, casts, batch)
        stored = sum(1 for c in casts if c.outcome == "ok")
        if stored != len(casts):
            raise SystemExit(f"{label}: {len(casts) - stored} casts of batch size {batch} were not stored")
        rate = stored / elapsed
        print(f"{label:10} batches of {batch:2}: {rate:7.0f} casts/s  ratio to baseline {rate / base:5.2f}  "
              f"writer CPU {cpu / stored * 1e6:4.0f} µs/cast" + (f"  PostgreSQL CPU {pg / stored * 1e6:4.0f} µs/cast" if label == "postgresql" else ""))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--casts", type=int, default=2000, help="casts per batch size")
    parser.add_argument("--rounds", type=int, default=1, help="open rounds each batch's casts are spread over")
    parser.add_argument("--skip-pg", action="store_true")
    args = parser.parse_args()
    folder = common.temp_dir("civic-writer-")
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}; "
          f"{args.casts} casts per batch size over {args.rounds} round(s), one batch after another")
    base = cast_bench.baseline(args.casts, folder)
    print(f"baseline sqlite     (raw sqlite3, mark + insert, fsync per commit): {base:7.0f} casts/s")
    measure("sqlite", f"sqlite:///{folder / 'civic.db'}", args.casts, args.rounds, base)
    if not args.skip_pg:
        url = common.fresh_postgres("civic_bench_writer")
        base = baseline_postgres(url, args.casts)
        print(f"baseline postgresql (raw psycopg, mark + insert, commit per cast): {base:7.0f} casts/s")
        measure("postgresql", url, args.casts, args.rounds, base)
    common.cleanup(folder)
    return 0


if __name__ == "__main__":
    sys.exit(main())
