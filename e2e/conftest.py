"""A real server (civic serve on a free port, demo data) and Debian's Chromium driven by Playwright."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("CIVIC_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
HTMX_LOCAL = ROOT / "static" / "vendor" / "htmx.min.js"


def pytest_collection_modifyitems(items):
    for item in items:
        if "/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    if not HTMX_LOCAL.exists():
        pytest.fail(f"{HTMX_LOCAL} is missing: run scripts/test.sh (it fetches htmx.org from npm)")
    data = tmp_path_factory.mktemp("e2e-data")
    port = _free_port()
    env = {**os.environ, "CIVIC_DATA_DIR": str(data), "CIVIC_HTMX_URL": "/static/vendor/htmx.min.js", "CIVIC_LOG_LEVEL": "WARNING"}
    env.pop("CIVIC_DATABASE_URL", None)
    civic = [sys.executable, "-m", "civic.cli"]
    subprocess.run(civic + ["demo"], env=env, check=True, cwd=data, capture_output=True)
    log = open(data / "server.log", "w")
    process = subprocess.Popen(civic + ["serve", "--port", str(port)], env=env, cwd=data, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            with urllib.request.urlopen(base + "/health", timeout=1) as response:
                if response.status == 200:
                    break
        except OSError:
            time.sleep(0.1)
    else:
        process.kill()
        pytest.fail("server did not start: " + (data / "server.log").read_text()[-2000:])
    yield {"base": base, "data": data, "env": env}
    process.terminate()
    process.wait(10)
    log.close()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} not found: install Debian's chromium (scripts/test.sh does)")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


def _context(browser, server, js: bool):
    return browser.new_context(base_url=server["base"], locale="zh-CN", java_script_enabled=js, viewport={"width": 1200, "height": 900})


@pytest.fixture(params=[True, False], ids=["js", "nojs"])
def js(request):
    return request.param


@pytest.fixture
def new_page(browser, server, js):
    """new_page() opens a page in a fresh context (its own cookies), with or without JavaScript."""
    contexts = []

    def make():
        context = _context(browser, server, js)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


AXE_SCRIPT = None


def check_a11y(page, js: bool = True) -> None:
    """axe-core: zero violations on the page as it stands (WCAG 2.x A/AA rules)."""
    global AXE_SCRIPT
    if AXE_SCRIPT is None:
        import axe_playwright_python

        AXE_SCRIPT = (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text()
    if not js:
        return  # axe runs inside the page; the JS-enabled run of each flow checks the same pages
    page.evaluate(AXE_SCRIPT)
    result = page.evaluate("axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a','wcag2aa','wcag21a','wcag21aa','wcag22aa']}})")
    problems = [f"{v['id']}: {v['help']} — {[n['target'] for n in v['nodes']][:3]}" for v in result["violations"]]
    assert not problems, f"axe on {page.url}:\n" + "\n".join(problems)


def login(page, phone: str, password: str = "civic-demo-2026") -> None:
    page.goto("/login")
    page.fill("#f-identifier", phone)
    page.fill("#f-password", password)
    page.click("main button[type=submit]")
    page.wait_for_load_state()


def screenshot(page, name: str) -> None:
    out = ROOT / "e2e" / "screenshots"
    out.mkdir(exist_ok=True)
    page.screenshot(path=str(out / f"{name}.png"), full_page=True)
