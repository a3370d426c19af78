"""Shared helpers for views: the request's database session, the actor, forms, redirects."""
from __future__ import annotations

import asyncio
from urllib.parse import parse_qsl, urlparse

from anyio import CapacityLimiter, to_thread

from sqlalchemy.orm import Session
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse

from civic.pagecache import generations_on
from civic.security import Actor, actor_from_request


MAX_FIELDS = 2000


def db(request: Request) -> Session:
    """One session per request, closed by DatabaseMiddleware; unsafe methods take the write lock."""
    session = getattr(request.state, "db", None)
    if session is None:
        factories = request.app.state
        writes = request.method == "POST" and not getattr(request.state, "read_only", False)
        factory = factories.write_sessions if writes else factories.read_sessions
        session = factory()
        request.state.db = session
        if not writes and request.method in ("GET", "HEAD") and request.app.state.templates.fragments.seconds:
            # The write generations, before any data of the page: cached fragments are keyed by them (a
            # fragment rendered from later data is only ever newer than its key; see civic.templating.cached).
            request.state.generations = generations_on(session.connection().connection)
            session.info["civic_generations"] = request.state.generations  # services may key caches by them
            session.info["civic_snapshots"] = factories.snapshots  # a GET page's session: see civic.snapshots
    return session


def actor(request: Request) -> Actor:
    return actor_from_request(request, db(request))


async def form_data(request: Request) -> FormData:
    cached = getattr(request.state, "form", None)
    if cached is None:
        if request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            # The common case (every form without a file), parsed in C-backed parse_qsl: Starlette's
            # byte-by-byte parser was a tenth of a ballot's CPU. Same limits and the same decoding.
            body = (await request.body()).decode("utf-8", errors="replace")
            try:
                cached = FormData(parse_qsl(body, keep_blank_values=True, max_num_fields=MAX_FIELDS))
            except ValueError as error:
                raise HTTPException(400, "Too many fields") from error
        else:
            cached = await request.form(max_files=20, max_fields=MAX_FIELDS, max_part_size=20 * 1024 * 1024)
        request.state.form = cached
    return cached


def redirect(url: str, status: int = 303) -> RedirectResponse:
    return RedirectResponse(str(url), status_code=status)


def safe_next(target: str | None, default: str = "/") -> str:
    """Only same-site paths: never an open redirect."""
    if not target:
        return default
    parsed = urlparse(target)
    if parsed.scheme or parsed.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    return target


def form(request: Request) -> FormData:
    """The parsed form of a POST (read by @view before the handler runs)."""
    return getattr(request.state, "form", None) or FormData()


def view(handler=None, *, writes: bool = True, export: bool = False, waits: bool = False):
    """Views as plain functions of the request: the form is parsed first, then the handler runs. A form (POST)
    runs in the shared thread pool, so waiting for the write lock never stalls the event loop; `writes=False`
    gives it a read-only session (for handlers whose writes go through a queue, see castqueue). A GET is a
    page (`run_view`: on the event loop with SQLite, in one of a few page threads with PostgreSQL), unless it
    is an `export` (a file of a whole community, a board) or `waits` (a GET that also writes, say a read
    counter, and so may wait for the write lock): those go to the shared pool, so they never hold up pages."""
    from functools import wraps

    def decorate(function):
        @wraps(function)
        async def endpoint(request: Request):
            if request.method == "POST":
                await form_data(request)
            if not writes:
                request.state.read_only = True
            return await run_view(function, request, page=request.method in ("GET", "HEAD") and not (export or waits))

        return endpoint

    return decorate(handler) if handler is not None else decorate


async def run_view(function, request: Request, *args, page: bool = False, on_loop: bool = False):
    """`function(request, *args)` with its session closed when it returns. `page` (short reads that never wait
    on others: pages): in one of the worker's few page threads, or right on the event loop where
    `Settings.page_thread_count` is 0 (the default on SQLite). `on_loop`: on the event loop whatever the
    database, for a handful of indexed reads on the hot path (a ballot's checks: on PostgreSQL their round
    trips cost the loop less than a thread's hand-over and its wait for the GIL). Otherwise in the shared pool."""
    if on_loop:
        return _run_and_close(function, request, *args)
    if page:
        limiter = page_threads(request)
        if limiter is None:
            return _run_and_close(function, request, *args)
    else:
        limiter = None
    return await to_thread.run_sync(_run_and_close, function, request, *args, limiter=limiter)


def page_threads(request: Request):
    """The worker's limit on pages rendered at once (`Settings.page_thread_count`), None for "on the event
    loop"; one per event loop, as anyio's limiters belong to the loop that made them (tests run several)."""
    count = request.app.state.settings.page_thread_count
    if not count:
        return None
    limiters = request.app.state.page_threads
    loop = asyncio.get_running_loop()
    limiter = limiters.get(loop)
    if limiter is None:
        limiter = limiters[loop] = CapacityLimiter(count)
    return limiter


def _run_and_close(function, request: Request, *args):
    """Runs the handler and closes its session where it ran: in a worker thread, returning the connection to the
    pool (a rollback) then never blocks the event loop. Whatever renders after it (an error page) reads only."""
    try:
        return function(request, *args)
    finally:
        session = getattr(request.state, "db", None)
        if session is not None:
            session.close()
            request.state.db = None
        request.state.read_only = True
