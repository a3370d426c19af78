"""Casting benchmark: N demo voters, each logged in with a real session, cast online ballots through the
real HTTP stack (uvicorn, CSRF, form parsing, eligibility, the roll + ballot + board transaction, tracking
code) with 32 concurrent clients, on SQLite (synchronous=FULL) and PostgreSQL. The same-run baseline is
the raw sqlite3 transaction "mark the roll row, insert the ballot" with an fsync per commit.

    python bench/cast.py [--voters 4000] [--communities 1] [--concurrency 32] [--workers 2] [--skip-pg] [--profile PREFIX]

`--communities K` spreads the voters over K communities, each with its own election, their requests
interleaved: a city's polling day, where a worker's casts belong to many rounds at once.
"""
from __future__ import annotations

import argparse
import datetime as dt
import itertools
import os
import platform
import sqlite3
import statistics
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import common  # noqa: E402

PASSWORD = "bench-pass-2026"
SECRET = "bench-secret-" + "x" * 40
SAMPLE = 10


def baseline(n: int, folder: Path) -> float:
    """Raw sqlite3: per ballot one transaction marking the voter and inserting the ballot, fsync'd."""
    path = folder / "baseline.db"
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=FULL")
    con.execute("CREATE TABLE roll (id INTEGER PRIMARY KEY, voted INTEGER NOT NULL DEFAULT 0)")
    con.execute("CREATE TABLE ballot (id TEXT PRIMARY KEY, content TEXT NOT NULL) WITHOUT ROWID")
    con.executemany("INSERT INTO roll (id) VALUES (?)", [(i,) for i in range(n)])
    content = '{"chair":{"approve":["c1"],"oppose":[],"write_in":[]}}'
    started = time.perf_counter()
    for i in range(n):
        con.execute("BEGIN IMMEDIATE")
        con.execute("UPDATE roll SET voted = 1 WHERE id = ? AND voted = 0", (i,))
        con.execute("INSERT INTO ballot VALUES (?, ?)", (os.urandom(16).hex(), content))
        con.execute("COMMIT")
    elapsed = time.perf_counter() - started
    con.close()
    return n / elapsed


