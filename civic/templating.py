"""Jinja2 with Babel, and render(): one template per page, htmx fragments are its named blocks."""
from __future__ import annotations

import datetime as dt
from contextvars import ContextVar

from jinja2 import Environment, FileSystemLoader, StrictUndefined, pass_context, pass_eval_context, select_autoescape
from jinja2_fragments import render_block
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import HTMLResponse

from civic import i18n
from civic.registry.rules import mask_id, mask_phone
from civic.security import SESSION_COOKIE


def make_environment(settings) -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(settings.templates_dir)),
        autoescape=select_autoescape(["html", "xml", "svg"], default_for_string=True),
        extensions=["jinja2.ext.i18n"],
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        # Templates are read once per process (a changed template needs a restart): checking every
        # template's file time on each use cost about a tenth of a signed-in page.
        auto_reload=False,
        cache_size=-1,
    )
    env.install_gettext_callables(
        i18n.gettext,
        lambda s, p, n: i18n.current().ngettext(s, p, n),
        newstyle=True,
    )
    # The same newstyle semantics in one call instead of three: Jinja's `_` resolves and calls `gettext`, which
    # calls the installed function through the context again and then formats with `%` even without
    # variables; two dozen strings a page made that a tenth of a signed-in page's rendering.
    env.globals.update(_=_template_gettext, gettext=_template_gettext)
    env.filters.update(
        datetime=i18n.format_datetime,
        date=i18n.format_date,
        number=i18n.format_number,
        # Translates a msgid held in data (labels, titles) without %-formatting it.
        t=i18n.gettext,
        mask_id=mask_id,
        mask_phone=mask_phone,
    )
    env.globals.update(settings=settings, htmx_url=settings.htmx_url, htmx_sri=settings.htmx_sri, cached=cached, personal=personal)
    from civic.pagecache import Fragments

    env.fragments = Fragments(settings.page_cache_seconds, max_bytes=settings.page_cache_mb << 20)
    return env


def compile_all(env: Environment) -> int:
    """Compile every page template now, as a serving worker starts: otherwise the first showing of each page in
    a worker paid for it (the election's management page, district data: 232 → 60 ms CPU; 1.4 s for all of
    them). Returns how many there are."""
    names = env.list_templates(filter_func=lambda name: name.endswith(".html"))
    for name in names:
        env.get_template(name)
    return len(names)


@pass_eval_context
def _template_gettext(eval_ctx, message: str, **variables):
    text = i18n.gettext(message)
    if eval_ctx.autoescape:
        text = Markup(text)
    return text % variables if variables or "%" in text else text  # "%%" still becomes "%", as in Jinja's


# ---- fragments -------------------------------------------------------------------------------------------
# {% call cached("name", part, ...) %}…{% endcall %} keeps the rendered block in env.fragments (see
# civic.pagecache.Fragments). The parts must name everything the block shows that is not in the database
# (sort, page, what kind of reader: never a reader's identity); the path, locale, text size, frozen clock and
# write generations are added. Data the block needs should be loaded lazily (see `Lazy`), so that a hit
# costs no query. Inside, csrf_field() writes a marker, and {% call(neutral) personal("kind", args…) %}
# marks a part rendered for a neutral reader (neutral=True) that the view's `personalize(holes, context)`
# may render again for this reader.

_building: ContextVar[list | None] = ContextVar("civic_fragment", default=None)
_spliced: ContextVar[list | None] = ContextVar("civic_spliced", default=None)  # see render()
_PLAIN = (str, int, float, bool, type(None), dt.date)


def _plain(value) -> bool:
    if isinstance(value, tuple):
        return all(_plain(v) for v in value)
    return isinstance(value, _PLAIN)


class Variant:
    """What `personalize` returns for a hole whose rendering is shared by every reader in the same state
    (say "up-voted it"): `key` names that state, `render()` renders it. It is rendered once per fragment
    entry and state, with the CSRF marker in it, and kept in the entry."""

    __slots__ = ("key", "render")

    def __init__(self, key, render):
        self.key, self.render = key, render


