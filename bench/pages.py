"""Page benchmark: the election page, a consultation thread, the disclosure list, the appraisal results, and
two pages that list every community (the home page, the appraisal index), anonymous and logged in, under wrk (32 connections), against a bare Starlette+Jinja2 page served the same (before and after the pages: the ratios are over the faster run)
way in the same run; each page also with one client alone (its latency without queueing: with 32
connections, p50 ≈ 32 / requests per second); plus the SQL queries each page issues.

    python bench/pages.py [--scale small|district] [--data DIR] [--community CODE] [--login PHONE]
                          [--workers 2] [--seconds 10] [--connections 32] [--save FILE] [--compare FILE]

--scale small loads `civic demo` (3 communities, 150 residents each) and measures 安和社区 (anhe);
--scale district loads `civic demo --scale district` (100 communities, 1,000,000 residents, 10,000-comment
threads, ten years of notices; about ten minutes) and measures 规模001社区 (scale-001). Load once with
`civic demo [--scale district]` into a folder (CIVIC_DATA_DIR=DIR) and pass `--data DIR` to reuse it.
--save writes the figures as JSON; --compare FILE prints each page's ratio to a saved run (e.g. district
against small: p95 and requests/s, and whether the queries per page stayed the same).

The pages measured are found from the community's index pages: the newest election, the consultation with
the most comments (its thread), the disclosure board, the newest published appraisal's results; the home page
and the appraisal index are "/" and "/appraisal/".
"""
from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import platform
import re
import sys
import urllib.parse
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402

DEFAULTS = {"small": {"community": "anhe", "login": "13900000001"}, "district": {"community": "scale-001", "login": "13700100001"}}
PAGES = ("election page", "consultation thread", "disclosure list", "appraisal results", "home page", "appraisal index")
P95_TARGET_MS = 50
SOLO_SECONDS = 5  # each page also measured with one client alone: its latency without queueing
RATIO_TARGET = 0.25


def _links(html: str, pattern: str) -> list[str]:
    seen = []
    for link in re.findall(pattern, html):
        if link not in seen:
            seen.append(link)
    return seen


def _busiest_thread(html: str) -> str | None:
    """The consultation card with the most comments ("N 条评论" / "N comments")."""
    best, best_count = None, -1
    for card in re.split(r'<li class="card"', html)[1:]:
        link = re.search(r'href="(/consultations/\d+)"', card)
        count = re.search(r"([\d,]+)\s*(?:条评论|comments?)", card)
        if link:
            n = int(count.group(1).replace(",", "")) if count else 0
            if n > best_count:
                best, best_count = link.group(1), n
    return best


def discover(base: str, community: str, opener) -> dict[str, str]:
    """The URL of each measured page, from the community's index pages (the index itself when nothing links)."""
    def get(path: str) -> str:
        return opener.open(base + path).read().decode()

    q = urllib.parse.quote(community)
    urls = {}
    index = f"/elections/?community={q}"
    found = _links(get(index), r'href="(/elections/e-[^/"?#]+)"')  # newest first (by polling day)
    urls["election page"] = found[0] if found else index
    index = f"/consultations/?community={q}"
    urls["consultation thread"] = _busiest_thread(get(index)) or index
    urls["disclosure list"] = f"/disclosure/?community={q}"
    index = f"/appraisal/?community={q}"
    found = _links(get(index), r'href="(/appraisal/\d+/results)"')
    urls["appraisal results"] = max(found, key=lambda u: int(u.split("/")[2])) if found else index
    # Pages that list every community (seven index pages do; the appraisal's, with each community's campaigns,
    # is the longest): their cost grows with the district, not with one community.
    urls["home page"] = "/"
    urls["appraisal index"] = "/appraisal/"
    for name, url in urls.items():
        if "?community=" in url and name != "disclosure list":
            print(f"  ! no {name} linked from {url}; measuring the index instead")
    return urls


def login_cookie(base: str, phone: str) -> str:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.open(base + "/login").read()
    token = next(c.value for c in jar if c.name == "csrftoken")
    data = urllib.parse.urlencode({"csrftoken": token, "identifier": phone, "password": "civic-demo-2026"}).encode()
    opener.open(base + "/login", data).read()
    if not any(c.name != "csrftoken" for c in jar):
        raise SystemExit(f"could not log in as {phone} (is it a login of this data?)")
    return "; ".join(f"{c.name}={c.value}" for c in jar)


