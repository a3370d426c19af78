"""Disclosure search benchmark: years of notices for many communities (bulk-written, hash-chained), then
the board's search as residents use it — per community, Chinese words of 2, 3 and 4+ characters, one and two
words — on SQLite (FTS5 trigram table) and PostgreSQL (pg_trgm GIN index). The same-run baseline is the
same query with a plain LIKE scan instead of the trigram index.

    python bench/disclosure_search.py [--communities 100] [--years 3] [--skip-pg]
"""
from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import common  # noqa: E402

QUERIES = ["低保", "财务收支", "加装电梯", "维修资金 公告", "不存在的词语"]


def build(url: str, communities: int, years: int) -> tuple[float, int]:
    from civic.db import make_engine, make_sessionmaker
    from civic.disclosure.scale import seed_communities
    from civic.migrate import upgrade
    from civic.registry.models import Community, District, StreetOffice
    from sqlalchemy import text

    upgrade(url)
    engine = make_engine(url)
    with make_sessionmaker(engine, write=True)() as db:
        district = District(name="基准区", code="bench")
        db.add(district)
        db.flush()
        street = StreetOffice(district_id=district.id, name="基准街道", code="bench-street")
        db.add(street)
        db.flush()
        rows = [Community(street_id=street.id, name=f"基准{i:03d}社区", code=f"b{i:03d}") for i in range(communities)]
        db.add_all(rows)
        db.flush()
        started = time.perf_counter()
        written = seed_communities(db, rows, years=years)
        db.commit()
        seconds = time.perf_counter() - started
        db.execute(text("ANALYZE"))  # planner statistics after a bulk load, as autovacuum would
        db.commit()
    engine.dispose()
    return seconds, written


@contextmanager
def like_only():
    """The baseline: every word by LIKE, no trigram index."""
    from civic.disclosure import queries
    from civic.disclosure.models import Disclosure
    from sqlalchemy import and_

    original = queries.search_condition

    def condition(db, q):
        terms = [t for t in (q or "").split() if t]
        return and_(*[Disclosure.search_text.like(queries._like(t), escape="\\") for t in terms]) if terms else None

    queries.search_condition = condition
    try:
        yield
    finally:
        queries.search_condition = original


def measure(url: str, rounds: int) -> dict:
    from sqlalchemy import func, select

    from civic.db import make_engine, make_sessionmaker
    from civic.disclosure import queries
    from civic.disclosure.models import Disclosure
    from civic.registry.models import Community

    engine = make_engine(url)
    results = {}
    with make_sessionmaker(engine)() as db:
        communities = list(db.execute(select(Community).order_by(Community.id)).scalars())
        today = queries.local_today()
        for q in QUERIES:
            for label, context in (("index", None), ("LIKE", like_only)):
                timings, hits = [], 0
                with (context() if context else _null()):
                    for _ in range(rounds):
                        for community in communities:
                            started = time.perf_counter()
                            page = queries.board(db, community, today=today, q=q)
                            timings.append((time.perf_counter() - started) * 1000)
                            hits += page.total
                timings.sort()
                results[(q, label)] = (statistics.median(timings), timings[int(len(timings) * 0.95) - 1], hits // rounds)
                # District-wide (the street office searching every community): where the index must earn its keep.
                with (context() if context else _null()):
                    wide = []
                    for _ in range(rounds * 5):
                        started = time.perf_counter()
                        condition = queries.search_condition(db, q)
                        total = db.scalar(select(func.count()).select_from(Disclosure).where(condition))
                        list(db.execute(select(Disclosure.id).where(condition).order_by(Disclosure.published_on.desc()).limit(20)).scalars())
                        wide.append((time.perf_counter() - started) * 1000)
                results[(q, label, "district")] = (statistics.median(wide), total)
    engine.dispose()
    return results


@contextmanager
def _null():
    yield


def report(name: str, seconds: float, written: int, results: dict) -> None:
    print(f"\n{name}: {written:,} notices written in {seconds:.1f} s ({written / seconds:,.0f}/s, each sealed, chained and audited)")
    print("per community (the board's search; hits summed over all communities):")
    print(f"{'query':<16}{'words':>6}{'hits':>8}   {'trigram p50/p95 ms':>20}   {'LIKE p50/p95 ms':>18}")
    for q in QUERIES:
        fast, slow = results[(q, "index")], results[(q, "LIKE")]
        assert fast[2] == slow[2], f"{q}: the index found {fast[2]}, LIKE {slow[2]}"
        print(f"{q:<16}{len(q.split()):>6}{fast[2]:>8}   {fast[0]:>9.2f} / {fast[1]:<8.2f}   {slow[0]:>8.2f} / {slow[1]:<8.2f}")
    print("district-wide (count and newest 20 over every community), median ms:")
    for q in QUERIES:
        fast, slow = results[(q, "index", "district")], results[(q, "LIKE", "district")]
        assert fast[1] == slow[1]
        print(f"{q:<16}{len(q.split()):>6}{fast[1]:>8}   {fast[0]:>20.2f}   {slow[0]:>18.2f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--communities", type=int, default=100)
    parser.add_argument("--years", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--skip-pg", action="store_true")
    args = parser.parse_args()
    print(f"disclosure search: {args.communities} communities × {args.years} years; Python {platform.python_version()}, {platform.machine()}")
    folder = common.temp_dir("civic-bench-disclosure-")
    try:
        url = f"sqlite:///{folder}/civic.db"
        seconds, written = build(url, args.communities, args.years)
        report("SQLite (FTS5 trigram)", seconds, written, measure(url, args.rounds))
        if not args.skip_pg:
            url = common.fresh_postgres("civic_bench_disclosure")
            seconds, written = build(url, args.communities, args.years)
            report("PostgreSQL (pg_trgm GIN)", seconds, written, measure(url, args.rounds))
    finally:
        common.cleanup(folder)
    return 0


if __name__ == "__main__":
    sys.exit(main())