def prepare(database_url: str, voters: int, communities: int = 1) -> dict:
    """`communities` communities sharing `voters` residents with accounts, each with an election at polling today
    (online open). The voters come back interleaved across the elections, as a city's polling day mixes them."""
    from sqlalchemy import insert, select

    from civic import clock
    from civic.accounts.models import User
    from civic.db import make_engine, make_sessionmaker
    from civic.elections import polling
    from civic.migrate import upgrade
    from civic.registry.models import Household, Resident, ResidentGroup
    from civic.scale import _id_number
    from civic.security import hash_password, load_actor
    from tests.elections.factories import election_at_polling
    from tests.helpers import make_community, make_user

    upgrade(database_url)
    engine = make_engine(database_url)
    elections, by_election, born, today, hashed, number = [], [], {}, dt.date.today(), hash_password(PASSWORD), 0
    with make_sessionmaker(engine, write=True)() as db:
        for c in range(communities):
            community = make_community(db, code="bench" if c == 0 else f"bench{c}", name="压测社区" if c == 0 else f"压测社区{c}")
            committee = load_actor(db, make_user(db, roles=[("election_committee", community), ("staff", community)]).id)
            group_id = db.execute(select(ResidentGroup.id).where(ResidentGroup.community_id == community.id)).scalars().first()
            share = voters // communities + (1 if c < voters % communities else 0)
            households = db.execute(insert(Household).returning(Household.id), [
                {"community_id": community.id, "group_id": group_id, "number": f"B{h:06d}"} for h in range(share // 2 + 1)]).scalars().all()
            rows = []
            for i in range(share):
                birth = today - dt.timedelta(days=20 * 365 + number % 15000)
                nth = born[birth] = born.get(birth, -1) + 1
                rows.append({"community_id": community.id, "household_id": households[i // 2], "name": f"选民{number}", "gender": "FM"[i % 2],
                             "birth_date": birth, "id_number": _id_number("330199", birth, nth, "FM"[i % 2]), "phone": f"150{number:08d}",
                             "hukou_here": True, "lives_here": True, "party_member": False, "deprived_of_political_rights": False,
                             "is_resident_rep": False, "is_party_rep": False, "is_group_leader": False, "is_household_head": i % 2 == 0,
                             "created_at": dt.datetime.now(dt.timezone.utc)})
                number += 1
            db.execute(insert(Resident), rows)
            residents = db.execute(select(Resident.id, Resident.phone).where(Resident.community_id == community.id)).all()
            db.execute(insert(User), [{"resident_id": rid, "display_name": f"选民{rid}", "phone": phone, "password_hash": hashed,
                                       "active": True, "session_version": 1, "created_at": dt.datetime.now(dt.timezone.utc)} for rid, phone in residents])
            db.commit()
            election, round_ = election_at_polling(db, committee, community, polling_day=clock.today())
            sections = polling.sections_of(round_)
            elections.append({"election": election.public_id, "round": round_.number,
                              "form": {f"v-{s['id']}-{s['candidates'][0]['id']}": "approve" for s in sections} | {"action": "confirm"}})
            phones = dict(residents)
            users = db.execute(select(User.id, User.session_version, User.resident_id).where(User.resident_id.in_(list(phones)))).all()
            by_election.append([{"user_id": u, "version": v, "phone": phones[r], "election": c} for u, v, r in users])
    engine.dispose()
    mixed = [voter for group in itertools.zip_longest(*by_election) for voter in group if voter is not None]
    first = elections[0]  # for the benchmarks of one election (crash.py, doublevote.py)
    return {"elections": elections, "voters": mixed, "election": first["election"], "round": first["round"], "form": first["form"],
            "phones": [voter["phone"] for voter in by_election[0]]}


def ballot_path(setup: dict, voter: dict) -> str:
    election = setup["elections"][voter["election"]]
    return f"/elections/{election['election']}/rounds/{election['round']}/ballot"


def login(base: str, phone: str) -> httpx.Client:
    """A real login through /login (argon2 and all) — used for a sample of the voters."""
    client = httpx.Client(base_url=base, timeout=60)
    client.get("/login")
    response = client.post("/login", data={"csrftoken": client.cookies["csrftoken"], "identifier": phone, "password": PASSWORD})
    if response.status_code != 303:
        raise RuntimeError(f"login failed for {phone}: {response.status_code}")
    return client


def minted_requests(setup: dict, port: int) -> list[bytes]:
    """One ready-made HTTP request per voter, with the session cookie `/login` would have set after the
    password check (signed by the app's own SessionCookies with the server's key) and a CSRF pair made
    the way asgi_csrf makes it: logging 2,000 voters in through argon2 first would take minutes."""
    from types import SimpleNamespace
    from urllib.parse import urlencode

    from itsdangerous.url_safe import URLSafeSerializer

    from civic.security import SESSION_COOKIE, SessionCookies

    sessions = SessionCookies(SECRET, 12)
    csrf = URLSafeSerializer(SECRET)
    out = []
    for voter in setup["voters"]:
        path, user_id, version = ballot_path(setup, voter), voter["user_id"], voter["version"]
        token = csrf.dumps(os.urandom(8).hex(), "csrftoken")
        cookie = sessions.dumps(SimpleNamespace(id=user_id, session_version=version))
        body = urlencode({"csrftoken": token, **setup["elections"][voter["election"]]["form"]}).encode()
        head = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                f"Content-Length: {len(body)}\r\nCookie: {SESSION_COOKIE}={cookie}; csrftoken={token}\r\n\r\n")
        out.append(head.encode() + body)
    return out


async def drive(port: int, requests: list[bytes], concurrency: int) -> tuple[list[float], list[str], float]:
    """`concurrency` keep-alive connections, each sending the next voter's request when its last answer is
    in: a lean client (asyncio streams, no HTTP library) so the 2 cores go to the server, not the load."""
    import asyncio

    pending = iter(requests)
    latencies: list[float] = []
    errors: list[str] = []

    async def connection():
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        for raw in pending:
            started = time.perf_counter()
            writer.write(raw)
            status = await reader.readline()
            length, location = 0, ""
            while (line := await reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.decode("latin-1").partition(":")
                if name.lower() == "content-length":
                    length = int(value)
                elif name.lower() == "location":
                    location = value.strip()
            if length:
                await reader.readexactly(length)
            took = time.perf_counter() - started
            code = status.split()[1].decode() if status else "closed"
            if code == "303" and "code=" in location:
                latencies.append(took)
            else:
                errors.append(code)
        writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(connection() for _ in range(concurrency)))
    return latencies, errors, time.perf_counter() - started


def run(label: str, database_url: str | None, args, folder: Path) -> dict:
    import asyncio

    data = folder / label
    data.mkdir()
    url = database_url or f"sqlite:///{data / 'civic.db'}"
    setup = prepare(url, args.voters, args.communities)
    env = common.environment(data, database_url, CIVIC_SECRET_KEY=SECRET)
    with common.server(env, data, workers=args.workers) as (base, pid):
        port = int(base.rsplit(":", 1)[1])
        # A sample logs in for real and casts through httpx, so the path from /login on is covered too.
        for voter in setup["voters"][:SAMPLE]:
            client = login(base, voter["phone"])
            form = setup["elections"][voter["election"]]["form"]
            answer = client.post(ballot_path(setup, voter), data={"csrftoken": client.cookies["csrftoken"], **form})
            if answer.status_code != 303:
                raise RuntimeError(f"a logged-in sample voter could not cast: {answer.status_code}")
            client.close()
        requests = minted_requests(setup, port)[SAMPLE:]
        profiler = None
        if args.profile:  # py-spy samples the server while it casts (collapsed stacks, for flame graphs)
            import subprocess

            profiler = subprocess.Popen(["py-spy", "record", "--pid", str(pid.pid), "--subprocesses", "--format", "raw", "--rate", os.environ.get("BENCH_PROFILE_RATE", "100"), *([] if os.environ.get("BENCH_PROFILE_IDLE") else ["--gil"]), *(["--idle"] if os.environ.get("BENCH_PROFILE_IDLE") else []),
                                         "--output", f"{args.profile}.{label}.txt"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(1)
        cpu_before, client_before, pg_before = common.cpu_seconds(pid.pid), time.process_time(), common.postgres_cpu_seconds()
        latencies, errors, elapsed = asyncio.run(drive(port, requests, args.concurrency))
        cpu = common.cpu_seconds(pid.pid) - cpu_before
        client_cpu = time.process_time() - client_before
        pg_cpu = common.postgres_cpu_seconds() - pg_before if database_url else 0.0
        if profiler:
            profiler.send_signal(__import__("signal").SIGINT)
            profiler.wait()
        rss = common.rss_mb(pid.pid)
    latencies.sort()
    q = statistics.quantiles(latencies, n=100) if len(latencies) > 2 else [0] * 99
    return {"label": label, "rate": len(latencies) / elapsed, "p50": q[49] * 1000, "p95": q[94] * 1000, "p99": q[98] * 1000,
            "errors": len(errors), "rss": rss, "cast": len(latencies), "cpu_ms": cpu / max(len(latencies), 1) * 1000,
            "client_cores": client_cpu / elapsed, "server_cores": cpu / elapsed, "pg_cores": pg_cpu / elapsed}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--voters", type=int, default=4000)
    parser.add_argument("--communities", type=int, default=1, help="communities voting at once, each its own election (voters interleaved)")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--skip-pg", action="store_true")
    parser.add_argument("--profile", metavar="PREFIX", help="sample the server with py-spy while casting (PREFIX.sqlite.txt)")
    args = parser.parse_args()
    folder = common.temp_dir("civic-cast-")
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
          f"{args.voters} voters in {args.communities} communit{'y' if args.communities == 1 else 'ies'}, concurrency {args.concurrency}, {args.workers} workers")
    base_rate = baseline(args.voters, folder)
    print(f"baseline (raw sqlite3, mark + insert, fsync per commit): {base_rate:.0f} ballots/s")
    results = [run("sqlite", None, args, folder)]
    if not args.skip_pg:
        results.append(run("postgresql", common.fresh_postgres("civic_bench_cast"), args, folder))
    for r in results:
        print(f"{r['label']:10} {r['rate']:7.0f} ballots/s  ratio to baseline {r['rate'] / base_rate:.2f}  p50 {r['p50']:.0f} ms  "
              f"p95 {r['p95']:.0f} ms  p99 {r['p99']:.0f} ms  errors {r['errors']}  cast {r['cast']}  server CPU {r['cpu_ms']:.2f} ms/ballot  "
              f"server RSS {r['rss']:.0f} MB  cores used: server {r['server_cores']:.2f}, load client {r['client_cores']:.2f}"
              + (f", PostgreSQL {r['pg_cores']:.2f}" if r["pg_cores"] else ""))
    if len(results) == 2:
        print(f"PostgreSQL / SQLite throughput: {results[1]['rate'] / results[0]['rate']:.2f} (target ≥ 0.5)")
    common.cleanup(folder)
    return 0


if __name__ == "__main__":
    sys.exit(main())
