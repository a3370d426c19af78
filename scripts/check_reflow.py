"""Reflow check (WCAG 1.4.10): crawl a running Civic as a few users in Debian's Chromium at a phone's width,
without JavaScript, and list every page wider than the screen with its widest element outside a scrolling box.

    .venv/bin/python scripts/check_reflow.py [--base http://127.0.0.1:8000] [--width 420] [--english-large]
                                             [--login PHONE ...] [--pages 250]

Run it against the small demo (`bash scripts/start.sh`); the default logins are its admin, street supervisor and
resident. `--english-large` switches to English and large text first (longer words, bigger letters). The e2e
suite checks a handful of such pages on every run; this looks at every page the users reach. Exit status 1 when
a page is wider than the screen.
"""
from __future__ import annotations

import argparse
import re
import sys
from urllib.parse import urljoin, urlparse

PASSWORD = "civic-demo-2026"
SKIP = re.compile(r"\.(csv|xlsx|pdf|json|atom|png|svg|zip|js|css|txt)(\?|$)|/export|/download|/logout|/static/|/attachments/"
                  r"|/print|/set-locale|/text-size")
WIDEST = """() => {
  const width = document.documentElement.clientWidth;
  if (document.documentElement.scrollWidth <= width) return null;
  const scrolls = (el) => { for (let p = el.parentElement; p; p = p.parentElement) {
    const x = getComputedStyle(p).overflowX; if (x === 'auto' || x === 'scroll') return true; } return false; };
  let worst = null;
  for (const el of document.querySelectorAll('body *')) {
    const box = el.getBoundingClientRect();
    if (box.right > width + 1 && !scrolls(el) && (!worst || box.right > worst.right))
      worst = {right: Math.round(box.right), element: el.tagName.toLowerCase() + (el.className ? '.' + el.className : '')};
  }
  return {scrollWidth: document.documentElement.scrollWidth, worst};
}"""


def shape(url: str) -> str:
    parts = urlparse(url)
    return re.sub(r"\d+", "N", parts.path) + ("?" + re.sub(r"\d+", "N", parts.query) if parts.query else "")


def crawl(browser, base: str, phone: str, width: int, english_large: bool, limit: int) -> list[tuple[str, dict]]:
    context = browser.new_context(base_url=base, locale="zh-CN", java_script_enabled=False, viewport={"width": width, "height": 900})
    page = context.new_page()
    page.goto("/login")
    page.fill("#f-identifier", phone)
    page.fill("#f-password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_load_state()
    if english_large:
        page.goto("/set-locale?lang=en&next=/")
        page.goto("/text-size?size=large&next=/")
    seen, shapes, queue, wide = set(), {}, [base + "/"], []
    while queue and len(seen) < limit:
        url = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        response = page.goto(url)
        if response is None or "text/html" not in (response.headers.get("content-type") or ""):
            continue
        found = page.evaluate(WIDEST)
        if found:
            wide.append((url.removeprefix(base), found))
        for href in page.eval_on_selector_all("a[href]", "links => links.map(a => a.getAttribute('href'))"):
            target = urljoin(url, href).split("#")[0]
            if not target.startswith(base) or SKIP.search(target) or target in seen:
                continue
            if shapes.get(shape(target), 0) < 2:
                shapes[shape(target)] = shapes.get(shape(target), 0) + 1
                queue.append(target)
    context.close()
    print(f"{phone}: {len(seen)} pages, {len(wide)} wider than {width} px")
    return wide


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base", default="http://127.0.0.1:8000")
    parser.add_argument("--width", type=int, default=420)
    parser.add_argument("--english-large", action="store_true")
    parser.add_argument("--login", action="append", help="a user's phone (repeatable)")
    parser.add_argument("--pages", type=int, default=250, help="pages per user at most")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    wide = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=args.chromium, args=["--no-sandbox"], headless=True)
        for phone in args.login or ["13800000000", "13800000001", "13900000001"]:
            for url, found in crawl(browser, args.base.rstrip("/"), phone, args.width, args.english_large, args.pages):
                print(f"  {url}: {found['scrollWidth']} px wide; widest: {found['worst']}")
                wide.append(url)
        browser.close()
    return 1 if wide else 0


if __name__ == "__main__":
    sys.exit(main())
