"""create_app(settings) -> Starlette: lifespan, a Mount per module, middleware, error handlers."""
from __future__ import annotations

import logging
import weakref
from contextlib import asynccontextmanager

from asgi_csrf import asgi_csrf
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from civic import i18n
from civic.cookies import cookies_of
from civic.db import make_engine, make_sessionmaker
from civic.errors import DomainError
from civic.modules import all_modules, domain_modules
from civic.security import ActorCache, LoginRequired, SessionCookies, register_permissions
from civic.settings import Settings
from civic.templating import is_htmx, make_environment, render
from civic.web import actor, db, redirect, safe_next, view

log = logging.getLogger("civic")


@view
def home(request: Request):
    from civic.registry import queries

    who = actor(request)
    communities = queries.communities_overview(db(request), residents=True)
    return render(request, "home.html", {"communities": communities, "modules": request.app.state.nav_modules, "who": who})


async def health(request: Request):
    def ping():
        with request.app.state.read_sessions() as session:
            session.execute(text("SELECT 1"))

    from starlette.concurrency import run_in_threadpool

    try:
        await run_in_threadpool(ping)
    except Exception:  # the database is down: say so, not 500
        return JSONResponse({"status": "error", "database": "unreachable"}, status_code=503)
    return JSONResponse({"status": "ok"})


def set_locale(request: Request):
    lang = request.query_params.get("lang", "")
    response = redirect(safe_next(request.query_params.get("next")))
    if lang in i18n.LOCALES:
        response.set_cookie(i18n.LOCALE_COOKIE, lang, max_age=365 * 86400, samesite="lax", httponly=True)
    return response


def set_text_size(request: Request):
    size = request.query_params.get("size", "")
    response = redirect(safe_next(request.query_params.get("next")))
    response.set_cookie(i18n.TEXT_SIZE_COOKIE, "large" if size == "large" else "normal", max_age=365 * 86400, samesite="lax", httponly=True)
    return response


def _error_response(request: Request, status: int, message: str):
    if request.url.path.endswith(".json") or "application/json" in request.headers.get("accept", "").split(",")[0]:
        return JSONResponse({"error": message, "status": status}, status_code=status)
    template = f"errors/{status}.html" if status in (400, 403, 404, 405, 409, 413, 422, 429, 500, 503) else "errors/400.html"
    return render(request, template, {"message": message, "status": status}, block="content", status=status)


async def domain_error(request: Request, exc: DomainError):
    if isinstance(exc, LoginRequired):
        target = request.url.path if request.method == "GET" else request.headers.get("referer", "/")
        url = "/login?next=" + safe_next(urlpath(target))
        if is_htmx(request):
            return PlainTextResponse("", status_code=401, headers={"HX-Redirect": url})
        return redirect(url)
    return _error_response(request, exc.status, exc.message)


def urlpath(url: str) -> str:
    from urllib.parse import urlparse

    parsed = urlparse(url)
    return parsed.path + (("?" + parsed.query) if parsed.query else "")


async def http_error(request: Request, exc: HTTPException):
    messages = {
        404: i18n._("The page you asked for does not exist."),
        405: i18n._("This address does not accept that kind of request."),
    }
    return _error_response(request, exc.status_code, messages.get(exc.status_code, exc.detail or ""))


async def database_busy(request: Request, exc: Exception):
    """SQLite's write lock was not free within the busy timeout: a retryable 503, not a crash."""
    if "locked" in str(exc) or "busy" in str(exc):
        log.warning("database busy on %s %s", request.method, request.url.path)
        return _error_response(request, 503, i18n._("The system is very busy right now. Nothing was changed; please try again in a moment."))
    return await server_error(request, exc)


async def server_error(request: Request, exc: Exception):
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    # This handler runs outside DatabaseMiddleware, after it closed the request's session: the error page
    # reads with a read-only session of its own, closed here — reusing the POST's write session would take
    # the write lock again and nobody would release it.
    _closed = getattr(request.state, "db", None)
    if _closed is not None:
        _closed.close()
    request.state.db = None
    request.state.read_only = True
    try:
        return _error_response(request, 500, i18n._("Something went wrong on our side. Nothing was changed; please try again."))
    finally:
        session = getattr(request.state, "db", None)
        if session is not None:
            session.close()


class LocaleMiddleware:
    """Chooses the language from the cookie (then Accept-Language) and sets it for everything below."""

    def __init__(self, app, default: str):
        self.app, self.default = app, default

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = dict(scope.get("headers") or [])
        locale = i18n.pick_locale(cookies_of(scope).get(i18n.LOCALE_COOKIE), headers.get(b"accept-language", b"").decode("latin-1"), self.default)
        token = i18n.set_locale(locale)
        module = i18n.set_module(scope.get("path", "/").split("/", 2)[1] if scope.get("path", "/").count("/") else None)
        try:
            await self.app(scope, receive, send)
        finally:
            i18n._module.reset(module)
            i18n._current.reset(token)


