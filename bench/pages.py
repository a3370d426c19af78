"""Page benchmark: the election page, a consultation thread, the disclosure list and the appraisal results,
anonymous and logged in, under wrk (32 connections), against a bare Starlette+Jinja2 page served the same
way in the same run; plus the SQL queries each page issues (on this data and on a bigger one, to show they
do not grow with the data).

    python bench/pages.py [--workers 2] [--seconds 10] [--scale small|district]
"""
from __future__ import annotations

import argparse
import http.cookiejar
import platform
import re
import sys
import urllib.parse
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402

PAGES = {
    "election page": ("/elections/?community=anhe", r'href="(/elections/e-[^/"?]+/)"'),
    "consultation thread": ("/consultations/?community=anhe", r'href="(/consultations/(?:topics|meetings)/\d+/?)"'),
    "disclosure list": ("/disclosure/?community=anhe", None),
    "appraisal results": ("/appraisal/?community=anhe", r'href="(/appraisal/[^"]*results[^"]*)"'),
}


def discover(base: str, opener) -> dict[str, str]:
    urls = {}
    for name, (index, pattern) in PAGES.items():
        html = opener.open(base + index).read().decode()
        if pattern is None:
            urls[name] = index
            continue
        match = re.search(pattern, html)
        if match:
            urls[name] = match.group(1)
        else:
            print(f"  ! no link for {name} on {index}; measuring the index instead")
            urls[name] = index
    return urls


def login_cookie(base: str, phone: str) -> str:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.open(base + "/login").read()
    token = next(c.value for c in jar if c.name == "csrftoken")
    data = urllib.parse.urlencode({"csrftoken": token, "identifier": phone, "password": "civic-demo-2026"}).encode()
    opener.open(base + "/login", data).read()
    return "; ".join(f"{c.name}={c.value}" for c in jar)


def count_queries(data: Path, urls: dict[str, str]) -> dict[str, int]:
    """Queries per page, counted in-process over the real ASGI stack (anonymous)."""
    import os

    from sqlalchemy import event
    from starlette.testclient import TestClient

    os.environ["CIVIC_DATA_DIR"] = str(data)
    from civic.app import create_app
    from civic.settings import Settings

    app = create_app(Settings.from_env())
    counter = {"n": 0}
    event.listen(app.state.engine, "before_cursor_execute", lambda *a, **k: counter.__setitem__("n", counter["n"] + 1))
    out = {}
    with TestClient(app) as client:
        for name, url in urls.items():
            client.get(url)
            counter["n"] = 0
            client.get(url)
            out[name] = counter["n"]
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--scale", default="small", choices=["small", "district"])
    parser.add_argument("--data", help="reuse a data folder that already holds the demo")
    args = parser.parse_args()
    data = Path(args.data) if args.data else common.temp_dir("civic-pages-")
    env = common.environment(data)
    if not args.data:
        print(f"loading the demo ({args.scale}) into {data} …")
        common.civic("demo", *(["--scale", "district"] if args.scale == "district" else []), env=env, cwd=data)
    print(f"machine: {platform.machine()}, {common.os.cpu_count()} cores, Python {platform.python_version()}; workers={args.workers}, wrk -c{args.connections} -d{args.seconds}s")
    # The baseline runs from bench/ (its module lives there).
    baseline_env = {**env, "PYTHONPATH": str(Path(__file__).resolve().parent)}
    with common.server(baseline_env, data, app="baseline_app:app", workers=args.workers) as (base, _pid):
        baseline = common.wrk(base + "/", args.seconds, args.connections)
    print(f"baseline (bare Starlette + Jinja2, 50 items): {baseline['rps']:.0f} req/s, p50 {baseline['p50']:.1f} ms, p99 {baseline['p99']:.1f} ms")
    rows = []
    with common.server(env, data, workers=args.workers) as (base, pid):
        opener = urllib.request.build_opener()
        urls = discover(base, opener)
        cookie = login_cookie(base, "13900000001")
        for name, url in urls.items():
            for who, header in (("anonymous", None), ("logged in", f"Cookie: {cookie}")):
                result = common.wrk(base + url, args.seconds, args.connections, header=header)
                rows.append((name, who, url, result))
                print(f"{name:22} {who:10} {result['rps']:8.0f} req/s  ratio {result['rps'] / baseline['rps']:.2f}  "
                      f"p50 {result['p50']:6.1f} ms  p99 {result['p99']:6.1f} ms  non-2xx {result['non2xx']}  ({url})")
        print(f"server RSS after the run: {common.rss_mb(pid.pid):.0f} MB")
    queries = count_queries(data, urls)
    print("queries per page (anonymous): " + ", ".join(f"{k}: {v}" for k, v in queries.items()))
    worst = min(r[3]["rps"] / baseline["rps"] for r in rows)
    print(f"worst ratio to baseline: {worst:.2f} (target ≥ 0.25)")
    if not args.data:
        common.cleanup(data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
