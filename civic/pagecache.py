"""Whole-page cache for anonymous GET requests, with invalidation by write generations.

Every committed transaction that wrote to a module's tables bumps that module's counter in
`core_generation` inside the same transaction (the engine hooks below). A cached page keeps the
counters it was rendered under, read BEFORE rendering, and is served only while they are unchanged
(and for at most `CIVIC_PAGE_CACHE_SECONDS`, for what depends on the clock). So a change shows on the
very next request, in every worker process and on every host sharing the database.

Only anonymous pages are cached (no session cookie), only 200 answers without Set-Cookie, without
`Cache-Control: no-store` and without a CSRF token in the body (tokens are per browser).
"""
from __future__ import annotations

import asyncio
import re
import time
import weakref
from collections import OrderedDict

from sqlalchemy import Integer, String, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Mapped, mapped_column

from civic import i18n
from civic.cookies import cookies_of
from civic.db import Base

DOMAIN_SCOPES = ("elections", "consultations", "disclosure", "appraisal")
SCOPES = ("core", *DOMAIN_SCOPES)
# Who may do what: users, their roles, residents (whose flags give roles). A write to these bumps "people"
# as well as "core"; the signed-in actor cache (civic.security) is valid while "people" holds.
PEOPLE_TABLES = frozenset({"accounts_user", "accounts_role", "registry_resident"})
# Tables no cached page or fragment shows, with a scope of their own: a user's notifications (only that user
# sees them; the "notify" counter keeps civic.notify.UnreadCounts exact) and the audit log (staff pages only,
# never cached; every state change appends to it, so counting it as "core" threw every module's pages away
# at each write anywhere). Notice seals live in the audit log too, but are written with their notice.
OWN_SCOPE = {"notify_notification": "notify", "audit_entry": "audit", "audit_head": "audit"}
TRACKED = (*SCOPES, "people", "notify", "audit")
MAX_BODY = 2 * 1024 * 1024
_WRITE = re.compile(r'^\s*(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)', re.IGNORECASE)


class Generation(Base):
    """How many committed transactions have written to a scope's tables."""

    __tablename__ = "core_generation"
    scope: Mapped[str] = mapped_column(String(20), primary_key=True)
    counter: Mapped[int] = mapped_column(Integer, default=0)


def scope_of_table(table: str) -> str:
    prefix = table.split("_", 1)[0]
    return prefix if prefix in DOMAIN_SCOPES else "core"


def scopes_of_path(path: str) -> tuple[str, ...]:
    """A module's pages show the module's data and the core's (communities, rules); others may show all."""
    first = path.split("/", 2)[1] if path.count("/") >= 1 else ""
    return ("core", first) if first in DOMAIN_SCOPES else SCOPES


# ---- write tracking (installed on every engine by civic.db.make_engine) ------------------------------

STATISTIC = {"civic_statistic": True}  # execution option: a counter no cached page needs to be fresh for


def track_writes(engine: Engine) -> None:
    @event.listens_for(engine, "before_cursor_execute")
    def _touched(conn, _cursor, statement, _parameters, context, _executemany):
        match = _WRITE.match(statement)
        if match is None or match.group(1) == "core_generation":
            return
        if context is not None and context.execution_options.get("civic_statistic"):
            return
        touched = conn.info.setdefault("civic_touched", set())
        table = match.group(1)
        if table in OWN_SCOPE:
            touched.add(OWN_SCOPE[table])
            return
        touched.add(scope_of_table(table))
        if table in PEOPLE_TABLES:
            touched.add("people")

    @event.listens_for(engine, "commit")
    def _bump(conn):
        touched = conn.info.pop("civic_touched", None)
        if not touched or not _has_table(conn):
            return
        # Raw DB-API cursor: runs in the transaction being committed, before the COMMIT itself.
        cursor = conn.connection.dbapi_connection.cursor()
        try:
            bump(cursor, touched)
        finally:
            cursor.close()

    @event.listens_for(engine, "rollback")
    def _forget(conn):
        conn.info.pop("civic_touched", None)


def bump(cursor, scopes) -> None:
    """Counts a write to `scopes` in the transaction of the driver's `cursor` (for writers that skip the
    engine's hooks). Scopes come from a fixed list, never from input. An upsert: a truncated table starts
    again at 1."""
    statement = bump_statement(scopes)
    if statement:
        cursor.execute(statement)