def count_queries(data: Path, urls: dict[str, str], cookie: str) -> dict[str, dict[str, int]]:
    """SQL statements per page, counted in-process over the real ASGI stack (second request: warm caches).
    Counted with the page cache off: what rendering a page costs (a cache hit costs one tiny query); and,
    as "logged in, warm", with the caches on: a signed-in page whose shared fragments are kept."""
    from sqlalchemy import event
    from starlette.testclient import TestClient

    os.environ["CIVIC_DATA_DIR"] = str(data)
    from civic.app import create_app
    from civic.settings import Settings

    out: dict[str, dict[str, int]] = {name: {} for name in urls}
    for seconds, readers in ((0, (("anonymous", {}), ("logged in", {"Cookie": cookie}))), (30, (("logged in, warm", {"Cookie": cookie}),))):
        app = create_app(Settings.from_env(page_cache_seconds=seconds))
        counter = {"n": 0}
        # Counted by SQLite itself (every statement a connection runs, whoever sends it: some reads go to the
        # driver's cursor directly, past SQLAlchemy's events), transaction control left out.
        def trace(sql: str) -> None:
            if sql.lstrip()[:6].upper() in ("SELECT", "WITH", "INSERT", "UPDATE", "DELETE"):
                counter["n"] += 1

        event.listen(app.state.engine, "connect", lambda dbapi_connection, _record: dbapi_connection.set_trace_callback(trace))
        app.state.engine.dispose()  # connections opened before the listener: reopened with it
        with TestClient(app) as client:
            for name, url in urls.items():
                for who, headers in readers:
                    client.cookies.clear()
                    client.get(url, headers=headers)
                    counter["n"] = 0
                    response = client.get(url, headers=headers)
                    out[name][who] = counter["n"] if response.status_code == 200 else -response.status_code
        app.state.engine.dispose()
    return out


def compare(rows: list[dict], queries: dict, baseline_rps: float, path: str) -> None:
    before = json.loads(Path(path).read_text())
    old = {(r["page"], r["who"]): r for r in before["rows"]}
    print(f"\ncompared with {path} ({before['scale']}, {before['community']}): ratio of requests/s to each run's own baseline, p95")
    for r in rows:
        o = old.get((r["page"], r["who"]))
        if not o:
            continue
        now_ratio, old_ratio = r["rps"] / baseline_rps, o["rps"] / before["baseline"]["rps"]
        q_now, q_old = queries[r["page"]][r["who"]], before["queries"][r["page"]][r["who"]]
        slower = old_ratio / now_ratio if now_ratio else float("inf")
        solo = f"  alone p95 {o['solo']['p95']:.1f} → {r['solo']['p95']:.1f} ms" if "solo" in o else ""
        print(f"  {r['page']:20} {r['who']:10} ratio {old_ratio:.2f} → {now_ratio:.2f} ({slower:.2f}× slower)  "
              f"p95 {o['p95']:.1f} → {r['p95']:.1f} ms{solo}  queries {q_old} → {q_now}{'' if q_now == q_old else '  (CHANGED)'}")


