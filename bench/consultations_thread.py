"""How a 10,000-comment thread behaves: time and queries per page, against a 50-comment baseline in the same run.

    .venv/bin/python bench/consultations_thread.py            # SQLite (a fresh file in a temp folder)
    .venv/bin/python bench/consultations_thread.py --pg       # also PostgreSQL at CIVIC_TEST_PG_URL (a scratch database)

Measures the read query alone (queries.thread) and whole pages through the ASGI stack (a logged-in resident:
session, templates, CSRF, htmx fragments). Never part of the test run.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, event, text  # noqa: E402

from civic.db import make_sessionmaker  # noqa: E402
from civic.migrate import upgrade  # noqa: E402

BIG = (2_500, 7_500)  # top-level comments, replies: 10,000 in all
SMALL = (20, 30)
RUNS = 7


def measure(fn, engine) -> tuple[float, int]:
    """Median milliseconds over RUNS (after one warm-up), and SELECTs of one run."""
    fn()
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), selects(fn, engine)


_SEEN = {"selects": 0}


def count_on_sqlite(engine) -> None:
    """SELECTs counted by SQLite itself on every connection of `engine` (some reads go to the driver's cursor,
    past SQLAlchemy's events), as bench/pages.py counts them."""
    def trace(sql: str) -> None:
        if sql.lstrip()[:6].upper() in ("SELECT", "WITH"):
            _SEEN["selects"] += 1

    event.listen(engine, "connect", lambda dbapi_connection, _record: dbapi_connection.set_trace_callback(trace))
    engine.dispose()  # connections opened before the listener: reopened with it


def selects(fn, engine) -> int:
    if engine.dialect.name == "sqlite":
        _SEEN["selects"] = 0
        fn()
        return _SEEN["selects"]
    from tests.helpers import counted  # PostgreSQL: what goes through SQLAlchemy (driver-cursor reads not counted)

    with counted(engine) as seen:
        fn()
    return len(seen)


def build(url: str, data_dir: Path):
    from civic.app import create_app
    from civic.consultations import services
    from civic.settings import Settings
    from tests.consultations.conftest import build_world
    from tests.consultations.factories import bulk_thread

    upgrade(url)
    app = create_app(Settings.from_env({}, database_url=url, data_dir=data_dir, secret_key="bench", htmx_url="/static/vendor/htmx.min.js"))
    with make_sessionmaker(app.state.engine, write=True)() as db:
        world = build_world(db, residents=40)
        users = [a.user.id for a in world.residents]
        small = services.propose_topic(db, world.residents[0], world.home, title="小讨论", body="五十条评论的议题。")
        big = services.propose_topic(db, world.residents[1], world.home, title="大讨论", body="一万条评论的议题。")
        started = time.perf_counter()
        bulk_thread(db, small.id, users, *SMALL, seed=1)
        bulk_thread(db, big.id, users, *BIG, seed=2)
        print(f"  built 10,050 comments in {time.perf_counter() - started:.1f} s")
        reader = world.users.people[3]
    return app, small.id, big.id, reader


def run(label: str, url: str) -> None:
    from civic.consultations import queries
    from tests.helpers import Client

    print(f"\n== {label} ==")
    with tempfile.TemporaryDirectory() as folder:
        app, small_id, big_id, reader = build(url, Path(folder))
        engine = app.state.engine
        if engine.dialect.name == "sqlite":
            count_on_sqlite(engine)
        sessions = make_sessionmaker(engine)
        client = Client(app).login_as(reader)
        last_page = -(-BIG[0] // queries.ROOTS_PER_PAGE)
        rows = []
        for sort in ("best", "newest", "discussed"):
            for page in (1, 60, last_page):
                def read(thread_id, sort=sort, page=page):
                    with sessions() as db:
                        queries.thread(db, thread_id, None, sort=sort, page=page, user_id=reader.id)
                base_ms, base_q = measure(lambda: read(small_id), engine)
                ms, q = measure(lambda: read(big_id), engine)
                rows.append((f"queries.thread sort={sort} page={page}", ms, q, base_ms, base_q))
        pages = [("/consultations/{id}", {}), ("/consultations/{id}/comments?sort=newest&page=60", {}),
                 ("/consultations/{id}/comments?sort=best&page=2&fragment=more", {"HX-Request": "true"}),
                 (f"/consultations/{{id}}/comments?sort=oldest&page={last_page}", {})]
        for path, headers in pages:
            def get(thread_id, path=path, headers=headers):
                response = client.get(path.format(id=thread_id), headers=headers)
                assert response.status_code == 200, response.status_code
            base_ms, base_q = measure(lambda: get(small_id), engine)
            ms, q = measure(lambda: get(big_id), engine)
            rows.append((f"GET {path.replace('{id}', 'N')}{' (htmx)' if headers else ''}", ms, q, base_ms, base_q))
        size = len(client.get(f"/consultations/{big_id}").content)
        print(f"  {'what':<72} {'10,000: ms':>11} {'queries':>8} {'50: ms':>8} {'queries':>8}")
        for what, ms, q, base_ms, base_q in rows:
            print(f"  {what:<72} {ms:>11.1f} {q:>8} {base_ms:>8.1f} {base_q:>8}")
        print(f"  first page of the 10,000-comment thread: {size / 1024:.0f} KiB of HTML "
              f"({queries.ROOTS_PER_PAGE} top-level comments, up to {queries.REPLIES_PER_ROOT} replies each)")
        engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg", action="store_true", help="also run against PostgreSQL")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        run("SQLite", f"sqlite:///{folder}/bench.db")
    if args.pg:
        admin_url = os.environ.get("CIVIC_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
        name = f"civic_bench_{uuid.uuid4().hex[:8]}"
        admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            run("PostgreSQL", admin_url.rsplit("/", 1)[0] + "/" + name)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}' AND pid <> pg_backend_pid()"))
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            admin.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