def bump_statement(scopes) -> str:
    """The statement `bump` runs ("" for no tracked scope), for writers that run their own statements."""
    rows = ",".join(f"('{s}', 1)" for s in sorted(scopes) if s in TRACKED)
    if not rows:
        return ""
    return f"INSERT INTO core_generation (scope, counter) VALUES {rows} ON CONFLICT (scope) DO UPDATE SET counter = core_generation.counter + 1"


_READY: "weakref.WeakSet[Engine]" = weakref.WeakSet()


def _has_table(conn) -> bool:
    """False only while migrations have not created the table yet (checked until it exists)."""
    engine = conn.engine
    if engine in _READY:
        return True
    cursor = conn.connection.dbapi_connection.cursor()
    try:
        if conn.dialect.name == "sqlite":
            cursor.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'core_generation'")
        else:
            cursor.execute("SELECT 1 FROM pg_catalog.pg_tables WHERE tablename = 'core_generation'")
        found = cursor.fetchone() is not None
    finally:
        cursor.close()
    if found:
        _READY.add(engine)
    return found


GENERATIONS_SQL = "SELECT scope, counter FROM core_generation"


def read_generations(engine: Engine) -> dict[str, int]:
    raw = engine.raw_connection()
    try:
        return generations_on(raw)
    finally:
        raw.close()


def generations_on(dbapi_connection) -> dict[str, int]:
    """On the driver's own cursor (in whatever transaction the connection is in): SQLAlchemy's statement
    machinery — events, a result object — cost more than this query, which every page asks."""
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(GENERATIONS_SQL)
        return dict(cursor.fetchall())
    finally:
        cursor.close()


# ---- the stores ---------------------------------------------------------------------------------------


class Bounded:
    """A least-recently-used map bounded in entries AND in bytes: a few 2 MB pages must not grow a
    worker without limit. Not locked: callers that share it between threads hold their own lock."""

    def __init__(self, max_entries: int, max_bytes: int):
        self.max_entries, self.max_bytes = max_entries, max_bytes
        self.data: OrderedDict[tuple, tuple] = OrderedDict()
        self.bytes = 0

    def get(self, key: tuple):
        kept = self.data.get(key)
        if kept is None:
            return None
        self.data.move_to_end(key)
        return kept[0]

    def put(self, key: tuple, value, size: int) -> None:
        old = self.data.pop(key, None)
        if old is not None:
            self.bytes -= old[1]
        if size > self.max_bytes:
            return
        self.data[key] = (value, size)
        self.bytes += size
        while len(self.data) > self.max_entries or self.bytes > self.max_bytes:
            _key, (_value, dropped) = self.data.popitem(last=False)
            self.bytes -= dropped

    def __len__(self) -> int:
        return len(self.data)


# ---- the middleware ----------------------------------------------------------------------------------