class SecurityHeadersMiddleware:
    def __init__(self, app, settings: Settings):
        self.app = app
        script_src = "'self'"
        if settings.htmx_url.startswith("http"):
            from urllib.parse import urlparse

            parsed = urlparse(settings.htmx_url)
            script_src += f" {parsed.scheme}://{parsed.netloc}"
        csp = (
            f"default-src 'self'; script-src {script_src}; style-src 'self'; img-src 'self' data:; "
            "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
        )
        self.headers = [
            (b"content-security-policy", csp.encode()),
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"same-origin"),
            (b"x-frame-options", b"DENY"),
            (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
        ]
        if settings.https:
            self.headers.append((b"strict-transport-security", b"max-age=31536000; includeSubDomains"))

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                existing = {k.lower() for k, _v in message.get("headers", [])}
                message["headers"] = list(message.get("headers", [])) + [h for h in self.headers if h[0] not in existing]
            await send(message)

        await self.app(scope, receive, send_with_headers)


class DatabaseMiddleware:
    """Closes the request's session (if a view opened one) after the response."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        try:
            await self.app(scope, receive, send)
        finally:
            state = scope.get("state") or {}
            session = state.get("db")
            if session is not None:
                session.close()


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or Settings.from_env()
    engine = make_engine(settings.database_url)
    modules = all_modules()
    for module in modules:
        register_permissions(module.permissions)

    @asynccontextmanager
    async def lifespan(app):
        # Reads awaited on the serving loop for a confirmed ballot's checks (civic.loopdb: on PostgreSQL a small
        # pool of asynchronous connections); without a lifespan (some test clients) those take the usual path.
        from civic.loopdb import LoopReads

        app.state.loop_reads = LoopReads(engine)
        await app.state.loop_reads.open()
        try:
            yield
        finally:
            reads, app.state.loop_reads = getattr(app.state, "loop_reads", None), None
            if reads is not None:
                await reads.close()
            engine.dispose()

    routes = [
        Route("/", home, name="home"),
        Route("/health", health, name="health"),
        Route("/set-locale", set_locale, name="set_locale"),
        Route("/text-size", set_text_size, name="text_size"),
    ]
    for module in modules:
        module_routes = list(module.routes)
        if module.admin_routes:
            module_routes.append(Mount("/manage", routes=module.admin_routes, name="manage"))
        if module.name == "accounts":
            routes.extend(module_routes)  # /login, /activate, ... at the top level
        else:
            routes.append(Mount(f"/{module.name}", routes=module_routes, name=module.name))
    routes.append(Mount("/static", app=StaticFiles(directory=str(settings.static_dir)), name="static"))

    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        exception_handlers={DomainError: domain_error, HTTPException: http_error, OperationalError: database_busy, Exception: server_error},
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.read_sessions = make_sessionmaker(engine, reads=True)
    app.state.write_sessions = make_sessionmaker(engine, write=True)
    app.state.templates = make_environment(settings)
    app.state.sessions = SessionCookies(settings.secret_key, settings.session_hours)
    app.state.actors = ActorCache()
    from civic.snapshots import Snapshots

    app.state.snapshots = Snapshots(settings.page_cache_seconds)
    app.state.page_threads = weakref.WeakKeyDictionary()  # event loop -> its limiter (civic.web.page_threads)
    from civic.notify import UnreadCounts

    app.state.unread = UnreadCounts()
    app.state.nav_modules = [m for m in domain_modules() if m.in_nav]
    from civic.ratelimit import RateLimiter

    app.state.limiter = RateLimiter(settings)

    app.add_middleware(DatabaseMiddleware)
    inner = app

    async def csrf_failed(scope, send, message_id=None):
        locale_app = LocaleMiddleware(_csrf_page, settings.default_locale)
        await locale_app(scope, None, send)

    protected = asgi_csrf(
        inner,
        signing_secret=settings.secret_key,
        cookie_secure=settings.https,
        cookie_samesite="Lax",
        always_protect={"/login", "/activate", "/reset"},
        send_csrf_failed=csrf_failed,
    )
    from civic.pagecache import PageCache
    from civic.security import SESSION_COOKIE

    cached = PageCache(protected, engine, settings.page_cache_seconds, SESSION_COOKIE, max_bytes=settings.page_cache_mb << 20)
    app.state.page_cache = cached
    wrapped = SecurityHeadersMiddleware(LocaleMiddleware(cached, settings.default_locale), settings)
    # Keep the Starlette object reachable (state, url_for) for tests and the CLI.
    wrapped.starlette = app  # type: ignore[attr-defined]
    wrapped.state = app.state  # type: ignore[attr-defined]
    return wrapped


async def _csrf_page(scope, receive, send):
    from starlette.responses import HTMLResponse

    message = i18n._("The form had expired or was sent from another site. Please go back, reload the page and try again.")
    title = i18n._("Request refused")
    body = (
        f'<!doctype html><html lang="{i18n.lang_tag()}"><head><meta charset="utf-8"><title>{title}</title>'
        f'<meta name="viewport" content="width=device-width, initial-scale=1"><link rel="stylesheet" href="/static/css/civic.css"></head>'
        f'<body><main id="main"><h1>{title}</h1><p role="alert">{message}</p><p><a href="/">{i18n._("Home")}</a></p></main></body></html>'
    )
    await HTMLResponse(body, status_code=403)(scope, receive, send)