class _Entry:
    """A rendered fragment as it is kept, in UTF-8 (a page is joined from such pieces: see render()): its neutral
    text cut at the CSRF markers (`parts`), the same text cut first at the holes (`atoms`: the text before hole 0,
    hole 0's neutral text, the text before hole 1, …, the rest; each cut at the markers), the holes for
    `personalize` and the variants of holes rendered so far."""

    __slots__ = ("parts", "atoms", "holes", "variants", "marker")

    def __init__(self, html: str, nonce: str, holes: list):
        import re

        self.marker = marker = f"@@csrf-{nonce}@@"
        kept, position = [], 0
        for match in re.finditer(rf"@@hole-{nonce}-(\d+)@@(.*?)@@/hole-{nonce}@@", html, re.S):
            kept += [html[position:match.start()], match.group(2)]
            position = match.end()
        kept.append(html[position:])

        def cut(text: str) -> tuple[bytes, ...]:
            return tuple(piece.encode() for piece in text.split(marker))

        self.parts = cut("".join(kept))
        self.atoms = tuple(cut(text) for text in kept) if holes else (self.parts,)
        self.holes = tuple(holes)
        self.variants: dict = {}

    def size(self) -> int:
        return sum(map(len, self.parts)) * (2 if self.holes else 1) + 1024


@pass_context
def cached(context, name: str, *parts, caller):
    request = context.get("request")
    state = getattr(request, "state", None)
    generations = getattr(state, "generations", None) if state is not None else None
    fragments = context.environment.fragments
    if generations is None or not fragments.seconds or request.method not in ("GET", "HEAD") or _building.get() is not None:
        return Markup(caller())
    key = (name, parts, _request_key(request, context, generations))
    entry = fragments.get(key)
    if entry is None:
        if not _plain(parts):
            raise TypeError(f"cached({name!r}): parts must be plain values")
        holes: list = []
        token = _building.set(holes)
        try:
            html = str(caller())
        finally:
            _building.reset(token)
        entry = _Entry(html, fragments.nonce, holes)
        fragments.put(key, entry)
    return _serve(entry, context, fragments.nonce)


def _request_key(request: Request, context, generations: dict) -> tuple:
    """What every fragment of this request is also keyed by (worked out once a request): the path, locale,
    text size, frozen clock and the write generations of the path's scopes."""
    state = request.scope["state"]  # request.state's own dict: a missing attribute of State raises, and that cost
    key = state.get("civic_fragment_key")
    if key is None:
        from civic import clock
        from civic.pagecache import scopes_of_path

        key = (context.get("path_with_query"), i18n.get_locale(), bool(context.get("large_text")), clock._frozen.get(),
               tuple(generations.get(s, 0) for s in scopes_of_path(request.url.path)))
        state["civic_fragment_key"] = key
    return key


def _serve(entry: _Entry, context, nonce: str) -> Markup:
    personalize = context.get("personalize") if entry.holes else None
    replaced = personalize(entry.holes, context) if personalize else None
    holes = {number: _rendered(entry, number, value) for number, value in replaced.items()} if replaced else {}
    # The reader's token only where the text has a marker: asking for it sets the CSRF cookie, and a page that
    # sets a cookie is not kept for anonymous readers (civic.pagecache).
    token = ""
    if len(entry.parts) > 1 or any(entry.marker in html for html in holes.values()):
        token = str(Markup.escape(context["csrf_token"]()))
    pieces = _encoded_pieces(entry, holes, token)
    spliced = _spliced.get()
    if spliced is None:  # a template rendered other than by render(): the fragment's text itself
        return Markup(b"".join(pieces).decode())
    spliced.append(pieces)  # render() joins the page as UTF-8: the fragment is encoded once, not for every reader
    return Markup(f"@@splice-{nonce}@@")


def _encoded_pieces(entry: _Entry, holes: dict[int, str], token: str) -> list[bytes]:
    """The fragment as this reader gets it, in UTF-8 pieces: its kept pieces joined by the token, a hole the
    reader has their own version of encoded in its place."""
    joiner = token.encode()
    if not holes:
        return [joiner.join(entry.parts)]
    out = []
    for number, atom in enumerate(entry.atoms):
        hole = (number - 1) // 2 if number % 2 else None  # atoms alternate: text, hole 0, text, hole 1, …
        if hole in holes:
            out.append(holes[hole].replace(entry.marker, token).encode())
        else:
            out.append(joiner.join(atom))
    return out


def _rendered(entry: _Entry, number: int, value) -> str:
    """A hole as `personalize` gave it: HTML, or a `Variant` rendered once per entry (with the CSRF marker)."""
    if not isinstance(value, Variant):
        return str(value)
    key = (number, value.key)
    html = entry.variants.get(key)
    if html is None:
        token = _building.set([])  # rendered as a fragment is: the CSRF marker, not this reader's token
        try:
            html = str(value.render())
        finally:
            _building.reset(token)
        if len(entry.variants) < 4 * len(entry.holes) + 8:  # a few states a hole: the entry stays bounded
            entry.variants[key] = html
    return html