def measure_baseline(env: dict, data: Path, args) -> dict:
    """The bare Starlette + Jinja2 page, served as Civic is (same workers, same wrk)."""
    baseline_env = {**env, "PYTHONPATH": str(Path(__file__).resolve().parent)}  # its module lives in bench/
    with common.server(baseline_env, data, app="baseline_app:app", workers=args.workers) as (base, server):
        before = common.cpu_seconds(server.pid)
        baseline = common.wrk(base + "/", args.seconds, args.connections)
        baseline["cpu_ms"] = (common.cpu_seconds(server.pid) - before) / max(baseline["requests"], 1) * 1000
        baseline["solo"] = common.wrk(base + "/", SOLO_SECONDS, 1, threads=1)
    print(f"baseline (bare Starlette + Jinja2, 50 items): {baseline['rps']:.0f} req/s, p50 {baseline['p50']:.1f} ms, "
          f"p95 {baseline['p95']:.1f} ms, p99 {baseline['p99']:.1f} ms; one client alone: p50 {baseline['solo']['p50']:.1f} ms, "
          f"p95 {baseline['solo']['p95']:.1f} ms; server CPU {baseline['cpu_ms']:.2f} ms/request")
    return baseline


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--scale", default="small", choices=["small", "district"])
    parser.add_argument("--data", help="reuse a data folder that already holds the demo")
    parser.add_argument("--community", help="community code (default: anhe for small, scale-001 for district)")
    parser.add_argument("--login", help="phone of the logged-in reader (default: a resident of that community)")
    parser.add_argument("--save", help="write the figures to this JSON file")
    parser.add_argument("--compare", help="a JSON file saved by an earlier run, to compare with")
    parser.add_argument("--only", action="append", choices=PAGES, help="measure only this page (repeatable)")
    parser.add_argument("--no-page-cache", action="store_true", help="serve with CIVIC_PAGE_CACHE_SECONDS=0: what rendering costs")
    args = parser.parse_args()
    community = args.community or DEFAULTS[args.scale]["community"]
    phone = args.login or DEFAULTS[args.scale]["login"]
    data = Path(args.data) if args.data else common.temp_dir("civic-pages-")
    env = common.environment(data, **({"CIVIC_PAGE_CACHE_SECONDS": "0"} if args.no_page_cache else {}))
    if not args.data:
        print(f"loading the demo ({args.scale}) into {data} …")
        common.civic("demo", *(["--scale", "district"] if args.scale == "district" else []), env=env, cwd=data)
    load = os.getloadavg()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, load average "
          f"{load[0]:.1f}/{load[1]:.1f}/{load[2]:.1f}; workers={args.workers}, wrk -c{args.connections} -d{args.seconds}s; "
          f"data: {args.scale}, community {community}")
    # The baseline runs before and after the pages; the ratios are over the faster of the two: a slow moment
    # of a shared machine during one baseline run would otherwise flatter every page.
    first = measure_baseline(env, data, args)
    rows = []
    rows = []
    with common.server(env, data, workers=args.workers) as (base, pid):
        urls = {k: v for k, v in discover(base, community, urllib.request.build_opener()).items() if not args.only or k in args.only}
        cookie = login_cookie(base, phone)
        for name, url in urls.items():
            for who, header in (("anonymous", None), ("logged in", f"Cookie: {cookie}")):
                before = common.cpu_seconds(pid.pid)
                result = common.wrk(base + url, args.seconds, args.connections, header=header)
                result["cpu_ms"] = (common.cpu_seconds(pid.pid) - before) / max(result["requests"], 1) * 1000
                result["solo"] = common.wrk(base + url, SOLO_SECONDS, 1, threads=1, header=header)
                rows.append({"page": name, "who": who, "url": url, **result})
                print(f"{name:20} {who:10} {result['rps']:7.0f} req/s  ratio {result['rps'] / first['rps']:.2f}  "
                      f"p50 {result['p50']:6.1f}  p95 {result['p95']:6.1f}  p99 {result['p99']:6.1f} ms  "
                      f"alone p50 {result['solo']['p50']:5.1f}  p95 {result['solo']['p95']:5.1f} ms  "
                      f"CPU {result['cpu_ms']:.2f} ms/request ({result['cpu_ms'] / first['cpu_ms']:.1f}× the baseline's)  "
                      f"non-2xx {result['non2xx']}  socket errors {result['socket_errors']}  ({url})")
        rss = common.rss_mb(pid.pid)
        print(f"server RSS after the run: {rss:.0f} MB")
    second = measure_baseline(env, data, args)
    baseline = max(first, second, key=lambda b: b["rps"])
    print(f"the ratios above are over the first baseline run; the faster of the two runs ({baseline['rps']:.0f} req/s) gives:")
    for r in rows:
        print(f"  {r['page']:20} {r['who']:10} ratio {r['rps'] / baseline['rps']:.2f}  CPU {r['cpu_ms'] / baseline['cpu_ms']:.1f}× the baseline's")
    queries = count_queries(data, urls, cookie)
    print("queries per page (anonymous / logged in / logged in with warm fragments): "
          + ", ".join(f"{k}: {v['anonymous']}/{v['logged in']}/{v['logged in, warm']}" for k, v in queries.items()))
    worst = min(rows, key=lambda r: r["rps"])
    slowest = max(rows, key=lambda r: r["p95"])
    alone = max(rows, key=lambda r: r["solo"]["p95"])
    print(f"worst ratio to baseline: {worst['rps'] / baseline['rps']:.2f} ({worst['page']}, {worst['who']}; target ≥ {RATIO_TARGET}); "
          f"worst p95: {slowest['p95']:.1f} ms under {args.connections} connections, {alone['solo']['p95']:.1f} ms alone "
          f"({alone['page']}, {alone['who']}; target < {P95_TARGET_MS} ms)")
    if args.compare:
        compare(rows, queries, baseline["rps"], args.compare)
    if args.save:
        Path(args.save).write_text(json.dumps({
            "scale": args.scale, "community": community, "machine": f"{platform.machine()}, {os.cpu_count()} cores", "load": load,
            "workers": args.workers, "connections": args.connections, "seconds": args.seconds, "baseline": baseline,
            "baselines": [first, second], "rows": rows,
            "queries": queries, "rss_mb": rss,
        }, ensure_ascii=False, indent=1))
    if not args.data:
        common.cleanup(data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
