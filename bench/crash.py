"""No lost ballots: casts under load while the server is killed with SIGKILL at random moments.

Each run starts `civic serve`, lets 16 clients cast ballots, and SIGKILLs the server after a random
delay; then the next run restarts it. At the end every tracking code a client received must be on the
board chain, the roll marks, ballots and online entries must be equal in number, and `civic audit
verify` must find every chain intact.

    python bench/crash.py [--runs 20] [--voters 1200] [--database sqlite|postgresql]
"""
from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import common  # noqa: E402
from cast import PASSWORD, prepare  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--voters", type=int, default=1200)
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    data = common.temp_dir("civic-crash-")
    database_url = common.fresh_postgres("civic_bench_crash") if args.database == "postgresql" else None
    url = database_url or f"sqlite:///{data / 'civic.db'}"
    setup = prepare(url, args.voters)
    env = common.environment(data, database_url)
    path = f"/elections/{setup['election']}/rounds/{setup['round']}/ballot"
    phones = list(setup["phones"])
    per_run = len(phones) // args.runs
    received: list[str] = []
    lock = threading.Lock()
    for run in range(args.runs):
        voters = phones[run * per_run:(run + 1) * per_run]
        with common.server(env, data) as (base, process):
            clients = []
            for phone in voters:
                client = httpx.Client(base_url=base, timeout=10)
                client.get("/login")
                client.post("/login", data={"csrftoken": client.cookies["csrftoken"], "identifier": phone, "password": PASSWORD})
                clients.append(client)

            def cast(client):
                try:
                    response = client.post(path, data={"csrftoken": client.cookies["csrftoken"], **setup["form"]})
                except httpx.HTTPError:
                    return  # the server died under this request: no receipt was given
                location = response.headers.get("location", "")
                if response.status_code == 303 and "code=" in location:
                    with lock:
                        received.append(location.split("code=")[1])

            pool = ThreadPoolExecutor(16)
            futures = [pool.submit(cast, c) for c in clients]
            time.sleep(rng.uniform(0.05, 1.5))
            os.kill(process.pid, signal.SIGKILL)
            for future in futures:
                future.result()
            pool.shutdown()
            for client in clients:
                client.close()
        print(f"run {run + 1:2}: killed; {len(received)} receipts so far")
    # Restart once more (recovery), then check what is stored.
    with common.server(env, data) as (base, _process):
        pass
    problems = check(url, received, env, data)
    print(f"{args.runs} SIGKILLs, {len(received)} receipts given; problems: {problems or 'none'}")
    common.cleanup(data)
    return 1 if problems else 0


def check(url: str, received: list[str], env: dict, data: Path) -> list[str]:
    from sqlalchemy import func, select

    from civic.db import make_engine, make_sessionmaker
    from civic.elections.models import Ballot, BoardEntry, RollMark

    engine = make_engine(url)
    problems = []
    with make_sessionmaker(engine)() as db:
        codes = set(db.execute(select(BoardEntry.tracking_code).where(BoardEntry.kind == "online")).scalars())
        missing = [c for c in received if c not in codes]
        if missing:
            problems.append(f"{len(missing)} receipts not on the board")
        marks = db.scalar(select(func.count()).select_from(RollMark).where(RollMark.channel == "online"))
        ballots = db.scalar(select(func.count()).select_from(Ballot))
        if not marks == ballots == len(codes):
            problems.append(f"marks {marks}, ballots {ballots}, online entries {len(codes)} differ")
        print(f"stored: {marks} marks, {ballots} ballots, {len(codes)} online entries; {len(received)} receipts, all on the board: {not missing}")
    engine.dispose()
    verify = subprocess.run([sys.executable, "-m", "civic.cli", "audit", "verify"], env=env, cwd=data, capture_output=True, text=True)
    print(verify.stdout.strip())
    if verify.returncode != 0:
        problems.append("civic audit verify failed")
    return problems


if __name__ == "__main__":
    sys.exit(main())