class PageCache:
    """ASGI middleware; sits inside LocaleMiddleware (the locale is part of the key) and outside CSRF."""

    def __init__(self, app, engine: Engine, seconds: int, session_cookie: str, max_entries: int = 2000, max_bytes: int = 64 << 20):
        self.app, self.engine, self.seconds, self.session_cookie = app, engine, seconds, session_cookie
        self.entries = Bounded(max_entries, max_bytes)
        self.in_loop = engine.dialect.name == "sqlite"  # a local file read in WAL mode never waits for a lock
        self.rendering: dict[tuple, asyncio.Event] = {}
        self.hits = self.misses = 0

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD") or not self.seconds or not self._cacheable_path(scope["path"]):
            return await self.app(scope, receive, send)
        headers = dict(scope.get("headers") or [])
        cookies = cookies_of(scope)
        if self.session_cookie in cookies:
            return await self.app(scope, receive, send)
        from civic import clock

        key = (scope["path"], scope.get("query_string", b""), i18n.get_locale(), cookies.get(i18n.TEXT_SIZE_COOKIE, ""),
               headers.get(b"hx-request", b""), headers.get(b"hx-target", b""), b"json" in headers.get(b"accept", b"")[:40],
               clock._frozen.get())
        generations = await self._generations()
        wanted = tuple(generations.get(s, 0) for s in scopes_of_path(scope["path"]))
        if await self._serve(scope, send, key, wanted):
            return
        rendering = self.rendering.get(key)
        if rendering is not None:
            # Another request is rendering this very page (just after a write, under load): wait for it
            # rather than render the same page 32 times at once.
            await rendering.wait()
            if await self._serve(scope, send, key, wanted):
                return
        self.misses += 1
        done = self.rendering[key] = asyncio.Event()
        try:
            await self._render_and_keep(scope, receive, send, key, wanted)
        finally:
            if self.rendering.get(key) is done:
                del self.rendering[key]
            done.set()

    async def _serve(self, scope, send, key, wanted) -> bool:
        cached = self.entries.get(key)
        if cached is None or cached[0] != wanted or time.monotonic() - cached[1] >= self.seconds:
            return False
        self.hits += 1
        await send({"type": "http.response.start", "status": 200, "headers": cached[2]})
        await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else cached[3]})
        return True

    @staticmethod
    def _cacheable_path(path: str) -> bool:
        return not path.startswith(("/static/", "/health", "/login", "/logout", "/activate", "/reset", "/set-locale", "/text-size"))

    async def _generations(self) -> dict[str, int]:
        if self.in_loop:
            return read_generations(self.engine)
        from starlette.concurrency import run_in_threadpool

        return await run_in_threadpool(read_generations, self.engine)

    async def _render_and_keep(self, scope, receive, send, key, wanted) -> None:
        start: dict = {}
        chunks: list[bytes] = []
        size = 0
        keep = scope["method"] == "GET"

        async def capture(message):
            nonlocal keep, size
            if message["type"] == "http.response.start":
                start.update(message)
                names = {k.lower() for k, _v in message.get("headers", [])}
                no_store = any(k.lower() == b"cache-control" and b"no-store" in v for k, v in message.get("headers", []))
                keep = keep and message["status"] == 200 and b"set-cookie" not in names and not no_store
            elif message["type"] == "http.response.body" and keep:
                body = message.get("body", b"")
                size += len(body)
                if size > MAX_BODY:
                    keep = False
                    chunks.clear()
                else:
                    chunks.append(body)
            await send(message)

        await self.app(scope, receive, capture)
        if not keep or not start:
            return
        body = b"".join(chunks)
        if b'name="csrftoken"' in body:
            return
        self.entries.put(key, (wanted, time.monotonic(), list(start.get("headers", [])), body), len(body) + 1024)


# ---- fragments: shared parts of pages, for signed-in readers too ------------------------------------


class Kept:
    """Entries shared by a worker's threads, each served for at most `seconds` after it was put (and, by its
    key, only while the write generations it was made under hold); bounded like `Bounded`."""

    def __init__(self, seconds: int, max_entries: int, max_bytes: int):
        import threading

        self.seconds = seconds
        self.entries = Bounded(max_entries, max_bytes)
        self.lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, key: tuple):
        """The value kept under `key`, or None."""
        with self.lock:
            entry = self.entries.get(key)
            if entry is None or time.monotonic() - entry[0] >= self.seconds:
                self.misses += 1
                return None
            self.hits += 1
            return entry[1]

    def put(self, key: tuple, value, size: int) -> None:
        with self.lock:
            self.entries.put(key, (time.monotonic(), value), size)


class Fragments(Kept):
    """Rendered HTML of the shared parts of pages (a thread's comments, an election's candidates), for
    every reader, signed in or not. An entry is keyed by what the template names plus the locale, the text
    size, the frozen clock and the write generations of the request's scopes, read when its database
    session opened (before any data of the page; see `civic.web.db`). So an entry is only served while
    nothing it could show has been written, and for at most `seconds`.

    What differs between readers never goes into an entry: the CSRF token is written as a marker replaced
    on the way out, and parts for one reader ("personal" holes: the edit controls of their own comment,
    their up-vote) are rendered for a neutral reader, marked, and rendered again for the reader who needs
    them (see `civic.templating`)."""

    def __init__(self, seconds: int, max_entries: int = 5000, max_bytes: int = 64 << 20):
        import secrets

        super().__init__(seconds, max_entries, max_bytes)
        self.nonce = secrets.token_hex(8)  # markers no stored text can forge

    def put(self, key: tuple, value) -> None:
        super().put(key, value, value.size())  # a civic.templating._Entry