@pass_context
def personal(context, kind: str, *args, caller):
    holes = _building.get()
    if holes is None:
        return Markup(caller(False))
    if not all(_plain(a) for a in args):
        raise TypeError(f"personal({kind!r}): arguments must be plain values")
    nonce = context.environment.fragments.nonce
    holes.append((kind, args))
    return Markup(f"@@hole-{nonce}-{len(holes) - 1}@@") + Markup(caller(True)) + Markup(f"@@/hole-{nonce}@@")


def csrf_marker(request: Request) -> str | None:
    """While a fragment is being rendered for the cache: the marker standing for the reader's CSRF token."""
    if _building.get() is None:
        return None
    return f"@@csrf-{request.app.state.templates.fragments.nonce}@@"


class Lazy:
    """An object loaded on first use: a view passes its data this way so that a cached block costs no query."""

    __slots__ = ("_load", "_value")

    def __init__(self, load):
        self._load, self._value = load, None

    def __getattr__(self, name):
        if self._value is None:
            self._value = self._load()
        return getattr(self._value, name)

    def __getitem__(self, key):
        if self._value is None:
            self._value = self._load()
        return self._value[key]


def is_htmx(request: Request) -> bool:
    return request.headers.get("HX-Request") == "true" and request.headers.get("HX-History-Restore-Request") != "true"


def render(
    request: Request,
    name: str,
    context: dict | None = None,
    *,
    block: str | None = None,
    status: int = 200,
    headers: dict | None = None,
) -> HTMLResponse:
    """Render a page; for an htmx request with `block`, only that block of the same template."""
    env: Environment = request.app.state.templates
    ctx = base_context(request)
    ctx.update(context or {})
    spliced: list = []
    token = _spliced.set(spliced)
    try:
        if block and is_htmx(request):
            body = render_block(env, name, block, **ctx)
        else:
            body = env.get_template(name).render(**ctx)
    finally:
        _spliced.reset(token)
    response = HTMLResponse(_joined(body, spliced, env.fragments.nonce) if spliced else body, status_code=status, headers=headers)
    response.headers["Vary"] = "HX-Request, Cookie"
    return response


def _joined(body: str, spliced: list, nonce: str) -> bytes:
    """The page in UTF-8: its own text encoded, each cached fragment's pieces put where it stood. A long thread's
    text encoded for every reader was a tenth of the page's time."""
    texts = body.split(f"@@splice-{nonce}@@")
    if len(texts) != len(spliced) + 1:  # a fragment's output went somewhere other than the page (never expected)
        raise RuntimeError("cached fragments and their places in the page do not match")
    out = [texts[0].encode()]
    for pieces, text in zip(spliced, texts[1:]):
        out += pieces
        out.append(text.encode())
    return b"".join(out)


def base_context(request: Request) -> dict:
    from civic.security import can

    actor = getattr(request.state, "actor", None)
    if actor is None and SESSION_COOKIE in request.cookies and not getattr(request.state, "read_only", False):
        # A page whose view never asked who reads it still shows the signed-in header (name, notifications).
        from civic.web import actor as current_actor

        actor = current_actor(request)
    token_fn = request.scope.get("csrftoken")
    locale = i18n.get_locale()

    def csrf_token() -> str:
        marker = csrf_marker(request)
        if marker is not None:
            return marker
        return token_fn() if token_fn else ""

    def csrf_field() -> Markup:
        return Markup('<input type="hidden" name="csrftoken" value="%s">') % csrf_token()

    unread = 0
    if actor is not None and actor.authenticated and getattr(request.state, "db", None) is not None:
        from civic.notify import unread_count

        generations, counts = getattr(request.state, "generations", None), getattr(request.app.state, "unread", None)
        if generations is not None and counts is not None:  # read when the session opened, before the count
            unread = counts.get(request.state.db, actor.user.id, generations.get("notify", 0))
        else:
            unread = unread_count(request.state.db, actor.user.id)
    return {
        "unread_notifications": unread,
        "request": request,
        "actor": actor,
        "can": lambda permission, community=None: bool(actor) and can(actor, permission, community),
        "csrf_field": csrf_field,
        "csrf_token": csrf_token,
        "locale": locale,
        "lang_tag": i18n.lang_tag(locale),
        "large_text": request.cookies.get(i18n.TEXT_SIZE_COOKIE) == "large",
        "nav_modules": request.app.state.nav_modules,
        "url_for": request.url_for,
        "path_with_query": request.url.path + (("?" + request.url.query) if request.url.query else ""),
    }
