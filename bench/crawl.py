"""Crawl benchmark: every page a signed-in user reaches from the home page, each timed in process.

The page benchmark measures six chosen pages under load; this one looks for the pages nobody chose. It logs in
(through /login) as each of a few users — a resident, a district-wide admin, a street office's supervisor —
follows every same-site link breadth first (GET only; not downloads, exports, fragments or logging out; at most
`--per-shape` URLs of one shape, digits and community codes counting as one), and times each page's CPU in
this process, over the real ASGI stack (httpx's ASGI transport): the first request (cold caches) and the best
of three after it (what a reader usually gets). The same-run baseline is the bare Starlette + Jinja2 page of
`baseline_app.py`, timed the same way; a page's ratio is its CPU over the baseline's.

    python bench/crawl.py --data DIR [--login PHONE ...] [--pages 300] [--per-shape 3] [--top 20]
                          [--save FILE] [--compare FILE [--recheck DIR]]

`--compare` takes a crawl saved from another data folder (e.g. the small demo) and prints, per page shape both
reached, how many times more CPU it took here — the issue's "no page slower than on the small demo by more
than 2×", for every page instead of six. With `--recheck DIR` (the compared crawl's data folder) each shape over 2×
is timed again on both data in this one process, in turn, so that a noisy minute of a shared machine is not
taken for a slow page.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

PASSWORD = "civic-demo-2026"
LOGINS = {  # the demo's own users: a resident, a district-wide admin, a street office's supervisor
    "small": ("13900000001", "13800000000", "13800000001"),
    "district": ("13700100001", "13700000002", "13700090001"),
}
SKIP = re.compile(r"\.(csv|xlsx|pdf|json|atom|png|svg|zip|js|css|txt)(\?|$)|/export|/download|/logout|/static/|/attachments/"
                  r"|/print|/letter|fragment=|/set-locale|/text-size")
SLOW_RATIO = 20  # a page taking 20 × the baseline's CPU (≈ 4–5 ms here) is listed as slow
REPEATS = 3


def shape_of(url: str, codes: list[str]) -> str:
    """`/registry/c/scale-001?page=2` and `/registry/c/anhe?page=7` are one shape: `/registry/c/C?page`."""
    path, _, query = url.partition("?")
    for code in codes:
        path = re.sub(rf"(?<![\w-]){re.escape(code)}(?![\w-])", "C", path)
    path = re.sub(r"\d+", "N", path)
    keys = sorted(part.split("=", 1)[0] for part in query.split("&") if part)
    return path + ("?" + "&".join(keys) if keys else "")


async def timed(client, url: str) -> tuple[float, object]:
    started = time.process_time()
    response = await client.get(url)
    return (time.process_time() - started) * 1000, response


async def baseline_ms() -> float:
    import httpx

    from baseline_app import app

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as client:
        for _ in range(50):
            await client.get("/")
        return min([(await timed(client, "/"))[0] for _ in range(200)])


async def crawl(app, phone: str, codes: list[str], pages: int, per_shape: int) -> list[dict]:
    import httpx

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench", timeout=120) as client:
        await client.get("/login")
        await client.post("/login", data={"identifier": phone, "password": PASSWORD, "csrftoken": client.cookies.get("csrftoken", "")})
        if "/logout" not in (await client.get("/")).text:
            raise SystemExit(f"could not log in as {phone} (is it a login of this data?)")
        queue, seen, shapes, found = ["/"], {"/"}, {}, []
        while queue and len(found) < pages:
            url = queue.pop(0)
            first, response = await timed(client, url)
            warm = min([(await timed(client, url))[0] for _ in range(REPEATS)])
            found.append({"url": url, "shape": shape_of(url, codes), "status": response.status_code, "bytes": len(response.content),
                          "first_ms": first, "ms": warm})
            if response.status_code != 200 or "text/html" not in response.headers.get("content-type", ""):
                continue
            for link in re.findall(r'href="(/[^"#]*)"', response.text):
                link = link.replace("&amp;", "&")
                shape = shape_of(link, codes)
                if link in seen or SKIP.search(link) or shapes.get(shape, 0) >= per_shape:
                    continue
                shapes[shape] = shapes.get(shape, 0) + 1
                seen.add(link)
                queue.append(link)
        return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", required=True, help="a folder loaded with `civic demo [--scale district]` (CIVIC_DATA_DIR)")
    parser.add_argument("--login", action="append", help="phone of a user to crawl as (repeatable; default: the demo's resident, admin, street supervisor)")
    parser.add_argument("--pages", type=int, default=300, help="pages per user at most")
    parser.add_argument("--per-shape", type=int, default=3, help="URLs of one shape followed at most")
    parser.add_argument("--top", type=int, default=20)
    parser.add_argument("--save")
    parser.add_argument("--compare")
    parser.add_argument("--recheck", metavar="DIR", help="with --compare: the data folder of the compared crawl; every shape over 2× "
                        "is timed again on both data in this process, alternating (on a shared machine a crawl's best of three is noisy)")
    args = parser.parse_args()

    os.environ["CIVIC_DATA_DIR"] = str(Path(args.data).resolve())
    from sqlalchemy import select

    from civic.app import create_app
    from civic.registry.models import Community
    from civic.settings import Settings

    app = create_app(Settings.from_env())
    with app.state.read_sessions() as session:
        codes = sorted(session.scalars(select(Community.code)), key=len, reverse=True)
    scale = "district" if len(codes) > 10 else "small"
    logins = args.login or LOGINS[scale]
    base = asyncio.run(baseline_ms())
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, load average "
          f"{'/'.join(f'{x:.1f}' for x in os.getloadavg())}; data: {scale} ({len(codes)} communities)")
    print(f"baseline (bare Starlette + Jinja2, 50 items, in process): {base:.3f} ms CPU a request")
    results = {}
    for phone in logins:
        found = asyncio.run(crawl(app, phone, codes, args.pages, args.per_shape))
        found.sort(key=lambda page: -page["ms"])
        errors = [page for page in found if page["status"] >= 500]
        slow = [page for page in found if page["ms"] > SLOW_RATIO * base]
        print(f"\n{phone}: {len(found)} pages, {len(errors)} server errors, {len(slow)} over {SLOW_RATIO}× the baseline; the slowest:")
        for page in found[:args.top]:
            print(f"  {page['ms']:8.2f} ms ({page['ms'] / base:6.1f}×)  first {page['first_ms']:8.2f} ms  {page['status']}  "
                  f"{page['bytes']:7d} B  {page['url']}")
        for page in errors:
            print(f"  ! {page['status']} {page['url']}")
        results[phone] = found
    if args.save:
        Path(args.save).write_text(json.dumps({"scale": scale, "baseline_ms": base, "logins": list(logins), "results": results}, ensure_ascii=False))
    if args.compare:
        other = json.loads(Path(args.compare).read_text())
        flagged = compare(other, base, results)
        if args.recheck and flagged:
            os.environ["CIVIC_DATA_DIR"] = str(Path(args.recheck).resolve())
            there_app = create_app(Settings.from_env())
            asyncio.run(recheck(app, there_app, flagged, other["scale"]))
    return 0


RECHECK_ROUNDS = 5


async def recheck(here_app, there_app, flagged: list[tuple], there_scale: str) -> None:
    """Each flagged page here and its shape's page there, logged in as the user of each crawl, timed in turn
    (best of three, five rounds): the same process and minute for both, so their ratio needs no baseline."""
    import httpx

    print(f"\nthe shapes over 2× timed again here and on the {there_scale} data, alternating ({RECHECK_ROUNDS} rounds, best of {REPEATS}):")
    confirmed = 0
    for shape, here, there in flagged:
        best = []
        for app, (phone, url) in ((here_app, here), (there_app, there)):
            client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench", timeout=120)
            await client.get("/login")
            await client.post("/login", data={"identifier": phone, "password": PASSWORD, "csrftoken": client.cookies.get("csrftoken", "")})
            best.append([client, url, float("inf")])
        for _round in range(RECHECK_ROUNDS):
            for side in best:
                side[2] = min(side[2], *[(await timed(side[0], side[1]))[0] for _ in range(REPEATS)])
        for side in best:
            await side[0].aclose()
        factor = best[0][2] / best[1][2]
        confirmed += factor > 2
        print(f"  {factor:6.2f}×  {shape}  ({here[0]}: {best[0][2]:.2f} ms {here[1]}; {there[0]}: {best[1][2]:.2f} ms {there[1]})")
    print(f"  {confirmed} of {len(flagged)} still more than 2× slower")


def compare(other: dict, base: float, results: dict) -> list[tuple]:
    """Per page shape reached in both crawls (by the user in the same position of --login): CPU here over CPU
    there, each as a ratio to its own run's baseline. Returns the shapes over 2× with a page of each side:
    (shape, (phone, url) here, (phone, url) there)."""
    print(f"\ncompared with the {other['scale']} crawl (each side over its own baseline); shapes more than 2× slower here first:")
    rows = []
    for (phone, found), (their_phone, theirs) in zip(results.items(), other["results"].items()):
        there: dict[str, tuple[float, str]] = {}
        for page in theirs:
            if page["status"] == 200:
                there.setdefault(page["shape"], (page["ms"] / other["baseline_ms"], page["url"]))
        for page in found:
            if page["shape"] in there and page["status"] == 200:
                ratio, their_url = there[page["shape"]]
                rows.append((page["ms"] / base / ratio, page["shape"], phone, page["url"], their_phone, their_url))
    seen, flagged = set(), []
    for factor, shape, phone, url, their_phone, their_url in sorted(rows, reverse=True):
        if (shape, phone) in seen:
            continue
        seen.add((shape, phone))
        if factor > 2:
            flagged.append((shape, (phone, url), (their_phone, their_url)))
        if factor > 2 or len(seen) <= 10:
            print(f"  {factor:6.2f}×  {shape}  ({phone})")
    print(f"  {sum(1 for row in rows if row[0] > 2)} of {len(rows)} pages more than 2× slower")
    return flagged


if __name__ == "__main__":
    sys.exit(main())
