"""A worker renders at most CIVIC_PAGE_THREADS pages (GET) at once, or with 0 (SQLite's default) right on its
event loop; exports and forms (POST) are not held up by them (civic.web.view, civic.web.page_threads)."""
import asyncio
import threading
import time
import weakref

import httpx
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from civic.settings import Settings
from civic.web import view


def make_app(page_threads: int):
    running = {"now": 0, "most": 0, "threads": set()}
    lock = threading.Lock()

    def work(request):
        with lock:
            running["threads"].add(threading.current_thread())
            running["now"] += 1
            running["most"] = max(running["most"], running["now"])
        time.sleep(0.05)
        with lock:
            running["now"] -= 1
        return PlainTextResponse("ok")

    routes = [Route("/page", view(work), methods=["GET", "POST"]), Route("/export", view(export=True)(work)),
              Route("/counted", view(waits=True)(work))]
    app = Starlette(routes=routes)
    app.state.settings = Settings(database_url="sqlite://", data_dir=None, secret_key="x", page_threads=page_threads)
    app.state.page_threads = weakref.WeakKeyDictionary()
    return app, running


async def at_once(app, method: str, path: str, n: int):
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        answers = await asyncio.gather(*(client.request(method, path) for _ in range(n)))
    assert all(a.status_code == 200 and a.text == "ok" for a in answers)


def test_pages_run_at_most_page_threads_at_once():
    app, running = make_app(page_threads=2)
    asyncio.run(at_once(app, "GET", "/page", 8))
    assert running["most"] == 2


def test_exports_and_forms_are_not_held_up_by_the_page_threads():
    app, running = make_app(page_threads=1)
    asyncio.run(at_once(app, "GET", "/export", 6))
    assert running["most"] > 1
    running["most"] = 0
    asyncio.run(at_once(app, "POST", "/page", 6))
    assert running["most"] > 1


def test_with_none_pages_run_on_the_event_loop_and_forms_still_in_threads():
    app, running = make_app(page_threads=0)

    async def pages_then_forms():
        loop_thread = threading.current_thread()
        await at_once(app, "GET", "/page", 4)
        pages, most = set(running["threads"]), running["most"]
        running["threads"].clear()
        await at_once(app, "POST", "/page", 4)
        forms = set(running["threads"])
        running["threads"].clear()
        await at_once(app, "GET", "/counted", 2)  # a page that also writes (a read counter) may wait: not on the loop
        return loop_thread, pages, most, forms, set(running["threads"])

    loop_thread, pages, most, forms, counted = asyncio.run(pages_then_forms())
    assert pages == {loop_thread} and most == 1  # one after the other, on the loop's own thread
    assert forms and loop_thread not in forms
    assert counted and loop_thread not in counted


def test_on_loop_runs_on_the_event_loop_whatever_the_page_threads():
    """A ballot's checks (run_view(on_loop=True)) run on the loop even where pages have threads (PostgreSQL)."""
    from starlette.requests import Request

    from civic.web import run_view

    app, _running = make_app(page_threads=4)

    def where(request):
        return threading.current_thread()

    async def check():
        request = Request({"type": "http", "method": "POST", "path": "/", "headers": [], "app": app})
        return threading.current_thread(), await run_view(where, request, on_loop=True), await run_view(where, request, page=True)

    loop_thread, checked, paged = asyncio.run(check())
    assert checked is loop_thread and paged is not loop_thread


def test_the_default_follows_the_database():
    assert Settings(database_url="sqlite:///x.db", data_dir=None, secret_key="x").page_thread_count == 0
    assert Settings(database_url="postgresql+psycopg://h/db", data_dir=None, secret_key="x").page_thread_count == 4
    assert Settings.from_env({"CIVIC_PAGE_THREADS": "6", "CIVIC_SECRET_KEY": "x"}).page_thread_count == 6
    assert Settings.from_env({"CIVIC_PAGE_THREADS": "2", "CIVIC_SECRET_KEY": "x"}).page_thread_count == 2
    assert Settings.from_env({"CIVIC_PAGE_THREADS": "", "CIVIC_SECRET_KEY": "x"}).page_thread_count == 0
